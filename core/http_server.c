/* The router's HTTP/1.1 server: the listener and the connections. See
 * http_server.h for the contract; requests are read in http_parse.c and
 * replies written in http_respond.c.
 *
 * A connection's life: READ (waiting for or reading a request, under the
 * client timeout) -> HANDLING (the handler has it; reading goes on only
 * to notice the client leaving) -> the reply's last byte written -> READ
 * again, or closed. Everything a callback could re-enter through (a
 * close, buffered input, a drain callback due at once) is done from the
 * connection's `later` event on a following pass. */
#include "autoconfig.h"

#include "http_server_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/http_util.h" /* http_reason */
#include "common/log.h"

#define HTTP_ACCEPT_BURST 64
/* How long the listener rests when it runs out of descriptors. */
#define HTTP_ACCEPT_REST_US 100000

static const char *http_comp = "http";

/* ---- requests ----------------------------------------------------------- */

struct http_req *
http_req_new(struct http_conn *c)
{
    struct http_server *s = c->srv;
    struct http_req *r = s->spare;
    struct evbuffer *body;
    if (r) {
        HERD_SPARE_SHOW(r, sizeof *r);
        s->spare = r->spare_next;
        s->spare_count--;
        body = r->body; /* emptied when the request was freed */
    } else {
        /* not calloc: the arena needs no zeroing, and calloc misses
         * glibc's per-thread cache */
        r = malloc(sizeof *r);
        body = r ? evbuffer_new() : NULL;
        if (!body) {
            free(r);
            return NULL;
        }
    }
    memset(r, 0, offsetof(struct http_req, arena));
    r->body = body;
    TAILQ_INIT(&r->in);
    TAILQ_INIT(&r->out);
    r->conn = c;
    r->srv = s;
    return r;
}

void
http_req_free(struct http_req *r)
{
    struct http_server *s = r->srv;
    if (r->detached) {
        if (r->dprev)
            r->dprev->dnext = r->dnext;
        else
            s->detached = r->dnext;
        if (r->dnext)
            r->dnext->dprev = r->dprev;
    }
    http_headers_clear(r, &r->in);
    http_headers_clear(r, &r->out);
    if (r->uri)
        evhttp_uri_free(r->uri);
    http_req_release(r, r->target);
    if (s->spare_count < HTTP_REQ_SPARE &&
        evbuffer_drain(r->body, evbuffer_get_length(r->body)) == 0) {
        r->spare_next = s->spare;
        s->spare = r;
        s->spare_count++;
        HERD_SPARE_HIDE(r, sizeof *r);
        return;
    }
    evbuffer_free(r->body);
    free(r);
}

enum evhttp_cmd_type
http_req_method(const struct http_req *req)
{
    return req->method;
}

const char *
http_req_path(const struct http_req *req)
{
    return req->path;
}

const struct evhttp_uri *
http_req_uri(struct http_req *req)
{
    if (!req->uri_tried) {
        req->uri_tried = 1;
        req->uri = evhttp_uri_parse_with_flags(req->target,
                                               EVHTTP_URI_NONCONFORMANT);
    }
    return req->uri;
}

const struct evkeyvalq *
http_req_in_headers(const struct http_req *req)
{
    return &req->in;
}

struct evbuffer *
http_req_body(struct http_req *req)
{
    return req->body;
}

const struct evkeyvalq *
http_req_out_headers(const struct http_req *req)
{
    return &req->out;
}

struct http_conn *
http_req_conn(const struct http_req *req)
{
    return req->conn;
}

void
http_req_set_on_complete(struct http_req *req, http_req_fn cb, void *arg)
{
    req->on_complete = cb;
    req->on_complete_arg = arg;
}

/* ---- connections -------------------------------------------------------- */

void
http_conn_set_closecb(struct http_conn *c, http_conn_fn cb, void *arg)
{
    c->closecb = cb;
    c->closearg = arg;
}

const char *
http_conn_peer(const struct http_conn *c)
{
    return c->peer;
}

size_t
http_conn_output_length(const struct http_conn *c)
{
    return evbuffer_get_length(c->out);
}

static const struct timeval *
http_timeout(const struct http_server *s)
{
    return s->timeout.tv_sec || s->timeout.tv_usec ? &s->timeout : NULL;
}

void
http_conn_later(struct http_conn *c)
{
    event_active(c->later, EV_TIMEOUT, 0);
}

