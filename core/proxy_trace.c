/* One trace record per attempt of a request, for the trace writer. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "common/log.h"
#include "request.h"
#include "router.h"
#include "traces.h"

/* A load_duration this long means the node loaded the model: Ollama
 * reports a few ms when the model is resident, and starting a runner
 * takes longer than this. */
#define PROXY_COLD_LOAD_NS (100 * 1000 * 1000LL)

/* Whether this attempt made its node load the model: the node's own
 * load_duration decides when the answer carried one (the router's view
 * may be a heartbeat old), the router's view at dispatch otherwise. A
 * request that found another of ours running on the node:model waited
 * for that one's load at most. */
static int
proxy_trace_cold_load(const struct proxy_req *q)
{
    if (!q->relay.pending || !q->node[0])
        return 0;
    if (q->relay.load_ns >= 0)
        return q->alone_at_dispatch && q->relay.load_ns >= PROXY_COLD_LOAD_NS;
    return q->cold_at_dispatch;
}

/* One trace record per attempt, handed to the trace writer (it copies). */
void
proxy_trace(struct proxy_req *q, const char *status, const char *error)
{
    struct proxy *p = q->p;
    double now = router_now();
    struct timeval tv;
    char excluded[PROXY_MAX_EXCLUDED * (HEARTBEAT_MAX_STRING + 4) + 4];
    size_t off = 0;
    json_object *tags = request_tags_json(&q->ri);
    /* the points of the node it ran on; the storage thread writes them
     * as text */
    const char *names[SCORER_MAX_SIGNALS];
    struct traces_scores scores = {.names = names};
    if (q->route_index < q->route.candidate_count) {
        const struct route_candidate *c = &q->route.candidates[q->route_index];
        scores.count = route_result_signal_names(&q->route, names);
        scores.points = c->points;
        scores.total = c->total;
    }

    excluded[off++] = '[';
    for (size_t i = 0; i < q->excluded_count; i++) {
        json_object *e = json_object_new_string(q->excluded[i]);
        off += (size_t)snprintf(excluded + off, sizeof excluded - off, "%s%s",
                                i ? "," : "", json_object_to_json_string(e));
        json_object_put(e);
    }
    snprintf(excluded + off, sizeof excluded - off, "]");
    gettimeofday(&tv, NULL);
    struct herd_trace t = {
        .size = sizeof t,
        .request_id = q->request_id,
        .model = q->model[0] ? q->model : q->ri.model,
        .original_model = q->ri.model,
        .node_id = q->node[0] ? q->node : NULL,
        .score = q->score,
        .status = status,
        .latency_ms = q->t_dispatch > 0 ? (now - q->t_dispatch) * 1e3 : 0,
        .ttft_ms = q->t_first > 0 ? (q->t_first - q->t_dispatch) * 1e3 : NAN,
        .prompt_tokens = q->relay.prompt_tokens,
        .completion_tokens = q->relay.completion_tokens,
        .retry_count = q->retries,
        .fallback_used = q->model[0] && strcmp(q->model, q->ri.model) != 0,
        .excluded_nodes = q->excluded_count ? excluded : NULL,
        .client_ip = q->client_ip,
        .original_format = q->openai ? "openai" : "ollama",
        .error_message = error,
        .timestamp = (double)tv.tv_sec + tv.tv_usec / 1e6,
        .tags =
            tags ? json_object_to_json_string_ext(tags, JSON_C_TO_STRING_PLAIN)
                 : NULL,
        .endpoint = proxy_client_path(q->api),
        .http_status = q->http_status,
        .bytes_out = q->bytes_out,
        .queue_wait_ms =
            q->t_dispatch > 0 ? (q->t_dispatch - q->t_start) * 1e3 : 0,
        .load_ms = q->relay.pending && q->relay.load_ns >= 0
                       ? (double)q->relay.load_ns / 1e6
                       : NAN,
        .cold_load = (uint32_t)proxy_trace_cold_load(q),
    };
    if (!q->relay.pending) /* never dispatched: no counts */
        t.prompt_tokens = t.completion_tokens = -1;
    if (p->r->traces)
        traces_submit_scored(p->r->traces, &t, &scores);
    log_debug(proxy_comp, "%s %s node=%s retries=%u status=%s%s%s",
              q->request_id, t.model, q->node[0] ? q->node : "-", q->retries,
              status, error ? " error=" : "", error ? error : "");
    json_object_put(tags);
}
