/* The answer parser, fed every answer three ways (byte by byte, in
 * pieces of 7, in one piece) that must all agree: Content-Length,
 * chunked with extensions and trailers, close-delimited, 1xx skipped, no
 * body for HEAD/204/304, the keep-alive rules, malformed answers and the
 * header limit. */
#include "autoconfig.h"

#include "tap.h"
#include "upstream_parse.h"

#include <stdlib.h>
#include <string.h>

enum { END_MORE, END_DONE, END_ERROR };

struct outcome {
    int heads, bodies, end, status, keep_alive, eof_ok, body_before_end;
    char ctype[UPSTREAM_PARSE_CTYPE_MAX];
    char body[4096];
    size_t body_len, left;
};

static void
run(const char *text, size_t len, int head, size_t piece, struct outcome *o)
{
    struct upstream_parse p;
    struct evbuffer *in = evbuffer_new(), *body = evbuffer_new();
    memset(o, 0, sizeof *o);
    o->status = -1;
    upstream_parse_init(&p, head);
    for (size_t at = 0; at < len && o->end == END_MORE; at += piece) {
        evbuffer_add(in, text + at, len - at < piece ? len - at : piece);
        for (;;) {
            enum upstream_parse_event ev = upstream_parse_step(&p, in, body);
            if (ev == UPSTREAM_PARSE_MORE)
                break;
            if (ev == UPSTREAM_PARSE_HEAD) {
                o->heads++;
                o->status = p.status;
                o->keep_alive = p.keep_alive;
                snprintf(o->ctype, sizeof o->ctype, "%s",
                         p.has_content_type ? p.content_type : "(none)");
                continue;
            }
            if (ev == UPSTREAM_PARSE_BODY) {
                size_t n = evbuffer_get_length(body);
                if (o->body_len + n < sizeof o->body)
                    evbuffer_remove(body, o->body + o->body_len, n);
                o->body_len += n;
                evbuffer_drain(body, evbuffer_get_length(body));
                o->bodies++;
                /* streamed: bytes arrive while the answer is incomplete */
                if (at + piece < len)
                    o->body_before_end = 1;
                continue;
            }
            o->end = ev == UPSTREAM_PARSE_END ? END_DONE : END_ERROR;
            /* the end is sticky and consumes nothing more */
            size_t before = evbuffer_get_length(in);
            if (upstream_parse_step(&p, in, body) != ev ||
                evbuffer_get_length(in) != before)
                o->end = -100;
            break;
        }
    }
    o->keep_alive = p.keep_alive;
    o->left = evbuffer_get_length(in);
    o->eof_ok = upstream_parse_eof(&p);
    o->body[o->body_len < sizeof o->body ? o->body_len : 0] = '\0';
    evbuffer_free(in);
    evbuffer_free(body);
}

/* Runs text three ways; returns the one-piece outcome in o and whether
 * the others agreed with it. */
static int
run_all(const char *text, int head, struct outcome *o)
{
    size_t len = strlen(text);
    struct outcome a, b;
    run(text, len, head, 1, &a);
    run(text, len, head, 7, &b);
    run(text, len, head, len ? len : 1, o);
    return a.end == o->end && b.end == o->end && a.status == o->status &&
           b.status == o->status && a.keep_alive == o->keep_alive &&
           b.keep_alive == o->keep_alive && a.eof_ok == o->eof_ok &&
           a.body_len == o->body_len && b.body_len == o->body_len &&
           strcmp(a.body, o->body) == 0 && strcmp(b.body, o->body) == 0 &&
           strcmp(a.ctype, o->ctype) == 0 && a.heads == o->heads &&
           a.left == o->left;
}

static void
expect_error(const char *text, const char *what)
{
    size_t len = strlen(text), pieces[] = {1, 7, len};
    int errors = 0;
    for (size_t i = 0; i < 3; i++) {
        struct outcome o;
        run(text, len, 0, pieces[i], &o);
        errors += o.end == END_ERROR;
    }
    ok(errors == 3, "error: %s", what);
}

