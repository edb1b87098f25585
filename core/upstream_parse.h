/* A node's HTTP/1.x answer, parsed from the bytes read so far: the
 * status line and headers (1xx answers skipped), then the body by
 * Content-Length, chunked or until the connection closes, dechunked.
 * Pure: no I/O, no callbacks. The caller feeds an evbuffer and calls
 * upstream_parse_step until it asks for more bytes, acting on each event
 * in between (which is what keeps the caller's callbacks re-entrant). */
#ifndef HERD_CORE_UPSTREAM_PARSE_H
#define HERD_CORE_UPSTREAM_PARSE_H

#include <event2/buffer.h>
#include <stdint.h>

/* Longest status line plus headers (and chunked trailers), in total. */
#define UPSTREAM_PARSE_HEAD_MAX (64 * 1024)
/* Longest Content-Type kept; a longer one is cut. */
#define UPSTREAM_PARSE_CTYPE_MAX 256

enum upstream_parse_event {
    UPSTREAM_PARSE_MORE,  /* everything given was used: read more */
    UPSTREAM_PARSE_HEAD,  /* status and content_type are set */
    UPSTREAM_PARSE_BODY,  /* body bytes were moved to the body buffer */
    UPSTREAM_PARSE_END,   /* the answer is complete */
    UPSTREAM_PARSE_ERROR, /* not HTTP, bad framing, head too long: why */
};

struct upstream_parse {
    int state;   /* where in the answer (upstream_parse.c) */
    int framing; /* how a non-chunked body ends (upstream_parse.c) */
    int no_body; /* the request was HEAD */
    /* the answer's head, once HEAD was returned */
    int status;
    int keep_alive; /* the connection may carry another request */
    char content_type[UPSTREAM_PARSE_CTYPE_MAX];
    int has_content_type;
    const char *why; /* after an error */
    /* what the headers said so far */
    int http10, chunked, te_seen, has_length, conn_close, conn_keep_alive;
    uint64_t length;   /* Content-Length, then what is left of it */
    uint64_t chunk;    /* what is left of the current chunk */
    size_t head_bytes; /* of heads and trailers so far */
};

/* Ready for the answer to one request; head: the request was HEAD. */
void upstream_parse_init(struct upstream_parse *p, int head);

/* Consumes bytes from in; body bytes go to body before BODY is returned:
 * all there are, but no more than one chunk of a chunked answer (callers
 * see a streamed answer's lines as the node flushed them, one at a time;
 * a piece of a chunk comes out as soon as it is read). After END or ERROR
 * it returns the same again and consumes nothing. */
enum upstream_parse_event upstream_parse_step(struct upstream_parse *p,
                                              struct evbuffer *in,
                                              struct evbuffer *body);

/* The connection closed with everything given consumed: 1 when that
 * completes the answer (a body delimited by the close), else 0. */
int upstream_parse_eof(struct upstream_parse *p);

#endif
