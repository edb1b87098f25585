/* Pre-warm of the runner-up node: see prewarm.h. */
#include "autoconfig.h"

#include "prewarm.h"

#include <event2/event.h>
#include <event2/http.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "common/log.h"
#include "latency.h"
#include "model_category.h"
#include "prewarm_pick.h"
#include "request.h"
#include "router.h"
#include "scorer.h"
#include "upstream.h"

/* Models whose waiting is followed, and node:model cooldowns kept. */
#define PREWARM_MAX_MODELS 64
#define PREWARM_MAX_COOLDOWNS 128
/* The start of a failed load's answer kept for the log. */
#define PREWARM_ERR_MAX 200

static const char *prewarm_comp = "prewarm";

struct prewarm_streak {
    char model[REQUEST_MODEL_MAX];
    unsigned looks; /* consecutive looks at which the model was deep */
};

struct prewarm_cooldown {
    char node[HEARTBEAT_MAX_STRING];
    char model[REQUEST_MODEL_MAX];
    double until; /* monotonic */
};

struct prewarm_load {
    struct prewarm *pw;
    struct upstream_call *call;
    struct event *timeout;
    char node[HEARTBEAT_MAX_STRING];
    char model[REQUEST_MODEL_MAX];
    char *url; /* the node's, for a second try */
    int embed; /* loading through /api/embed */
    double t_start;
    int status;
    char answer[PREWARM_ERR_MAX]; /* the start of the node's answer */
    size_t answer_len;
};

struct prewarm {
    struct router *r;
    struct admission *adm;
    struct upstream_pool *pool;
    struct prewarm_settings set;
    struct prewarm_hooks hooks;
    struct event *timer;
    struct prewarm_streak streaks[PREWARM_MAX_MODELS];
    size_t streak_count;
    struct prewarm_cooldown cooldowns[PREWARM_MAX_COOLDOWNS];
    struct prewarm_load *loads[PREWARM_MAX_LOADS];
    uint64_t sent, succeeded, failed;
};

/* ---- the loads ----------------------------------------------------------- */

static size_t
prewarm_loads_running(const struct prewarm *pw)
{
    size_t n = 0;
    for (size_t i = 0; i < PREWARM_MAX_LOADS; i++)
        n += pw->loads[i] != NULL;
    return n;
}

static int
prewarm_loading(const struct prewarm *pw, const char *model)
{
    for (size_t i = 0; i < PREWARM_MAX_LOADS; i++)
        if (pw->loads[i] && strcmp(pw->loads[i]->model, model) == 0)
            return 1;
    return 0;
}

static void
prewarm_load_free(struct prewarm_load *l)
{
    for (size_t i = 0; i < PREWARM_MAX_LOADS; i++)
        if (l->pw->loads[i] == l)
            l->pw->loads[i] = NULL;
    if (l->timeout)
        event_free(l->timeout);
    free(l->url);
    free(l);
}

/* Counts and logs the outcome, frees the load and lets the waiting
 * requests look again. why: NULL on success. */
static void
prewarm_load_ended(struct prewarm_load *l, const char *why)
{
    struct prewarm *pw = l->pw;
    double took = router_now() - l->t_start;
    if (!why) {
        pw->succeeded++;
        log_info(prewarm_comp, "%s is loaded on %s (%.1f s)", l->model, l->node,
                 took);
    } else {
        pw->failed++;
        log_warn(prewarm_comp, "loading %s on %s failed after %.1f s: %s",
                 l->model, l->node, took, why);
    }
    /* a next load needs a new streak, counted once this one is seen */
    for (size_t i = 0; i < pw->streak_count; i++)
        if (strcmp(pw->streaks[i].model, l->model) == 0)
            pw->streaks[i].looks = 0;
    prewarm_load_free(l);
    if (pw->hooks.load_ended)
        pw->hooks.load_ended(pw->hooks.arg);
}

static void
prewarm_on_head(void *arg, int status, const char *ctype)
{
    struct prewarm_load *l = arg;
    (void)ctype;
    l->status = status;
}