/* Closing is only ever done from the connection's own event callbacks,
 * so no handler is inside a call on it. */
static void
http_conn_free(struct http_conn *c)
{
    struct http_server *s = c->srv;
    struct http_req *r = c->req;
    c->req = NULL;
    /* Unanswered: the handler still holds it and frees it by replying.
     * Answered (or never handed over): nobody else will, after the close
     * callback, which may still clear what it set on it. */
    int ours = r && (r->ended || !r->dispatched);
    if (r) {
        r->conn = NULL;
        if (!ours) {
            r->detached = 1;
            r->dnext = s->detached;
            if (s->detached)
                s->detached->dprev = r;
            s->detached = r;
        }
    }
    http_conn_fn cb = c->closecb;
    c->closecb = NULL;
    if (cb)
        cb(c, c->closearg);
    if (ours)
        http_req_free(r);
    event_free(c->rev);
    event_free(c->wev);
    event_free(c->later);
    if (c->hup)
        event_free(c->hup);
    evbuffer_free(c->in);
    evbuffer_free(c->out);
    /* Our write side first: the client reads the end of the reply before
     * the close, even with bytes of its own still unread here. */
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->conn_count--;
    free(c);
}

/* The request is answered and written: the connection reads the next. */
static void
http_conn_complete(struct http_conn *c)
{
    struct http_req *r = c->req;
    http_req_fn done = r->on_complete;
    r->on_complete = NULL;
    if (done)
        done(r, r->on_complete_arg);
    int close_after = r->close_after;
    c->req = NULL;
    c->drained = NULL;
    http_req_free(r);
    if (close_after) {
        c->closing = 1;
        http_conn_later(c);
        return;
    }
    c->state = HTTP_CONN_READ;
    if (c->peer_eof) {
        /* nothing more will come: answer what was read, then close */
        if (evbuffer_get_length(c->in) == 0) {
            c->closing = 1;
            http_conn_later(c);
        } else if (!c->parsing) {
            http_conn_later(c);
        }
        return;
    }
    /* reading again (after the pipeline bound, too), now under the idle
     * timeout */
    if (c->hup)
        event_del(c->hup);
    event_add(c->rev, http_timeout(c->srv));
    if (evbuffer_get_length(c->in) > 0 && !c->parsing)
        http_conn_later(c);
}

/* Everything queued went out. from_event: called from the write event,
 * where callbacks may run at once; otherwise they wait for `later`. */
static void
http_conn_drained(struct http_conn *c, int from_event)
{
    if (c->drained) {
        if (!from_event) {
            c->drained_due = 1;
            http_conn_later(c);
        } else {
            http_conn_fn cb = c->drained;
            c->drained = NULL;
            cb(c, c->drained_arg);
            if (!c->req || evbuffer_get_length(c->out) > 0)
                return; /* it queued more, or completed the request */
        }
    }
    if (c->req && c->req->ended && !c->drained_due)
        http_conn_complete(c);
    else if (!c->req && c->closing)
        http_conn_later(c);
}

void
http_conn_flush(struct http_conn *c)
{
    if (c->failed || event_pending(c->wev, EV_WRITE, NULL))
        return; /* the write event carries on */
    if (evbuffer_get_length(c->out) > 0 &&
        evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN &&
        errno != EINTR) {
        c->failed = 1;
        http_conn_later(c);
        return;
    }
    if (evbuffer_get_length(c->out) > 0) {
        event_add(c->wev, http_timeout(c->srv));
        return;
    }
    http_conn_drained(c, 0);
}

static void
http_conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    if (what & EV_TIMEOUT) {
        http_conn_free(c); /* the client stopped reading */
        return;
    }
    if (evbuffer_write(c->out, fd) < 0 && errno != EAGAIN && errno != EINTR) {
        http_conn_free(c);
        return;
    }
    if (evbuffer_get_length(c->out) > 0)
        return;
    event_del(c->wev);
    http_conn_drained(c, 1);
}

