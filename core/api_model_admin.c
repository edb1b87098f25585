/* The dashboard's model administration: GET /dashboard/api/model-management
 * (each node's models from its last report, with request figures from the
 * trace store), and POST /dashboard/api/pull and /dashboard/api/delete on
 * one named node. Pull and delete are admin actions (admin_gate.h); the
 * client waits until the node has finished, at most auto_pull_timeout. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_gate.h"
#include "autopull.h"
#include "common/http_util.h"
#include "common/log.h"
#include "dashboard_api.h"
#include "proxy.h"
#include "pull_line.h"
#include "request.h"
#include "router.h"
#include "traces.h"
#include "upstream.h"

#define MADMIN_BODY_MAX 4096
#define MADMIN_UNUSED_DAYS 7
/* Pulls and deletes running at once; each holds a call and a few KiB. */
#define MADMIN_MAX_OPS 64

static const char *madmin_comp = "dashboard";
static unsigned madmin_ops_running; /* loop thread only */

/* ---- model-management ---- */

struct madmin_list {
    struct router *r;
    struct http_req *req;
    struct http_conn *conn;
};

static void
madmin_list_closed(struct http_conn *conn, void *arg)
{
    struct madmin_list *l = arg;
    (void)conn;
    /* the query still answers; nobody to tell. The request is ours to
     * free now, which a reply does. */
    if (l->req)
        http_reply(l->req, 499, "Client Closed Request", NULL);
    l->req = NULL;
    l->conn = NULL;
}

/* The usage row figures for node:model: requests summed, newest day. */
static void
madmin_usage_of(json_object *rows, const char *node, const char *model,
                int64_t *requests, double *last_day)
{
    *requests = 0;
    *last_day = NAN;
    size_t n = rows ? json_object_array_length(rows) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(rows, i), *v;
        if (!json_object_object_get_ex(row, "node_id", &v) ||
            strcmp(json_object_get_string(v), node) != 0 ||
            !json_object_object_get_ex(row, "model", &v) ||
            strcmp(json_object_get_string(v), model) != 0)
            continue;
        if (json_object_object_get_ex(row, "request_count", &v))
            *requests += json_object_get_int64(v);
        if (json_object_object_get_ex(row, "day_bucket", &v) &&
            (isnan(*last_day) || json_object_get_double(v) > *last_day))
            *last_day = json_object_get_double(v);
    }
}

