/* Upstream calls on pooled evhttp connections. A connection is either in
 * use by exactly one call or idle in its node's pool: evhttp would queue a
 * second request behind the first on one connection, which is not what
 * parallel slots mean. Connections are released from a deferred event,
 * never inside evhttp's own callbacks. */
#include "autoconfig.h"

#include "upstream.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPSTREAM_MAX_NODES 1024

struct upstream_idle {
    struct evhttp_connection *conn;
    struct upstream_idle *next;
};

struct upstream_node {
    char *hostport; /* key, and the Host header */
    char *host;
    int port;
    struct upstream_idle *idle;
    size_t idle_count;
};

struct upstream_pool {
    struct event_base *base;
    struct evdns_base *dns;
    struct upstream_node *nodes;
    size_t node_count, node_cap;
    size_t idle_max;
    double timeout_s;
    struct upstream_call *releasing; /* ended, release deferred */
};

struct upstream_call {
    struct upstream_pool *pool;
    struct upstream_call *rnext, *rprev; /* in pool->releasing */
    size_t node;                         /* index in pool->nodes */
    struct evhttp_connection *conn;
    struct evhttp_request *req;
    struct upstream_cbs cbs;
    void *arg;
    int err;      /* from the error callback */
    int ended;    /* on_end called or cancelled: callbacks ignored */
    int reusable; /* the answer completed: the connection may be pooled */
    int nodelay;  /* the connection is new and has no TCP_NODELAY yet */
};

struct upstream_pool *
upstream_pool_new(struct event_base *base, size_t idle_max, double timeout_s)
{
    struct upstream_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->idle_max = idle_max;
    p->timeout_s = timeout_s;
    /* Names in node URLs resolve without blocking the loop. */
    p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!p->dns)
        p->dns = evdns_base_new(base, 0);
    return p;
}

void
upstream_pool_set_timeout(struct upstream_pool *pool, double timeout_s)
{
    pool->timeout_s = timeout_s;
}

void
upstream_pool_free(struct upstream_pool *pool)
{
    if (!pool)
        return;
    /* the loop has stopped: deferred releases will not run */
    while (pool->releasing) {
        struct upstream_call *c = pool->releasing;
        pool->releasing = c->rnext;
        if (c->conn)
            evhttp_connection_free(c->conn);
        free(c);
    }
    for (size_t i = 0; i < pool->node_count; i++) {
        struct upstream_node *n = &pool->nodes[i];
        while (n->idle) {
            struct upstream_idle *it = n->idle;
            n->idle = it->next;
            evhttp_connection_free(it->conn);
            free(it);
        }
        free(n->hostport);
        free(n->host);
    }
    free(pool->nodes);
    if (pool->dns)
        evdns_base_free(pool->dns, 0);
    free(pool);
}

