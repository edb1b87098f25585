/* Reading requests: the request line and headers (parsed from one copy of
 * the head), then a Content-Length or chunked body, then the handler.
 * Anything malformed or over a limit is refused with a JSON error and the
 * connection closes, since what follows it cannot be trusted to frame. */
#include "autoconfig.h"

#include "http_server_impl.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A chunk-size line (with extensions) longer than this is refused. */
#define HTTP_CHUNK_LINE_MAX 1024

enum { CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER };

static const struct {
    const char *name;
    size_t len;
    enum evhttp_cmd_type cmd;
} http_methods[] = {
    {"GET", 3, EVHTTP_REQ_GET},         {"POST", 4, EVHTTP_REQ_POST},
    {"HEAD", 4, EVHTTP_REQ_HEAD},       {"PUT", 3, EVHTTP_REQ_PUT},
    {"DELETE", 6, EVHTTP_REQ_DELETE},   {"OPTIONS", 7, EVHTTP_REQ_OPTIONS},
    {"PATCH", 5, EVHTTP_REQ_PATCH},
};

/* Whether the comma-separated list v holds token (any case). */
static int
http_list_has(const char *v, const char *token)
{
    size_t n = strlen(token);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        const char *e = v;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - v) == n && strncasecmp(v, token, n) == 0)
            return 1;
        v = e;
    }
    return 0;
}

/* Digits only, no sign, no overflow. */
static int
http_parse_length(const char *v, uint64_t *out)
{
    uint64_t n = 0;
    if (!*v)
        return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    *out = n;
    return 0;
}

/* The path of a target: origin-form up to ? or #; absolute-form without
 * its scheme and authority. */
static void
http_set_target(struct http_req *r, const char *t, size_t len)
{
    const char *p = t, *end = t + len;
    if (len > 7 && (strncasecmp(t, "http://", 7) == 0 ||
                    strncasecmp(t, "https://", 8) == 0)) {
        p = memchr(t + 8, '/', len - 8);
        if (!p)
            p = end;
    }
    const char *q = p;
    while (q < end && *q != '?' && *q != '#')
        q++;
    size_t plen = (size_t)(q - p);
    r->target = http_req_alloc(r, len + 1 + (plen ? plen : 1) + 1);
    if (!r->target)
        return;
    memcpy(r->target, t, len);
    r->target[len] = '\0';
    char *path = r->target + len + 1;
    if (plen)
        memcpy(path, p, plen);
    else
        path[plen++] = '/';
    path[plen] = '\0';
    r->path = path;
}

/* The request line. Returns 0, or the status to refuse it with. */
static int
http_parse_request_line(struct http_req *r, char *line, const char **why)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ')) {
        *why = "malformed request line";
        return 400;
    }
    size_t mlen = (size_t)(sp1 - line);
    size_t i = 0;
    while (i < sizeof http_methods / sizeof http_methods[0] &&
           (http_methods[i].len != mlen ||
            memcmp(http_methods[i].name, line, mlen) != 0))
        i++;
    if (i == sizeof http_methods / sizeof http_methods[0]) {
        *why = "method not implemented";
        return 501;
    }
    r->method = http_methods[i].cmd;
    const char *v = sp2 + 1;
    if (strncmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9' || v[8]) {
        *why = strncmp(v, "HTTP/", 5) == 0 ? "HTTP version not supported"
                                            : "malformed request line";
        return strncmp(v, "HTTP/", 5) == 0 ? 505 : 400;
    }
    r->minor = v[7] - '0';
    r->close_after = r->minor == 0; /* HTTP/1.0: unless keep-alive */
    http_set_target(r, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    if (!r->target) {
        *why = "out of memory";
        return 503;
    }
    return 0;
}

/* The header lines and what they say about framing. Returns 0, or the
 * status to refuse the request with. */
