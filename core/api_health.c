/* GET /dashboard/api/health: fleet vitals and recommendation checks
 * (reference §10). Node checks come from the registry and the request
 * path's queues, computed on every call (cheap, and a node that goes
 * offline shows at once); request figures of the last 24 h come from the
 * trace store's "usage" query, which runs on the storage thread and is
 * kept 30 s, process-wide, as the reference caches its whole answer. */
#include "autoconfig.h"

#include <event2/http.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/log.h"
#include "dashboard_api.h"
#include "proxy.h"
#include "router.h"
#include "traces.h"

#define HEALTH_CACHE_S 30.0
#define HEALTH_DAY_S 86400.0
#define HEALTH_ERROR_RATE_PCT 5.0   /* per node, 24 h: high_error_rate */
#define HEALTH_ERROR_MIN_REQUESTS 5 /* fewer say nothing about a rate */
#define HEALTH_RETRY_INFO 0.3       /* retries per request */
#define HEALTH_RETRY_WARN 0.5
#define HEALTH_WAIT_WARN_MS 30000.0 /* estimated queue wait */
#define HEALTH_GB_PER_B_PARAMS 0.5  /* expected weights, ~Q4 */
#define HEALTH_KV_FLAG_RATIO 1.5

static const char *health_comp = "dashboard";

/* The last usage rows (24 h) and when they came, on the loop thread. */
static struct {
    json_object *rows; /* NULL = none yet, or no storage answers */
    double at;         /* router_now() of the answer; 0 = never */
    int have;          /* the store answered */
} health_cache;

enum health_severity { HEALTH_CRITICAL, HEALTH_WARNING, HEALTH_INFO };

static const char *const health_severity_names[] = {"critical", "warning",
                                                    "info"};

struct health_pending {
    struct router *r;
    struct http_req *req;
    struct http_conn *conn;
};

static void health_add(json_object *recs, const char *id,
                       enum health_severity sev, const char *node_id,
                       json_object *data, const char *fix, const char *title,
                       const char *fmt, ...) HERD_PRINTF(8, 9);

static void
health_add(json_object *recs, const char *id, enum health_severity sev,
           const char *node_id, json_object *data, const char *fix,
           const char *title, const char *fmt, ...)
{
    char desc[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "check_id", json_object_new_string(id));
    json_object_object_add(o, "severity",
                           json_object_new_string(health_severity_names[sev]));
    json_object_object_add(o, "title", json_object_new_string(title));
    json_object_object_add(o, "description", json_object_new_string(desc));
    json_object_object_add(o, "fix", json_object_new_string(fix));
    json_object_object_add(o, "node_id",
                           node_id ? json_object_new_string(node_id) : NULL);
    json_object_object_add(o, "data", data ? data : json_object_new_object());
    json_object_array_add(recs, o);
}

/* "8B", "7.6B", "567M" in billions of parameters; NaN when unreadable. */
static double
health_params_b(const char *s)
{
    char *end;
    if (!s)
        return NAN;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return NAN;
    if (*end == 'B' || *end == 'b')
        return v;
    if (*end == 'M' || *end == 'm')
        return v / 1000.0;
    return NAN;
}

static void
health_kv_bloat(json_object *recs, const struct registry_node *n)
{
    double size = 0, expected = 0;
    json_object *models = json_object_new_array();
    for (size_t i = 0; i < n->snap.loaded_count; i++) {
        const struct hb_loaded *m = &n->snap.loaded[i];
        double b = health_params_b(m->parameter_size);
        double want = b * HEALTH_GB_PER_B_PARAMS;
        if (!m->name || isnan(b) || m->size_gb <= want * HEALTH_KV_FLAG_RATIO)
            continue;
        size += m->size_gb;
        expected += want;
        json_object_array_add(models, json_object_new_string(m->name));
    }
    if (size <= 0) {
        json_object_put(models);
        return;
    }
    double pct = (size - expected) / size * 100.0;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "models", models);
    json_object_object_add(data, "kv_cache_pct", json_object_new_double(pct));
    health_add(recs, "kv_cache_bloat",
               pct > 50   ? HEALTH_CRITICAL
               : pct > 30 ? HEALTH_WARNING
                          : HEALTH_INFO,
               n->id, data,
               "set OLLAMA_NUM_PARALLEL=2 (or lower num_ctx) on "
               "the node and reload the models",
               "KV cache larger than the weights",
               "%.0f%% of the memory of %s's oversized models is KV cache, "
               "not weights",
               pct, n->id);
}