static void
http_conn_later_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    (void)fd;
    (void)what;
    if (c->failed) {
        http_conn_free(c);
        return;
    }
    if (c->closing) {
        if (evbuffer_get_length(c->out) > 0 || c->lingering)
            return; /* the write event, or the client's close, ends it */
        /* Half-close and wait briefly for the client to close: closing
         * with its bytes unread would reset the connection, and a reset
         * can destroy the reply before the client has read it. */
        struct timeval linger = {HTTP_LINGER_S, 0};
        c->lingering = 1;
        c->linger_until = time(NULL) + HTTP_LINGER_S + 1;
        shutdown(c->fd, SHUT_WR);
        evbuffer_drain(c->in, evbuffer_get_length(c->in));
        if (event_add(c->rev, &linger) != 0)
            http_conn_free(c);
        return;
    }
    if (c->drained_due) {
        c->drained_due = 0;
        if (evbuffer_get_length(c->out) == 0) {
            http_conn_drained(c, 1);
            if (event_pending(c->later, EV_TIMEOUT, NULL))
                return;
        }
    }
    if (c->state == HTTP_CONN_READ && evbuffer_get_length(c->in) > 0)
        http_conn_parse(c);
}

/* The client closed while its bytes wait unread (past the pipeline
 * bound): it left, and its handler hears it. A client that only
 * half-closed goes too: the rest of what it pipelined cannot be read
 * without reading past the bound. */
static void
http_conn_hup_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_conn_free(arg);
}

/* Reading stops; the client's close is still seen where the backend can
 * tell it without a read (epoll's EPOLLRDHUP). Only once the close has
 * arrived: bytes the client still had to send, stuck behind a full
 * receive buffer here, hold its close back until reading goes on. */
static void
http_conn_stop_reading(struct http_conn *c)
{
    event_del(c->rev);
    if (!(event_base_get_features(c->srv->base) & EV_FEATURE_EARLY_CLOSE))
        return;
    if (!c->hup)
        c->hup = event_new(c->srv->base, c->fd, EV_CLOSED, http_conn_hup_cb, c);
    if (c->hup)
        event_add(c->hup, NULL);
}

static void
http_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;
    if (what & EV_TIMEOUT) {
        http_conn_free(c); /* idle, or a request that never finished */
        return;
    }
    /* Read on the stack, then keep only what came: reserving a 16 KiB
     * chain per read makes malloc consolidate its free lists each time,
     * while a small request then takes a small chain. */
    char buf[HTTP_READ_SIZE];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n == 0 && c->state == HTTP_CONN_HANDLING && !c->closecb &&
        !c->closing) {
        /* The client is done sending, which a half-close also says: with
         * no handler waiting to hear it left, the answer still goes out,
         * and so do those of the requests it pipelined before; then the
         * connection closes. */
        event_del(c->rev);
        c->peer_eof = 1;
        return;
    }
    if (n <= 0) {
        http_conn_free(c); /* the client left (or reset) */
        return;
    }
    if (c->closing) {
        /* nothing more is answered on it: what arrives is dropped, for a
         * bounded time (the read timeout restarts with every read) */
        if (c->lingering && time(NULL) > c->linger_until)
            http_conn_free(c);
        return;
    }
    if (evbuffer_add(c->in, buf, (size_t)n) != 0) {
        http_conn_free(c);
        return;
    }
    if (c->state == HTTP_CONN_HANDLING) {
        /* The next request (pipelined) waits for this one's reply; past a
         * bound, so does reading, to keep memory bounded. */
        if (evbuffer_get_length(c->in) > HTTP_PIPELINE_MAX)
            http_conn_stop_reading(c);
        return;
    }
    http_conn_parse(c);
}

static void
http_peer_text(struct http_conn *c, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                  c->peer, sizeof c->peer);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  c->peer, sizeof c->peer);
}

/* Out of descriptors (or memory) a pending connection stays pending and
 * the listener stays readable: accepting again at once would spin. The
 * listener rests a moment instead, and says so once per episode. */
static void
http_accept_pause(struct http_server *s, int err)
{
    struct timeval rest = {0, HTTP_ACCEPT_REST_US};
    if (!s->accept_paused)
        log_warn(http_comp,
                 "cannot accept connections: %s; %zu open, retrying every "
                 "%d ms",
                 strerror(err), s->conn_count, HTTP_ACCEPT_REST_US / 1000);
    s->accept_paused = 1;
    event_del(s->accept_ev);
    event_add(s->accept_rest, &rest);
}

static void
http_accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_server *s = arg;
    (void)fd;
    (void)what;
    event_add(s->accept_ev, NULL); /* the next failure pauses it again */
    event_active(s->accept_ev, EV_READ, 0);
}

