/* POST /fleet/route: the routing decision for a chat, generate or embed
 * body, explained and not dispatched: every candidate with each signal's
 * points, every eliminated node with its reason, and the winner.
 *
 * An optional "what_if" object overrides the load of named nodes
 * ({"NODE": {"queue_depth": 2, "p75_latency_ms": 30000}}), so the effect
 * of the queue and wait signals can be seen without sending real load. */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/http_util.h"
#include "http_reply.h"
#include "request.h"
#include "router.h"
#include "scorer.h"

#define API_ROUTE_MAX_BODY (16u << 20)

static const char *const api_route_load_keys[] = {
    "queue_depth", "in_flight", "slots", "p75_latency_ms", NULL};

struct api_route_load {
    const struct scorer_load_provider *next; /* the router's own */
    json_object *what_if;                    /* borrowed, may be NULL */
};

static void
api_route_load_get(void *arg, const char *node_id, const char *model,
                   struct herd_node_view *fill)
{
    struct api_route_load *l = arg;
    json_object *o, *v;
    if (l->next && l->next->get)
        l->next->get(l->next->arg, node_id, model, fill);
    if (!l->what_if || !json_object_object_get_ex(l->what_if, node_id, &o))
        return;
    if (json_object_object_get_ex(o, "queue_depth", &v))
        fill->queue_depth = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(o, "in_flight", &v))
        fill->in_flight = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(o, "slots", &v))
        fill->slots = (uint32_t)json_object_get_int64(v);
    if (json_object_object_get_ex(o, "p75_latency_ms", &v))
        fill->p75_latency_ms = json_object_get_double(v);
}

static int
api_route_is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int) ||
           json_object_is_type(v, json_type_double);
}

/* Checks "what_if": node ids mapping to objects of known, non-negative
 * numbers (counts as integers below 2^32). */
static int
api_route_check_what_if(json_object *w, char *err, size_t errlen)
{
    if (!json_object_is_type(w, json_type_object)) {
        snprintf(err, errlen, "what_if must be an object of node ids");
        return -EINVAL;
    }
    json_object_object_foreach(w, node, o)
    {
        if (!o || !json_object_is_type(o, json_type_object)) {
            snprintf(err, errlen, "what_if.%s must be an object", node);
            return -EINVAL;
        }
        json_object_object_foreach(o, key, v)
        {
            size_t k = 0;
            while (api_route_load_keys[k] &&
                   strcmp(api_route_load_keys[k], key) != 0)
                k++;
            if (!api_route_load_keys[k]) {
                snprintf(err, errlen,
                         "what_if.%s.%s is not one of queue_depth, "
                         "in_flight, slots, p75_latency_ms",
                         node, key);
                return -EINVAL;
            }
            int is_count = strcmp(key, "p75_latency_ms") != 0;
            double d =
                v && api_route_is_number(v) ? json_object_get_double(v) : -1;
            if (!isfinite(d) || d < 0 ||
                (is_count && (d != floor(d) || d > 4294967295.0))) {
                snprintf(err, errlen, "what_if.%s.%s must be a non-negative %s",
                         node, key, is_count ? "integer" : "number");
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* The endpoint the body would be sent to, by its shape. */
static int
api_route_endpoint(json_object *body, const char **endpoint, char *err,
                   size_t errlen)
{
    json_object *v;
    if (json_object_object_get_ex(body, "messages", &v)) {
        if (!json_object_is_type(v, json_type_array)) {
            snprintf(err, errlen, "messages must be an array");
            return -EINVAL;
        }
        *endpoint = "/api/chat";
        return 0;
    }
    if (json_object_object_get_ex(body, "prompt", &v)) {
        if (!json_object_is_type(v, json_type_string)) {
            snprintf(err, errlen, "prompt must be a string");
            return -EINVAL;
        }
        *endpoint = "/api/generate";
        return 0;
    }
    if (json_object_object_get_ex(body, "input", &v)) {
        if (!json_object_is_type(v, json_type_string) &&
            !json_object_is_type(v, json_type_array)) {
            snprintf(err, errlen, "input must be a string or an array");
            return -EINVAL;
        }
        *endpoint = "/api/embed";
        return 0;
    }
    snprintf(err, errlen, "the body needs messages, prompt or input");
    return -EINVAL;
}

static int
api_route_num_ctx(json_object *body, uint32_t *num_ctx, char *err,
                  size_t errlen)
{
    json_object *opts, *v;
    *num_ctx = 0;
    if (!json_object_object_get_ex(body, "options", &opts) || !opts)
        return 0;
    if (!json_object_is_type(opts, json_type_object)) {
        snprintf(err, errlen, "options must be an object");
        return -EINVAL;
    }
    if (!json_object_object_get_ex(opts, "num_ctx", &v) || !v)
        return 0;
    int64_t n = json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_int) || n < 0 || n > UINT32_MAX) {
        snprintf(err, errlen,
                 "options.num_ctx must be a non-negative "
                 "integer");
        return -EINVAL;
    }
    *num_ctx = (uint32_t)n;
    return 0;
}

void
api_route_post(struct router *r, struct http_req *req)
{
    char err[512];
    struct request_info ri;
    struct route_request rq;
    struct route_result res;
    json_object *what_if = NULL;

    struct request_body rb;
    json_object *body = NULL;
    size_t len;
    /* the request's own fields read as the proxy reads them, the rest
     * (what_if) from a tree */
    const char *text =
        http_req_text(req, API_ROUTE_MAX_BODY, &len, err, sizeof err);
    if (!text || request_body_read(&rb, text, len, err, sizeof err) != 0 ||
        !(body = http_json_parse(text, len, err, sizeof err))) {
        http_send_error(req, 400, "%s", err);
        return;
    }
    memset(&rq, 0, sizeof rq);
    if (request_parse(&rb, NULL, 0, &ri, err, sizeof err) != 0 ||
        api_route_endpoint(body, &rq.endpoint, err, sizeof err) != 0 ||
        api_route_num_ctx(body, &rq.num_ctx, err, sizeof err) != 0 ||
        (json_object_object_get_ex(body, "what_if", &what_if) &&
         api_route_check_what_if(what_if, err, sizeof err) != 0)) {
        http_send_error(req, 400, "%s", err);
        json_object_put(body);
        return;
    }
    const char *tags[REQUEST_MAX_TAGS + 1];
    for (size_t i = 0; i < ri.tag_count; i++)
        tags[i] = ri.tags[i];
    tags[ri.tag_count] = NULL;
    rq.model = ri.model;
    rq.estimated_tokens = ri.estimate.tokens;
    rq.image_count = ri.estimate.images;
    rq.format = "ollama";
    rq.tags = tags;

    struct api_route_load load = {&r->load, what_if};
    struct scorer_load_provider provider = {&load, api_route_load_get};
    if (scorer_rank(r->scorer, r->registry, &rq, &provider, router_now(),
                    &res) != 0) {
        route_result_free(&res);
        json_object_put(body);
        http_send_error(req, 503, "out of memory while scoring");
        return;
    }
    if (!res.model_known) {
        http_send_error(req, 404,
                           "model(s) '%s' not found on any node. Run "
                           "'ollama pull %s' on a node first.",
                           ri.model, ri.model);
    } else {
        json_object *out = route_result_to_json(&res);
        if (out)
            http_send_json(req, 200, out);
        else
            http_send_error(req, 503, "out of memory");
        json_object_put(out);
    }
    route_result_free(&res);
    json_object_put(body);
}
