/* The upstream client against a scripted HTTP server on loopback, on the
 * same event_base: the exact request bytes, streamed answers, keep-alive
 * reuse, a pooled connection the node closed, the retry of a reused
 * connection (once, and only when lost as the request went out), every
 * error code, cancel from inside callbacks, a
 * call started from on_end, pause/resume, calls kept for reuse, and
 * freeing a pool with work in flight. */
#include "autoconfig.h"

#include "tap.h"
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- the scripted server ----------------------------------------------- */

enum answer {
    ANSWER_OK,        /* 200 with a Content-Length body */
    ANSWER_EXTRA,     /* 200, then bytes after the answer */
    ANSWER_CLOSE_HDR, /* 200 with Connection: close */
    ANSWER_STREAM,    /* chunked, one piece per step_stream() */
    ANSWER_SILENT,    /* nothing at all */
    ANSWER_CUT,       /* part of the body, then a close */
    ANSWER_GARBAGE,   /* not HTTP */
};

struct sconn {
    int fd, served;
    struct event *ev;
    struct evbuffer *in;
    struct sconn *next;
};

static struct server {
    struct event_base *base;
    int fd, port;
    struct event *ev;
    struct sconn *conns;
    int accepts, requests, closed_by_peer;
    enum answer answer;
    int drop_reused; /* close without answering on a used connection */
    int drop_fresh;  /* ... on a new one */
    int drop_reused_late_ms; /* ... on a used one, after reading a while */
    char last[1024]; /* the last request's first bytes */
    size_t last_len; /* and its whole length */
    struct sconn *streaming;
    int stream_step;
} srv;

static void
sconn_close(struct sconn *sc)
{
    for (struct sconn **p = &srv.conns; *p; p = &(*p)->next)
        if (*p == sc) {
            *p = sc->next;
            break;
        }
    if (srv.streaming == sc)
        srv.streaming = NULL;
    event_free(sc->ev);
    evbuffer_free(sc->in);
    close(sc->fd);
    free(sc);
}