static void
test_content_length(void)
{
    struct outcome o;
    ok(run_all("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "Content-Length: 5\r\nX-Other: y\r\n\r\nhello",
               0, &o),
       "content-length: every feeding agrees");
    is_int(o.end, END_DONE, "content-length: complete");
    is_int(o.heads, 1, "content-length: one head");
    is_int(o.status, 200, "content-length: status");
    is_str(o.ctype, "application/json", "content-length: content type");
    is_str(o.body, "hello", "content-length: body");
    ok(o.keep_alive && o.left == 0, "content-length: reusable, nothing left");

    struct outcome b;
    const char *ten = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    run(ten, strlen(ten), 0, 1, &b);
    ok(b.bodies > 1 && b.body_before_end,
       "content-length: fed bytewise, body bytes come before the end");

    run_all("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 0, &o);
    ok(o.end == END_DONE && o.left == 8 && strcmp(o.body, "ok") == 0,
       "content-length: bytes after the answer are left unread");

    run_all("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, &o);
    ok(o.end == END_DONE && o.body_len == 0 && o.keep_alive,
       "content-length 0: ends with the head");

    run_all("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n"
            "\r\nabc",
            0, &o);
    ok(o.end == END_DONE && strcmp(o.body, "abc") == 0,
       "a repeated equal Content-Length is accepted");

    run_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, &o);
    ok(o.end == END_MORE && !o.eof_ok,
       "content-length: a close before the end truncates the answer");

    run_all("HTTP/1.1 404 Not Found\ncontent-type:text/plain \n"
            "content-length:   2\n\nno",
            0, &o);
    ok(o.end == END_DONE && o.status == 404 &&
           strcmp(o.ctype, "text/plain") == 0 && strcmp(o.body, "no") == 0,
       "bare LF line ends, any case, whitespace around values");

    run_all("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 0, &o);
    ok(o.end == END_DONE && o.status == 200, "a status without a reason");
}

static void
test_chunked(void)
{
    struct outcome o;
    ok(run_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
               "Content-Type: application/x-ndjson\r\n\r\n"
               "5;name=value\r\nhello\r\n6 ; x\r\n world\r\n"
               "A\r\n0123456789\r\n0;last\r\nX-Trailer: a\r\nY: b\r\n\r\n",
               0, &o),
       "chunked: every feeding agrees");
    ok(o.end == END_DONE && o.left == 0, "chunked: complete");
    is_str(o.body, "hello world0123456789",
           "chunked: dechunked, extensions and trailers dropped");
    ok(o.keep_alive, "chunked: reusable");
    is_int(o.bodies, 3, "chunked: one body event per chunk");
    is_str(o.ctype, "application/x-ndjson", "chunked: content type");

    struct outcome b;
    const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
    run(s, strlen(s), 0, 1, &b);
    ok(b.end == END_DONE && b.body_before_end && b.bodies >= 2,
       "chunked: fed bytewise, data comes out before the end");

    run_all("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, chunked\n\n"
            "2\nab\n0\n\n",
            0, &o);
    ok(o.end == END_DONE && strcmp(o.body, "ab") == 0,
       "chunked as the last coding, bare LF line ends");

    run_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "4\r\nabcd\r\n",
            0, &o);
    ok(o.end == END_MORE && !o.eof_ok && strcmp(o.body, "abcd") == 0,
       "chunked: a close before the last chunk truncates the answer");

    run_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
            "Content-Length: 4\r\n\r\n2\r\nab\r\n0\r\n\r\n",
            0, &o);
    ok(o.end == END_DONE && strcmp(o.body, "ab") == 0 && !o.keep_alive,
       "chunked wins over Content-Length, and the connection is not reused");

    run_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "2\r\nab\r\nzz\r\n",
            0, &o);
    ok(o.end == END_ERROR && strcmp(o.body, "ab") == 0,
       "chunked: the good chunk is given before the bad size fails");
}

static void
test_close_delimited(void)
{
    struct outcome o;
    ok(run_all("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc\ndef", 0,
               &o),
       "close-delimited: every feeding agrees");
    ok(o.end == END_MORE && strcmp(o.body, "abc\ndef") == 0,
       "close-delimited: the body flows until the close");
    ok(o.eof_ok, "close-delimited: the close completes it");
    ok(!o.keep_alive, "close-delimited: never reused");

    run_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", 0, &o);
    ok(o.end == END_MORE && o.eof_ok && !o.keep_alive,
       "a coding other than chunked last: until the close");
}

