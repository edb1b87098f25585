/* Upstream calls on herd's own HTTP/1.1 client: non-blocking sockets,
 * one read and one write event per connection, the answer parsed by
 * upstream_parse. A connection is either in use by exactly one call or
 * idle in its node's pool (parallel slots mean parallel connections).
 *
 * The request is written at once when an idle connection takes it; only
 * a new connection or a partial write waits for EV_WRITE. An idle
 * connection keeps its read event: the node closing it (or sending
 * anything, or upstream_timeout passing unused) closes it here too.
 *
 * Callbacks run only from event callbacks, never inside upstream_start
 * (a failure found there is reported from the pool's `later` event).
 * Around each callback the call's depth is raised: upstream_cancel then
 * only marks it, and the dispatch frees it once the callback returned. */
#include "autoconfig.h"

#include "upstream.h"
#include "common/mono_clock.h"
#include "common/spares.h"
#include "upstream_parse.h"

#include <errno.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Nodes known at once; one that nothing uses any more (nodes come and go
 * with discovery) gives its place to a new one. */
#define UPSTREAM_MAX_NODES 1024
/* One read: a stream's pieces go to on_body as they come anyway. */
#define UPSTREAM_READ_SIZE 16384
/* A node that closed an idle connection as a request went out on it says
 * so within a round trip; one that read the request and worked on it
 * takes longer, and is not sent it again unseen (a generation would run
 * twice on it). A reused connection lost this soon after the request was
 * written is retried once; later, the loss is the caller's to see. The
 * window is wide enough for a loop busy with other work to notice the
 * close late, and short against a model's load or a generation. */
#define UPSTREAM_REPLAY_WINDOW_S 1.0
/* Ended calls kept for later ones, each with the memory of its request
 * when that is at most UPSTREAM_KEEP_REQ bytes: a call and its request
 * were a malloc and a free each, the request's a slow one past 1 KB. */
#define UPSTREAM_SPARE_CALLS 32
#define UPSTREAM_KEEP_REQ 4096

struct upstream_conn {
    struct upstream_pool *pool;
    size_t node; /* index in pool->nodes */
    int fd;
    struct event *rev;     /* EV_READ|EV_PERSIST, from connected to closed */
    struct event *wev;     /* EV_WRITE: the connect, a request that waits */
    struct evbuffer *in;   /* read and not parsed yet */
    struct evbuffer *body; /* parsed body bytes for on_body */
    struct upstream_lookup *lookup;      /* a lookup in flight */
    struct event *lookup_timer;          /* its time: connect_timeout */
    struct evutil_addrinfo *addrs;       /* a name's addresses, owned */
    struct evutil_addrinfo *next_addr;   /* the one to try if this fails */
    double deadline; /* lookup and connect end by then (monotonic s), or 0 */
    struct upstream_call *call;          /* NULL while idle */
    struct upstream_conn *inext, *iprev; /* in the node's idle list */
    unsigned answers;                    /* completed on it: > 0 means reused */
    int connecting;
    /* a lookup answered inside evdns_getaddrinfo (the hosts file) */
    int in_lookup, looked_up, lookup_result;
    struct evutil_addrinfo *lookup_ai;
};

/* A name's lookup, which may outlive its connection: one closed meanwhile
 * leaves it running (its answer is dropped) rather than cancelling it,
 * since a cancelled lookup calls back later into the evdns base, which
 * upstream_pool_free may have freed by then. Lookups still running then
 * are failed by evdns_base_free in callbacks that only a later pass of
 * the loop would run: at exit, those few bytes are not freed. */
struct upstream_lookup {
    struct upstream_conn *conn; /* NULL once the connection is gone */
};

struct upstream_node {
    char *url;      /* the base URL it was first named by */
    char *hostport; /* the Host header; the key */
    char *host;     /* without an IPv6 literal's brackets */
    int port;
    struct sockaddr_storage addr; /* a numeric host's address */
    socklen_t addrlen;            /* 0: a name, looked up per connection */
    struct upstream_conn *idle;
    size_t idle_count;
    size_t users; /* its live calls and connections */
};

struct upstream_pool {
    struct event_base *base;
    struct evdns_base *dns;
    struct upstream_node *nodes;
    size_t node_count, node_cap;
    size_t idle_max;
    double timeout_s, connect_s;
    struct timeval timeout, connect;
    struct upstream_call *calls; /* every live call */
    struct upstream_call *spare; /* ended calls kept, linked by next */
    size_t spare_count;
    /* calls that failed inside upstream_start, ended by `later` */
    struct upstream_call *failed, *failed_tail;
    size_t failed_count;
    struct event *later;
};

