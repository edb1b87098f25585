/* Writing replies: the head assembled by hand (status line, Date, the
 * handler's headers, framing), the body moved in without copying, and the
 * whole written to the socket at once. */
#include "autoconfig.h"

#include "http_server_impl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/http_util.h" /* http_reason */

/* A head is assembled here and goes to the connection's buffer in one
 * piece: an evbuffer_add per fragment cost more than the rest of the
 * reply. */
struct http_head {
    struct evbuffer *o;
    size_t len;
    char text[1024];
};

static void
http_head_flush(struct http_head *h)
{
    evbuffer_add(h->o, h->text, h->len);
    h->len = 0;
}

static void
http_put(struct http_head *h, const char *s)
{
    size_t n = strlen(s);
    if (h->len + n > sizeof h->text) {
        http_head_flush(h);
        if (n > sizeof h->text) { /* a very long header value */
            evbuffer_add(h->o, s, n);
            return;
        }
    }
    memcpy(h->text + h->len, s, n);
    h->len += n;
}

/* Decimal digits of n into buf (at least 21 bytes); returns the text. */
static const char *
http_utoa(char *buf, size_t cap, unsigned long long n)
{
    char *p = buf + cap;
    *--p = '\0';
    do
        *--p = (char)('0' + n % 10);
    while (n /= 10);
    return p;
}

/* The Date header's value, made once a second. */
static const char *
http_date(void)
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed",
                                   "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr",
                                     "May", "Jun", "Jul", "Aug",
                                     "Sep", "Oct", "Nov", "Dec"};
    static char text[40];
    static time_t made = -1;
    time_t now = time(NULL);
    struct tm tm;
    if (now != made && gmtime_r(&now, &tm)) {
        snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        made = now;
    }
    return text;
}

/* The status line and the Date header. */
static void
http_put_status(struct http_head *o, int code, const char *reason)
{
    char status[4] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
                      (char)('0' + code % 10), '\0'};
    http_put(o, "HTTP/1.1 ");
    http_put(o, status);
    http_put(o, " ");
    http_put(o, reason ? reason : http_reason(code));
    http_put(o, "\r\nDate: ");
    http_put(o, http_date());
    http_put(o, "\r\n");
}

static void
http_put_headers(struct http_head *o, const struct evkeyvalq *list)
{
    const struct evkeyval *h;
    TAILQ_FOREACH(h, list, next)
    {
        http_put(o, h->key);
        http_put(o, ": ");
        http_put(o, h->value);
        http_put(o, "\r\n");
    }
}

/* Statuses whose reply never has a body. */
static int
http_bodiless(const struct http_req *r, int code)
{
    return r->method == EVHTTP_REQ_HEAD || code == 204 || code == 304 ||
           (code >= 100 && code < 200);
}

/* Queues the head. length: the body's, or -1 for a started reply. */
static void
http_put_head(struct http_req *r, int code, const char *reason, long long length)
{
    struct http_head head = {.o = r->conn->out, .len = 0}, *o = &head;
    char num[24];
    int have_length = 0, have_connection = 0;
    struct evkeyval *h;
    TAILQ_FOREACH(h, &r->out, next)
    {
        if (strcasecmp(h->key, "Content-Length") == 0)
            have_length = 1;
        else if (strcasecmp(h->key, "Connection") == 0) {
            have_connection = 1;
            if (strcasecmp(h->value, "close") == 0)
                r->close_after = 1;
        }
    }
    if (length < 0 && !have_length && !http_bodiless(r, code)) {
        if (r->minor >= 1)
            r->chunked = 1;
        else
            r->close_after = 1; /* the body runs to the close */
    }
    if (code < 100 || code > 999)
        code = 500;
    http_put_status(o, code, reason);
    http_put_headers(o, &r->out);
    if (length >= 0 && !have_length && code != 204 && code != 304 &&
        code >= 200) {
        http_put(o, "Content-Length: ");
        http_put(o, http_utoa(num, sizeof num, (unsigned long long)length));
        http_put(o, "\r\n");
    }
    if (r->chunked)
        http_put(o, "Transfer-Encoding: chunked\r\n");
    if (!have_connection) {
        if (r->close_after)
            http_put(o, "Connection: close\r\n");
        else if (r->minor == 0)
            http_put(o, "Connection: keep-alive\r\n");
    }
    http_put(o, "\r\n");
    http_head_flush(o);
    r->status = code;
    r->started = 1;
}

