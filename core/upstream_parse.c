/* The answer parser (see upstream_parse.h): lines are found with
 * evbuffer_search_eol (CRLF or a bare LF) and read in place; body bytes
 * move to the body buffer with evbuffer_remove_buffer, which hands over
 * whole chains without copying them where it can. */
#include "autoconfig.h"

#include "upstream_parse.h"

#include <string.h>
#include <strings.h>

/* A chunk-size line with its extensions; longer is not a chunk size. */
#define UPSTREAM_PARSE_CHUNK_LINE_MAX 4096

enum {
    ST_STATUS,     /* the status line */
    ST_HEADERS,    /* header lines, to the empty one */
    ST_BODY,       /* body, framed by ->framing */
    ST_CHUNK_SIZE, /* a chunk-size line */
    ST_CHUNK_DATA, /* ->chunk bytes of data */
    ST_CHUNK_END,  /* the CRLF after a chunk's data */
    ST_TRAILERS,   /* trailer lines after the last chunk, to the empty one */
    ST_DONE,
    ST_ERROR,
};

enum {
    FRAME_LENGTH, /* Content-Length bytes */
    FRAME_CLOSE,  /* until the node closes */
};

static void
upstream_parse_reset_head(struct upstream_parse *p)
{
    p->status = 0;
    p->http10 = 0;
    p->chunked = p->te_seen = p->has_length = 0;
    p->conn_close = p->conn_keep_alive = 0;
    p->length = 0;
    p->has_content_type = 0;
    p->content_type[0] = '\0';
}

void
upstream_parse_init(struct upstream_parse *p, int head)
{
    memset(p, 0, sizeof *p);
    p->no_body = head;
    p->state = ST_STATUS;
}

static enum upstream_parse_event
upstream_parse_fail(struct upstream_parse *p, const char *why)
{
    p->state = ST_ERROR;
    p->why = why;
    p->keep_alive = 0;
    return UPSTREAM_PARSE_ERROR;
}

/* The next complete line in in: its length (without the line end) in
 * *len and its bytes, or NULL when none is complete yet. *used is what to
 * drain once the line has been read. */
static const char *
upstream_parse_line(struct evbuffer *in, size_t *len, size_t *used)
{
    size_t eol_len = 0;
    struct evbuffer_ptr at =
        evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
    if (at.pos < 0)
        return NULL;
    *len = (size_t)at.pos;
    *used = *len + eol_len;
    return (const char *)evbuffer_pullup(in, (ev_ssize_t)*used);
}

static int
upstream_parse_is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
upstream_parse_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int
upstream_parse_name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Calls fn for each comma-separated token of a header value, trimmed. */
static void
upstream_parse_tokens(struct upstream_parse *p, const char *v, size_t n,
                      void (*fn)(struct upstream_parse *, const char *, size_t))
{
    size_t i = 0;
    while (i <= n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (start < end && upstream_parse_is_ows(v[start]))
            start++;
        while (end > start && upstream_parse_is_ows(v[end - 1]))
            end--;
        fn(p, v + start, end - start);
        i++;
    }
}

static void
upstream_parse_connection_token(struct upstream_parse *p, const char *t,
                                size_t n)
{
    if (upstream_parse_name_is(t, n, "close"))
        p->conn_close = 1;
    else if (upstream_parse_name_is(t, n, "keep-alive"))
        p->conn_keep_alive = 1;
}

/* Only the last coding counts: chunked must be the final one. */
static void
upstream_parse_coding_token(struct upstream_parse *p, const char *t, size_t n)
{
    if (n > 0)
        p->chunked = upstream_parse_name_is(t, n, "chunked");
}

/* "HTTP/1.x NNN[ reason]" */
static int
upstream_parse_status_line(struct upstream_parse *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1'))
        return -1;
    if (s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
        s[11] < '0' || s[11] > '9')
        return -1;
    if (n > 12 && s[12] != ' ')
        return -1;
    p->http10 = s[7] == '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    return 0;
}

static int
upstream_parse_length(struct upstream_parse *p, const char *v, size_t n)
{
    uint64_t len = 0;
    if (n == 0 || n > 18) /* 18 digits cannot overflow */
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        len = len * 10 + (uint64_t)(v[i] - '0');
    }
    if (p->has_length && p->length != len)
        return -1;
    p->has_length = 1;
    p->length = len;
    return 0;
}