static void
test_no_body(void)
{
    struct outcome o;
    ok(run_all("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
               "Link: </a>\r\n\r\nHTTP/1.1 201 Created\r\n"
               "Content-Length: 2\r\n\r\nok",
               0, &o),
       "1xx: every feeding agrees");
    ok(o.heads == 1 && o.status == 201 && strcmp(o.body, "ok") == 0 &&
           o.end == END_DONE,
       "1xx answers are skipped; the final one is the head");

    run_all("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, &o);
    ok(o.end == END_DONE && o.heads == 1 && o.body_len == 0 && o.keep_alive,
       "HEAD: no body despite Content-Length");
    run_all("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0, &o);
    ok(o.end == END_DONE && o.status == 204 && o.keep_alive, "204: no body");
    run_all("HTTP/1.1 304 Not Modified\r\n\r\n", 0, &o);
    ok(o.end == END_DONE && o.status == 304 && o.keep_alive,
       "304: no body, no framing needed");
    run_all("HTTP/1.1 200 OK\r\n\r\n", 0, &o);
    ok(o.end == END_MORE && strcmp(o.ctype, "(none)") == 0,
       "no Content-Type: none given");
}

static void
test_keep_alive(void)
{
    struct {
        const char *head;
        int keep;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
         0},
        {"HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\n"
         "Content-Length: 0\r\n\r\n",
         0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n"
         "\r\n",
         1},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n"
         "Content-Length: 0\r\n\r\n",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct outcome o;
        run_all(cases[i].head, 0, &o);
        ok(o.end == END_DONE && o.keep_alive == cases[i].keep,
           "keep-alive rule %zu: %s", i, cases[i].keep ? "reuse" : "close");
    }
}

static void
test_malformed(void)
{
    expect_error("garbage\r\n\r\n", "not HTTP");
    expect_error("SSH-2.0-OpenSSH_9.2\r\n", "another protocol");
    expect_error("HTTP/2 200\r\n\r\n", "HTTP/2 status line");
    expect_error("HTTP/1.2 200 OK\r\n\r\n", "unknown minor version");
    expect_error("HTTP/1.1 20 OK\r\n\r\n", "two-digit status");
    expect_error("HTTP/1.1 2000 OK\r\n\r\n", "four-digit status");
    expect_error("HTTP/1.1 600 Odd\r\n\r\n", "status out of range");
    expect_error("HTTP/1.1 200OK\r\n\r\n", "no space after the status");
    expect_error("HTTP/1.1 101 Switching Protocols\r\n\r\n",
                 "a protocol switch nobody asked for");
    expect_error("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
                 "header without a colon");
    expect_error("HTTP/1.1 200 OK\r\n: value\r\n\r\n", "empty header name");
    expect_error("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
                 "folded header line");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
                 "Content-Length not a number");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                 "negative Content-Length");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n"
                 "\r\n",
                 "Content-Length too large");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                 "Content-Length: 6\r\n\r\n",
                 "two different Content-Lengths");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "zz\r\n",
                 "chunk size not hex");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "\r\n",
                 "empty chunk size");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5 x\r\nhello\r\n",
                 "junk after the chunk size");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "10000000000000000\r\n",
                 "chunk size overflows");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhelloXY\r\n0\r\n\r\n",
                 "chunk data longer than its size");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\rX",
                 "a bare CR after chunk data");

    /* garbage fails on its first byte, not at a line end */
    struct outcome o;
    run("X", 1, 0, 1, &o);
    is_int(o.end, END_ERROR, "garbage fails without waiting for a line end");
    run("HTT", 3, 0, 1, &o);
    is_int(o.end, END_MORE, "the start of a status line waits for more");
}

/* A head of exactly total bytes: a status line, one filler header and
 * Content-Length: 0. */
static char *
head_of(size_t total)
{
    const char *start = "HTTP/1.1 200 OK\r\nX: ";
    const char *end = "\r\nContent-Length: 0\r\n\r\n";
    size_t fill = total - strlen(start) - strlen(end);
    char *s = malloc(total + 1);
    if (!s)
        return NULL;
    strcpy(s, start);
    memset(s + strlen(start), 'a', fill);
    strcpy(s + strlen(start) + fill, end);
    return s;
}

static void
test_limits(void)
{
    struct outcome o;
    char *at = head_of(UPSTREAM_PARSE_HEAD_MAX);
    char *over = head_of(UPSTREAM_PARSE_HEAD_MAX + 1);
    if (!at || !over)
        abort();
    run(at, strlen(at), 0, strlen(at), &o);
    ok(o.end == END_DONE && o.status == 200, "a head of exactly the limit");
    run(at, strlen(at), 0, 1000, &o);
    ok(o.end == END_DONE, "a head of exactly the limit, in pieces");
    run(over, strlen(over), 0, strlen(over), &o);
    is_int(o.end, END_ERROR, "a head one byte over the limit");
    run(over, strlen(over), 0, 1000, &o);
    is_int(o.end, END_ERROR, "a head one byte over the limit, in pieces");
    /* a line that never ends fails at the limit, not at a line end */
    memset(over, 'a', strlen(over));
    memcpy(over, "HTTP/1.1 200 OK\r\nX: ", 20);
    run(over, strlen(over), 0, 4096, &o);
    is_int(o.end, END_ERROR, "an endless header line fails at the limit");
    free(at);
    free(over);

    /* trailers count against the same limit */
    size_t n = UPSTREAM_PARSE_HEAD_MAX + 100;
    char *t = malloc(n + 200);
    if (!t)
        abort();
    strcpy(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ");
    size_t off = strlen(t);
    memset(t + off, 'b', n);
    strcpy(t + off + n, "\r\n\r\n");
    run(t, strlen(t), 0, 4096, &o);
    is_int(o.end, END_ERROR, "trailers over the limit");

    /* a chunk-size line, extensions included, is bounded too */
    strcpy(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;e=");
    off = strlen(t);
    memset(t + off, 'c', 5000);
    strcpy(t + off + 5000, "\r\nx\r\n0\r\n\r\n");
    run(t, strlen(t), 0, 512, &o);
    is_int(o.end, END_ERROR, "an endless chunk-size line");
    free(t);

    char ct[600] = "HTTP/1.1 200 OK\r\nContent-Type: ";
    off = strlen(ct);
    memset(ct + off, 'd', 400);
    strcpy(ct + off + 400, "\r\nContent-Length: 0\r\n\r\n");
    run(ct, strlen(ct), 0, strlen(ct), &o);
    ok(o.end == END_DONE && strlen(o.ctype) == UPSTREAM_PARSE_CTYPE_MAX - 1,
       "a Content-Type longer than kept is cut");
}

int
main(void)
{
    test_content_length();
    test_chunked();
    test_close_delimited();
    test_no_body();
    test_keep_alive();
    test_malformed();
    test_limits();
    return done_testing();
}
