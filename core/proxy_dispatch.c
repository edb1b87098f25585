/* Sends a request to the node picked for it: the body as the node gets
 * it, the relay and the OpenAI conversion set up for its answer. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admission.h"
#include "common/log.h"
#include "common/str_copy.h"
#include "config.h"
#include "openai_response.h"
#include "proxy_body.h"
#include "relay.h"
#include "router.h"
#include "upstream.h"

static const char *
proxy_dispatch_upstream_path(enum proxy_api api)
{
    switch (api) {
    case PROXY_API_CHAT:
        return "/api/chat";
    case PROXY_API_GENERATE:
        return "/api/generate";
    case PROXY_API_EMBED:
        return "/api/embed";
    case PROXY_API_EMBEDDINGS:
        return "/api/embeddings";
    default: /* an OpenAI request goes out converted, as its native API */
        return "/";
    }
}

const char *
proxy_client_path(enum proxy_api api)
{
    switch (api) {
    case PROXY_API_OAI_CHAT:
        return "/v1/chat/completions";
    case PROXY_API_OAI_COMPLETIONS:
        return "/v1/completions";
    case PROXY_API_OAI_EMBEDDINGS:
        return "/v1/embeddings";
    default:
        return proxy_dispatch_upstream_path(api);
    }
}

static enum relay_kind
proxy_dispatch_relay_kind(const struct proxy_req *q)
{
    return q->ri.stream ? RELAY_NDJSON : RELAY_JSON; /* nodes speak native */
}

/* Sends the request as picked; the slot is already held. */
void
proxy_dispatch(struct proxy_req *q, const struct proxy_pick *pk)
{
    char err[256];
    str_copy(q->model, sizeof q->model, pk->model);
    str_copy(q->node, sizeof q->node, pk->node);
    q->score = pk->total;
    route_result_free(&q->route);
    q->route = pk->route;
    q->route_index = pk->route_index;
    q->slot_held = 1;
    q->t_dispatch = router_now();
    q->t_active = q->t_dispatch;
    q->t_first = 0;
    q->context_overflow = 0;
    /* our slot is held already: 1 in flight is this request */
    q->alone_at_dispatch =
        admission_in_flight(q->p->adm, pk->node, pk->model) <= 1;
    q->cold_at_dispatch = !pk->hot && q->alone_at_dispatch;
    /* The request's own model (no fallback, no larger one): the node gets
     * the client's string, and its answer echoes it as Ollama's would. */
    const char *sent = !q->upgraded_from[0] && q->ri.model_asked[0] &&
                               strcmp(pk->model, q->models[0]) == 0
                           ? q->ri.model_asked
                           : pk->model;
    if (relay_init(&q->relay, proxy_dispatch_relay_kind(q),
                   q->p->set.max_body_bytes) != 0) {
        proxy_attempt_failed(q, "out of memory", 0);
        return;
    }
    if (q->openai) {
        json_object *ef;
        openai_reply_init(&q->oai, q->api, sent, q->request_id,
                          q->oai_include_usage);
        q->convert_failed = 0;
        q->oai.base64 =
            json_object_object_get_ex(q->body, "encoding_format", &ef) &&
            json_object_is_type(ef, json_type_string) &&
            strcasecmp(json_object_get_string(ef), "base64") == 0;
        q->relay.on_object = proxy_on_native_object;
        q->relay.on_object_arg = q;
        q->relay.keep_body = !q->ri.stream;
    }
    size_t len;
    enum proxy_ctx_result ctx;
    struct proxy_body_opts bo = {
        .context_protection = q->p->set.context_protection,
        .keep_alive = q->p->set.keep_alive,
        .thinking_overhead = q->p->set.thinking_overhead,
        .thinking_min_predict = q->p->set.thinking_min_predict,
    };
    /* the client's own text, when what goes upstream is its body: a
     * native request's, read in place */
    const char *text = NULL;
    size_t text_len = 0;
    if (!q->openai && q->req) {
        struct evbuffer *in = http_req_body(q->req);
        text_len = evbuffer_get_length(in);
        text = (const char *)evbuffer_pullup(in, -1);
    }
    json_object *src = q->native, *copy = NULL;
    /* the target's loaded context exactly: without num_ctx Ollama would
     * reload it at its default */
    if (q->upgraded_from[0] &&
        (copy = proxy_body_with_ctx(src, text, text_len, pk->loaded_ctx))) {
        bo.context_protection = CONFIG_CTX_PASSTHROUGH;
        src = copy;
        text = NULL;
    }
    char *body = proxy_body_build(src, text, text_len, q->up_api, sent,
                                  pk->loaded_ctx, &bo, &ctx, &len);
    json_object_put(copy);
    if (!body) {
        proxy_attempt_failed(q, "out of memory", 0);
        return;
    }
    q->context_overflow = ctx == PROXY_CTX_OVERFLOW;
    if (ctx == PROXY_CTX_KEPT)
        log_warn(proxy_comp,
                 "%s: num_ctx %u kept for %s on %s although its loaded "
                 "context %u covers it (context_protection = warn); the "
                 "node may reload the model",
                 q->request_id, q->num_ctx, pk->model, pk->node,
                 pk->loaded_ctx);
    else if (ctx == PROXY_CTX_STRIPPED)
        log_debug(proxy_comp,
                  "%s: num_ctx %u stripped for %s on %s (loaded context %u)",
                  q->request_id, q->num_ctx, pk->model, pk->node,
                  pk->loaded_ctx);
    q->call = upstream_start(q->p->pool, pk->url, EVHTTP_REQ_POST,
                             proxy_dispatch_upstream_path(q->up_api), body, len,
                             &proxy_upstream_cbs, q, err, sizeof err);
    free(body);
    if (!q->call)
        proxy_attempt_failed(q, err, 1);
}