/* The whole reply is queued: it completes once written. A drain callback
 * still waiting is dropped, as a plain chunk would drop it. */
static void
http_finish(struct http_req *req)
{
    struct http_conn *c = req->conn;
    req->ended = 1;
    c->drained = NULL;
    c->drained_due = 0;
    http_conn_flush(c);
}

void
http_reply(struct http_req *req, int code, const char *reason,
           struct evbuffer *body)
{
    size_t len = body ? evbuffer_get_length(body) : 0;
    struct http_conn *c = req->conn;
    if (!c || req->started) {
        if (body)
            evbuffer_drain(body, len);
        if (!c) {
            http_req_free(req); /* the client left: nothing to write */
        } else if (!req->ended) {
            /* A started reply cannot take a status any more: it is cut
             * off, without its end, so the client sees it incomplete. */
            req->close_after = 1;
            http_finish(req);
        }
        return;
    }
    http_put_head(req, code, reason, (long long)len);
    if (body && !http_bodiless(req, code))
        evbuffer_add_buffer(c->out, body);
    else if (body)
        evbuffer_drain(body, len);
    http_finish(req);
}

void
http_reply_start(struct http_req *req, int code, const char *reason)
{
    struct http_conn *c = req->conn;
    if (!c || req->started) {
        req->status = code;
        return;
    }
    http_put_head(req, code, reason, -1);
    http_conn_flush(c);
}

void
http_reply_chunk_then(struct http_req *req, struct evbuffer *data,
                      http_conn_fn cb, void *arg)
{
    struct http_conn *c = req->conn;
    size_t n = data ? evbuffer_get_length(data) : 0;
    if (n == 0)
        return;
    if (!c || !req->started || req->ended ||
        http_bodiless(req, req->status)) {
        evbuffer_drain(data, n);
        return;
    }
    if (req->chunked) {
        char size[24];
        int len = snprintf(size, sizeof size, "%zx\r\n", n);
        evbuffer_add(c->out, size, (size_t)len);
    }
    evbuffer_add_buffer(c->out, data);
    if (req->chunked)
        evbuffer_add(c->out, "\r\n", 2);
    c->drained = cb;
    c->drained_arg = arg;
    c->drained_due = 0;
    http_conn_flush(c);
}

void
http_reply_chunk(struct http_req *req, struct evbuffer *data)
{
    http_reply_chunk_then(req, data, NULL, NULL);
}

void
http_reply_end(struct http_req *req)
{
    struct http_conn *c = req->conn;
    if (!c) {
        http_req_free(req);
        return;
    }
    if (!req->started) {
        http_reply(req, 200, NULL, NULL);
        return;
    }
    if (req->ended)
        return;
    if (req->chunked)
        evbuffer_add(c->out, "0\r\n\r\n", 5);
    http_finish(req);
}

void
http_conn_refuse(struct http_conn *c, int code, const char *msg)
{
    struct http_req *r = c->req;
    struct evkeyvalq extra;
    TAILQ_INIT(&extra);
    c->req = NULL;
    if (r && c->srv->refusal_headers)
        c->srv->refusal_headers(&r->in, &extra, c->srv->refusal_arg);
    if (r && !r->dispatched)
        http_req_free(r);
    /* the message is ours: no quoting needed beyond what it holds */
    char body[256], num[24];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
    if (n < 0 || (size_t)n >= sizeof body)
        n = 0;
    struct http_head head = {.o = c->out, .len = 0}, *o = &head;
    http_put_status(o, code, NULL);
    http_put_headers(o, &extra);
    evhttp_clear_headers(&extra);
    http_put(o, "Content-Type: application/json; charset=utf-8\r\n"
                "Connection: close\r\nContent-Length: ");
    http_put(o, http_utoa(num, sizeof num, (unsigned long long)n));
    http_put(o, "\r\n\r\n");
    http_head_flush(o);
    evbuffer_add(c->out, body, (size_t)n);
    c->closing = 1;
    event_del(c->rev); /* what the client sends after it is not read */
    http_conn_flush(c);
    http_conn_later(c);
}
