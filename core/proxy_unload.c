/* An unload goes to every node that has the model loaded; the client gets
 * one answer. No slot is taken: an unload runs nothing. */
#include "autoconfig.h"

#include "proxy_unload.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/http_util.h"
#include "common/log.h"
#include "heartbeat.h"
#include "proxy.h"
#include "registry.h"
#include "router.h"
#include "upstream.h"

#define UNLOAD_MAX_NODES 64
#define UNLOAD_BODY_MAX 65536 /* of one node's answer */

static const char unload_comp[] = "proxy";

struct unload_op;

struct unload_target {
    struct unload_op *op;
    struct upstream_call *call;
    char node[HEARTBEAT_MAX_STRING];
    char ctype[64];
    int status, err;
    struct evbuffer *body;
};

struct unload_op {
    struct router *r;
    struct http_req *req;
    struct http_conn *conn;
    char model[HEARTBEAT_MAX_STRING];
    size_t count, pending;
    struct unload_target t[UNLOAD_MAX_NODES];
};

static void
unload_free(struct unload_op *op)
{
    for (size_t i = 0; i < op->count; i++) {
        if (op->t[i].call)
            upstream_cancel(op->t[i].call);
        if (op->t[i].body)
            evbuffer_free(op->t[i].body);
    }
    if (op->conn)
        http_conn_set_closecb(op->conn, NULL, NULL);
    struct proxy *p = op->r->proxy;
    free(op);
    proxy_side_end(p); /* last: it may end a drain */
}

/* The client left: nothing to answer. */
static void
unload_close_cb(struct http_conn *conn, void *arg)
{
    struct unload_op *op = arg;
    struct http_req *req = op->req;
    (void)conn;
    op->conn = NULL;
    op->req = NULL;
    /* a request detached from the dying connection is ours to free,
     * which a reply does */
    if (req && !http_req_conn(req))
        http_reply(req, 499, "Client Closed Request", NULL);
    unload_free(op);
}

/* Appends "a" or "a: b" to a list in buf (len bytes, *off used), after
 * sep when the list is not empty; what does not fit is left out. */