static void
http_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    struct http_server *s = arg;
    (void)what;
    for (int i = 0; i < HTTP_ACCEPT_BURST; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                http_accept_pause(s, errno);
            return; /* EAGAIN: all taken */
        }
        struct http_conn *c = calloc(1, sizeof *c);
        if (c) {
            c->srv = s;
            c->fd = fd;
            c->in = evbuffer_new();
            c->out = evbuffer_new();
            c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST,
                               http_conn_read_cb, c);
            c->wev = event_new(s->base, fd, EV_WRITE | EV_PERSIST,
                               http_conn_write_cb, c);
            c->later = event_new(s->base, -1, 0, http_conn_later_cb, c);
        }
        if (!c || !c->in || !c->out || !c->rev || !c->wev || !c->later ||
            event_add(c->rev, http_timeout(s)) != 0) {
            if (c) {
                if (c->in)
                    evbuffer_free(c->in);
                if (c->out)
                    evbuffer_free(c->out);
                if (c->rev)
                    event_free(c->rev);
                if (c->wev)
                    event_free(c->wev);
                if (c->later)
                    event_free(c->later);
                free(c);
            }
            close(fd);
            continue;
        }
        if (s->accept_paused) {
            log_info(http_comp, "accepting connections again");
            s->accept_paused = 0;
        }
        http_peer_text(c, (struct sockaddr *)&ss);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->conn_count++;
    }
}

/* ---- the server --------------------------------------------------------- */

struct http_server *
http_server_new(struct event_base *base, http_handler_fn handler, void *arg)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base = base;
    s->handler = handler;
    s->arg = arg;
    s->fd = -1;
    s->limits.max_body = 64u << 20;
    s->limits.max_headers = 64u << 10;
    return s;
}

void
http_server_set_limits(struct http_server *s, const struct http_limits *l)
{
    s->limits = *l;
    s->timeout.tv_sec = (time_t)l->timeout_s;
    s->timeout.tv_usec =
        (suseconds_t)((l->timeout_s - (double)s->timeout.tv_sec) * 1e6);
}

void
http_server_set_refusal_headers(struct http_server *s,
                                http_refusal_headers_fn fn, void *arg)
{
    s->refusal_headers = fn;
    s->refusal_arg = arg;
}

int
http_server_listen(struct http_server *s, const char *host, int port)
{
    struct addrinfo hints, *ai = NULL;
    char service[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host && *host ? host : NULL, service, &hints, &ai);
    if (rc != 0 || !ai) {
        errno = EADDRNOTAVAIL;
        return -EADDRNOTAVAIL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    int one = 1, err = 0;
    if (fd < 0)
        err = errno;
    else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
             bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
             /* Linux caps the backlog at net.core.somaxconn: thousands of
              * clients arriving at once are not dropped. */
             listen(fd, 65535) != 0)
        err = errno;
    freeaddrinfo(ai);
    if (err) {
        if (fd >= 0)
            close(fd);
        errno = err;
        return -err;
    }
    /* Accepted sockets inherit TCP_NODELAY on Linux: without it a streamed
     * chunk written while the previous one is unacknowledged waits for the
     * client's delayed ACK (up to 40 ms). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->accept_ev =
        event_new(s->base, fd, EV_READ | EV_PERSIST, http_accept_cb, s);
    s->accept_rest = event_new(s->base, -1, 0, http_accept_resume_cb, s);
    if (!s->accept_ev || !s->accept_rest ||
        event_add(s->accept_ev, NULL) != 0) {
        close(fd);
        errno = ENOMEM;
        return -ENOMEM;
    }
    s->fd = fd;
    return 0;
}

int
http_server_fd(const struct http_server *s)
{
    return s->fd;
}

void
http_server_free(struct http_server *s)
{
    if (!s)
        return;
    while (s->conns)
        http_conn_free(s->conns);
    while (s->detached)
        http_req_free(s->detached);
    while (s->spare) {
        struct http_req *r = s->spare;
        HERD_SPARE_SHOW(r, sizeof *r);
        s->spare = r->spare_next;
        evbuffer_free(r->body);
        free(r);
    }
    if (s->accept_ev)
        event_free(s->accept_ev);
    if (s->accept_rest)
        event_free(s->accept_rest);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}