struct upstream_call {
    struct upstream_pool *pool;
    struct upstream_call *next, *prev;   /* in pool->calls */
    struct upstream_call *fnext, *fprev; /* in pool->failed */
    size_t node;
    struct upstream_conn *conn;
    struct upstream_cbs cbs;
    void *arg;
    struct upstream_parse parse;
    char *req; /* the request, kept for a retry until the answer starts */
    size_t req_len, req_off;
    size_t req_cap; /* req's memory, kept longer up to UPSTREAM_KEEP_REQ */
    double sent_at; /* when its last byte was written (monotonic s), or 0 */
    int err;   /* of a failure reported by `later` */
    int depth; /* inside its callbacks */
    unsigned head : 1, cancelled : 1, paused : 1, retried : 1, answered : 1,
        failed : 1;
};

static const struct timeval *
upstream_tv(const struct upstream_pool *pool)
{
    return pool->timeout_s > 0 ? &pool->timeout : NULL;
}

static const struct timeval *
upstream_connect_tv(const struct upstream_pool *pool)
{
    return pool->connect_s > 0 ? &pool->connect : NULL;
}

/* ---- connections -------------------------------------------------------- */

static struct upstream_conn *
upstream_conn_new(struct upstream_pool *pool, size_t node)
{
    struct upstream_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pool = pool;
    c->node = node;
    c->fd = -1;
    c->in = evbuffer_new();
    c->body = evbuffer_new();
    if (!c->in || !c->body) {
        if (c->in)
            evbuffer_free(c->in);
        if (c->body)
            evbuffer_free(c->body);
        free(c);
        return NULL;
    }
    pool->nodes[node].users++;
    return c;
}

/* Its socket and events gone, as before connecting. */
static void
upstream_conn_unsocket(struct upstream_conn *c)
{
    if (c->rev)
        event_free(c->rev);
    if (c->wev)
        event_free(c->wev);
    if (c->fd >= 0)
        close(c->fd);
    c->rev = c->wev = NULL;
    c->fd = -1;
    c->connecting = 0;
}

static void
upstream_conn_close(struct upstream_conn *c)
{
    c->pool->nodes[c->node].users--;
    if (c->lookup)
        c->lookup->conn = NULL;
    if (c->lookup_timer)
        event_free(c->lookup_timer);
    upstream_conn_unsocket(c);
    if (c->addrs)
        evutil_freeaddrinfo(c->addrs);
    evbuffer_free(c->in);
    evbuffer_free(c->body);
    free(c);
}

static void
upstream_idle_unlink(struct upstream_node *n, struct upstream_conn *c)
{
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        n->idle = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    c->inext = c->iprev = NULL;
    n->idle_count--;
}

static void upstream_read_cb(evutil_socket_t fd, short what, void *arg);
static void upstream_write_cb(evutil_socket_t fd, short what, void *arg);
static void upstream_seconds_tv(double s, struct timeval *tv);

/* The connect's time: what is left of connect_timeout, which the lookup
 * and any address tried before this one have used up in part, shared
 * evenly with the addresses still to try: one that never answers (a
 * route that drops packets) leaves the next its turn. NULL: no limit. */
static const struct timeval *
upstream_connect_share(const struct upstream_conn *c, struct timeval *tv)
{
    if (c->deadline <= 0)
        return NULL;
    double left = c->deadline - mono_clock_s();
    unsigned to_try = 1;
    for (const struct evutil_addrinfo *a = c->next_addr; a; a = a->ai_next)
        to_try++;
    left /= to_try;
    upstream_seconds_tv(left > 0.001 ? left : 0.001, tv);
    return tv;
}

/* Starts connecting; the write event says when it is done. */
static int
upstream_conn_connect(struct upstream_conn *c, const struct sockaddr *sa,
                      socklen_t salen)
{
    struct upstream_pool *pool = c->pool;
    int one = 1;
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   IPPROTO_TCP);
    if (c->fd < 0)
        return -ECONNREFUSED;
    /* a request is one write, but a streamed body or a close right after
     * it would wait for an ACK under Nagle */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->rev =
        event_new(pool->base, c->fd, EV_READ | EV_PERSIST, upstream_read_cb, c);
    c->wev = event_new(pool->base, c->fd, EV_WRITE, upstream_write_cb, c);
    if (!c->rev || !c->wev)
        return -ECONNREFUSED;
    if (connect(c->fd, sa, salen) != 0 && errno != EINPROGRESS)
        return -ECONNREFUSED;
    c->connecting = 1;
    struct timeval tv;
    if (event_add(c->wev, upstream_connect_share(c, &tv)) != 0)
        return -ECONNREFUSED;
    return 0;
}

/* Connects to the name's next address. A name may have several (IPv6
 * and IPv4 for localhost, say) and the node listen on one of them only:
 * one that refuses gives way to the next. */