static int
http_parse_headers(struct http_conn *c, struct http_req *r, char *s,
                   const char **why)
{
    int have_length = 0, chunked = 0;
    uint64_t length = 0;
    while (*s) {
        char *eol = strchr(s, '\n');
        char *next = eol ? eol + 1 : s + strlen(s);
        if (eol) {
            if (eol > s && eol[-1] == '\r')
                eol--;
            *eol = '\0';
        }
        if (!*s)
            break; /* the blank line */
        if (*s == ' ' || *s == '\t') {
            *why = "folded header lines are not accepted";
            return 400;
        }
        char *colon = strchr(s, ':');
        if (!colon || colon == s || colon[-1] == ' ' || colon[-1] == '\t') {
            *why = "malformed header line";
            return 400;
        }
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (http_headers_add(r, &r->in, s, v) != 0) {
            *why = "malformed header value";
            return 400;
        }
        if (strcasecmp(s, "Content-Length") == 0) {
            uint64_t n;
            if (http_parse_length(v, &n) != 0 || (have_length && n != length)) {
                *why = "bad Content-Length";
                return 400;
            }
            have_length = 1;
            length = n;
        } else if (strcasecmp(s, "Transfer-Encoding") == 0) {
            /* chunked alone: no other coding is spoken */
            if (strcasecmp(v, "chunked") != 0 || chunked) {
                *why = "unsupported Transfer-Encoding";
                return 501;
            }
            chunked = 1;
        } else if (strcasecmp(s, "Connection") == 0) {
            if (http_list_has(v, "close"))
                r->close_after = 1;
            else if (r->minor == 0 && http_list_has(v, "keep-alive"))
                r->close_after = 0;
        } else if (strcasecmp(s, "Expect") == 0) {
            if (strcasecmp(v, "100-continue") != 0) {
                *why = "unsupported expectation";
                return 417;
            }
            r->expect_continue = r->minor >= 1;
        }
        s = next;
    }
    if (chunked && have_length) {
        *why = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    if (have_length && length > c->srv->limits.max_body) {
        *why = "request body exceeds max_body_bytes";
        return 413;
    }
    if (chunked && r->minor == 0)
        r->close_after = 1; /* RFC 9112 6.1: the framing is not trusted */
    r->remaining = (size_t)length;
    c->state = chunked ? HTTP_CONN_CHUNKS
               : length ? HTTP_CONN_BODY
                        : HTTP_CONN_HANDLING;
    r->chunk_state = CHUNK_SIZE;
    return 0;
}

/* Where the head in p[0..n) ends (after its blank line), or 0. */
static size_t
http_head_end(const char *p, size_t n)
{
    const char *q = p, *end = p + n;
    while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
        q++;
        if (q < end && *q == '\n')
            return (size_t)(q + 1 - p);
        if (q + 1 < end && q[0] == '\r' && q[1] == '\n')
            return (size_t)(q + 2 - p);
    }
    return 0;
}

/* Returns 1 when a head was parsed, 0 when more is needed, -1 when the
 * request was refused. */
static int
http_read_head(struct http_conn *c)
{
    size_t max = c->srv->limits.max_headers;
    size_t avail = evbuffer_get_length(c->in);
    /* blank lines before a request are ignored (RFC 9112 2.2) */
    unsigned char *p = evbuffer_pullup(c->in, avail < 2 ? (ev_ssize_t)avail : 2);
    while (avail && p && (p[0] == '\r' || p[0] == '\n')) {
        evbuffer_drain(c->in, 1);
        avail--;
        p = evbuffer_pullup(c->in, avail < 2 ? (ev_ssize_t)avail : 2);
    }
    if (!avail)
        return 0;
    size_t look = avail < max + 2 ? avail : max + 2;
    p = evbuffer_pullup(c->in, (ev_ssize_t)look);
    if (!p) {
        http_conn_refuse(c, 503, "out of memory");
        return -1;
    }
    size_t n = http_head_end((const char *)p, look);
    /* A NUL would end the text early: a header after it unseen here,
     * but seen by whatever proxy is in front, is how requests smuggle. */
    if (memchr(p, '\0', n ? n : look)) {
        http_conn_refuse(c, 400, "malformed request: a NUL byte");
        return -1;
    }
    if (!n || n > max) {
        if (n > max || look > max) {
            http_conn_refuse(c, 431, "request headers exceed max_header_bytes");
            return -1;
        }
        return 0;
    }
    char stack[4096];
    char *head = n < sizeof stack ? stack : malloc(n + 1);
    struct http_req *r = http_req_new(c);
    if (!head || !r) {
        if (head && head != stack)
            free(head);
        if (r)
            http_req_free(r);
        http_conn_refuse(c, 503, "out of memory");
        return -1;
    }
    memcpy(head, p, n);
    head[n] = '\0';
    evbuffer_drain(c->in, n);
    c->req = r;
    char *eol = strchr(head, '\n');
    *eol = '\0';
    if (eol > head && eol[-1] == '\r')
        eol[-1] = '\0';
    const char *why = NULL;
    int code = http_parse_request_line(r, head, &why);
    if (!code)
        code = http_parse_headers(c, r, eol + 1, &why);
    if (head != stack)
        free(head);
    if (code) {
        http_conn_refuse(c, code, why);
        return -1;
    }
    /* The client waits for a go-ahead before sending the body; one that
     * sent it anyway has its bytes read as usual. */
    if (r->expect_continue && c->state != HTTP_CONN_HANDLING &&
        evbuffer_get_length(c->in) == 0) {
        static const char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
        evbuffer_add(c->out, go, sizeof go - 1);
        http_conn_flush(c);
    }
    return 1;
}