/* Only the start of the answer is kept, for the log of a failure. */
static void
prewarm_on_body(void *arg, struct evbuffer *data)
{
    struct prewarm_load *l = arg;
    size_t room = sizeof l->answer - 1 - l->answer_len;
    size_t take = evbuffer_get_length(data);
    if (take > room)
        take = room;
    if (take > 0)
        evbuffer_remove(data, l->answer + l->answer_len, take);
    l->answer_len += take;
    l->answer[l->answer_len] = '\0';
    evbuffer_drain(data, evbuffer_get_length(data));
}

static int prewarm_start(struct prewarm_load *l, char *err, size_t errlen);

static void
prewarm_on_end(void *arg, int err)
{
    struct prewarm_load *l = arg;
    char why[PREWARM_ERR_MAX + 64];
    l->call = NULL;
    if (err == 0 && l->status >= 200 && l->status < 300) {
        prewarm_load_ended(l, NULL);
        return;
    }
    /* an embedding model the name did not give away */
    if (err == 0 && l->status == 400 && !l->embed &&
        strstr(l->answer, "does not support generate")) {
        log_info(prewarm_comp, "%s on %s does not generate: trying /api/embed",
                 l->model, l->node);
        l->embed = 1;
        l->status = 0;
        l->answer_len = 0;
        l->answer[0] = '\0';
        if (prewarm_start(l, why, sizeof why) == 0)
            return;
        prewarm_load_ended(l, why);
        return;
    }
    if (err)
        snprintf(why, sizeof why, "%s", strerror(-err));
    else
        snprintf(why, sizeof why, "status %d %s", l->status, l->answer);
    prewarm_load_ended(l, why);
}

static const struct upstream_cbs prewarm_cbs = {
    .on_head = prewarm_on_head,
    .on_body = prewarm_on_body,
    .on_end = prewarm_on_end,
};

static void
prewarm_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct prewarm_load *l = arg;
    char why[64];
    (void)fd;
    (void)what;
    upstream_cancel(l->call);
    l->call = NULL;
    snprintf(why, sizeof why, "no answer within %.0f s",
             PREWARM_LOAD_TIMEOUT_S);
    prewarm_load_ended(l, why);
}

/* The endpoint that loads a model without running it: /api/generate
 * without a prompt (Ollama answers done_reason "load"), or for an
 * embedding model, which refuses generate, /api/embed with an empty
 * input (reference §1.4). The name tells an embedding model only when
 * it says so; prewarm_on_end tries /api/embed when the node says the
 * model does not generate. */
static int
prewarm_embeds(const char *model)
{
    return model_category(model) == MODEL_CAT_EMBEDDING;
}

static const char *
prewarm_path(int embed)
{
    return embed ? "/api/embed" : "/api/generate";
}

/* The load's body: not streamed, with the router's keep_alive (a number
 * of seconds; any negative is forever). A new string, or NULL. */