static void
sconn_write(struct sconn *sc, const char *s)
{
    size_t len = strlen(s), off = 0;
    while (off < len) {
        ssize_t n = send(sc->fd, s + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

/* The stream's next piece; the last step ends it. */
static void
step_stream(void)
{
    static const char *pieces[] = {"6\r\npiece2\r\n", "6\r\npiece3\r\n",
                                   "0\r\n\r\n"};
    if (srv.streaming && srv.stream_step < 3)
        sconn_write(srv.streaming, pieces[srv.stream_step++]);
}

/* The late drop's close, unless the connection went meanwhile. */
static void
server_drop_late_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    for (struct sconn *s = srv.conns; s; s = s->next)
        if (s == arg) {
            sconn_close(s);
            return;
        }
}

static void
server_answer(struct sconn *sc)
{
    int used = sc->served++ > 0;
    if ((used && srv.drop_reused) || (!used && srv.drop_fresh)) {
        sconn_close(sc);
        return;
    }
    if (used && srv.drop_reused_late_ms) {
        struct timeval tv = {0, srv.drop_reused_late_ms * 1000};
        event_base_once(srv.base, -1, EV_TIMEOUT, server_drop_late_cb, sc, &tv);
        return;
    }
    switch (srv.answer) {
    case ANSWER_OK:
        sconn_write(sc, "HTTP/1.1 200 OK\r\nContent-Type: application/json"
                        "\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
        break;
    case ANSWER_EXTRA:
        sconn_write(sc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXX");
        break;
    case ANSWER_CLOSE_HDR:
        sconn_write(sc, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                        "Content-Length: 2\r\n\r\nok");
        break;
    case ANSWER_STREAM:
        srv.streaming = sc;
        srv.stream_step = 0;
        sconn_write(sc, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson"
                        "\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "6\r\npiece1\r\n");
        break;
    case ANSWER_SILENT:
        break;
    case ANSWER_CUT:
        sconn_write(sc, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                        "0123456789");
        sconn_close(sc);
        break;
    case ANSWER_GARBAGE:
        sconn_write(sc, "SSH-2.0-nothing\r\n\r\n");
        break;
    }
}

/* A complete request (head plus Content-Length bytes) is answered. */
static void
sconn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sconn *sc = arg;
    (void)what;
    int n = evbuffer_read(sc->in, fd, 65536);
    if (n <= 0) {
        srv.closed_by_peer++;
        sconn_close(sc);
        return;
    }
    for (;;) {
        struct evbuffer_ptr end = evbuffer_search(sc->in, "\r\n\r\n", 4, NULL);
        if (end.pos < 0)
            return;
        size_t head = (size_t)end.pos + 4, body = 0;
        char *h = (char *)evbuffer_pullup(sc->in, (ev_ssize_t)head);
        char saved = h[head - 1];
        h[head - 1] = '\0';
        const char *cl = strstr(h, "Content-Length: ");
        if (cl)
            body = strtoul(cl + 16, NULL, 10);
        h[head - 1] = saved;
        if (evbuffer_get_length(sc->in) < head + body)
            return;
        srv.last_len = head + body;
        size_t keep = srv.last_len < sizeof srv.last - 1 ? srv.last_len
                                                         : sizeof srv.last - 1;
        evbuffer_copyout(sc->in, srv.last, keep);
        srv.last[keep] = '\0';
        evbuffer_drain(sc->in, head + body);
        srv.requests++;
        int fd_before = sc->fd;
        server_answer(sc);
        /* closed by the answer: sc is gone */
        int alive = 0;
        for (struct sconn *s = srv.conns; s; s = s->next)
            alive |= s == sc && s->fd == fd_before;
        if (!alive)
            return;
    }
}

static void
server_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    int c = accept(fd, NULL, NULL);
    if (c < 0)
        return;
    evutil_make_socket_nonblocking(c);
    struct sconn *sc = calloc(1, sizeof *sc);
    sc->fd = c;
    sc->in = evbuffer_new();
    sc->ev = event_new(srv.base, c, EV_READ | EV_PERSIST, sconn_read_cb, sc);
    event_add(sc->ev, NULL);
    sc->next = srv.conns;
    srv.conns = sc;
    srv.accepts++;
}

static int
server_start(struct event_base *base)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.base = base;
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(srv.fd, 16) != 0 ||
        getsockname(srv.fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    evutil_make_socket_nonblocking(srv.fd);
    srv.port = ntohs(sa.sin_port);
    srv.ev =
        event_new(base, srv.fd, EV_READ | EV_PERSIST, server_accept_cb, NULL);
    return event_add(srv.ev, NULL);
}

static void
server_close_all(void)
{
    while (srv.conns)
        sconn_close(srv.conns);
}

static void
server_reset(enum answer a)
{
    srv.answer = a;
    srv.drop_reused = srv.drop_fresh = srv.drop_reused_late_ms = 0;
    srv.accepts = srv.requests = srv.closed_by_peer = 0;
}

/* ---- the client's side ------------------------------------------------- */

static struct event_base *base;
static struct upstream_pool *pool;
static char url[64];

struct result {
    int heads, status, bodies, ended, err, in_start;
    char ctype[128], body[4096];
    size_t body_len;
    struct upstream_call *call;
    /* what the callbacks do */
    int cancel_in_head, cancel_in_body, pause_in_body, step_in_body;
    int again_in_end; /* starts another call from on_end */
    struct result *next;
    int ended_early; /* on_end came inside upstream_start */
};

static void
on_head(void *arg, int status, const char *ctype)
{
    struct result *r = arg;
    r->heads++;
    r->status = status;
    snprintf(r->ctype, sizeof r->ctype, "%s", ctype ? ctype : "(none)");
    if (r->cancel_in_head) {
        upstream_cancel(r->call);
        r->call = NULL;
    }
}

static void
on_body(void *arg, struct evbuffer *data)
{
    struct result *r = arg;
    size_t n = evbuffer_get_length(data);
    if (r->body_len + n < sizeof r->body) {
        evbuffer_remove(data, r->body + r->body_len, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
    }
    evbuffer_drain(data, evbuffer_get_length(data));
    r->bodies++;
    if (r->cancel_in_body) {
        upstream_cancel(r->call);
        r->call = NULL;
        step_stream(); /* the server would go on: nothing may come */
        return;
    }
    if (r->pause_in_body && r->bodies == 1) {
        upstream_pause(r->call);
        while (srv.stream_step < 3)
            step_stream(); /* all of it waits in the socket */
        return;
    }
    if (r->step_in_body)
        step_stream();
}

static struct upstream_call *start(struct result *r, int method,
                                   const char *path, const char *body);

static void
on_end(void *arg, int err)
{
    struct result *r = arg;
    r->ended++;
    r->err = err;
    r->ended_early |= r->in_start;
    r->call = NULL;
    if (r->again_in_end && r->next)
        start(r->next, EVHTTP_REQ_POST, "/api/generate", "{}");
}

static const struct upstream_cbs cbs = {on_head, on_body, on_end};

static struct upstream_call *
start(struct result *r, int method, const char *path, const char *body)
{
    char err[256] = "";
    r->in_start = 1;
    r->call = upstream_start(pool, url, method, path, body,
                             body ? strlen(body) : 0, &cbs, r, err, sizeof err);
    r->in_start = 0;
    if (!r->call && !r->ended)
        diag("upstream_start: %s", err);
    return r->call;
}

static double
now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Runs the loop until *flag is set, or for max_s at most. */
static void
run_until(const int *flag, double max_s)
{
    double until = now_s() + max_s;
    while ((!flag || !*flag) && now_s() < until) {
        struct timeval tv = {0, 10000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
}

static void
new_pool(double timeout_s)
{
    upstream_pool_free(pool);
    pool = upstream_pool_new(base, 4, timeout_s, timeout_s);
}

/* ---- the tests ---------------------------------------------------------- */

static void
test_request_bytes(void)
{
    struct result r = {0};
    char want[512];
    server_reset(ANSWER_OK);
    start(&r, EVHTTP_REQ_POST, "/api/chat", "{\"a\":1}");
    run_until(&r.ended, 5);
    snprintf(want, sizeof want,
             "POST /api/chat HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n"
             "User-Agent: herd/" PACKAGE_VERSION "\r\n"
             "Accept: application/json, application/x-ndjson, "
             "text/event-stream\r\n"
             "Content-Type: application/json\r\n"
             "Content-Length: 7\r\n"
             "\r\n"
             "{\"a\":1}",
             srv.port);
    is_str(srv.last, want, "POST: the exact bytes on the wire");
    ok(r.ended == 1 && r.err == 0 && r.status == 200, "POST: answered");
    is_str(r.ctype, "application/json", "POST: content type given");
    is_str(r.body, "{\"ok\":true}", "POST: body given");
    ok(!r.ended_early, "POST: nothing called back inside upstream_start");

    struct result g = {0};
    start(&g, EVHTTP_REQ_GET, "/api/tags", NULL);
    run_until(&g.ended, 5);
    snprintf(want, sizeof want,
             "GET /api/tags HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n"
             "User-Agent: herd/" PACKAGE_VERSION "\r\n"
             "Accept: application/json, application/x-ndjson, "
             "text/event-stream\r\n"
             "\r\n",
             srv.port);
    is_str(srv.last, want, "GET: no body, no length, no type");
    ok(g.err == 0 && g.status == 200, "GET: answered");

    /* a body the socket cannot take at once: the rest goes on EV_WRITE,
     * on a new connection and on a reused one */
    size_t big_len = 8u << 20;
    char *big = malloc(big_len + 1);
    if (!big)
        abort();
    memset(big, 'x', big_len);
    big[big_len] = '\0';
    big[big_len - 1] = 'y';
    upstream_pool_free(pool);
    pool = upstream_pool_new(base, 4, 5, 5);
    for (int i = 0; i < 2; i++) {
        struct result b = {0};
        int accepts = srv.accepts;
        start(&b, EVHTTP_REQ_POST, "/api/embed", big);
        run_until(&b.ended, 20);
        ok(b.err == 0 && srv.last_len > big_len &&
               srv.accepts == accepts + (i == 0),
           "an 8 MiB body arrives whole (%s connection)", i ? "reused" : "new");
    }
    free(big);

    struct result v6 = {0};
    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa6;
    socklen_t len6 = sizeof sa6;
    memset(&sa6, 0, sizeof sa6);
    sa6.sin6_family = AF_INET6;
    sa6.sin6_addr = in6addr_loopback;
    if (fd6 >= 0 && bind(fd6, (struct sockaddr *)&sa6, sizeof sa6) == 0 &&
        listen(fd6, 4) == 0 &&
        getsockname(fd6, (struct sockaddr *)&sa6, &len6) == 0) {
        struct event *ev6 =
            event_new(base, fd6, EV_READ | EV_PERSIST, server_accept_cb, NULL);
        event_add(ev6, NULL);
        char saved[64];
        snprintf(saved, sizeof saved, "%s", url);
        snprintf(url, sizeof url, "http://[::1]:%d", ntohs(sa6.sin6_port));
        start(&v6, EVHTTP_REQ_GET, "/api/version", NULL);
        run_until(&v6.ended, 5);
        snprintf(want, sizeof want, "Host: [::1]:%d\r\n", ntohs(sa6.sin6_port));
        ok(v6.err == 0 && strstr(srv.last, want) != NULL,
           "IPv6 literal: connected, Host keeps the brackets");
        snprintf(url, sizeof url, "%s", saved);
        event_free(ev6);
    } else {
        ok(1, "# SKIP no IPv6 loopback");
    }
    if (fd6 >= 0)
        close(fd6);

    /* a name resolves through the hosts file, without blocking */
    struct result lh = {0};
    char saved[64];
    snprintf(saved, sizeof saved, "%s", url);
    snprintf(url, sizeof url, "http://localhost:%d", srv.port);
    start(&lh, EVHTTP_REQ_GET, "/", NULL);
    run_until(&lh.ended, 5);
    snprintf(want, sizeof want, "Host: localhost:%d\r\n", srv.port);
    ok(lh.err == 0 && strstr(srv.last, want) != NULL,
       "a name: resolved, connected, Host as named");
    snprintf(url, sizeof url, "%s", saved);
}

static void
test_bad_start(void)
{
    const char *bad[] = {"https://127.0.0.1:1", "ftp://x", "garbage",
                         "http://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        struct result r = {0};
        struct upstream_call *c =
            upstream_start(pool, bad[i], EVHTTP_REQ_GET, "/", NULL, 0, &cbs, &r,
                           err, sizeof err);
        ok(!c && strstr(err, "is not http://host[:port]"),
           "bad URL %s refused: %s", bad[i], err);
    }
}

static void
test_stream(void)
{
    struct result r = {0};
    server_reset(ANSWER_STREAM);
    r.step_in_body = 1; /* the server sends a piece only after one came */
    start(&r, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&r.ended, 5);
    ok(r.ended == 1 && r.err == 0, "stream: complete");
    is_str(r.body, "piece1piece2piece3", "stream: dechunked");
    ok(r.bodies >= 3, "stream: each piece reached on_body before the end (%d)",
       r.bodies);
    is_str(r.ctype, "application/x-ndjson", "stream: content type");
}

static void
test_keep_alive(void)
{
    struct result a = {0}, b = {0}, c = {0};
    new_pool(5);
    server_reset(ANSWER_OK);
    start(&a, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&a.ended, 5);
    start(&b, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&b.ended, 5);
    ok(a.err == 0 && b.err == 0, "keep-alive: both answered");
    is_int(srv.accepts, 1, "keep-alive: one connection for two calls");

    /* a call started from on_end: the connection is back in the pool */
    b = (struct result){0};
    b.again_in_end = 1;
    b.next = &c;
    start(&b, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&c.ended, 5);
    ok(b.err == 0 && c.ended == 1 && c.err == 0 && !c.ended_early,
       "a call started inside on_end runs");
    is_int(srv.accepts, 1, "... on the same connection");

    /* the node closes the idle connection: the loop notices */
    server_close_all();
    run_until(NULL, 0.05);
    struct result d = {0};
    start(&d, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&d.ended, 5);
    ok(d.err == 0 && srv.accepts == 2,
       "an idle connection the node closed is dropped; a new one serves");

    /* bytes after an answer, or Connection: close: not pooled */
    new_pool(5);
    server_reset(ANSWER_EXTRA);
    struct result e = {0}, f = {0};
    start(&e, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&e.ended, 5);
    srv.answer = ANSWER_OK;
    start(&f, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&f.ended, 5);
    ok(e.err == 0 && !strcmp(e.body, "ok") && f.err == 0 && srv.accepts == 2,
       "an answer with extra bytes after it: its connection is not reused");
    new_pool(5);
    server_reset(ANSWER_CLOSE_HDR);
    e = (struct result){0};
    f = (struct result){0};
    start(&e, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&e.ended, 5);
    srv.answer = ANSWER_OK;
    start(&f, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&f.ended, 5);
    ok(e.err == 0 && f.err == 0 && srv.accepts == 2,
       "Connection: close: its connection is not reused");
}

/* A new pool with one connection in it, pooled after an answer. */
static void
pool_one_connection(void)
{
    struct result first = {0};
    new_pool(5);
    server_reset(ANSWER_OK);
    start(&first, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&first.ended, 5);
}

static void
test_retry(void)
{
    /* the node closes a pooled connection as the request goes out (it
     * reads the request and closes): once more on a new connection */
    struct result b = {0};
    pool_one_connection();
    srv.drop_reused = 1;
    start(&b, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&b.ended, 5);
    ok(b.ended == 1 && b.err == 0 && b.status == 200,
       "a reused connection lost before the answer: retried, unseen");
    ok(srv.accepts == 2 && srv.requests == 3,
       "... on a new connection, the request sent again");

    /* the retry's new connection fails too: reported, not retried again */
    struct result c = {0};
    srv.drop_fresh = 1;
    start(&c, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&c.ended, 5);
    is_int(c.err, -ECONNRESET, "the retry failing as well is reported");
    ok(srv.requests == 5 && srv.accepts == 3, "... after exactly one retry");

    /* the node read the request on a pooled connection and worked on it
     * before closing: it may have done the work, so it is not sent again */
    struct result l2 = {0};
    pool_one_connection();
    srv.drop_reused_late_ms = 1300;
    start(&l2, EVHTTP_REQ_POST, "/api/generate", "{}");
    run_until(&l2.ended, 5);
    srv.drop_reused_late_ms = 0;
    is_int(l2.err, -ECONNRESET,
           "a reused connection lost 1.3 s after the request: reported");
    ok(srv.requests == 2 && srv.accepts == 1,
       "... and the request was not sent a second time");

    /* a new connection's failure is reported at once */
    struct result d = {0};
    new_pool(5);
    server_reset(ANSWER_OK);
    srv.drop_fresh = 1;
    start(&d, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&d.ended, 5);
    ok(d.err == -ECONNRESET && srv.requests == 1,
       "a new connection closed before the answer: -ECONNRESET, no retry");
}

/* Nodes come and go with discovery: past 1024 known at once, a new one
 * takes the place of one that nothing uses, never of one in use. */
static void
test_many_nodes(void)
{
    enum { NODES = 1024 };
    /* a port bound, never listened on: every connection to it is refused */
    int hole = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t salen = sizeof sa;
    bind(hole, (struct sockaddr *)&sa, sizeof sa);
    getsockname(hole, (struct sockaddr *)&sa, &salen);
    struct result *rs = calloc(NODES + 1, sizeof *rs);
    char saved[sizeof url], err[256] = "";
    memcpy(saved, url, sizeof url);
    new_pool(5);
    server_reset(ANSWER_OK);
    int started = 0;
    for (int i = 0; i < NODES; i++) {
        snprintf(url, sizeof url, "http://127.0.%d.%d:%d", 1 + i / 250,
                 1 + i % 250, ntohs(sa.sin_port));
        started += start(&rs[i], EVHTTP_REQ_GET, "/api/tags", NULL) != NULL;
    }
    is_int(started, NODES, "1024 nodes, each with a call in flight");
    snprintf(url, sizeof url, "http://127.0.9.9:%d", ntohs(sa.sin_port));
    ok(upstream_start(pool, url, EVHTTP_REQ_GET, "/api/tags", NULL, 0, &cbs,
                      &rs[NODES], err, sizeof err) == NULL &&
           strstr(err, "in use"),
       "a 1025th while all are in use: refused (%s)", err);
    int ended = 0;
    for (double until = now_s() + 10; ended < NODES && now_s() < until;) {
        run_until(NULL, 0.01);
        ended = 0;
        for (int i = 0; i < NODES; i++)
            ended += rs[i].ended;
    }
    is_int(ended, NODES, "... each of them refused and ended");
    memcpy(url, saved, sizeof url);
    struct result r = {0};
    start(&r, EVHTTP_REQ_GET, "/api/tags", NULL);
    run_until(&r.ended, 5);
    ok(r.err == 0 && r.status == 200,
       "then a new node takes the place of one no longer in use");
    free(rs);
    close(hole);
}

static void
test_errors(void)
{
    /* a port nobody listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    char saved[64];
    snprintf(saved, sizeof saved, "%s", url);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    struct result r = {0};
    start(&r, EVHTTP_REQ_POST, "/api/chat", "{}");
    ok(r.call != NULL && !r.ended, "refused: the call exists, no callback yet");
    run_until(&r.ended, 5);
    ok(r.ended == 1 && r.err == -ECONNREFUSED && r.heads == 0,
       "refused: -ECONNREFUSED");
    snprintf(url, sizeof url, "%s", saved);

    struct result t = {0};
    new_pool(0.2);
    server_reset(ANSWER_SILENT);
    double t0 = now_s();
    start(&t, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&t.ended, 5);
    double took = now_s() - t0;
    ok(t.err == -ETIMEDOUT && took > 0.15 && took < 2,
       "silent node: -ETIMEDOUT after the timeout (%.2f s)", took);

    /* a node that drops connects (off, cut off, a full backlog): the
     * connect timeout ends the wait, not the long silence timeout */
    int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[4];
    len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(lfd, 0);
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    for (int i = 0; i < 4; i++) { /* fill its accept queue, never accept */
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    upstream_pool_free(pool);
    pool = upstream_pool_new(base, 4, 30, 0.3);
    struct result d = {0};
    t0 = now_s();
    start(&d, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&d.ended, 10);
    took = now_s() - t0;
    ok(d.err == -ETIMEDOUT && took > 0.25 && took < 3,
       "connect dropped: -ETIMEDOUT after the connect timeout (%.2f s)", took);
    snprintf(url, sizeof url, "%s", saved);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);

    struct result c = {0};
    new_pool(5);
    server_reset(ANSWER_CUT);
    start(&c, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&c.ended, 5);
    ok(c.err == -ECONNRESET && c.status == 200 && !strcmp(c.body, "0123456789"),
       "closed mid-answer: the bytes so far, then -ECONNRESET");

    struct result g = {0};
    server_reset(ANSWER_GARBAGE);
    start(&g, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&g.ended, 5);
    ok(g.err == -EPROTO && g.heads == 0, "garbage: -EPROTO");
    run_until(NULL, 0.05);
    is_int(srv.closed_by_peer, 1, "garbage: the connection is closed");
}

static void
test_cancel(void)
{
    struct result r = {0};
    new_pool(5);
    server_reset(ANSWER_STREAM);
    r.cancel_in_body = 1;
    start(&r, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&srv.closed_by_peer, 2);
    run_until(NULL, 0.1);
    ok(r.bodies == 1 && r.ended == 0,
       "cancel inside on_body: no callback follows");
    is_int(srv.closed_by_peer, 1,
           "cancel inside on_body: the node sees a close");

    struct result h = {0};
    server_reset(ANSWER_OK);
    h.cancel_in_head = 1;
    start(&h, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&srv.closed_by_peer, 2);
    run_until(NULL, 0.05);
    ok(h.heads == 1 && h.bodies == 0 && h.ended == 0 && srv.closed_by_peer == 1,
       "cancel inside on_head: no body, no end, the connection closed");

    /* cancelled before anything happened */
    struct result n = {0};
    server_reset(ANSWER_OK);
    start(&n, EVHTTP_REQ_POST, "/api/chat", "{}");
    upstream_cancel(n.call);
    run_until(NULL, 0.05);
    ok(n.heads == 0 && n.ended == 0, "cancel right after start: no callback");

    /* a failure reported later, cancelled before it is */
    struct result f = {0};
    char saved[64];
    snprintf(saved, sizeof saved, "%s", url);
    snprintf(url, sizeof url, "http://127.0.0.1:1");
    start(&f, EVHTTP_REQ_POST, "/api/chat", "{}");
    upstream_cancel(f.call);
    run_until(NULL, 0.05);
    ok(f.ended == 0, "a refused call cancelled at once: no callback");
    snprintf(url, sizeof url, "%s", saved);
}

static void
test_pause(void)
{
    struct result r = {0};
    new_pool(0.2); /* paused longer than this: no timeout */
    server_reset(ANSWER_STREAM);
    r.pause_in_body = 1;
    start(&r, EVHTTP_REQ_POST, "/api/chat", "{}");
    int one_body = 0;
    double until = now_s() + 5;
    while (r.bodies == 0 && now_s() < until)
        run_until(NULL, 0.01);
    one_body = r.bodies == 1;
    run_until(NULL, 0.5);
    ok(one_body && r.bodies == 1 && r.ended == 0,
       "paused: nothing more read for 0.5 s, no timeout either");
    upstream_resume(r.call);
    run_until(&r.ended, 5);
    ok(r.ended == 1 && r.err == 0, "resumed: the answer completes");
    is_str(r.body, "piece1piece2piece3", "resumed: nothing lost");
}

/* The exact bytes of a POST of body to path on the test server. */
static void
post_bytes(char *want, size_t len, const char *path, const char *body)
{
    snprintf(want, len,
             "POST %s HTTP/1.1\r\n"
             "Host: 127.0.0.1:%d\r\n"
             "User-Agent: herd/" PACKAGE_VERSION "\r\n"
             "Accept: application/json, application/x-ndjson, "
             "text/event-stream\r\n"
             "Content-Type: application/json\r\n"
             "Content-Length: %zu\r\n"
             "\r\n"
             "%s",
             path, srv.port, strlen(body), body);
}

/* Ended calls are kept for later ones, with their request's memory when
 * small: a later request's bytes are its own, whatever came before (a
 * longer one, one too long to keep, one sent twice), and more calls at
 * once than are kept all run. */
static void
test_reuse(void)
{
    char want[1024], *body = malloc(10001);
    if (!body)
        abort();
    new_pool(5);
    server_reset(ANSWER_OK);
    const size_t sizes[] = {3000, 10000, 0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct result big = {0}, small = {0};
        memset(body, 'b', sizes[i]);
        body[sizes[i]] = '\0';
        start(&big, EVHTTP_REQ_POST, "/api/a/much/longer/path/than/the/next",
              body);
        run_until(&big.ended, 5);
        start(&small, EVHTTP_REQ_POST, "/x", "{}");
        run_until(&small.ended, 5);
        post_bytes(want, sizeof want, "/x", "{}");
        ok(big.err == 0 && small.err == 0 && !strcmp(srv.last, want) &&
               srv.last_len == strlen(want),
           "after a %zu-byte body, a short request's exact bytes", sizes[i]);
    }
    free(body);

    /* a kept call whose pooled connection is lost as it writes: the
     * request sent again is its own */
    struct result r = {0};
    pool_one_connection();
    srv.drop_reused = 1;
    start(&r, EVHTTP_REQ_POST, "/api/embed", "{\"input\":\"again\"}");
    run_until(&r.ended, 5);
    post_bytes(want, sizeof want, "/api/embed", "{\"input\":\"again\"}");
    ok(r.err == 0 && srv.requests == 3 && !strcmp(srv.last, want),
       "a kept call retried on a new connection: its own bytes again");

    /* more at once than are kept, one cancelled: every other one answered,
     * and the pool frees them all (ASan, valgrind) */
    enum { MANY = 40 };
    struct result many[MANY] = {{0}};
    server_reset(ANSWER_OK);
    for (int i = 0; i < MANY; i++)
        start(&many[i], EVHTTP_REQ_POST, "/api/chat", "{}");
    upstream_cancel(many[7].call);
    int ended = 0;
    for (double until = now_s() + 10; ended < MANY - 1 && now_s() < until;) {
        run_until(NULL, 0.01);
        ended = 0;
        for (int i = 0; i < MANY; i++)
            ended += many[i].ended == 1 && many[i].err == 0;
    }
    is_int(ended, MANY - 1, "40 calls at once, one cancelled: 39 answered");
    ok(many[7].ended == 0, "... and no callback for the cancelled one");
}

static void
test_free_with_work(void)
{
    /* a lookup in flight, a call in flight and an idle connection:
     * upstream_pool_free frees them all (ASan checks) */
    struct result a = {0}, b = {0}, c = {0};
    new_pool(5);
    server_reset(ANSWER_OK);
    start(&a, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(&a.ended, 5);
    srv.answer = ANSWER_SILENT;
    start(&b, EVHTTP_REQ_POST, "/api/chat", "{}");
    run_until(NULL, 0.05);
    char saved[64];
    snprintf(saved, sizeof saved, "%s", url);
    snprintf(url, sizeof url, "http://herd-upstream-test.invalid:1");
    start(&c, EVHTTP_REQ_GET, "/", NULL);
    snprintf(url, sizeof url, "%s", saved);
    struct result d = {0};
    start(&d, EVHTTP_REQ_GET, "/", NULL);
    if (c.call)
        upstream_cancel(c.call);
    upstream_pool_free(pool);
    pool = NULL;
    run_until(NULL, 0.1);
    ok(a.ended == 1 && b.ended == 0 && c.ended == 0,
       "pool freed with a lookup, a call and an idle connection: no callback");
}

int
main(void)
{
    base = event_base_new();
    if (!base || server_start(base) != 0) {
        skip_all("no loopback server");
        return 0;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", srv.port);
    pool = upstream_pool_new(base, 4, 5, 5);
    test_request_bytes();
    test_bad_start();
    test_stream();
    test_keep_alive();
    test_retry();
    test_many_nodes();
    test_errors();
    test_cancel();
    test_pause();
    test_reuse();
    test_free_with_work();
    upstream_pool_free(pool);
    server_close_all();
    event_free(srv.ev);
    close(srv.fd);
    event_base_free(base);
    return done_testing();
}
