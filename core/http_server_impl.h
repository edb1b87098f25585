/* What the server's files share: the structures behind http_server.h. */
#ifndef HERD_HTTP_SERVER_IMPL_H
#define HERD_HTTP_SERVER_IMPL_H

#include "http_server.h"

#include "common/spares.h"

#include <stdalign.h>
#include <stddef.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>

/* One read; a request that is larger arrives over several. */
#define HTTP_READ_SIZE 16384
/* Bytes of a pipelined next request held while one is handled. */
#define HTTP_PIPELINE_MAX (256u << 10)
/* How long a closing connection waits for the client to close first. */
#define HTTP_LINGER_S 2
/* A request's own space for its headers and target: a proxied request's
 * take about a kilobyte; more is allocated. */
#define HTTP_REQ_ARENA 2048
/* Freed requests kept for the next ones. */
#define HTTP_REQ_SPARE HERD_SPARES(16)

enum http_conn_state {
    HTTP_CONN_READ,     /* waiting for, or reading, a request's head */
    HTTP_CONN_BODY,     /* reading a Content-Length body */
    HTTP_CONN_CHUNKS,   /* reading a chunked body */
    HTTP_CONN_HANDLING, /* the handler has the request */
};

struct http_req {
    struct http_conn *conn; /* NULL once detached */
    struct http_server *srv;
    struct http_req *dnext, *dprev; /* in srv->detached while detached */
    int detached;
    enum evhttp_cmd_type method;
    int minor; /* HTTP/1.minor */
    char *target;
    const char *path; /* in target's allocation, after it */
    struct evhttp_uri *uri;
    int uri_tried;
    struct evkeyvalq in, out;
    struct evbuffer *body;
    size_t remaining; /* body bytes still to come (chunked: of this chunk) */
    int chunk_state;  /* http_parse.c's position in a chunked body */
    size_t trailer_bytes;
    int expect_continue;
    int close_after; /* the connection closes once this reply is written */
    int dispatched;  /* the handler has it */
    int status;
    int started; /* the head is queued */
    int chunked; /* the reply is chunked */
    int ended;   /* the whole reply is queued */
    http_req_fn on_complete;
    void *on_complete_arg;
    struct http_req *spare_next; /* in srv->spare while unused */
    size_t arena_used;           /* http_headers.c: the arena's bytes taken */
    alignas(max_align_t) char arena[HTTP_REQ_ARENA];
};

struct http_conn {
    struct http_server *srv;
    struct http_conn *next, *prev;
    int fd;
    struct event *rev, *wev, *later;
    struct event *hup; /* the client's close, while reading waits */
    struct evbuffer *in, *out;
    enum http_conn_state state;
    struct http_req *req; /* being read or handled */
    http_conn_fn closecb;
    void *closearg;
    http_conn_fn drained; /* http_reply_chunk_then's callback */
    void *drained_arg;
    int drained_due; /* ... due on the next `later` */
    int closing;     /* close on the next `later` */
    int failed;      /* a write failed: close on the next `later` */
    int lingering;   /* half-closed, waiting for the client's close */
    time_t linger_until;
    int peer_eof;    /* the client closed its sending side */
    int parsing;     /* inside http_conn_parse */
    char peer[64];
};

struct http_server {
    struct event_base *base;
    http_handler_fn handler;
    void *arg;
    int fd;
    struct event *accept_ev;
    struct event *accept_rest; /* re-arms accept_ev after a pause */
    int accept_paused;
    struct http_limits limits;
    struct timeval timeout;
    http_refusal_headers_fn refusal_headers; /* may be NULL */
    void *refusal_arg;
    struct http_conn *conns;
    size_t conn_count;
    /* requests whose client left before their handler answered: freed by
     * that answer, or with the server */
    struct http_req *detached;
    struct http_req *spare; /* freed requests, for the next ones */
    size_t spare_count;
};

struct http_req *http_req_new(struct http_conn *c);
void http_req_free(struct http_req *r);
/* n bytes from r's arena while it has them, else from malloc; given back
 * with http_req_release, or dropped with the request. */
void *http_req_alloc(struct http_req *r, size_t n);
void http_req_release(struct http_req *r, void *p);
/* Appends a header to one of r's lists (copied; refused, -1, with a CR or
 * LF in the key, or in the value other than to fold a line). */
int http_headers_add(struct http_req *r, struct evkeyvalq *list,
                     const char *key, const char *value);
void http_headers_clear(struct http_req *r, struct evkeyvalq *list);
/* Parses what c has read; hands each complete request to the handler. */
void http_conn_parse(struct http_conn *c);
/* Writes what is queued at once; the rest waits for the write event. */
void http_conn_flush(struct http_conn *c);
/* Runs c's `later` event on the loop's next pass. */
void http_conn_later(struct http_conn *c);
/* An answer the server gives itself (a malformed or oversized request):
 * an Ollama-shaped JSON error, and the connection closes after it. */
void http_conn_refuse(struct http_conn *c, int code, const char *msg);

#endif