static void
health_node_checks(struct router *r, json_object *recs, double now)
{
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        const struct hb_snapshot *s = &n->snap;
        double ago = now - n->last_seen;
        if (n->status == HERD_NODE_OFFLINE) {
            health_add(recs, "node_offline", HEALTH_CRITICAL, n->id, NULL,
                       "check that the node and its Ollama are running and "
                       "reachable from the router",
                       "Node offline", "%s has not reported for %.0f s", n->id,
                       ago);
            continue;
        }
        if (n->status == HERD_NODE_DEGRADED)
            health_add(recs, "node_degraded", HEALTH_WARNING, n->id, NULL,
                       "check the node's network and load", "Node degraded",
                       "%s missed heartbeats; last report "
                       "%.0f s ago",
                       n->id, ago);
        if (s->pressure == HERD_PRESSURE_CRITICAL ||
            s->pressure == HERD_PRESSURE_WARN)
            health_add(
                recs, "memory_pressure",
                s->pressure == HERD_PRESSURE_CRITICAL ? HEALTH_CRITICAL
                                                      : HEALTH_WARNING,
                n->id, NULL, "unload models or lower num_ctx on this node",
                "Memory pressure", "%s reports %s memory pressure", n->id,
                s->pressure == HERD_PRESSURE_CRITICAL ? "critical"
                                                      : "elevated");
        if (n->status == HERD_NODE_ONLINE && s->has_memory &&
            s->memory_total_gb > 0 &&
            s->memory_available_gb > 0.5 * s->memory_total_gb &&
            s->loaded_count <= 2)
            health_add(recs, "underutilized_memory", HEALTH_INFO, n->id, NULL,
                       "keep more models loaded on this node", "Memory unused",
                       "%s has %.1f of %.1f GB free with %zu model(s) loaded",
                       n->id, s->memory_available_gb, s->memory_total_gb,
                       s->loaded_count);
        health_kv_bloat(recs, n);
        if (!s->agentless && s->agent_version &&
            strcmp(s->agent_version, PACKAGE_VERSION) != 0)
            health_add(recs, "version_mismatch", HEALTH_WARNING, n->id, NULL,
                       "upgrade herd-node on the node to the router's version",
                       "Agent version differs",
                       "%s runs agent %.64s, the router is " PACKAGE_VERSION,
                       n->id, s->agent_version);
        else if (!s->agentless && !s->agent_version)
            health_add(recs, "version_unknown", HEALTH_INFO, n->id, NULL,
                       "upgrade the node's agent so it reports its version",
                       "Agent version unknown",
                       "%s does not report its agent version", n->id);
    }
}

static void
health_queue_checks(struct router *r, json_object *recs)
{
    if (!r->proxy)
        return;
    json_object *q = proxy_queue_json(r->proxy), *v;
    int64_t pending = json_object_object_get_ex(q, "pending", &v)
                          ? json_object_get_int64(v)
                          : 0;
    double wait = json_object_object_get_ex(q, "estimated_wait_ms", &v) && v
                      ? json_object_get_double(v)
                      : NAN;
    if (pending > 0) {
        json_object *data = json_object_new_object();
        json_object_object_add(data, "pending", json_object_new_int64(pending));
        json_object_object_add(data, "estimated_wait_ms",
                               isnan(wait) ? NULL
                                           : json_object_new_double(wait));
        health_add(recs, "requests_waiting",
                   !isnan(wait) && wait > HEALTH_WAIT_WARN_MS ? HEALTH_WARNING
                                                              : HEALTH_INFO,
                   NULL, data,
                   "add nodes or parallel slots for the busy models",
                   "Requests waiting for a slot",
                   "%lld request(s) wait for a free slot", (long long)pending);
    }
    json_object_put(q);
}

struct health_usage {
    int64_t requests, completed, retries;
    int64_t cold_loads, disconnects, incomplete;
    double ttft_sum; /* avg_ttft_ms x completed */
    int64_t ttft_n;
};

static int64_t
health_int(json_object *row, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(row, key, &v) ? json_object_get_int64(v)
                                                   : 0;
}