static int
upstream_conn_next_addr(struct upstream_conn *c)
{
    while (c->next_addr) {
        struct evutil_addrinfo *a = c->next_addr;
        c->next_addr = a->ai_next;
        upstream_conn_unsocket(c);
        if (upstream_conn_connect(c, a->ai_addr, (socklen_t)a->ai_addrlen) ==
            0)
            return 0;
    }
    return -ECONNREFUSED;
}

/* A lookup's answer: the connection keeps its addresses (ai). */
static int
upstream_conn_resolved(struct upstream_conn *c, int result,
                       struct evutil_addrinfo *ai)
{
    if (result != 0 || !ai) {
        if (ai)
            evutil_freeaddrinfo(ai);
        return -ECONNREFUSED;
    }
    c->addrs = c->next_addr = ai;
    return upstream_conn_next_addr(c);
}

static void upstream_fail(struct upstream_call *call, int err);

static void
upstream_lookup_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
    struct upstream_lookup *l = arg;
    struct upstream_conn *c = l->conn;
    free(l);
    if (!c) { /* the connection is gone */
        if (ai)
            evutil_freeaddrinfo(ai);
        return;
    }
    c->lookup = NULL;
    if (c->lookup_timer) {
        event_free(c->lookup_timer);
        c->lookup_timer = NULL;
    }
    if (c->in_lookup) { /* still inside upstream_open: it goes on */
        c->looked_up = 1;
        c->lookup_result = result;
        c->lookup_ai = ai;
        return;
    }
    int err = upstream_conn_resolved(c, result, ai);
    if (err)
        upstream_fail(c->call, err);
}

/* A name server that does not answer would hold the call for as long as
 * evdns retries: the lookup counts against connect_timeout like the
 * connection it is for, and its answer, if it comes later, is dropped. */
static void
upstream_lookup_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_conn *c = arg;
    (void)fd;
    (void)what;
    c->lookup->conn = NULL;
    c->lookup = NULL;
    upstream_fail(c->call, -ETIMEDOUT);
}

/* A new connection for the call. Calls nothing back: a failure is
 * returned. */
