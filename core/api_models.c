/* Model management through the router: /api/show answered by a node that
 * has the model, /api/pull to a chosen node or the one with the most free
 * memory (progress streamed), DELETE /api/delete on one node or on every
 * node that has the model. These take no inference slot. Pull and delete
 * are admin actions (admin_gate.h). */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_gate.h"
#include "autopull.h"
#include "common/http_util.h"
#include "common/log.h"
#include "proxy.h"
#include "pull_line.h"
#include "request.h"
#include "router.h"
#include "upstream.h"

#define MODELS_MAX_TARGETS 64
#define MODELS_BODY_MAX (1u << 20)
#define MODELS_ANSWER_MAX (4u << 20)
#define MODELS_WHY_MAX 1024 /* a failed node's answer kept for its reason */

struct models_op;

/* One call's callback argument; lives in its op (a cancelled call gets no
 * callback that could free it). */
struct models_target {
    struct models_op *op;
    size_t i;
};

struct models_op {
    struct router *r;
    struct http_req *req;
    /* a pull: its model (claimed in the table of running pulls until
     * the op ends), the answer's last line, where Ollama says how it
     * ended, and why it failed on the way */
    char pulled[REQUEST_MODEL_MAX];
    int claimed;
    struct pull_line line;
    char failure[200];
    struct http_conn *conn;
    /* a delete: its model, dropped from each node that answers 200 */
    char deleted[REQUEST_MODEL_MAX];
    int summary; /* answer {"nodes":{...}} (a delete without node_id) */
    int stream;  /* relay chunks as they come (pull progress) */
    int headers_sent;
    struct upstream_call *calls[MODELS_MAX_TARGETS];
    struct models_target targets[MODELS_MAX_TARGETS];
    char nodes[MODELS_MAX_TARGETS][HEARTBEAT_MAX_STRING];
    int status[MODELS_MAX_TARGETS];
    int errs[MODELS_MAX_TARGETS];             /* -errno of a failed call */
    struct evbuffer *why[MODELS_MAX_TARGETS]; /* summary: a refusal's body */
    size_t count, pending;
    struct evbuffer *out; /* answer of a single call */
};

static void
models_free(struct models_op *op)
{
    for (size_t i = 0; i < op->count; i++)
        if (op->calls[i])
            upstream_cancel(op->calls[i]);
    for (size_t i = 0; i < op->count; i++)
        if (op->why[i])
            evbuffer_free(op->why[i]);
    if (op->conn)
        http_conn_set_closecb(op->conn, NULL, NULL);
    if (op->out)
        evbuffer_free(op->out);
    if (op->claimed) /* ended before its answer: cancelled */
        autopull_end(proxy_autopull(op->r->proxy), op->pulled, AUTOPULL_NONE,
                     NULL);
    pull_line_clear(&op->line);
    struct proxy *p = op->r->proxy;
    free(op);
    proxy_side_end(p); /* last: it may end a drain */
}

static void
models_close_cb(struct http_conn *conn, void *arg)
{
    struct models_op *op = arg;
    struct http_req *req = op->req;
    (void)conn;
    op->conn = NULL;
    if (req && !http_req_conn(req)) {
        if (op->headers_sent)
            http_reply_end(req);
        else
            http_reply(req, 499, "Client Closed Request", NULL);
    }
    op->req = NULL;
    models_free(op);
}

static void
models_on_head(void *arg, int status, const char *ctype)
{
    struct models_target *t = arg;
    struct models_op *op = t->op;
    (void)ctype;
    op->status[t->i] = status;
    if (op->stream && op->req && status < 300 && !op->headers_sent) {
        http_req_add_header(op->req, "Content-Type", "application/x-ndjson");
        http_req_add_header(op->req, "X-Fleet-Node", op->nodes[t->i]);
        http_reply_start(op->req, 200, "OK");
        op->headers_sent = 1;
    }
}

/* Keeps the first bytes of a node's refusal, for the summary's reason. */
static void
models_keep_why(struct models_op *op, size_t i, struct evbuffer *data)
{
    if (!op->why[i])
        op->why[i] = evbuffer_new();
    size_t have = op->why[i] ? evbuffer_get_length(op->why[i]) : 0;
    if (op->why[i] && have < MODELS_WHY_MAX)
        evbuffer_remove_buffer(data, op->why[i], MODELS_WHY_MAX - have);
    evbuffer_drain(data, evbuffer_get_length(data));
}