static void
health_usage_add(struct health_usage *u, json_object *row)
{
    json_object *v;
    int64_t completed = health_int(row, "completed_count");
    u->requests += health_int(row, "request_count");
    u->completed += completed;
    u->retries += health_int(row, "total_retries");
    u->cold_loads += health_int(row, "cold_load_count");
    u->disconnects += health_int(row, "client_disconnected_count");
    u->incomplete += health_int(row, "incomplete_count");
    if (json_object_object_get_ex(row, "avg_ttft_ms", &v) && v &&
        completed > 0) {
        u->ttft_sum += json_object_get_double(v) * (double)completed;
        u->ttft_n += completed;
    }
}

static double
health_error_pct(const struct health_usage *u)
{
    return u->requests > 0 ? (double)(u->requests - u->completed) * 100.0 /
                                 (double)u->requests
                           : 0.0;
}

/* Request checks over the 24 h usage rows; fills *fleet. */
static void
health_usage_checks(struct router *r, json_object *recs, json_object *rows,
                    struct health_usage *fleet)
{
    size_t nrows = rows ? json_object_array_length(rows) : 0;
    memset(fleet, 0, sizeof *fleet);
    for (size_t i = 0; i < nrows; i++)
        health_usage_add(fleet, json_object_array_get_idx(rows, i));
    for (size_t k = 0; k < registry_count(r->registry); k++) {
        const char *id = registry_at(r->registry, k)->id;
        struct health_usage u;
        json_object *v;
        memset(&u, 0, sizeof u);
        for (size_t i = 0; i < nrows; i++) {
            json_object *row = json_object_array_get_idx(rows, i);
            if (json_object_object_get_ex(row, "node_id", &v) &&
                strcmp(json_object_get_string(v), id) == 0)
                health_usage_add(&u, row);
        }
        double pct = health_error_pct(&u);
        if (u.requests >= HEALTH_ERROR_MIN_REQUESTS &&
            pct >= HEALTH_ERROR_RATE_PCT) {
            json_object *data = json_object_new_object();
            json_object_object_add(data, "requests",
                                   json_object_new_int64(u.requests));
            json_object_object_add(data, "error_rate_pct",
                                   json_object_new_double(pct));
            health_add(recs, "high_error_rate", HEALTH_WARNING, id, data,
                       "look at the failed traces of this node "
                       "(/dashboard/api/traces) and its Ollama log",
                       "High error rate",
                       "%.1f%% of %lld requests on %s did not complete in "
                       "24 h",
                       pct, (long long)u.requests, id);
        }
    }
    if (fleet->requests > 0) {
        double rate = (double)fleet->retries / (double)fleet->requests;
        if (rate >= HEALTH_RETRY_INFO) {
            json_object *data = json_object_new_object();
            json_object_object_add(data, "retries_per_request",
                                   json_object_new_double(rate));
            health_add(
                recs, "high_retry_rate",
                rate >= HEALTH_RETRY_WARN ? HEALTH_WARNING : HEALTH_INFO, NULL,
                data, "find the nodes that refuse or fail first attempts",
                "Many retries", "%.2f retries per request in 24 h", rate);
        }
    }
}

static int
health_rank(json_object *o)
{
    json_object *v;
    json_object_object_get_ex(o, "severity", &v);
    const char *s = json_object_get_string(v);
    for (int i = 0; i < 3; i++)
        if (strcmp(s, health_severity_names[i]) == 0)
            return i;
    return 3;
}

static int
health_cmp(const void *a, const void *b)
{
    return health_rank(*(json_object *const *)a) -
           health_rank(*(json_object *const *)b);
}