static const char *
madmin_raw_string(json_object *raw, const char *outer, const char *key)
{
    json_object *d, *v;
    if (!raw || !json_object_object_get_ex(raw, outer, &d) ||
        !json_object_object_get_ex(d, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *
madmin_str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static int
madmin_model_cmp(const void *a, const void *b)
{
    json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
    json_object *v;
    int lx = json_object_object_get_ex(x, "loaded_in_vram", &v) &&
             json_object_get_boolean(v);
    int ly = json_object_object_get_ex(y, "loaded_in_vram", &v) &&
             json_object_get_boolean(v);
    if (lx != ly)
        return ly - lx;
    double ux = json_object_object_get_ex(x, "last_used", &v) && v
                    ? json_object_get_double(v)
                    : -1;
    double uy = json_object_object_get_ex(y, "last_used", &v) && v
                    ? json_object_get_double(v)
                    : -1;
    if (ux != uy)
        return ux < uy ? 1 : -1;
    json_object_object_get_ex(x, "name", &v);
    const char *nx = json_object_get_string(v);
    json_object_object_get_ex(y, "name", &v);
    return strcmp(nx, json_object_get_string(v));
}

static json_object *
madmin_model(const struct registry_node *n, const char *name,
             const struct hb_loaded *ld, json_object *raw, json_object *rows,
             int have_usage)
{
    json_object *m = json_object_new_object(), *v;
    double size_gb = NAN;
    if (ld)
        size_gb = ld->size_gb;
    else if (raw && json_object_object_get_ex(raw, "size", &v))
        size_gb = json_object_get_double(v) / (1024.0 * 1024 * 1024);
    const char *ps = ld && ld->parameter_size
                         ? ld->parameter_size
                         : madmin_raw_string(raw, "details", "parameter_size");
    const char *q =
        ld && ld->quantization
            ? ld->quantization
            : madmin_raw_string(raw, "details", "quantization_level");
    json_object_object_add(m, "name", json_object_new_string(name));
    json_object_object_add(
        m, "size_gb", isnan(size_gb) ? NULL : json_object_new_double(size_gb));
    json_object_object_add(m, "parameter_size", madmin_str_or_null(ps));
    json_object_object_add(m, "quantization", madmin_str_or_null(q));
    json_object_object_add(m, "loaded_in_vram", json_object_new_boolean(!!ld));
    if (!have_usage) {
        json_object_object_add(m, "last_used", NULL);
        json_object_object_add(m, "days_unused", NULL);
        json_object_object_add(m, "total_requests", NULL);
        json_object_object_add(m, "unused", NULL);
        return m;
    }
    int64_t requests;
    double last;
    madmin_usage_of(rows, n->id, name, &requests, &last);
    double days =
        isnan(last) ? NAN : floor(((double)time(NULL) - last) / 86400);
    json_object_object_add(m, "last_used",
                           isnan(last) ? NULL : json_object_new_double(last));
    json_object_object_add(m, "days_unused",
                           isnan(days) ? NULL
                                       : json_object_new_int64((int64_t)days));
    json_object_object_add(m, "total_requests",
                           json_object_new_int64(requests));
    json_object_object_add(
        m, "unused",
        json_object_new_boolean(isnan(days) || days >= MADMIN_UNUSED_DAYS));
    return m;
}

static json_object *
madmin_node(const struct registry_node *n, json_object *rows, int have_usage)
{
    const struct hb_snapshot *s = &n->snap;
    json_object *o = json_object_new_object();
    json_object *models = json_object_new_array();
    double total = 0;
    json_object_object_add(o, "node_id", json_object_new_string(n->id));
    json_object_object_add(
        o, "status", json_object_new_string(registry_status_name(n->status)));
    for (size_t i = 0; i < s->loaded_count; i++)
        if (s->loaded[i].name)
            json_object_array_add(models, madmin_model(n, s->loaded[i].name,
                                                       &s->loaded[i], NULL,
                                                       rows, have_usage));
    for (size_t i = 0; i < s->available_count; i++) {
        const char *name = s->available[i].name;
        int loaded = 0;
        if (!name)
            continue;
        for (size_t k = 0; k < s->loaded_count && !loaded; k++)
            loaded = s->loaded[k].name && !strcmp(s->loaded[k].name, name);
        if (!loaded)
            json_object_array_add(models, madmin_model(n, name, NULL,
                                                       s->available[i].raw,
                                                       rows, have_usage));
    }
    size_t count = json_object_array_length(models);
    for (size_t i = 0; i < count; i++) {
        json_object *v;
        if (json_object_object_get_ex(json_object_array_get_idx(models, i),
                                      "size_gb", &v) &&
            v)
            total += json_object_get_double(v);
    }
    json_object_array_sort(models, madmin_model_cmp);
    json_object_object_add(o, "models", models);
    json_object_object_add(o, "total_size_gb", json_object_new_double(total));
    json_object_object_add(
        o, "disk_available_gb",
        s->has_disk ? json_object_new_double(s->disk_available_gb) : NULL);
    json_object_object_add(
        o, "disk_total_gb",
        s->has_disk ? json_object_new_double(s->disk_total_gb) : NULL);
    return o;
}

static void
madmin_list_reply(struct madmin_list *l, json_object *rows, int have_usage)
{
    json_object *nodes = json_object_new_array();
    for (size_t i = 0; i < registry_count(l->r->registry); i++)
        json_object_array_add(nodes, madmin_node(registry_at(l->r->registry, i),
                                                 rows, have_usage));
    json_object *b = json_object_new_object();
    json_object_object_add(b, "nodes", nodes);
    json_object_object_add(b, "usage_available",
                           json_object_new_boolean(have_usage));
    http_send_json(l->req, 200, b);
    json_object_put(b);
}

static void
madmin_list_done(void *arg, int rc, const char *text, size_t len,
                 const char *err)
{
    struct madmin_list *l = arg;
    json_object *usage = NULL, *rows = NULL;
    if (rc == 0)
        usage = json_tokener_parse(text);
    else if (rc != HERD_DECLINED)
        log_warn(madmin_comp, "model-management: usage query failed: %s", err);
    (void)len;
    if (usage && !json_object_object_get_ex(usage, "data", &rows))
        rows = NULL;
    if (l->conn)
        http_conn_set_closecb(l->conn, NULL, NULL);
    if (l->req)
        madmin_list_reply(l, rows, rows != NULL);
    json_object_put(usage);
    free(l);
}

void
api_model_admin_list(struct router *r, struct http_req *req)
{
    struct madmin_list *l = calloc(1, sizeof *l);
    char params[96];
    if (!l) {
        http_send_error(req, 503, "out of memory");
        return;
    }
    l->r = r;
    l->req = req;
    /* Request figures over the store's whole reach (ten years). */
    snprintf(params, sizeof params, "{\"days\":3650,\"since\":%.3f}",
             (double)time(NULL) - 3650.0 * 86400);
    if (r->traces &&
        traces_query(r->traces, "usage", params, madmin_list_done, l) == 0) {
        l->conn = http_req_conn(req);
        if (l->conn)
            http_conn_set_closecb(l->conn, madmin_list_closed, l);
        return;
    }
    madmin_list_reply(l, NULL, 0);
    free(l);
}

/* ---- pull and delete ---- */

struct madmin_op {
    struct router *r;
    struct http_req *req;
    struct http_conn *conn;
    struct upstream_call *call;
    struct event *timer;
    const char *action;    /* "pull" or "delete" */
    int claimed;           /* a pull, in the table of running pulls */
    int status;            /* the node's HTTP status, 0 before it */
    struct pull_line line; /* the node's last answer line */
    char node_id[HEARTBEAT_MAX_STRING];
    char model[REQUEST_MODEL_MAX];
};

static void
madmin_op_free(struct madmin_op *op)
{
    madmin_ops_running--;
    if (op->call)
        upstream_cancel(op->call);
    if (op->conn)
        http_conn_set_closecb(op->conn, NULL, NULL);
    if (op->timer)
        event_free(op->timer);
    if (op->claimed) /* ended before its answer: cancelled */
        autopull_end(proxy_autopull(op->r->proxy), op->model, AUTOPULL_NONE,
                     NULL);
    pull_line_clear(&op->line);
    struct proxy *p = op->r->proxy;
    free(op);
    proxy_side_end(p); /* last: it may end a drain */
}

/* Answers {"ok","node_id","model"[,"error"]} and ends the operation. */
static void
madmin_op_reply(struct madmin_op *op, int code, const char *error)
{
    /* before the reply, which may end the connection */
    if (op->conn)
        http_conn_set_closecb(op->conn, NULL, NULL);
    op->conn = NULL;
    if (op->req) {
        json_object *b = json_object_new_object();
        proxy_flush_watch(op->r->proxy, op->req); /* a drain lets it out */
        json_object_object_add(b, "ok", json_object_new_boolean(!error));
        json_object_object_add(b, "node_id",
                               json_object_new_string(op->node_id));
        json_object_object_add(b, "model", json_object_new_string(op->model));
        if (error)
            json_object_object_add(b, "error", json_object_new_string(error));
        http_send_json(op->req, code, b);
        json_object_put(b);
    }
    log_info(madmin_comp, "%s %s on %s: %s", op->action, op->model, op->node_id,
             error ? error : "done");
    /* a pulled model is routable at once, and requests waiting for it go */
    if (op->claimed)
        autopull_end(proxy_autopull(op->r->proxy), op->model,
                     error ? AUTOPULL_FAILED : AUTOPULL_DONE, error);
    op->claimed = 0;
    op->req = NULL;
    madmin_op_free(op);
}

static void
madmin_op_closed(struct http_conn *conn, void *arg)
{
    struct madmin_op *op = arg;
    (void)conn;
    op->conn = NULL;
    if (op->req) /* ours to free now, which a reply does */
        http_reply(op->req, 499, "Client Closed Request", NULL);
    op->req = NULL;
    log_info(madmin_comp, "%s %s on %s: the client left; cancelled", op->action,
             op->model, op->node_id);
    madmin_op_free(op);
}

static void
madmin_op_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct madmin_op *op = arg;
    char msg[128];
    (void)fd;
    (void)what;
    snprintf(msg, sizeof msg, "the node did not finish within %.0f s",
             op->r->cfg->auto_pull_timeout);
    madmin_op_reply(op, 504, msg);
}

static void
madmin_op_head(void *arg, int status, const char *ctype)
{
    struct madmin_op *op = arg;
    (void)ctype;
    op->status = status;
}

/* Keeps the answer's last line (pull progress is NDJSON; its last line
 * says success or error). */
static void
madmin_op_body(void *arg, struct evbuffer *data)
{
    struct madmin_op *op = arg;
    pull_line_feed(&op->line, data);
    evbuffer_drain(data, evbuffer_get_length(data));
}

/* The node no longer has the model: requests for it go elsewhere at
 * once, or find that no node has it, not only after its next report. */
static void
madmin_note_deleted(struct madmin_op *op)
{
    if (registry_note_deleted(op->r->registry, op->node_id, op->model) == 0)
        proxy_kick(op->r->proxy); /* waiting requests look again */
}

static void
madmin_op_end(void *arg, int err)
{
    struct madmin_op *op = arg;
    char msg[512], error[256];
    op->call = NULL;
    if (err) {
        snprintf(msg, sizeof msg, "node %s: %s", op->node_id, strerror(-err));
        madmin_op_reply(op, 502, msg);
        return;
    }
    int rc = pull_line_end(&op->line, error, sizeof error);
    if (op->status >= 200 && op->status < 300 && rc >= 0) {
        if (strcmp(op->action, "delete") == 0)
            madmin_note_deleted(op);
        madmin_op_reply(op, 200, NULL);
        return;
    }
    snprintf(msg, sizeof msg, "node %s answered %d: %.200s", op->node_id,
             op->status, rc < 0 ? error : "no reason given");
    madmin_op_reply(op, 502, msg);
}

static const struct upstream_cbs madmin_op_cbs = {
    madmin_op_head, madmin_op_body, madmin_op_end};

/* Reads {node_id, model}: a string each, model normalised. 400 or 404
 * answered here; returns the node or NULL. */
static const struct registry_node *
madmin_op_target(struct router *r, struct http_req *req, char *model,
                 size_t modellen)
{
    char err[256];
    json_object *b = http_req_json(req, MADMIN_BODY_MAX, err, sizeof err);
    json_object *node_v, *model_v;
    const struct registry_node *n = NULL;
    if (!b) {
        http_send_error(req, 400, "%s", err);
        return NULL;
    }
    if (!json_object_is_type(b, json_type_object)) {
        http_send_error(req, 400,
                           "the body must be a JSON object with "
                           "node_id and model");
    } else if (!json_object_object_get_ex(b, "node_id", &node_v) ||
               !json_object_is_type(node_v, json_type_string) ||
               !*json_object_get_string(node_v)) {
        http_send_error(req, 400, "node_id is required (a string)");
    } else if (!json_object_object_get_ex(b, "model", &model_v) ||
               !json_object_is_type(model_v, json_type_string) ||
               request_normalise_model(json_object_get_string(model_v), model,
                                       modellen) != 0) {
        http_send_error(req, 400, "model is required (a model name)");
    } else {
        n = registry_find(r->registry, json_object_get_string(node_v));
        if (!n || n->status == HERD_NODE_OFFLINE || n->draining) {
            http_send_error(req, 404, "node '%.200s' is unknown or offline",
                               json_object_get_string(node_v));
            n = NULL;
        }
    }
    json_object_put(b);
    return n;
}

/* Claims the pull's model in the table of running pulls: one pull of a
 * model at a time, whoever starts it. Returns 0, or -1 once the client
 * has its 409 or 503 and op is gone. */
static int
madmin_op_claim(struct madmin_op *op)
{
    int rc =
        autopull_claim(proxy_autopull(op->r->proxy), op->model, op->node_id);
    if (rc == 0) {
        op->claimed = 1;
        return 0;
    }
    if (rc == -EALREADY)
        http_send_error(op->req, 409,
                        "model '%s' is being pulled already; wait for that "
                        "pull to end",
                        op->model);
    else
        http_send_error(op->req, 503,
                        "too many pulls are running; try again later");
    op->req = NULL;
    madmin_op_free(op);
    return -1;
}

static void
madmin_op_run(struct router *r, struct http_req *req, const char *action,
              int method, const char *path)
{
    char model[REQUEST_MODEL_MAX], err[256], body[REQUEST_MODEL_MAX + 64];
    if (!admin_gate_allows(r, req))
        return;
    const struct registry_node *n =
        madmin_op_target(r, req, model, sizeof model);
    if (!n)
        return;
    if (madmin_ops_running >= MADMIN_MAX_OPS) {
        http_req_add_header(req, "Retry-After", "5");
        http_send_error(req, 503,
                           "%u pulls and deletes are running already; try "
                           "again later",
                           madmin_ops_running);
        return;
    }
    if (proxy_side_begin(r->proxy) != 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", proxy_drain_retry_after(r->proxy));
        http_req_add_header(req, "Retry-After", ra);
        http_send_error(req, 503, "the router is shutting down");
        return;
    }
    struct madmin_op *op = calloc(1, sizeof *op);
    if (op) {
        madmin_ops_running++;
        op->r = r;
    }
    if (!op || pull_line_init(&op->line) != 0 ||
        !(op->timer = evtimer_new(r->base, madmin_op_timeout, op))) {
        if (op)
            madmin_op_free(op);
        else
            proxy_side_end(r->proxy);
        http_send_error(req, 503, "out of memory");
        return;
    }
    op->r = r;
    op->req = req;
    op->action = action;
    snprintf(op->node_id, sizeof op->node_id, "%s", n->id);
    snprintf(op->model, sizeof op->model, "%s", model);
    if (method == EVHTTP_REQ_POST && madmin_op_claim(op) != 0)
        return;
    json_object *jm = json_object_new_string(model);
    /* pull streams its progress, so a long download is never silent */
    snprintf(body, sizeof body, "{\"model\":%s%s}",
             json_object_to_json_string_ext(jm, JSON_C_TO_STRING_PLAIN),
             method == EVHTTP_REQ_POST ? ",\"stream\":true" : "");
    json_object_put(jm);
    op->call =
        upstream_start(proxy_pool(r->proxy), n->url, method, path, body,
                       strlen(body), &madmin_op_cbs, op, err, sizeof err);
    if (!op->call) {
        madmin_op_reply(op, 502, err);
        return;
    }
    double t = r->cfg->auto_pull_timeout > 0 ? r->cfg->auto_pull_timeout : 300;
    struct timeval tv = {(time_t)t,
                         (suseconds_t)((t - (double)(time_t)t) * 1e6)};
    evtimer_add(op->timer, &tv);
    op->conn = http_req_conn(req);
    if (op->conn)
        http_conn_set_closecb(op->conn, madmin_op_closed, op);
    log_info(madmin_comp, "%s %s on %s", action, model, op->node_id);
}

void
api_model_admin_pull(struct router *r, struct http_req *req)
{
    madmin_op_run(r, req, "pull", EVHTTP_REQ_POST, "/api/pull");
}

void
api_model_admin_delete(struct router *r, struct http_req *req)
{
    madmin_op_run(r, req, "delete", EVHTTP_REQ_DELETE, "/api/delete");
}