static void
models_on_body(void *arg, struct evbuffer *data)
{
    struct models_target *t = arg;
    struct models_op *op = t->op;
    if (op->pulled[0])
        pull_line_feed(&op->line, data);
    if (op->headers_sent && op->req) {
        http_reply_chunk(op->req, data);
        return;
    }
    if (op->pulled[0]) { /* not streamed to the client: the line will do */
        evbuffer_drain(data, evbuffer_get_length(data));
        return;
    }
    if (evbuffer_get_length(op->out) + evbuffer_get_length(data) >
        MODELS_ANSWER_MAX) {
        evbuffer_drain(data, evbuffer_get_length(data));
        return;
    }
    if (!op->summary)
        evbuffer_add_buffer(op->out, data);
    else if (op->status[t->i] != 200)
        models_keep_why(op, t->i, data);
    else
        evbuffer_drain(data, evbuffer_get_length(data));
}

/* Why node i failed: Ollama's {"error":...} text when it gave one. */
static void
models_reason(struct models_op *op, size_t i, struct evbuffer *out)
{
    json_object *b = NULL, *v;
    const char *text = NULL;
    if (op->status[i] == 0) {
        evbuffer_add_printf(out, "node %s did not answer%s%s", op->nodes[i],
                            op->errs[i] ? ": " : "",
                            op->errs[i] ? strerror(-op->errs[i]) : "");
        return;
    }
    if (op->why[i] && evbuffer_add(op->why[i], "", 1) == 0)
        b = json_tokener_parse((const char *)evbuffer_pullup(op->why[i], -1));
    if (b && json_object_object_get_ex(b, "error", &v) &&
        json_object_is_type(v, json_type_string))
        text = json_object_get_string(v);
    evbuffer_add_printf(out, "node %s answered %d: %s", op->nodes[i],
                        op->status[i], text ? text : "no reason given");
    json_object_put(b);
}

/* A delete's answer on every node: {"nodes":{ID:STATUS}}, 200 when all
 * answered 200, else 502 with "error" naming each failure. */
static void
models_send_summary(struct models_op *op)
{
    struct evbuffer *why = evbuffer_new();
    if (!why) {
        http_send_error(op->req, 500, "out of memory");
        return;
    }
    json_object *nodes = json_object_new_object();
    for (size_t i = 0; i < op->count; i++) {
        json_object_object_add(nodes, op->nodes[i],
                               json_object_new_int(op->status[i]));
        if (op->status[i] == 200)
            continue;
        if (evbuffer_get_length(why) > 0)
            evbuffer_add(why, "; ", 2);
        models_reason(op, i, why);
    }
    json_object *b = json_object_new_object();
    size_t n = evbuffer_get_length(why);
    if (n > 0)
        json_object_object_add(
            b, "error",
            json_object_new_string_len((const char *)evbuffer_pullup(why, -1),
                                       (int)n));
    json_object_object_add(b, "nodes", nodes);
    http_send_json(op->req, n > 0 ? 502 : 200, b);
    json_object_put(b);
    evbuffer_free(why);
}

/* Each node that answered a delete with 200 (or 404) no longer has the model:
 * requests for it go elsewhere at once, or find that no node has it. */
static void
models_note_deleted(struct models_op *op)
{
    struct registry *reg = op->r->registry;
    int noted = 0;
    for (size_t i = 0; i < op->count; i++)
        /* 404: the node has it no more either, whatever we knew */
        if ((op->status[i] == 200 || op->status[i] == 404) &&
            registry_note_deleted(reg, op->nodes[i], op->deleted) == 0)
            noted = 1;
    if (noted)
        proxy_kick(op->r->proxy); /* waiting requests look again */
}

/* The pull has ended: its outcome goes to the table of pulls (which
 * makes the model routable at once, not only from the node's next
 * report). When nothing was relayed (the client asked for no stream,
 * or the node refused at once), the answer is Ollama's: the last line,
 * with 500 when it is an error the node streamed. */