static int
upstream_open(struct upstream_call *call)
{
    struct upstream_pool *pool = call->pool;
    struct upstream_node *n = &pool->nodes[call->node];
    struct upstream_conn *c = upstream_conn_new(pool, call->node);
    if (!c)
        return -ECONNREFUSED;
    c->call = call;
    call->conn = c;
    if (pool->connect_s > 0)
        c->deadline = mono_clock_s() + pool->connect_s;
    if (n->addrlen)
        return upstream_conn_connect(c, (struct sockaddr *)&n->addr,
                                     n->addrlen);
    if (!pool->dns)
        return -ECONNREFUSED;
    struct evutil_addrinfo hints;
    char port[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    /* every address, of both families: one the machine cannot reach
     * fails at once and the next is tried */
    snprintf(port, sizeof port, "%d", n->port);
    c->lookup = malloc(sizeof *c->lookup);
    if (!c->lookup)
        return -ECONNREFUSED;
    c->lookup->conn = c;
    c->in_lookup = 1;
    struct evdns_getaddrinfo_request *req = evdns_getaddrinfo(
        pool->dns, n->host, port, &hints, upstream_lookup_cb, c->lookup);
    c->in_lookup = 0;
    if (c->looked_up)
        return upstream_conn_resolved(c, c->lookup_result, c->lookup_ai);
    if (!req) { /* not called back either */
        free(c->lookup);
        c->lookup = NULL;
        return -ECONNREFUSED;
    }
    const struct timeval *tv = upstream_connect_tv(pool);
    if (tv) {
        c->lookup_timer = evtimer_new(pool->base, upstream_lookup_timeout_cb, c);
        if (!c->lookup_timer || evtimer_add(c->lookup_timer, tv) != 0)
            return -ECONNREFUSED;
    }
    return 0;
}

/* ---- calls -------------------------------------------------------------- */

static void
upstream_unlink(struct upstream_call *call)
{
    struct upstream_pool *pool = call->pool;
    if (call->prev)
        call->prev->next = call->next;
    else
        pool->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->next = call->prev = NULL;
}

static void
upstream_failed_unlink(struct upstream_call *call)
{
    struct upstream_pool *pool = call->pool;
    if (call->fprev)
        call->fprev->fnext = call->fnext;
    else
        pool->failed = call->fnext;
    if (call->fnext)
        call->fnext->fprev = call->fprev;
    else
        pool->failed_tail = call->fprev;
    call->fnext = call->fprev = NULL;
    call->failed = 0;
    pool->failed_count--;
}

/* A kept call, or a new one; zeroed but for the request's memory. Set
 * through a compound literal: GCC turns a malloc followed by a memset of
 * zeros into a calloc, which glibc never serves from its per-thread
 * cache. */
static struct upstream_call *
upstream_call_take(struct upstream_pool *pool)
{
    struct upstream_call *call = pool->spare;
    char *req = NULL;
    size_t req_cap = 0;
    if (call) {
        HERD_SPARE_SHOW(call, sizeof *call);
        HERD_SPARE_SHOW(call->req, call->req_cap);
        pool->spare = call->next;
        pool->spare_count--;
        req = call->req;
        req_cap = call->req_cap;
    } else if (!(call = malloc(sizeof *call))) {
        return NULL;
    }
    *call =
        (struct upstream_call){.pool = pool, .req = req, .req_cap = req_cap};
    return call;
}

/* The request's text is needed no more (the answer started, or the call
 * ended): a large one's memory goes now, a small one's stays with the
 * call for its next use. */
static void
upstream_request_done(struct upstream_call *call)
{
    if (call->req_cap <= UPSTREAM_KEEP_REQ)
        return;
    free(call->req);
    call->req = NULL;
    call->req_cap = 0;
}

/* An ended call, unlinked from everything: kept for a later one while
 * fewer than upstream_spares_max are, else freed. */
static void
upstream_call_free(struct upstream_call *call)
{
    struct upstream_pool *pool = call->pool;
    if (pool->spare_count >= HERD_SPARES(UPSTREAM_SPARE_CALLS)) {
        free(call->req);
        free(call);
        return;
    }
    upstream_request_done(call);
    call->next = pool->spare;
    pool->spare = call;
    pool->spare_count++;
    HERD_SPARE_HIDE(call->req, call->req_cap);
    HERD_SPARE_HIDE(call, sizeof *call);
}

/* Gone without a callback: its connection is closed, never pooled. */
static void
upstream_drop(struct upstream_call *call)
{
    if (call->conn)
        upstream_conn_close(call->conn);
    if (call->failed)
        upstream_failed_unlink(call);
    upstream_unlink(call);
    call->pool->nodes[call->node].users--;
    upstream_call_free(call);
}

/* A connection whose answer completed goes back to its node's pool. */
static int
upstream_conn_pool(struct upstream_call *call, struct upstream_conn *c)
{
    struct upstream_pool *pool = call->pool;
    struct upstream_node *n = &pool->nodes[c->node];
    if (!call->parse.keep_alive || call->req_off < call->req_len ||
        evbuffer_get_length(c->in) > 0 || n->idle_count >= pool->idle_max)
        return 0; /* extra bytes after the answer: not trusted */
    /* a paused call's read event was removed: it watches the idle one */
    if (call->paused && event_add(c->rev, upstream_tv(pool)) != 0)
        return 0;
    evbuffer_drain(c->body, evbuffer_get_length(c->body));
    c->call = NULL;
    c->answers++;
    c->iprev = NULL;
    c->inext = n->idle;
    if (n->idle)
        n->idle->iprev = c;
    n->idle = c;
    n->idle_count++;
    return 1;
}

/* Ends the call: its connection is pooled (a complete answer) or closed
 * first, so on_end may start another call, even on it. */
static void
upstream_finish(struct upstream_call *call, int err)
{
    struct upstream_conn *c = call->conn;
    call->conn = NULL;
    if (c && (err != 0 || !upstream_conn_pool(call, c)))
        upstream_conn_close(c);
    upstream_unlink(call);
    call->pool->nodes[call->node].users--;
    call->depth++; /* an upstream_cancel now changes nothing */
    call->cbs.on_end(call->arg, err);
    upstream_call_free(call);
}

static void
upstream_fail(struct upstream_call *call, int err)
{
    upstream_finish(call, err);
}

/* A failure found inside upstream_start: its caller has no call yet, so
 * on_end comes from the loop's next pass. */
static void
upstream_fail_later(struct upstream_call *call, int err)
{
    struct upstream_pool *pool = call->pool;
    if (call->conn) {
        upstream_conn_close(call->conn);
        call->conn = NULL;
    }
    call->err = err;
    call->failed = 1;
    call->fnext = NULL;
    call->fprev = pool->failed_tail;
    if (pool->failed_tail)
        pool->failed_tail->fnext = call;
    else
        pool->failed = call;
    pool->failed_tail = call;
    pool->failed_count++;
    event_active(pool->later, EV_TIMEOUT, 1);
}

static void
upstream_later_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_pool *pool = arg;
    (void)fd;
    (void)what;
    /* only those there now: an on_end that fails again waits a pass */
    for (size_t n = pool->failed_count; n > 0 && pool->failed; n--) {
        struct upstream_call *call = pool->failed;
        upstream_failed_unlink(call);
        upstream_finish(call, call->err);
    }
    if (pool->failed)
        event_active(pool->later, EV_TIMEOUT, 1);
}

/* Writes what is left of the request. Returns 0 (written, or the write
 * event waits), or a negative errno. */
