/* Picks the node (and model) for an attempt and takes a slot there: the
 * scorer's ranking of each model in fallback order, the VRAM fallback, the
 * context upgrade, and model names spelled as the nodes list them. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "common/log.h"
#include "common/str_copy.h"
#include "config.h"
#include "model_category.h"
#include "proxy_slots.h"
#include "registry.h"
#include "router.h"
#include "scorer.h"

/* Ranks the nodes for one model and takes a slot on the best one that
 * has a free one. Returns 1 with *pk filled, or 0; *known and *any tell
 * whether the model exists and whether any node could serve it. */
static int
proxy_pick_try_model(struct proxy_req *q, const char *model, int *known,
                     int *any, struct proxy_pick *pk)
{
    struct proxy *p = q->p;
    const char *excl[PROXY_MAX_EXCLUDED + PROXY_MAX_BACKOFF + 1];
    const char *tags[REQUEST_MAX_TAGS + 1];
    size_t ne = 0;
    double now = router_now();
    int got = 0;
    for (size_t i = 0; i < q->excluded_count; i++)
        excl[ne++] = q->excluded[i];
    for (size_t i = 0; i < PROXY_MAX_BACKOFF; i++)
        if (p->backoff[i].until > now)
            excl[ne++] = p->backoff[i].node;
    excl[ne] = NULL;
    for (size_t i = 0; i < q->ri.tag_count; i++)
        tags[i] = q->ri.tags[i];
    tags[q->ri.tag_count] = NULL;

    struct route_request rq = {
        .model = model,
        .endpoint = proxy_client_path(q->api),
        .estimated_tokens = q->ri.estimate.tokens,
        .num_ctx = q->num_ctx,
        .image_count = q->ri.estimate.images,
        .format = q->openai ? "openai" : "ollama",
        .tags = tags,
        .excluded_nodes = excl,
    };
    struct route_result rr;
    memset(&rr, 0, sizeof rr);
    if (!p->r->scorer || scorer_rank(p->r->scorer, p->r->registry, &rq,
                                     &p->r->load, now, &rr) != 0) {
        route_result_free(&rr);
        return 0;
    }
    *known |= rr.model_known;
    *any |= rr.candidate_count > 0;
    for (size_t i = 0; i < rr.candidate_count && !got; i++) {
        const struct route_candidate *c = &rr.candidates[i];
        unsigned slots = proxy_slots(registry_find(p->r->registry, c->node),
                                     model, p->set.default_num_parallel);
        if (admission_acquire(p->adm, c->node, model, slots) != 0)
            continue;
        scorer_note_chosen(p->r->scorer, c->node, now);
        str_copy(pk->model, sizeof pk->model, model);
        str_copy(pk->node, sizeof pk->node, c->node);
        str_copy(pk->url, sizeof pk->url, c->url);
        pk->total = c->total;
        pk->loaded_ctx = c->loaded_ctx > 0 ? (unsigned)c->loaded_ctx : 0;
        pk->hot = c->hot;
        pk->route_index = i;
        got = 1;
    }
    if (got)
        pk->route = rr; /* pk owns it now */
    else
        route_result_free(&rr);
    return got;
}

static int
proxy_pick_listed(const struct proxy_req *q, const char *model)
{
    for (size_t m = 0; m < q->model_count; m++)
        if (strcmp(q->models[m], model) == 0)
            return 1;
    return 0;
}

/* VRAM fallback: none of the requested models can be served anywhere,
 * so try a model of the same category that a usable node has loaded
 * (never chat for embedding or the reverse). The endpoint says which of
 * the two is asked for: a name need not (paraphrase-multilingual embeds,
 * yet has none of the embedding keywords), so an embedding request takes
 * only a model named as one, and a chat or generate request never does.
 * Returns 1 with *pk, or 0. */