static void
models_pull_ended(struct models_op *op)
{
    char error[PULL_LINE_MAX];
    int rc = pull_line_end(&op->line, error, sizeof error);
    int st = op->status[0];
    int ok = st == 200 && rc == 1;
    if (!op->failure[0] && !ok)
        snprintf(op->failure, sizeof op->failure, "node %.40s: HTTP %d%s%.140s",
                 op->nodes[0], st, rc < 0 ? ": " : "", rc < 0 ? error : "");
    autopull_end(proxy_autopull(op->r->proxy), op->pulled,
                 ok ? AUTOPULL_DONE : AUTOPULL_FAILED, op->failure);
    op->claimed = 0;
    if (op->headers_sent || st == 0) /* relayed already, or no answer */
        return;
    evbuffer_drain(op->out, evbuffer_get_length(op->out));
    evbuffer_add(op->out, op->line.last, strlen(op->line.last));
    if (st < 300 && rc < 0)
        op->status[0] = 500;
    else if (st < 300 && rc == 0)
        op->status[0] = 502; /* cut off, or not Ollama */
}

/* Every call has ended: one answer relayed as the node gave it, or for a
 * delete on every node a summary. */
static void
models_finish(struct models_op *op)
{
    if (op->pulled[0])
        models_pull_ended(op);
    if (op->deleted[0])
        models_note_deleted(op);
    if (!op->req) {
        models_free(op);
        return;
    }
    /* Our close callback must not run once the answer ends: the drain's
     * watch takes the slot. */
    if (op->conn)
        http_conn_set_closecb(op->conn, NULL, NULL);
    op->conn = NULL;
    proxy_flush_watch(op->r->proxy, op->req);
    if (op->headers_sent) {
        http_reply_end(op->req);
    } else if (!op->summary) {
        int st = op->status[0] ? op->status[0] : 502;
        if (op->status[0] == 0 && op->failure[0])
            http_send_error(op->req, 502, "%s", op->failure);
        else if (op->status[0] == 0)
            http_send_error(op->req, 502, "node %s did not answer",
                             op->nodes[0]);
        else {
            http_req_add_header(op->req, "Content-Type", "application/json");
            http_req_add_header(op->req, "X-Fleet-Node", op->nodes[0]);
            http_reply(op->req, st, http_reason(st), op->out);
        }
    } else {
        models_send_summary(op);
    }
    op->req = NULL;
    models_free(op);
}

static void
models_on_end(void *arg, int err)
{
    struct models_target *t = arg;
    struct models_op *op = t->op;
    op->calls[t->i] = NULL;
    if (err) {
        log_warn("models", "%s: %s", op->nodes[t->i], strerror(-err));
        op->status[t->i] = 0;
        op->errs[t->i] = err;
        snprintf(op->failure, sizeof op->failure, "node %s: %s",
                 op->nodes[t->i], strerror(-err));
        if (op->headers_sent && op->req) {
            struct evbuffer *b = evbuffer_new();
            /* on a line of its own, even when the node died mid-line */
            if (b && pull_line_mid(&op->line))
                evbuffer_add(b, "\n", 1);
            if (b) {
                evbuffer_add_printf(b, "{\"error\":\"node %s: %s\"}\n",
                                    op->nodes[t->i], strerror(-err));
                http_reply_chunk(op->req, b);
                evbuffer_free(b);
            }
        }
    }
    if (--op->pending == 0)
        models_finish(op);
}

static const struct upstream_cbs models_cbs = {models_on_head, models_on_body,
                                               models_on_end};

/* Starts method path with body on each node of op->nodes. */
static void
models_start(struct models_op *op, int method, const char *path,
             const char *body)
{
    char err[256];
    op->conn = http_req_conn(op->req);
    if (op->conn)
        http_conn_set_closecb(op->conn, models_close_cb, op);
    op->pending = op->count + 1; /* held while starting */
    for (size_t i = 0; i < op->count; i++) {
        const struct registry_node *n =
            registry_find(op->r->registry, op->nodes[i]);
        struct models_target *t = &op->targets[i];
        if (n) {
            t->op = op;
            t->i = i;
            op->calls[i] = upstream_start(proxy_pool(op->r->proxy), n->url,
                                          method, path, body, strlen(body),
                                          &models_cbs, t, err, sizeof err);
        }
        if (!op->calls[i])
            op->pending--;
    }
    if (--op->pending == 0)
        models_finish(op);
}