static int
upstream_send(struct upstream_call *call)
{
    struct upstream_conn *c = call->conn;
    const struct timeval *tv = upstream_tv(call->pool);
    while (call->req_off < call->req_len) {
        ssize_t n = send(c->fd, call->req + call->req_off,
                         call->req_len - call->req_off, MSG_NOSIGNAL);
        if (n > 0) {
            call->req_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* progress counts as the node being alive */
            if (!call->paused)
                event_add(c->rev, tv);
            return event_add(c->wev, tv) == 0 ? 0 : -ENOMEM;
        }
        return n < 0 ? -errno : -EPIPE;
    }
    if (call->sent_at == 0)
        call->sent_at = mono_clock_s();
    if (call->answered)
        upstream_request_done(call);
    return 0;
}

/* The node closed (e 0) or reset the connection. */
static void
upstream_lost(struct upstream_call *call, int e)
{
    struct upstream_conn *c = call->conn;
    /* A reused connection failing before any byte of the answer, and
     * before the node could have worked on the request: it closed the
     * connection as we wrote. Once more on a new one, unseen. */
    if (!call->answered && c->answers > 0 && !call->retried &&
        (e == 0 || e == ECONNRESET || e == EPIPE) &&
        (call->sent_at == 0 ||
         mono_clock_s() - call->sent_at < UPSTREAM_REPLAY_WINDOW_S)) {
        call->retried = 1;
        call->conn = NULL;
        upstream_conn_close(c);
        call->req_off = 0;
        call->sent_at = 0;
        upstream_parse_init(&call->parse, call->head);
        int err = upstream_open(call);
        if (err)
            upstream_fail(call, err);
        return;
    }
    if (e == 0 && upstream_parse_eof(&call->parse))
        upstream_finish(call, 0); /* a body that ends with the close */
    else
        upstream_fail(call, -ECONNRESET);
}

/* Each callback may cancel the call: returns 1 when it did (and the call
 * is freed). */
static int
upstream_emit_head(struct upstream_call *call)
{
    const struct upstream_parse *p = &call->parse;
    call->depth++;
    call->cbs.on_head(call->arg, p->status,
                      p->has_content_type ? p->content_type : NULL);
    call->depth--;
    if (!call->cancelled)
        return 0;
    upstream_drop(call);
    return 1;
}

static int
upstream_emit_body(struct upstream_call *call)
{
    struct evbuffer *body = call->conn->body;
    call->depth++;
    call->cbs.on_body(call->arg, body);
    call->depth--;
    if (call->cancelled) {
        upstream_drop(call);
        return 1;
    }
    evbuffer_drain(body, evbuffer_get_length(body));
    return 0;
}

/* Parses what was read, calling back for each event. The body bytes of
 * one read go to on_body together (the chunks of a stream that queued up
 * while the router was busy: one write to the client, not one each). */
static void
upstream_dispatch(struct upstream_call *call)
{
    for (;;) {
        struct upstream_conn *c = call->conn;
        enum upstream_parse_event e =
            upstream_parse_step(&call->parse, c->in, c->body);
        if (e == UPSTREAM_PARSE_BODY)
            continue;
        if (evbuffer_get_length(c->body) > 0 && upstream_emit_body(call))
            return;
        switch (e) {
        case UPSTREAM_PARSE_MORE:
        case UPSTREAM_PARSE_BODY:
            return;
        case UPSTREAM_PARSE_HEAD:
            if (upstream_emit_head(call))
                return;
            break;
        case UPSTREAM_PARSE_END:
            upstream_finish(call, 0);
            return;
        case UPSTREAM_PARSE_ERROR:
            upstream_fail(call, -EPROTO);
            return;
        }
    }
}

static void
upstream_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_conn *c = arg;
    struct upstream_call *call = c->call;
    if (!call) {
        /* idle: closed by the node, something unasked, or unused for
         * upstream_timeout */
        upstream_idle_unlink(&c->pool->nodes[c->node], c);
        upstream_conn_close(c);
        return;
    }
    if (what & EV_TIMEOUT) {
        upstream_fail(call, -ETIMEDOUT);
        return;
    }
    /* Read on the stack, then keep only what came: reserving a 16 KiB
     * chain per read makes malloc consolidate its free lists each time,
     * while a small answer then takes a small chain. */
    char buf[UPSTREAM_READ_SIZE];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        upstream_lost(call, n == 0 ? 0 : errno);
        return;
    }
    if (evbuffer_add(c->in, buf, (size_t)n) != 0) {
        upstream_fail(call, -ENOMEM);
        return;
    }
    if (!call->answered) {
        call->answered = 1; /* from now a failure is the caller's to see */
        if (call->req_off == call->req_len)
            upstream_request_done(call);
    }
    upstream_dispatch(call);
}