/* Moves up to r->remaining bytes of input into the body. */
static void
http_take_body(struct http_conn *c, struct http_req *r)
{
    size_t n = evbuffer_get_length(c->in);
    if (n > r->remaining)
        n = r->remaining;
    if (n == 0)
        return;
    /* the whole input is the body: its chains move, nothing is copied */
    if (n == evbuffer_get_length(c->in))
        evbuffer_add_buffer(r->body, c->in);
    else
        evbuffer_remove_buffer(c->in, r->body, n);
    r->remaining -= n;
}

/* One line of a chunked body's framing, without its CRLF. Returns 1 with
 * it in line, 0 when more is needed, -1 when refused. */
static int
http_chunk_line(struct http_conn *c, char *line, size_t cap)
{
    size_t n;
    char *l = evbuffer_readln(c->in, &n, EVBUFFER_EOL_CRLF);
    if (!l) {
        if (evbuffer_get_length(c->in) > HTTP_CHUNK_LINE_MAX) {
            http_conn_refuse(c, 400, "malformed chunked body");
            return -1;
        }
        return 0;
    }
    if (n >= cap || memchr(l, '\0', n)) {
        free(l);
        http_conn_refuse(c, 400, "malformed chunked body");
        return -1;
    }
    memcpy(line, l, n + 1);
    free(l);
    return 1;
}

/* Returns 1 when the body is complete, 0 when more is needed, -1 when
 * refused. */
static int
http_read_chunks(struct http_conn *c, struct http_req *r)
{
    char line[HTTP_CHUNK_LINE_MAX + 1];
    for (;;) {
        int rc;
        switch (r->chunk_state) {
        case CHUNK_SIZE: {
            if ((rc = http_chunk_line(c, line, sizeof line)) <= 0)
                return rc;
            /* hex digits only (no 0x, sign or space first), so that
             * every parser agrees where the body ends */
            uint64_t size = 0;
            const char *e = line;
            while (isxdigit((unsigned char)*e) && e - line < 16) {
                size = size * 16 + (uint64_t)(isdigit((unsigned char)*e)
                                                  ? *e - '0'
                                                  : (*e | 0x20) - 'a' + 10);
                e++;
            }
            while (*e == ' ' || *e == '\t')
                e++;
            if (e == line || !isxdigit((unsigned char)line[0]) ||
                (*e && *e != ';')) {
                http_conn_refuse(c, 400, "malformed chunked body");
                return -1;
            }
            if (size > c->srv->limits.max_body ||
                evbuffer_get_length(r->body) + size >
                    c->srv->limits.max_body) {
                http_conn_refuse(c, 413, "request body exceeds max_body_bytes");
                return -1;
            }
            r->remaining = (size_t)size;
            r->chunk_state = size ? CHUNK_DATA : CHUNK_TRAILER;
            break;
        }
        case CHUNK_DATA:
            http_take_body(c, r);
            if (r->remaining)
                return 0;
            r->chunk_state = CHUNK_DATA_END;
            break;
        case CHUNK_DATA_END:
            if ((rc = http_chunk_line(c, line, sizeof line)) <= 0)
                return rc;
            if (line[0]) {
                http_conn_refuse(c, 400, "malformed chunked body");
                return -1;
            }
            r->chunk_state = CHUNK_SIZE;
            break;
        default: /* trailers are read and dropped, up to the blank line */
            if ((rc = http_chunk_line(c, line, sizeof line)) <= 0)
                return rc;
            if (!line[0])
                return 1;
            r->trailer_bytes += strlen(line) + 2;
            if (r->trailer_bytes > c->srv->limits.max_headers) {
                http_conn_refuse(c, 431, "trailers exceed max_header_bytes");
                return -1;
            }
            break;
        }
    }
}

void
http_conn_parse(struct http_conn *c)
{
    c->parsing = 1;
    while (!c->closing && !c->failed) {
        if (c->state == HTTP_CONN_READ && http_read_head(c) <= 0)
            break;
        struct http_req *r = c->req;
        if (c->state == HTTP_CONN_BODY) {
            http_take_body(c, r);
            if (r->remaining)
                break;
            c->state = HTTP_CONN_HANDLING;
        }
        if (c->state == HTTP_CONN_CHUNKS) {
            if (http_read_chunks(c, r) <= 0)
                break;
            c->state = HTTP_CONN_HANDLING;
        }
        if (c->state != HTTP_CONN_HANDLING || r->dispatched)
            break;
        /* No timeout while the handler works: an answer may take longer
         * than client_timeout. (event_add with no time would keep the
         * one already set.) */
        event_remove_timer(c->rev);
        r->dispatched = 1;
        c->srv->handler(r, c->srv->arg);
        /* a reply completed at once leaves c reading the next request */
        if (c->state != HTTP_CONN_READ || evbuffer_get_length(c->in) == 0)
            break;
    }
    c->parsing = 0;
    /* The client sent all it will: what is left is no whole request. */
    if (c->peer_eof && c->state != HTTP_CONN_HANDLING && !c->closing &&
        !c->failed) {
        c->closing = 1;
        http_conn_later(c);
    }
}