static int
proxy_pick_vram_fallback(struct proxy_req *q, struct proxy_pick *pk)
{
    struct proxy *p = q->p;
    int embedding =
        q->up_api == PROXY_API_EMBED || q->up_api == PROXY_API_EMBEDDINGS;
    enum model_category want = model_category(q->ri.model);
    if (embedding)
        want = MODEL_CAT_EMBEDDING;
    else if (want == MODEL_CAT_EMBEDDING)
        return 0; /* a chat for a model named as an embedding one */
    int known = 0, any = 0;
    for (size_t i = 0; i < registry_count(p->r->registry); i++) {
        const struct registry_node *n = registry_at(p->r->registry, i);
        if (!registry_node_usable(n))
            continue;
        for (size_t k = 0; k < n->snap.loaded_count; k++) {
            const char *m = n->snap.loaded[k].name;
            if (!m || proxy_pick_listed(q, m) || model_category(m) != want)
                continue;
            if (proxy_pick_try_model(q, m, &known, &any, pk)) {
                log_info(proxy_comp,
                         "%s: %s cannot be served; VRAM "
                         "fallback to %s (%s) on %s",
                         q->request_id, q->ri.model, m,
                         model_category_name(want), pk->node);
                return 1;
            }
        }
    }
    return 0;
}

/* The family of a model name: what comes before the tag. */
static size_t
proxy_pick_family_len(const char *model)
{
    return strcspn(model, ":");
}

/* Context upgrade (reference 6.2, strip mode): num_ctx exceeds the
 * context pk's node has loaded for the model, so the smallest larger
 * model of the same family that some node has loaded with enough context
 * serves instead, on such a node (the reference rewrote the model but
 * sent to the first node). On success *pk is that pick (the first slot
 * is given back) and 1 is returned; otherwise 0 and *pk is kept. */
static int
proxy_pick_context_upgrade(struct proxy_req *q, struct proxy_pick *pk)
{
    struct proxy *p = q->p;
    uint32_t want = q->num_ctx;
    /* chat and generate only: another embedding model's vectors would
     * not be comparable with the ones the client has */
    if ((q->up_api != PROXY_API_CHAT && q->up_api != PROXY_API_GENERATE) ||
        !p->set.context_upgrade ||
        p->set.context_protection != CONFIG_CTX_STRIP || q->retries > 0 ||
        want == 0 || pk->loaded_ctx == 0 || want <= pk->loaded_ctx)
        return 0;
    const struct registry_node *at = registry_find(p->r->registry, pk->node);
    double size = 0;
    for (size_t k = 0; at && k < at->snap.loaded_count; k++)
        if (at->snap.loaded[k].name &&
            strcmp(at->snap.loaded[k].name, pk->model) == 0)
            size = at->snap.loaded[k].size_gb;
    size_t fl = proxy_pick_family_len(pk->model);
    const char *best = NULL;
    double best_size = 0;
    for (size_t i = 0; i < registry_count(p->r->registry); i++) {
        const struct registry_node *n = registry_at(p->r->registry, i);
        if (!registry_node_usable(n))
            continue;
        for (size_t k = 0; k < n->snap.loaded_count; k++) {
            const char *m = n->snap.loaded[k].name;
            double s = n->snap.loaded[k].size_gb;
            if (!m || strcmp(m, pk->model) == 0 ||
                proxy_pick_family_len(m) != fl ||
                strncmp(m, pk->model, fl) != 0 ||
                n->snap.loaded[k].context_length < want || s <= size ||
                (best && s >= best_size))
                continue;
            best = m;
            best_size = s;
        }
    }
    if (!best)
        return 0;
    char model[REQUEST_MODEL_MAX];
    snprintf(model, sizeof model, "%s", best); /* best may go with rank */
    struct proxy_pick up;
    int known = 0, any = 0;
    memset(&up, 0, sizeof up);
    if (!proxy_pick_try_model(q, model, &known, &any, &up))
        return 0;
    if (up.loaded_ctx < want) { /* ranked a node without it loaded */
        admission_release(p->adm, up.node, up.model, ADMISSION_REJECTED);
        proxy_kick(p); /* the slot is free again for the queue */
        route_result_free(&up.route);
        return 0;
    }
    log_info(proxy_comp,
             "%s: num_ctx %u exceeds the loaded context %u of %s on %s; "
             "context upgrade to %s on %s (loaded context %u)",
             q->request_id, want, pk->loaded_ctx, pk->model, pk->node, up.model,
             up.node, up.loaded_ctx);
    admission_release(p->adm, pk->node, pk->model, ADMISSION_REJECTED);
    proxy_kick(p); /* the slot is free again for the queue */
    snprintf(q->upgraded_from, sizeof q->upgraded_from, "%s", pk->model);
    route_result_free(&pk->route);
    *pk = up;
    return 1;
}