static void
upstream_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct upstream_conn *c = arg;
    struct upstream_call *call = c->call;
    if (what & EV_TIMEOUT) {
        if (c->connecting && upstream_conn_next_addr(c) == 0)
            return; /* this address's share is up: the next one's turn */
        upstream_fail(call, -ETIMEDOUT);
        return;
    }
    if (c->connecting) {
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e != 0) {
            if ((e == ECONNREFUSED || e == EHOSTUNREACH ||
                 e == ENETUNREACH || e == EADDRNOTAVAIL) &&
                upstream_conn_next_addr(c) == 0)
                return; /* the next address is being tried */
            upstream_fail(call, -ECONNREFUSED);
            return;
        }
        c->connecting = 0;
        if (!call->paused && event_add(c->rev, upstream_tv(call->pool)) != 0) {
            upstream_fail(call, -ECONNRESET);
            return;
        }
    }
    int err = upstream_send(call);
    if (err)
        upstream_lost(call, -err);
}

/* ---- the pool ----------------------------------------------------------- */

struct upstream_pool *
upstream_pool_new(struct event_base *base, size_t idle_max, double timeout_s,
                  double connect_s)
{
    struct upstream_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    p->idle_max = idle_max;
    upstream_pool_set_timeout(p, timeout_s, connect_s);
    p->later = event_new(base, -1, 0, upstream_later_cb, p);
    if (!p->later) {
        free(p);
        return NULL;
    }
    /* Names in node URLs resolve without blocking the loop. */
    p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!p->dns)
        p->dns = evdns_base_new(base, 0);
    return p;
}

static void
upstream_seconds_tv(double s, struct timeval *tv)
{
    if (s > 0) {
        tv->tv_sec = (time_t)s;
        tv->tv_usec = (suseconds_t)((s - (double)tv->tv_sec) * 1e6);
    }
}

/* A pending event waits tv from now instead (NULL: with no timeout).
 * libevent keeps the timeout an event was added with, and only replaces
 * it with another, so none means removing the event first. */
static void
upstream_rearm(struct event *ev, const struct timeval *tv)
{
    if (!ev || !event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL))
        return;
    if (!tv)
        event_del(ev);
    event_add(ev, tv);
}

/* A connection being made gets connect_timeout afresh from now. */
static void
upstream_conn_rearm_connect(struct upstream_conn *c)
{
    struct upstream_pool *pool = c->pool;
    struct timeval tv;
    c->deadline = pool->connect_s > 0 ? mono_clock_s() + pool->connect_s : 0;
    upstream_rearm(c->lookup_timer, upstream_connect_tv(pool));
    if (c->connecting)
        upstream_rearm(c->wev, upstream_connect_share(c, &tv));
}

/* New timeouts apply to what already waits, not only to what waits next:
 * every armed event of a running call or an idle connection is armed
 * again with the new one, counted from now. (A paused call's read event
 * is not armed; its resume arms it with the new one anyway.) */
static void
upstream_pool_rearm(struct upstream_pool *pool, int silence, int connect)
{
    const struct timeval *tv = upstream_tv(pool);
    for (struct upstream_call *call = pool->calls; call; call = call->next) {
        struct upstream_conn *c = call->conn;
        if (!c)
            continue;
        if (c->connecting || c->lookup_timer) {
            if (connect)
                upstream_conn_rearm_connect(c);
        } else if (silence) {
            upstream_rearm(c->rev, tv);
            upstream_rearm(c->wev, tv);
        }
    }
    for (size_t i = 0; silence && i < pool->node_count; i++)
        for (struct upstream_conn *c = pool->nodes[i].idle; c; c = c->inext)
            upstream_rearm(c->rev, tv);
}

void
upstream_pool_set_timeout(struct upstream_pool *pool, double timeout_s,
                          double connect_s)
{
    int silence = timeout_s != pool->timeout_s;
    int connect = connect_s != pool->connect_s;
    pool->timeout_s = timeout_s;
    pool->connect_s = connect_s;
    upstream_seconds_tv(timeout_s, &pool->timeout);
    upstream_seconds_tv(connect_s, &pool->connect);
    if (silence || connect)
        upstream_pool_rearm(pool, silence, connect);
}

void
upstream_pool_free(struct upstream_pool *pool)
{
    if (!pool)
        return;
    while (pool->calls) /* none, when the callers cancelled theirs */
        upstream_drop(pool->calls);
    while (pool->spare) {
        struct upstream_call *call = pool->spare;
        HERD_SPARE_SHOW(call, sizeof *call);
        pool->spare = call->next;
        free(call->req);
        free(call);
    }
    for (size_t i = 0; i < pool->node_count; i++) {
        struct upstream_node *n = &pool->nodes[i];
        while (n->idle) {
            struct upstream_conn *c = n->idle;
            upstream_idle_unlink(n, c);
            upstream_conn_close(c);
        }
        free(n->url);
        free(n->hostport);
        free(n->host);
    }
    free(pool->nodes);
    event_free(pool->later);
    if (pool->dns)
        evdns_base_free(pool->dns, 1); /* lookups left: see upstream_lookup */
    free(pool);
}