static void
health_reply(struct router *r, struct http_req *req)
{
    json_object *recs = json_object_new_array();
    struct health_usage fleet;
    size_t online = 0, degraded = 0, offline = 0;
    int counts[3] = {0, 0, 0};
    struct timeval tv;

    health_node_checks(r, recs, router_now());
    health_queue_checks(r, recs);
    health_usage_checks(r, recs, health_cache.rows, &fleet);
    json_object_array_sort(recs, health_cmp);
    for (size_t i = 0; i < json_object_array_length(recs); i++) {
        int k = health_rank(json_object_array_get_idx(recs, i));
        if (k < 3)
            counts[k]++;
    }
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        enum herd_node_status st = registry_at(r->registry, i)->status;
        online += st == HERD_NODE_ONLINE;
        degraded += st == HERD_NODE_DEGRADED;
        offline += st == HERD_NODE_OFFLINE;
    }
    int score = 100 - 20 * counts[0] - 10 * counts[1] - 3 * counts[2];
    int have = health_cache.have;
    json_object *v = json_object_new_object();
    json_object_object_add(
        v, "nodes_total",
        json_object_new_int64((int64_t)registry_count(r->registry)));
    json_object_object_add(v, "nodes_online",
                           json_object_new_int64((int64_t)online));
    json_object_object_add(v, "nodes_degraded",
                           json_object_new_int64((int64_t)degraded));
    json_object_object_add(v, "nodes_offline",
                           json_object_new_int64((int64_t)offline));
    json_object_object_add(
        v, "overall_error_rate_pct",
        have ? json_object_new_double(health_error_pct(&fleet)) : NULL);
    json_object_object_add(
        v, "avg_ttft_ms",
        have && fleet.ttft_n > 0
            ? json_object_new_double(fleet.ttft_sum / (double)fleet.ttft_n)
            : NULL);
    json_object_object_add(v, "total_requests_24h",
                           have ? json_object_new_int64(fleet.requests) : NULL);
    json_object_object_add(v, "total_retries_24h",
                           have ? json_object_new_int64(fleet.retries) : NULL);
    json_object_object_add(v, "cold_loads_24h",
                           have ? json_object_new_int64(fleet.cold_loads)
                                : NULL);
    json_object_object_add(v, "client_disconnects_24h",
                           have ? json_object_new_int64(fleet.disconnects)
                                : NULL);
    json_object_object_add(v, "incomplete_streams_24h",
                           have ? json_object_new_int64(fleet.incomplete)
                                : NULL);
    /* herd serves no image or speech models */
    json_object_object_add(v, "image_generations_24h", json_object_new_int(0));
    json_object_object_add(v, "transcriptions_24h", json_object_new_int(0));
    json_object_object_add(v, "health_score",
                           json_object_new_int(score < 0 ? 0 : score));
    json_object *b = json_object_new_object();
    json_object_object_add(b, "vitals", v);
    json_object_object_add(b, "recommendations", recs);
    json_object_object_add(b, "usage_available", json_object_new_boolean(have));
    gettimeofday(&tv, NULL);
    json_object_object_add(
        b, "checked_at",
        json_object_new_double((double)tv.tv_sec + tv.tv_usec / 1e6));
    http_send_json(req, 200, b);
    json_object_put(b);
}

static void
health_closed(struct http_conn *conn, void *arg)
{
    struct health_pending *p = arg;
    (void)conn;
    /* the request is ours to free now, which a reply does */
    if (p->req)
        http_reply(p->req, 499, "Client Closed Request", NULL);
    p->req = NULL;
    p->conn = NULL;
}

static void
health_usage_done(void *arg, int rc, const char *text, size_t len,
                  const char *err)
{
    struct health_pending *p = arg;
    json_object *o = NULL, *rows = NULL;
    (void)len;
    if (rc == 0 && (o = json_tokener_parse(text)) &&
        json_object_object_get_ex(o, "data", &rows) &&
        json_object_is_type(rows, json_type_array)) {
        json_object_put(health_cache.rows);
        health_cache.rows = json_object_get(rows);
        health_cache.have = 1;
    } else if (rc != HERD_DECLINED) {
        log_warn(health_comp, "health: usage query failed: %s",
                 rc ? err : "unreadable answer");
    } else {
        json_object_put(health_cache.rows);
        health_cache.rows = NULL;
        health_cache.have = 0;
    }
    health_cache.at = router_now();
    json_object_put(o);
    if (p->conn)
        http_conn_set_closecb(p->conn, NULL, NULL);
    if (p->req)
        health_reply(p->r, p->req);
    free(p);
}

void
api_health_get(struct router *r, struct http_req *req)
{
    char params[96];
    double now = router_now();
    if (health_cache.at > 0 && now - health_cache.at < HEALTH_CACHE_S) {
        health_reply(r, req);
        return;
    }
    struct health_pending *p = calloc(1, sizeof *p);
    snprintf(params, sizeof params, "{\"days\":1,\"since\":%.3f}",
             (double)time(NULL) - HEALTH_DAY_S);
    if (p && r->traces &&
        traces_query(r->traces, "usage", params, health_usage_done, p) == 0) {
        p->r = r;
        p->req = req;
        p->conn = http_req_conn(req);
        if (p->conn)
            http_conn_set_closecb(p->conn, health_closed, p);
        return;
    }
    /* no store, or it is busy: answer with what the loop knows */
    free(p);
    health_reply(r, req);
}