/* Model m of the request as a node lists it, when no node lists it as
 * asked but one does in another case (as Ollama, names match without
 * regard to case). Returns 1 when it was spelled anew. */
static int
proxy_pick_respell(struct proxy_req *q, size_t m)
{
    const char *listed =
        registry_model_spelling(q->p->r->registry, q->models[m]);
    if (!listed || strlen(listed) >= sizeof q->models[m])
        return 0;
    log_debug(proxy_comp, "%s: %s is listed as %s", q->request_id, q->models[m],
              listed);
    strcpy(q->models[m], listed);
    if (m == 0) { /* the request's own model: its queue, pulls and trace */
        strcpy(q->ri.model, listed);
        /* and the node gets the name as it lists it: not every Ollama
         * finds a model under another case */
        q->ri.model_asked[0] = '\0';
    }
    return 1;
}

/* Takes a slot for the first model (in fallback order) that has
 * candidates. Returns 1 with *pk filled, 0 when it must wait, -ENOENT
 * when no node knows any of the models, -ENODEV when every node that
 * could serve failed this request already. */
int
proxy_select(struct proxy_req *q, struct proxy_pick *pk)
{
    int known = 0, any = 0;
    q->upgraded_from[0] = '\0';
    q->busy_primary = 0;
    for (size_t m = 0; m < q->model_count; m++) {
        int k = 0, got = proxy_pick_try_model(q, q->models[m], &k, &any, pk);
        if (!got && !k && proxy_pick_respell(q, m))
            got = proxy_pick_try_model(q, q->models[m], &k, &any, pk);
        known |= k;
        if (got) {
            proxy_pick_context_upgrade(q, pk);
            return 1;
        }
        /* Busy candidates for a preferred model: wait for them rather
         * than falling back to a later model. */
        if (any) {
            q->busy_primary = m == 0;
            return 0;
        }
    }
    if (known && q->retries == 0 && q->p->set.vram_fallback &&
        proxy_pick_vram_fallback(q, pk))
        return 1;
    if (!known)
        return -ENOENT;
    if (q->retries > 0)
        return -ENODEV;
    return 0;
}

/* The wait for the request's own model ran out. Its later fallback models
 * were passed over while that model was only busy; now they get one look
 * before the 503, free slots only, and each one only if no request that
 * came earlier waits for it (that one is first in line for its slots).
 * Returns 1 with *pk, or 0. */
int
proxy_expiry_fallback(struct proxy_req *q, struct proxy_pick *pk)
{
    struct proxy *p = q->p;
    q->upgraded_from[0] = '\0';
    for (size_t m = 1; m < q->model_count; m++) {
        if (admission_waiting_model_before(p->adm, q->models[m], q->t_start))
            continue;
        int known = 0, any = 0;
        int got = proxy_pick_try_model(q, q->models[m], &known, &any, pk);
        if (!got && !known && proxy_pick_respell(q, m))
            got = proxy_pick_try_model(q, q->models[m], &known, &any, pk);
        if (got) {
            log_info(proxy_comp,
                     "%s: no slot for %s within queue_wait; fallback to %s "
                     "on %s",
                     q->request_id, q->ri.model, pk->model, pk->node);
            proxy_pick_context_upgrade(q, pk);
            return 1;
        }
    }
    return 0;
}