static struct models_op *
models_op_new(struct router *r, struct http_req *req)
{
    if (proxy_side_begin(r->proxy) != 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", proxy_drain_retry_after(r->proxy));
        http_req_add_header(req, "Retry-After", ra);
        http_send_error(req, 503, "the router is shutting down");
        return NULL;
    }
    struct models_op *op = calloc(1, sizeof *op);
    if (!op || !(op->out = evbuffer_new())) {
        free(op);
        proxy_side_end(r->proxy);
        http_send_error(req, 500, "out of memory");
        return NULL;
    }
    op->r = r;
    op->req = req;
    return op;
}

/* The model named by "model" or "name", normalised; NULL after a 400. */
static json_object *
models_body(struct router *r, struct http_req *req, char *model,
            size_t len)
{
    char err[256];
    json_object *b = http_req_json(req, MODELS_BODY_MAX, err, sizeof err);
    json_object *v;
    if (!b) {
        http_send_error(req, 400, "%s", err);
        return NULL;
    }
    if (!json_object_is_type(b, json_type_object) ||
        ((!json_object_object_get_ex(b, "model", &v) ||
          !json_object_is_type(v, json_type_string)) &&
         (!json_object_object_get_ex(b, "name", &v) ||
          !json_object_is_type(v, json_type_string))) ||
        request_normalise_model(json_object_get_string(v), model, len) != 0) {
        http_send_error(req, 400, "model is required");
        json_object_put(b);
        return NULL;
    }
    /* as a node lists it, when only the case differs */
    const char *listed = registry_model_spelling(r->registry, model);
    if (listed && strlen(listed) < len)
        strcpy(model, listed);
    json_object_object_add(b, "model", json_object_new_string(model));
    json_object_object_del(b, "name");
    return b;
}