static long
upstream_node_index(struct upstream_pool *pool, const char *base_url, char *err,
                    size_t errlen)
{
    struct evhttp_uri *uri = evhttp_uri_parse(base_url);
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    char hostport[300];
    long idx = -1;

    if (!host || !*host || !scheme || strcmp(scheme, "http") != 0) {
        snprintf(err, errlen, "node URL %s is not http://host[:port]",
                 base_url);
        goto out;
    }
    int port = evhttp_uri_get_port(uri);
    if (port <= 0)
        port = 80;
    /* IPv6 literals keep their brackets in the Host header. */
    snprintf(hostport, sizeof hostport, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
             host, port);
    for (size_t i = 0; i < pool->node_count; i++)
        if (strcmp(pool->nodes[i].hostport, hostport) == 0) {
            idx = (long)i;
            goto out;
        }
    if (pool->node_count >= UPSTREAM_MAX_NODES) {
        snprintf(err, errlen, "too many upstream nodes");
        goto out;
    }
    if (pool->node_count == pool->node_cap) {
        size_t cap = pool->node_cap ? pool->node_cap * 2 : 8;
        struct upstream_node *nodes = realloc(pool->nodes, cap * sizeof *nodes);
        if (!nodes) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        pool->nodes = nodes;
        pool->node_cap = cap;
    }
    struct upstream_node *n = &pool->nodes[pool->node_count];
    memset(n, 0, sizeof *n);
    n->hostport = strdup(hostport);
    n->host = strdup(host);
    n->port = port;
    if (!n->hostport || !n->host) {
        free(n->hostport);
        free(n->host);
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    idx = (long)pool->node_count++;
out:
    if (uri)
        evhttp_uri_free(uri);
    return idx;
}

/* A request goes out in one write, but a body streamed to the node (a
 * pull's) or a close right after would wait for an ACK under Nagle. Set
 * once per connection, as soon as its socket exists (the connect of a
 * node given by name starts after its DNS answer). Returns 1 when set. */
static int
upstream_set_nodelay(struct evhttp_connection *conn)
{
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(conn));
    int one = 1;
    return fd >= 0 &&
           setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

static struct evhttp_connection *
upstream_take(struct upstream_pool *pool, struct upstream_node *n, int *fresh)
{
    struct timeval tv;
    *fresh = 0;
    if (n->idle) {
        struct upstream_idle *it = n->idle;
        struct evhttp_connection *c = it->conn;
        n->idle = it->next;
        n->idle_count--;
        free(it);
        return c;
    }
    struct evhttp_connection *c = evhttp_connection_base_new(
        pool->base, pool->dns, n->host, (unsigned short)n->port);
    if (!c)
        return NULL;
    tv.tv_sec = (time_t)pool->timeout_s;
    tv.tv_usec = (suseconds_t)((pool->timeout_s - (double)tv.tv_sec) * 1e6);
    evhttp_connection_set_timeout_tv(c, &tv);
    /* A failure is reported, not retried behind our back: the router
     * decides where a retry goes. */
    evhttp_connection_set_retries(c, 0);
    *fresh = 1;
    return c;
}

/* Deferred: the connection goes back to its pool, or away. */
static void
upstream_release_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_call *call = arg;
    struct upstream_pool *pool = call->pool;
    struct upstream_node *n = &pool->nodes[call->node];
    (void)fd;
    (void)what;
    if (call->rprev)
        call->rprev->rnext = call->rnext;
    else
        pool->releasing = call->rnext;
    if (call->rnext)
        call->rnext->rprev = call->rprev;
    if (call->reusable && n->idle_count < pool->idle_max) {
        struct upstream_idle *it = malloc(sizeof *it);
        if (it) {
            it->conn = call->conn;
            it->next = n->idle;
            n->idle = it;
            n->idle_count++;
            call->conn = NULL;
        }
    }
    if (call->conn)
        evhttp_connection_free(call->conn);
    free(call);
}

static void
upstream_finish(struct upstream_call *call)
{
    struct timeval zero = {0, 0};
    struct upstream_pool *pool = call->pool;
    call->req = NULL;
    call->rprev = NULL;
    call->rnext = pool->releasing;
    if (pool->releasing)
        pool->releasing->rprev = call;
    pool->releasing = call;
    if (event_base_once(call->pool->base, -1, EV_TIMEOUT, upstream_release_cb,
                        call, &zero) != 0) {
        /* cannot defer: leak nothing, pool nothing */
        call->reusable = 0;
        upstream_release_cb(-1, 0, call);
    }
}

static int
upstream_header_cb(struct evhttp_request *req, void *arg)
{
    struct upstream_call *call = arg;
    if (call->ended)
        return 0;
    if (call->nodelay && upstream_set_nodelay(call->conn))
        call->nodelay = 0;
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req),
                                        "Content-Type");
    call->cbs.on_head(call->arg, evhttp_request_get_response_code(req), ct);
    return 0;
}

static void
upstream_chunk_cb(struct evhttp_request *req, void *arg)
{
    struct upstream_call *call = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    if (call->ended) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    call->cbs.on_body(call->arg, in);
}