/* A numeric host's address, so that it needs no lookup. */
static void
upstream_node_numeric(struct upstream_node *n)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&n->addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&n->addr;
    memset(&n->addr, 0, sizeof n->addr);
    if (evutil_inet_pton(AF_INET, n->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)n->port);
        n->addrlen = sizeof *v4;
    } else if (evutil_inet_pton(AF_INET6, n->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)n->port);
        n->addrlen = sizeof *v6;
    }
}

static long
upstream_node_add(struct upstream_pool *pool, const char *url, const char *host,
                  int port, char *err, size_t errlen)
{
    char hostport[300];
    size_t hlen = strlen(host);
    /* the URL keeps an IPv6 literal's brackets: so does Host */
    snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    for (size_t i = 0; i < pool->node_count; i++)
        if (strcmp(pool->nodes[i].hostport, hostport) == 0)
            return (long)i;
    size_t at = pool->node_count;
    if (at >= UPSTREAM_MAX_NODES) {
        for (at = 0; at < pool->node_count && pool->nodes[at].users; at++)
            ;
        if (at == pool->node_count) {
            snprintf(err, errlen, "more than %d upstream nodes in use",
                     UPSTREAM_MAX_NODES);
            return -1;
        }
    } else if (pool->node_count == pool->node_cap) {
        size_t cap = pool->node_cap ? pool->node_cap * 2 : 8;
        struct upstream_node *nodes = realloc(pool->nodes, cap * sizeof *nodes);
        if (!nodes) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        pool->nodes = nodes;
        pool->node_cap = cap;
    }
    char *url_copy = strdup(url), *hostport_copy = strdup(hostport);
    char *host_copy = strndup(host, hlen);
    if (!url_copy || !hostport_copy || !host_copy) {
        free(url_copy);
        free(hostport_copy);
        free(host_copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct upstream_node *n = &pool->nodes[at];
    if (at < pool->node_count) { /* the place of one nothing uses */
        free(n->url);
        free(n->hostport);
        free(n->host);
    } else
        pool->node_count++;
    memset(n, 0, sizeof *n);
    n->url = url_copy;
    n->hostport = hostport_copy;
    n->host = host_copy;
    n->port = port;
    upstream_node_numeric(n);
    return (long)at;
}

static long
upstream_node_index(struct upstream_pool *pool, const char *base_url, char *err,
                    size_t errlen)
{
    /* the same URL every time for a node: no parse */
    for (size_t i = 0; i < pool->node_count; i++)
        if (strcmp(pool->nodes[i].url, base_url) == 0)
            return (long)i;
    struct evhttp_uri *uri = evhttp_uri_parse(base_url);
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    long idx = -1;
    if (!host || !*host || !scheme || strcmp(scheme, "http") != 0) {
        snprintf(err, errlen, "node URL %s is not http://host[:port]",
                 base_url);
    } else {
        int port = evhttp_uri_get_port(uri);
        idx = upstream_node_add(pool, base_url, host, port > 0 ? port : 80, err,
                                errlen);
    }
    if (uri)
        evhttp_uri_free(uri);
    return idx;
}

static const char *
upstream_method_name(int method)
{
    switch (method) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return NULL;
    }
}

/* The head: method, path, Host, these fixed lines and the length lines;
 * nothing of the client's. */
#define UPSTREAM_REQUEST_FIXED                                                 \
    "User-Agent: herd/" PACKAGE_VERSION "\r\n"                                 \
    "Accept: application/json, application/x-ndjson, text/event-stream\r\n"

/* Appends n bytes of s at *at. */
static void
upstream_put(char **at, const char *s, size_t n)
{
    memcpy(*at, s, n);
    *at += n;
}

/* Room for n bytes of request in call->req. Kept memory is rounded up
 * to a power of two from 512, so that it fits the next request too. */
static int
upstream_request_room(struct upstream_call *call, size_t n)
{
    if (n <= call->req_cap)
        return 0;
    size_t cap = 512;
    while (cap < n && cap <= UPSTREAM_KEEP_REQ / 2)
        cap *= 2;
    if (cap < n)
        cap = n;
    free(call->req);
    call->req = malloc(cap);
    call->req_cap = call->req ? cap : 0;
    return call->req ? 0 : -ENOMEM;
}

/* The request's bytes into call->req: the head, then the body. Assembled
 * by copying, as the request path runs it for every call. Returns 0, or
 * -ENOMEM. */
static int
upstream_request(struct upstream_call *call, const struct upstream_node *n,
                 int method, const char *path, const char *body,
                 size_t body_len)
{
    static const char ctype[] = "Content-Type: application/json\r\n";
    static const char clen[] = "Content-Length: ";
    char digits[24], *d = digits + sizeof digits;
    size_t dn = 0;
    int with_length = body || method == EVHTTP_REQ_POST ||
                      method == EVHTTP_REQ_PUT;
    if (with_length) {
        size_t v = body ? body_len : 0;
        do {
            *--d = (char)('0' + v % 10);
            dn++;
        } while (v /= 10);
    }
    const char *m = upstream_method_name(method); /* upstream_start checked */
    size_t mlen = strlen(m), plen = strlen(path), hlen = strlen(n->hostport);
    size_t head = mlen + 1 + plen + sizeof " HTTP/1.1\r\nHost: " - 1 + hlen +
                  2 + sizeof UPSTREAM_REQUEST_FIXED - 1 +
                  (body ? sizeof ctype - 1 : 0) +
                  (with_length ? sizeof clen - 1 + dn + 2 : 0) + 2;
    if (upstream_request_room(call, head + (body ? body_len : 0)) != 0)
        return -ENOMEM;
    char *at = call->req;
    upstream_put(&at, m, mlen);
    upstream_put(&at, " ", 1);
    upstream_put(&at, path, plen);
    upstream_put(&at, " HTTP/1.1\r\nHost: ", sizeof " HTTP/1.1\r\nHost: " - 1);
    upstream_put(&at, n->hostport, hlen);
    upstream_put(&at, "\r\n", 2);
    upstream_put(&at, UPSTREAM_REQUEST_FIXED, sizeof UPSTREAM_REQUEST_FIXED - 1);
    if (body)
        upstream_put(&at, ctype, sizeof ctype - 1);
    if (with_length) {
        upstream_put(&at, clen, sizeof clen - 1);
        upstream_put(&at, d, dn);
        upstream_put(&at, "\r\n", 2);
    }
    upstream_put(&at, "\r\n", 2);
    if (body)
        upstream_put(&at, body, body_len);
    call->req_len = (size_t)(at - call->req);
    return 0;
}

/* An idle connection takes the request at once; one that fails to is
 * stale and closed. Otherwise a new connection. */
static void
upstream_go(struct upstream_call *call)
{
    struct upstream_pool *pool = call->pool;
    struct upstream_node *n = &pool->nodes[call->node];
    while (n->idle) {
        struct upstream_conn *c = n->idle;
        upstream_idle_unlink(n, c);
        c->call = call;
        call->conn = c;
        /* the node's silence counts from now */
        if (event_add(c->rev, upstream_tv(pool)) == 0 &&
            upstream_send(call) == 0)
            return;
        call->conn = NULL;
        call->req_off = 0;
        upstream_conn_close(c);
    }
    int err = upstream_open(call);
    if (err)
        upstream_fail_later(call, err);
}

struct upstream_call *
upstream_start(struct upstream_pool *pool, const char *base_url, int method,
               const char *path, const char *body, size_t body_len,
               const struct upstream_cbs *cbs, void *arg, char *err,
               size_t errlen)
{
    if (!upstream_method_name(method)) {
        snprintf(err, errlen, "unsupported HTTP method %d", method);
        return NULL;
    }
    if (!path || path[0] != '/' || strpbrk(path, " \r\n")) {
        snprintf(err, errlen, "bad request path for %s", base_url);
        return NULL;
    }
    long idx = upstream_node_index(pool, base_url, err, errlen);
    if (idx < 0)
        return NULL;
    struct upstream_call *call = upstream_call_take(pool);
    if (!call || upstream_request(call, &pool->nodes[idx], method, path, body,
                                  body_len) != 0) {
        if (call)
            upstream_call_free(call);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    call->node = (size_t)idx;
    call->cbs = *cbs;
    call->arg = arg;
    call->head = method == EVHTTP_REQ_HEAD;
    pool->nodes[idx].users++;
    upstream_parse_init(&call->parse, call->head);
    call->next = pool->calls;
    if (pool->calls)
        pool->calls->prev = call;
    pool->calls = call;
    upstream_go(call);
    return call;
}

void
upstream_pause(struct upstream_call *call)
{
    if (!call || call->paused)
        return;
    call->paused = 1;
    /* no reading, and so no timeout: a slow client is not the node's
     * fault */
    if (call->conn && call->conn->rev && !call->conn->connecting)
        event_del(call->conn->rev);
}

void
upstream_resume(struct upstream_call *call)
{
    if (!call || !call->paused)
        return;
    call->paused = 0;
    if (call->conn && call->conn->rev && !call->conn->connecting)
        event_add(call->conn->rev, upstream_tv(call->pool));
}

void
upstream_cancel(struct upstream_call *call)
{
    if (!call)
        return;
    if (call->depth > 0) { /* in its own callback: freed when it returns */
        call->cancelled = 1;
        return;
    }
    upstream_drop(call);
}