void
api_models_show(struct router *r, struct http_req *req)
{
    char model[REQUEST_MODEL_MAX];
    json_object *b = models_body(r, req, model, sizeof model);
    if (!b)
        return;
    const struct registry_node *best = NULL;
    for (size_t i = 0; i < registry_count(r->registry) && !best; i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (registry_node_usable(n) && registry_node_lists(n, model))
            best = n;
    }
    if (!best) {
        http_send_error(req, 404, "model '%s' not found on any node", model);
        json_object_put(b);
        return;
    }
    struct models_op *op = models_op_new(r, req);
    if (op) {
        snprintf(op->nodes[0], sizeof op->nodes[0], "%s", best->id);
        op->count = 1;
        models_start(op, EVHTTP_REQ_POST, "/api/show",
                     json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(b);
}

/* The node a pull goes to: node_id when given, else the usable node with
 * the most free memory (a node that does not report memory counts 0). */
static const struct registry_node *
models_pull_target(struct router *r, const char *node_id)
{
    const struct registry_node *best = NULL;
    double best_free = -INFINITY;
    if (node_id) {
        const struct registry_node *n = registry_find(r->registry, node_id);
        return n && registry_node_usable(n) ? n : NULL;
    }
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        double f = n->snap.has_memory ? n->snap.memory_available_gb : 0;
        if (registry_node_usable(n) && f > best_free) {
            best = n;
            best_free = f;
        }
    }
    return best;
}

/* The body's optional node_id (borrowed from b; NULL when absent).
 * Returns 0, or -1 once the client has its 400. */
static int
models_node_id(struct http_req *req, json_object *b, const char **id)
{
    json_object *v;
    *id = NULL;
    if (!json_object_object_get_ex(b, "node_id", &v))
        return 0;
    if (!json_object_is_type(v, json_type_string)) {
        http_send_error(req, 400, "node_id must be a string");
        return -1;
    }
    *id = json_object_get_string(v);
    return 0;
}

/* Claims model in the table of running pulls for a pull on node.
 * Returns 0, or -1 once the client has its 409 (that model is being
 * pulled: a second pull would only race the first) or 503. */
static int
models_pull_claim(struct router *r, struct http_req *req, const char *model,
                  const char *node)
{
    int rc = autopull_claim(proxy_autopull(r->proxy), model, node);
    if (rc == -EALREADY)
        http_send_error(req, 409,
                        "model '%s' is being pulled already; wait for that "
                        "pull to end",
                        model);
    else if (rc != 0) {
        http_req_add_header(req, "Retry-After", "5");
        http_send_error(req, 503,
                        "too many pulls are running; try again "
                        "later");
    }
    return rc == 0 ? 0 : -1;
}

void
api_models_pull(struct router *r, struct http_req *req)
{
    char model[REQUEST_MODEL_MAX];
    json_object *v;
    if (!admin_gate_allows(r, req))
        return;
    json_object *b = models_body(r, req, model, sizeof model);
    if (!b)
        return;
    const char *node_id;
    if (models_node_id(req, b, &node_id) != 0) {
        json_object_put(b);
        return;
    }
    const struct registry_node *n = models_pull_target(r, node_id);
    if (!n) {
        if (node_id)
            http_send_error(req, 404, "node '%s' is unknown or offline",
                             node_id);
        else
            http_send_error(req, 503, "no node can take a pull now");
        json_object_put(b);
        return;
    }
    int stream = 1;
    if (json_object_object_get_ex(b, "stream", &v) &&
        json_object_is_type(v, json_type_boolean))
        stream = json_object_get_boolean(v);
    json_object_object_del(b, "node_id");
    /* Streamed from the node whatever the client asked: a silent pull
     * would be cut off by upstream_timeout. */
    json_object_object_add(b, "stream", json_object_new_boolean(1));
    if (models_pull_claim(r, req, model, n->id) != 0) {
        json_object_put(b);
        return;
    }
    struct models_op *op = models_op_new(r, req);
    if (op && pull_line_init(&op->line) != 0) {
        op->req = NULL;
        models_free(op);
        op = NULL;
        http_send_error(req, 500, "out of memory");
    }
    if (!op) {
        autopull_end(proxy_autopull(r->proxy), model, AUTOPULL_NONE, NULL);
        json_object_put(b);
        return;
    }
    op->stream = stream;
    op->claimed = 1;
    snprintf(op->pulled, sizeof op->pulled, "%s", model);
    snprintf(op->nodes[0], sizeof op->nodes[0], "%s", n->id);
    op->count = 1;
    log_info("models", "pulling %s on %s", model, n->id);
    models_start(op, EVHTTP_REQ_POST, "/api/pull",
                 json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
    json_object_put(b);
}

void
api_models_delete(struct router *r, struct http_req *req)
{
    char model[REQUEST_MODEL_MAX];
    if (!admin_gate_allows(r, req))
        return;
    json_object *b = models_body(r, req, model, sizeof model);
    if (!b)
        return;
    const char *node_id;
    if (models_node_id(req, b, &node_id) != 0) {
        json_object_put(b);
        return;
    }
    /* as /api/pull says it */
    const struct registry_node *named =
        node_id ? registry_find(r->registry, node_id) : NULL;
    if (node_id && (!named || !registry_node_usable(named))) {
        http_send_error(req, 404, "node '%s' is unknown or offline", node_id);
        json_object_put(b);
        return;
    }
    struct models_op *op = models_op_new(r, req);
    if (!op) {
        json_object_put(b);
        return;
    }
    snprintf(op->deleted, sizeof op->deleted, "%s", model);
    op->summary = !node_id; /* with node_id, that node's own answer */
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (!registry_node_usable(n) || !registry_node_lists(n, model) ||
            (node_id && strcmp(n->id, node_id) != 0) ||
            op->count == MODELS_MAX_TARGETS)
            continue;
        snprintf(op->nodes[op->count++], sizeof op->nodes[0], "%s", n->id);
    }
    if (op->count == 0) {
        http_send_error(req, 404, "model '%s' not found on %s", model,
                         node_id ? node_id : "any node");
        op->req = NULL;
        models_free(op);
        json_object_put(b);
        return;
    }
    json_object_object_del(b, "node_id");
    models_start(op, EVHTTP_REQ_DELETE, "/api/delete",
                 json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
    json_object_put(b);
}