static void
upstream_error_cb(enum evhttp_request_error e, void *arg)
{
    struct upstream_call *call = arg;
    switch (e) {
    case EVREQ_HTTP_TIMEOUT:
        call->err = -ETIMEDOUT;
        break;
    case EVREQ_HTTP_EOF:
        call->err = -ECONNRESET;
        break;
    case EVREQ_HTTP_INVALID_HEADER:
    case EVREQ_HTTP_DATA_TOO_LONG:
        call->err = -EPROTO;
        break;
    default:
        call->err = -ECONNREFUSED;
        break;
    }
}

static void
upstream_done_cb(struct evhttp_request *req, void *arg)
{
    struct upstream_call *call = arg;
    if (call->ended)
        return;
    int err = 0;
    if (!req || evhttp_request_get_response_code(req) == 0)
        err = call->err ? call->err : -ECONNREFUSED;
    if (!err) {
        /* the rest of the body, if evhttp kept any */
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        if (evbuffer_get_length(in) > 0)
            call->cbs.on_body(call->arg, in);
        if (call->ended) /* the body callback cancelled the call */
            return;
        call->reusable = 1;
    }
    call->ended = 1;
    call->cbs.on_end(call->arg, err);
    upstream_finish(call);
}

struct upstream_call *
upstream_start(struct upstream_pool *pool, const char *base_url, int method,
               const char *path, const char *body, size_t body_len,
               const struct upstream_cbs *cbs, void *arg, char *err,
               size_t errlen)
{
    long idx = upstream_node_index(pool, base_url, err, errlen);
    if (idx < 0)
        return NULL;
    struct upstream_node *n = &pool->nodes[idx];
    struct upstream_call *call = calloc(1, sizeof *call);
    if (!call) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    call->pool = pool;
    call->node = (size_t)idx;
    call->cbs = *cbs;
    call->arg = arg;
    call->conn = upstream_take(pool, n, &call->nodelay);
    call->req = evhttp_request_new(upstream_done_cb, call);
    if (!call->conn || !call->req) {
        if (call->req)
            evhttp_request_free(call->req);
        if (call->conn)
            evhttp_connection_free(call->conn);
        free(call);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    evhttp_request_set_header_cb(call->req, upstream_header_cb);
    evhttp_request_set_chunked_cb(call->req, upstream_chunk_cb);
    evhttp_request_set_error_cb(call->req, upstream_error_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(call->req);
    evhttp_add_header(h, "Host", n->hostport);
    evhttp_add_header(h, "User-Agent", "herd/" PACKAGE_VERSION);
    evhttp_add_header(h, "Accept",
                      "application/json, application/x-ndjson, "
                      "text/event-stream");
    if (body) {
        char len[32];
        snprintf(len, sizeof len, "%zu", body_len);
        evhttp_add_header(h, "Content-Type", "application/json");
        evhttp_add_header(h, "Content-Length", len);
        evbuffer_add(evhttp_request_get_output_buffer(call->req), body,
                     body_len);
    }
    if (evhttp_make_request(call->conn, call->req, (enum evhttp_cmd_type)method,
                            path) != 0) {
        /* evhttp freed the request */
        evhttp_connection_free(call->conn);
        free(call);
        snprintf(err, errlen, "cannot send the request to %s", base_url);
        return NULL;
    }
    if (call->nodelay && upstream_set_nodelay(call->conn))
        call->nodelay = 0;
    return call;
}

void
upstream_pause(struct upstream_call *call)
{
    if (call && !call->ended && call->conn)
        bufferevent_disable(evhttp_connection_get_bufferevent(call->conn),
                            EV_READ);
}

void
upstream_resume(struct upstream_call *call)
{
    if (call && !call->ended && call->conn)
        bufferevent_enable(evhttp_connection_get_bufferevent(call->conn),
                           EV_READ);
}

void
upstream_cancel(struct upstream_call *call)
{
    if (!call || call->ended)
        return;
    call->ended = 1;
    call->reusable = 0;
    /* Freeing the connection (deferred) closes it and drops the request
     * without calling back; until then callbacks see ended. */
    upstream_finish(call);
}