static int
upstream_parse_header_line(struct upstream_parse *p, const char *s, size_t n)
{
    size_t colon = 0;
    while (colon < n && upstream_parse_is_tchar((unsigned char)s[colon]))
        colon++;
    if (colon == 0 || colon == n || s[colon] != ':')
        return -1; /* folded lines (leading space) end up here too */
    const char *v = s + colon + 1;
    size_t vn = n - colon - 1;
    while (vn > 0 && upstream_parse_is_ows(*v)) {
        v++;
        vn--;
    }
    while (vn > 0 && upstream_parse_is_ows(v[vn - 1]))
        vn--;
    if (upstream_parse_name_is(s, colon, "Content-Length"))
        return upstream_parse_length(p, v, vn);
    if (upstream_parse_name_is(s, colon, "Transfer-Encoding")) {
        p->te_seen = 1;
        upstream_parse_tokens(p, v, vn, upstream_parse_coding_token);
    } else if (upstream_parse_name_is(s, colon, "Connection")) {
        upstream_parse_tokens(p, v, vn, upstream_parse_connection_token);
    } else if (upstream_parse_name_is(s, colon, "Content-Type")) {
        if (vn >= sizeof p->content_type)
            vn = sizeof p->content_type - 1;
        memcpy(p->content_type, v, vn);
        p->content_type[vn] = '\0';
        p->has_content_type = 1;
    }
    return 0;
}

/* The empty line after a final answer's headers: how its body ends. */
static void
upstream_parse_head_done(struct upstream_parse *p)
{
    p->keep_alive =
        p->http10 ? p->conn_keep_alive && !p->conn_close : !p->conn_close;
    if (p->no_body || p->status == 204 || p->status == 304) {
        p->state = ST_DONE;
    } else if (p->te_seen) {
        /* both framings at once is ambiguous: do not reuse */
        if (p->has_length)
            p->keep_alive = 0;
        if (p->chunked) {
            p->state = ST_CHUNK_SIZE;
        } else {
            p->state = ST_BODY;
            p->framing = FRAME_CLOSE;
        }
    } else if (p->has_length) {
        p->state = p->length > 0 ? ST_BODY : ST_DONE;
        p->framing = FRAME_LENGTH;
    } else {
        p->state = ST_BODY;
        p->framing = FRAME_CLOSE;
    }
    if (p->state == ST_BODY && p->framing == FRAME_CLOSE)
        p->keep_alive = 0;
}

/* Whether the bytes so far can still begin "HTTP/": garbage fails at
 * once instead of when a line end or the size limit comes. */
static int
upstream_parse_starts_http(struct evbuffer *in)
{
    char start[5];
    ev_ssize_t n = evbuffer_copyout(in, start, sizeof start);
    return n <= 0 || memcmp(start, "HTTP/", (size_t)n) == 0;
}

/* Status line and headers; returns HEAD once a final answer's head is
 * complete. */
static enum upstream_parse_event
upstream_parse_head(struct upstream_parse *p, struct evbuffer *in)
{
    for (;;) {
        size_t len, used;
        if (p->state == ST_STATUS && !upstream_parse_starts_http(in))
            return upstream_parse_fail(p, "not an HTTP answer");
        const char *line = upstream_parse_line(in, &len, &used);
        if (!line) {
            if (p->head_bytes + evbuffer_get_length(in) >
                UPSTREAM_PARSE_HEAD_MAX)
                return upstream_parse_fail(p, "headers too long");
            return UPSTREAM_PARSE_MORE;
        }
        p->head_bytes += used;
        if (p->head_bytes > UPSTREAM_PARSE_HEAD_MAX)
            return upstream_parse_fail(p, "headers too long");
        if (p->state == ST_STATUS) {
            upstream_parse_reset_head(p);
            if (upstream_parse_status_line(p, line, len) != 0)
                return upstream_parse_fail(p, "bad status line");
            if (p->status == 101)
                return upstream_parse_fail(p, "unasked protocol switch");
            p->state = ST_HEADERS;
        } else if (len > 0) {
            if (upstream_parse_header_line(p, line, len) != 0)
                return upstream_parse_fail(p, "bad header line");
        } else if (p->status < 200) {
            p->state = ST_STATUS; /* 1xx: the real answer follows */
        } else {
            evbuffer_drain(in, used);
            upstream_parse_head_done(p);
            return UPSTREAM_PARSE_HEAD;
        }
        evbuffer_drain(in, used);
    }
}

static int
upstream_parse_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "HEX[ ][;extensions]" */
static int
upstream_parse_chunk_size(struct upstream_parse *p, const char *s, size_t n)
{
    size_t i = 0;
    uint64_t size = 0;
    for (; i < n && upstream_parse_hex(s[i]) >= 0; i++) {
        if (i >= 15) /* 15 hex digits cannot overflow */
            return -1;
        size = size * 16 + (uint64_t)upstream_parse_hex(s[i]);
    }
    if (i == 0)
        return -1;
    while (i < n && upstream_parse_is_ows(s[i]))
        i++;
    if (i < n && s[i] != ';')
        return -1;
    p->chunk = size;
    return 0;
}