static void
unload_list_add(char *buf, size_t len, size_t *off, const char *sep,
                const char *a, const char *b)
{
    if (*off >= len)
        return;
    int n = snprintf(buf + *off, len - *off, "%s%s%s%s", *off ? sep : "", a,
                     b ? ": " : "", b ? b : "");
    if (n > 0)
        *off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

/* Every node answered: the first that unloaded speaks for all. */
static void
unload_finish(struct unload_op *op)
{
    struct http_req *req = op->req;
    char done[1024] = "", why[1024] = "";
    const struct unload_target *first = NULL, *other = NULL;
    size_t off = 0, woff = 0;
    for (size_t i = 0; i < op->count; i++) {
        const struct unload_target *t = &op->t[i];
        if (t->status == 200) {
            if (!first)
                first = t;
            /* /api/ps and the next routing see it at once, not at the
             * node's next report */
            registry_note_unloaded(op->r->registry, t->node, op->model,
                                   router_now());
            /* the room it made may let a waiting request go there */
            proxy_kick(op->r->proxy);
            unload_list_add(done, sizeof done, &off, ",", t->node, NULL);
        } else {
            if (t->status && !other)
                other = t;
            unload_list_add(why, sizeof why, &woff, "; ", t->node,
                            t->status ? http_reason(t->status)
                                      : strerror(-t->err));
        }
    }
    if (first)
        log_info(unload_comp, "unloaded %s on %s%s%s", op->model, done,
                 why[0] ? "; not on " : "", why);
    else
        log_warn(unload_comp, "unloading %s failed: %s", op->model, why);
    if (op->conn) /* the reply may end the connection */
        http_conn_set_closecb(op->conn, NULL, NULL);
    op->conn = NULL;
    const struct unload_target *t = first ? first : other;
    char id[33];
    proxy_request_id(id);
    http_req_add_header(req, "X-Request-Id", id);
    http_req_add_header(req, "X-Fleet-Retries", "0");
    proxy_flush_watch(op->r->proxy, req);
    if (!t) {
        http_send_error(req, 502, "unloading %s failed: %s", op->model, why);
    } else {
        http_req_add_header(req, "Content-Type",
                            t->ctype[0] ? t->ctype : "application/json");
        http_req_add_header(req, "X-Fleet-Node", t->node);
        if (first)
            http_req_add_header(req, "X-Fleet-Unloaded", done);
        http_reply(req, t->status, http_reason(t->status), t->body);
    }
    op->req = NULL;
    unload_free(op);
}

static void
unload_on_head(void *arg, int status, const char *ctype)
{
    struct unload_target *t = arg;
    t->status = status;
    snprintf(t->ctype, sizeof t->ctype, "%s", ctype ? ctype : "");
}

static void
unload_on_body(void *arg, struct evbuffer *data)
{
    struct unload_target *t = arg;
    if (evbuffer_get_length(t->body) + evbuffer_get_length(data) <=
        UNLOAD_BODY_MAX)
        evbuffer_add_buffer(t->body, data);
    else
        evbuffer_drain(data, evbuffer_get_length(data));
}

static void
unload_on_end(void *arg, int err)
{
    struct unload_target *t = arg;
    struct unload_op *op = t->op;
    t->call = NULL;
    if (err) {
        t->err = err;
        t->status = 0;
    }
    if (--op->pending == 0)
        unload_finish(op);
}

static const struct upstream_cbs unload_cbs = {unload_on_head, unload_on_body,
                                               unload_on_end};

/* The loaded name on node n that model names (exactly, else in another
 * case), or NULL. */
static const char *
unload_loaded_name(const struct registry_node *n, const char *model)
{
    const char *other = NULL;
    for (size_t j = 0; j < n->snap.loaded_count; j++) {
        const char *name = n->snap.loaded[j].name;
        if (name && strcmp(name, model) == 0)
            return name;
        if (name && !other && strcasecmp(name, model) == 0)
            other = name;
    }
    return other;
}

int
proxy_unload_start(struct router *r, struct http_req *req, enum proxy_api api,
                   const char *model, const char *asked)
{
    const char *names[UNLOAD_MAX_NODES];
    const struct registry_node *nodes[UNLOAD_MAX_NODES];
    size_t count = 0;
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        const char *name;
        if (!registry_node_usable(n) || count == UNLOAD_MAX_NODES ||
            !(name = unload_loaded_name(n, model)))
            continue;
        names[count] = name;
        nodes[count++] = n;
    }
    if (count == 0)
        return -ENOENT;
    if (proxy_side_begin(r->proxy) != 0)
        return -ESHUTDOWN;
    struct unload_op *op = calloc(1, sizeof *op);
    if (!op) {
        proxy_side_end(r->proxy);
        return -ENOMEM;
    }
    op->r = r;
    op->req = req;
    snprintf(op->model, sizeof op->model, "%s", model);
    op->count = count;
    for (size_t i = 0; i < count; i++) {
        op->t[i].op = op;
        snprintf(op->t[i].node, sizeof op->t[i].node, "%s", nodes[i]->id);
        if (!(op->t[i].body = evbuffer_new())) {
            unload_free(op);
            return -ENOMEM;
        }
    }
    op->conn = http_req_conn(req);
    if (op->conn)
        http_conn_set_closecb(op->conn, unload_close_cb, op);
    const char *path = api == PROXY_API_CHAT ? "/api/chat" : "/api/generate";
    op->pending = count + 1; /* held while starting */
    for (size_t i = 0; i < count; i++) {
        char err[256];
        json_object *b = json_object_new_object();
        json_object_object_add(
            b, "model",
            json_object_new_string(
                asked && *asked && strcmp(names[i], model) == 0 ? asked
                                                                : names[i]));
        if (api == PROXY_API_CHAT)
            json_object_object_add(b, "messages", json_object_new_array());
        json_object_object_add(b, "keep_alive", json_object_new_int(0));
        const char *text =
            json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN);
        op->t[i].call = upstream_start(
            proxy_pool(r->proxy), nodes[i]->url, EVHTTP_REQ_POST, path, text,
            strlen(text), &unload_cbs, &op->t[i], err, sizeof err);
        json_object_put(b);
        if (!op->t[i].call) {
            log_warn(unload_comp, "unloading %s on %s: %s", model,
                     op->t[i].node, err);
            op->t[i].err = -ECONNREFUSED;
            op->pending--;
        }
    }
    if (--op->pending == 0)
        unload_finish(op);
    return 0;
}