static char *
prewarm_body(const char *model, int embed, double keep_alive)
{
    json_object *o = json_object_new_object();
    char *text = NULL;
    if (!o)
        return NULL;
    json_object_object_add(o, "model", json_object_new_string(model));
    if (embed)
        json_object_object_add(o, "input", json_object_new_string(""));
    else
        json_object_object_add(o, "stream", json_object_new_boolean(0));
    json_object_object_add(
        o, "keep_alive",
        json_object_new_int64(keep_alive < 0 ? -1 : (int64_t)ceil(keep_alive)));
    text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

/* Sends l's load request. Returns 0, or -1 with the reason in err. */
static int
prewarm_start(struct prewarm_load *l, char *err, size_t errlen)
{
    char *body = prewarm_body(l->model, l->embed, l->pw->set.keep_alive);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->call = upstream_start(l->pw->pool, l->url, EVHTTP_REQ_POST,
                             prewarm_path(l->embed), body, strlen(body),
                             &prewarm_cbs, l, err, errlen);
    free(body);
    return l->call ? 0 : -1;
}

/* Starts the load of model on node at url. Returns 0, or -1 with the
 * reason in err. */
static int
prewarm_send(struct prewarm *pw, const char *node, const char *url,
             const char *model, char *err, size_t errlen)
{
    size_t slot = 0;
    while (slot < PREWARM_MAX_LOADS && pw->loads[slot])
        slot++;
    if (slot == PREWARM_MAX_LOADS) {
        snprintf(err, errlen, "%d loads run already", PREWARM_MAX_LOADS);
        return -1;
    }
    struct prewarm_load *l = calloc(1, sizeof *l);
    if (l) {
        l->timeout = evtimer_new(pw->r->base, prewarm_timeout_cb, l);
        l->url = strdup(url);
    }
    if (!l || !l->timeout || !l->url) {
        if (l && l->timeout)
            event_free(l->timeout);
        if (l)
            free(l->url);
        free(l);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->pw = pw;
    l->t_start = router_now();
    snprintf(l->node, sizeof l->node, "%s", node);
    snprintf(l->model, sizeof l->model, "%s", model);
    l->embed = prewarm_embeds(model);
    if (prewarm_start(l, err, errlen) != 0) {
        event_free(l->timeout);
        free(l->url);
        free(l);
        return -1;
    }
    pw->loads[slot] = l;
    struct timeval tv = {(time_t)PREWARM_LOAD_TIMEOUT_S, 0};
    event_add(l->timeout, &tv);
    pw->sent++;
    return 0;
}

/* ---- cooldowns ----------------------------------------------------------- */

static int
prewarm_cooling(const struct prewarm *pw, const char *node, const char *model,
                double now)
{
    for (size_t i = 0; i < PREWARM_MAX_COOLDOWNS; i++) {
        const struct prewarm_cooldown *c = &pw->cooldowns[i];
        if (c->until > now && strcmp(c->node, node) == 0 &&
            strcmp(c->model, model) == 0)
            return 1;
    }
    return 0;
}

/* Remembers node:model until now + cooldown, in the entry that ends
 * first (an expired one when there is one). */
static void
prewarm_cool(struct prewarm *pw, const char *node, const char *model,
             double now)
{
    struct prewarm_cooldown *c = &pw->cooldowns[0];
    for (size_t i = 1; i < PREWARM_MAX_COOLDOWNS; i++)
        if (pw->cooldowns[i].until < c->until)
            c = &pw->cooldowns[i];
    snprintf(c->node, sizeof c->node, "%s", node);
    snprintf(c->model, sizeof c->model, "%s", model);
    c->until = now + pw->set.cooldown;
}

/* ---- the choice ---------------------------------------------------------- */

static int
prewarm_has(const struct hb_snapshot *s, const char *model, int *loaded)
{
    *loaded = 0;
    for (size_t i = 0; i < s->loaded_count; i++)
        if (strcmp(s->loaded[i].name, model) == 0) {
            *loaded = 1;
            return 1;
        }
    for (size_t i = 0; i < s->available_count; i++)
        if (strcmp(s->available[i].name, model) == 0)
            return 1;
    return 0;
}

static int
prewarm_is_candidate(const struct route_result *rr, const char *node)
{
    for (size_t i = 0; i < rr->candidate_count; i++)
        if (strcmp(rr->candidates[i].node, node) == 0)
            return 1;
    return 0;
}

/* What the choice needs of registry node n for model. */
static void
prewarm_describe(struct prewarm *pw, const struct registry_node *n,
                 const char *model, const struct route_result *rr, double now,
                 struct prewarm_node *out)
{
    const struct hb_snapshot *s = &n->snap;
    int backed_off =
        pw->hooks.backed_off && pw->hooks.backed_off(pw->hooks.arg, n->id);
    memset(out, 0, sizeof *out);
    out->id = n->id;
    /* a degraded node is late with its heartbeats: not worth a load */
    out->usable = n->status == HERD_NODE_ONLINE && !n->draining &&
                  n->cfg_enabled && !backed_off;
    out->on_disk = prewarm_has(s, model, &out->loaded);
    out->candidate = prewarm_is_candidate(rr, n->id);
    out->cooling = prewarm_cooling(pw, n->id, model, now);
    out->running = admission_node_in_flight(pw->adm, n->id);
    out->total_gb = s->has_memory ? s->memory_total_gb : 0;
    out->ceiling_gb = s->has_capacity && s->capacity_ceiling_gb > 0
                          ? s->capacity_ceiling_gb
                          : 0;
    out->free_gb = s->has_memory ? s->memory_available_gb : 0;
    out->p75_ms =
        pw->r->latency ? latency_p75_ms(pw->r->latency, n->id, model) : NAN;
}

/* Why no node could take the load, for the debug log. */
static void
prewarm_log_none(const struct prewarm_node *nodes, size_t count,
                 const char *model, double model_gb, size_t waiting)
{
    char why[1024];
    size_t used = 0;
    why[0] = '\0';
    for (size_t i = 0; i < count && used < sizeof why; i++) {
        int w =
            snprintf(why + used, sizeof why - used, "%s%s: %s", i ? "; " : "",
                     nodes[i].id, prewarm_unfit(&nodes[i], model_gb));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    log_debug(prewarm_comp,
              "%zu requests wait for %s (%.1f GB), but no node "
              "can load it: %s",
              waiting, model, model_gb, count ? why : "no nodes");
}

/* The model is deep: load it on the runner-up, if there is one. */
static void
prewarm_model(struct prewarm *pw, const struct prewarm_streak *st,
              size_t waiting)
{
    struct router *r = pw->r;
    struct route_request rq = {
        .model = st->model,
        .endpoint = prewarm_path(prewarm_embeds(st->model)),
        .format = "ollama",
    };
    struct route_result rr;
    double now = router_now();
    memset(&rr, 0, sizeof rr);
    if (!r->scorer ||
        scorer_rank(r->scorer, r->registry, &rq, &r->load, now, &rr) != 0) {
        route_result_free(&rr);
        return;
    }
    size_t count = registry_count(r->registry);
    struct prewarm_node *nodes = calloc(count ? count : 1, sizeof *nodes);
    if (!nodes) {
        route_result_free(&rr);
        return;
    }
    for (size_t i = 0; i < count; i++)
        prewarm_describe(pw, registry_at(r->registry, i), st->model, &rr, now,
                         &nodes[i]);
    long best = prewarm_pick(nodes, count, rr.model_size_gb);
    if (best < 0) {
        /* once per streak: the reasons stay the same while it lasts */
        if (st->looks == pw->set.looks)
            prewarm_log_none(nodes, count, st->model, rr.model_size_gb,
                             waiting);
    } else {
        const struct registry_node *n = registry_at(r->registry, (size_t)best);
        const struct prewarm_node *c = &nodes[best];
        char err[256], ceiling[64] = "";
        if (c->ceiling_gb > 0 && c->ceiling_gb < c->total_gb)
            snprintf(ceiling, sizeof ceiling, ", learned ceiling %.1f GB",
                     c->ceiling_gb);
        /* cools down either way: a load that cannot start is not retried
         * at every look */
        prewarm_cool(pw, n->id, st->model, now);
        if (prewarm_send(pw, n->id, n->url, st->model, err, sizeof err) != 0)
            log_warn(prewarm_comp, "cannot load %s on %s: %s", st->model, n->id,
                     err);
        else
            log_info(prewarm_comp,
                     "%zu requests have waited for %s for %u "
                     "looks; loading it (%.1f GB) on %s (on disk, %.1f GB "
                     "total%s, %.1f GB free now, idle)",
                     waiting, st->model, st->looks, rr.model_size_gb, n->id,
                     c->total_gb, ceiling, c->free_gb);
    }
    free(nodes);
    route_result_free(&rr);
}

/* ---- the looks ----------------------------------------------------------- */

/* Counts, for every model requests wait for, the consecutive looks at
 * which it was deep; a model nothing waits for any more is forgotten. */
static void
prewarm_count_looks(struct prewarm *pw)
{
    const char *names[PREWARM_MAX_MODELS];
    struct prewarm_streak next[PREWARM_MAX_MODELS];
    size_t n = admission_waiting_models(pw->adm, names, PREWARM_MAX_MODELS);
    for (size_t i = 0; i < n; i++) {
        unsigned before = 0;
        for (size_t j = 0; j < pw->streak_count; j++)
            if (strcmp(pw->streaks[j].model, names[i]) == 0)
                before = pw->streaks[j].looks;
        int deep =
            admission_waiting_model(pw->adm, names[i]) >= pw->set.threshold;
        snprintf(next[i].model, sizeof next[i].model, "%s", names[i]);
        next[i].looks = deep ? before + 1 : 0;
    }
    memcpy(pw->streaks, next, n * sizeof *next);
    pw->streak_count = n;
}

static void
prewarm_look(struct prewarm *pw)
{
    prewarm_count_looks(pw);
    for (size_t i = 0; i < pw->streak_count; i++) {
        struct prewarm_streak *st = &pw->streaks[i];
        if (prewarm_loads_running(pw) >= PREWARM_MAX_LOADS)
            return;
        if (st->looks < pw->set.looks || prewarm_loading(pw, st->model))
            continue;
        prewarm_model(pw, st, admission_waiting_model(pw->adm, st->model));
    }
}

static void
prewarm_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct prewarm *pw = arg;
    (void)fd;
    (void)what;
    prewarm_look(pw);
}

/* (Re)starts the timer, or stops it when pre-warm is off. Looks before a
 * pause are not consecutive with those after it. */
static void
prewarm_arm(struct prewarm *pw)
{
    event_del(pw->timer);
    pw->streak_count = 0;
    if (!pw->set.enabled)
        return;
    double iv = pw->set.interval > 0.001 ? pw->set.interval : 0.001;
    struct timeval tv = {(time_t)iv,
                         (suseconds_t)((iv - (double)(time_t)iv) * 1e6)};
    event_add(pw->timer, &tv);
}

/* ---- life ---------------------------------------------------------------- */

struct prewarm *
prewarm_new(struct router *r, struct admission *adm, struct upstream_pool *pool,
            const struct prewarm_settings *s, const struct prewarm_hooks *hooks)
{
    struct prewarm *pw = calloc(1, sizeof *pw);
    if (!pw)
        return NULL;
    pw->r = r;
    pw->adm = adm;
    pw->pool = pool;
    pw->set = *s;
    if (hooks)
        pw->hooks = *hooks;
    pw->timer = event_new(r->base, -1, EV_PERSIST, prewarm_timer_cb, pw);
    if (!pw->timer) {
        free(pw);
        return NULL;
    }
    prewarm_arm(pw);
    return pw;
}

void
prewarm_free(struct prewarm *pw)
{
    if (!pw)
        return;
    for (size_t i = 0; i < PREWARM_MAX_LOADS; i++) {
        struct prewarm_load *l = pw->loads[i];
        if (!l)
            continue;
        upstream_cancel(l->call);
        prewarm_load_free(l);
    }
    event_free(pw->timer);
    free(pw);
}

void
prewarm_configure(struct prewarm *pw, const struct prewarm_settings *s)
{
    struct prewarm_settings old = pw->set;
    pw->set = *s;
    if (old.enabled != s->enabled)
        log_info(prewarm_comp, "pre-warm is %s now", s->enabled ? "on" : "off");
    if (old.enabled != s->enabled || old.interval != s->interval)
        prewarm_arm(pw);
}

json_object *
prewarm_json(const struct prewarm *pw)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "enabled",
                           json_object_new_boolean(pw->set.enabled));
    json_object_object_add(o, "sent", json_object_new_int64((int64_t)pw->sent));
    json_object_object_add(o, "succeeded",
                           json_object_new_int64((int64_t)pw->succeeded));
    json_object_object_add(o, "failed",
                           json_object_new_int64((int64_t)pw->failed));
    json_object_object_add(
        o, "in_flight",
        json_object_new_int64((int64_t)prewarm_loads_running(pw)));
    return o;
}