/* Moves up to want bytes of body; returns how many. */
static size_t
upstream_parse_move(struct evbuffer *in, struct evbuffer *body, uint64_t want)
{
    size_t n = evbuffer_get_length(in);
    if ((uint64_t)n > want)
        n = (size_t)want;
    if (n > 0 && evbuffer_remove_buffer(in, body, n) != (int)n)
        return 0;
    return n;
}

/* One state of the body; returns 1 to go on, 0 when it needs more bytes
 * (or the answer is done), -1 on an error. */
static int
upstream_parse_body_state(struct upstream_parse *p, struct evbuffer *in,
                          struct evbuffer *body, size_t *moved)
{
    size_t len, used, n;
    const char *line;
    switch (p->state) {
    case ST_BODY:
        if (p->framing == FRAME_CLOSE) {
            *moved += upstream_parse_move(in, body, UINT64_MAX);
            return 0;
        }
        n = upstream_parse_move(in, body, p->length);
        *moved += n;
        p->length -= n;
        if (p->length == 0)
            p->state = ST_DONE;
        return 0;
    case ST_CHUNK_SIZE:
        line = upstream_parse_line(in, &len, &used);
        if (!line) {
            if (evbuffer_get_length(in) > UPSTREAM_PARSE_CHUNK_LINE_MAX) {
                p->why = "chunk size line too long";
                return -1;
            }
            return 0;
        }
        if (upstream_parse_chunk_size(p, line, len) != 0) {
            p->why = "bad chunk size";
            return -1;
        }
        evbuffer_drain(in, used);
        p->state = p->chunk > 0 ? ST_CHUNK_DATA : ST_TRAILERS;
        return 1;
    case ST_CHUNK_DATA:
        n = upstream_parse_move(in, body, p->chunk);
        *moved += n;
        p->chunk -= n;
        if (p->chunk == 0)
            p->state = ST_CHUNK_END;
        return 0; /* one chunk per BODY: as the node sent them */
    case ST_CHUNK_END:
        line = upstream_parse_line(in, &len, &used);
        if (!line || len > 0) {
            /* anything but a line end here is framing gone wrong */
            if (line || evbuffer_get_length(in) > 1 ||
                (evbuffer_get_length(in) == 1 &&
                 *evbuffer_pullup(in, 1) != '\r')) {
                p->why = "chunk data not followed by a line end";
                return -1;
            }
            return 0;
        }
        evbuffer_drain(in, used);
        p->state = ST_CHUNK_SIZE;
        return 1;
    case ST_TRAILERS:
        line = upstream_parse_line(in, &len, &used);
        if (!line) {
            if (p->head_bytes + evbuffer_get_length(in) >
                UPSTREAM_PARSE_HEAD_MAX) {
                p->why = "trailers too long";
                return -1;
            }
            return 0;
        }
        p->head_bytes += used;
        if (p->head_bytes > UPSTREAM_PARSE_HEAD_MAX) {
            p->why = "trailers too long";
            return -1;
        }
        evbuffer_drain(in, used);
        if (len == 0)
            p->state = ST_DONE; /* trailer fields themselves are ignored */
        return 1;
    default:
        return 0;
    }
}

enum upstream_parse_event
upstream_parse_step(struct upstream_parse *p, struct evbuffer *in,
                    struct evbuffer *body)
{
    if (p->state == ST_ERROR)
        return UPSTREAM_PARSE_ERROR;
    if (p->state == ST_DONE)
        return UPSTREAM_PARSE_END;
    if (p->state == ST_STATUS || p->state == ST_HEADERS)
        return upstream_parse_head(p, in);
    size_t moved = 0;
    int rc;
    while ((rc = upstream_parse_body_state(p, in, body, &moved)) > 0)
        ;
    if (rc < 0) {
        const char *why = p->why;
        upstream_parse_fail(p, why);
        /* the good bytes before the error go out first */
        return moved > 0 ? UPSTREAM_PARSE_BODY : UPSTREAM_PARSE_ERROR;
    }
    if (moved > 0)
        return UPSTREAM_PARSE_BODY;
    return p->state == ST_DONE ? UPSTREAM_PARSE_END : UPSTREAM_PARSE_MORE;
}

int
upstream_parse_eof(struct upstream_parse *p)
{
    return p->state == ST_DONE ||
           (p->state == ST_BODY && p->framing == FRAME_CLOSE);
}
