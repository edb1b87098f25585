/* The router's HTTP/1.1 server: requests in, replies out, on the loop.
 *
 * Written for the request path rather than taken from evhttp: a reply is
 * written to the socket as soon as it is queued (no pass through the loop
 * first), a request is read with one read() and parsed from one copy of
 * its head, and the reply's head is assembled without printf. Bodies are
 * evbuffers. Headers are evkeyvalq lists that evhttp_find_header reads;
 * they are kept in the request's own memory (http_headers.c), so the
 * reply's are added with http_req_add_header, never evhttp_add_header.
 *
 * Lifetimes follow evhttp's, which the handlers were written against:
 * - The server owns a request. After the reply is complete (its last byte
 *   written) the request is freed; touch it no more once a call that can
 *   complete it (http_reply, http_reply_end) returned.
 * - A connection that closes while its request is unanswered detaches the
 *   request (http_req_conn gives NULL), calls the close callback, and
 *   leaves the request to its handler: the next http_reply or
 *   http_reply_end frees it without writing.
 * - A close callback runs whenever the connection goes, answered or not;
 *   a handler clears it (NULL) once it no longer cares. While one is set,
 *   the client closing its sending side counts as leaving (a proxied
 *   request is cancelled at once); without one, the reply still goes out
 *   to a client that half-closed, and the connection closes after it.
 * Callbacks never run inside the call that triggered them, except
 * on_complete, which may run inside http_reply or http_reply_end. */
#ifndef HERD_HTTP_SERVER_H
#define HERD_HTTP_SERVER_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h> /* enum evhttp_cmd_type, evhttp_find_header */
#include <event2/keyvalq_struct.h>
#include <stddef.h>

struct http_server;
struct http_conn;
struct http_req;

typedef void (*http_handler_fn)(struct http_req *req, void *arg);
typedef void (*http_conn_fn)(struct http_conn *conn, void *arg);
typedef void (*http_req_fn)(struct http_req *req, void *arg);
/* Headers for a reply the server gives itself (413, a malformed body) to
 * a request whose head it read: in are the request's, add to out with
 * evhttp_add_header (a list of its own, cleared by the server). */
typedef void (*http_refusal_headers_fn)(const struct evkeyvalq *in,
                                        struct evkeyvalq *out, void *arg);

struct http_limits {
    size_t max_body;    /* a larger request body: 413, then close */
    size_t max_headers; /* a larger request line and headers: 431 */
    double timeout_s;   /* idle, reading a request or writing a reply */
};

struct http_server *http_server_new(struct event_base *base,
                                    http_handler_fn handler, void *arg);
/* Listens on host:port (port 0: any free port). Returns 0 or -errno. */
int http_server_listen(struct http_server *s, const char *host, int port);
int http_server_fd(const struct http_server *s);
void http_server_set_limits(struct http_server *s,
                            const struct http_limits *l);
void http_server_set_refusal_headers(struct http_server *s,
                                     http_refusal_headers_fn fn, void *arg);
/* Closes every connection (their close callbacks run) and the listener. */
void http_server_free(struct http_server *s);

/* ---- the request ---- */
enum evhttp_cmd_type http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);   /* before ? */
/* The target parsed (its query, ...); NULL when it does not parse. */
const struct evhttp_uri *http_req_uri(struct http_req *req);
const struct evkeyvalq *http_req_in_headers(const struct http_req *req);
struct evbuffer *http_req_body(struct http_req *req);
/* The reply's headers so far. */
const struct evkeyvalq *http_req_out_headers(const struct http_req *req);
/* Adds a reply header (copied). Returns 0, or -1 when memory runs out or
 * the key holds a CR or LF, or the value one that does not fold a line
 * (a header a client's text could otherwise forge). */
int http_req_add_header(struct http_req *req, const char *key,
                        const char *value);
/* As http_req_add_header, after removing every header of that name. */
int http_req_set_header(struct http_req *req, const char *key,
                        const char *value);
/* NULL once the client went away. */
struct http_conn *http_req_conn(const struct http_req *req);
/* Runs when the reply's last byte reached the socket, before the request
 * is freed; not when the connection went first. */
void http_req_set_on_complete(struct http_req *req, http_req_fn cb,
                              void *arg);

/* ---- the connection ---- */
void http_conn_set_closecb(struct http_conn *c, http_conn_fn cb, void *arg);
/* The client's address as text ("" when unknown). */
const char *http_conn_peer(const struct http_conn *c);
/* Reply bytes queued and not yet taken by the socket. */
size_t http_conn_output_length(const struct http_conn *c);

/* ---- the reply ----
 * Content-Length is added when missing (a HEAD reply keeps the one its
 * handler set, and no body is sent). body is drained (may be NULL). */
void http_reply(struct http_req *req, int code, const char *reason,
                struct evbuffer *body);
/* A reply whose length is not known: chunked for HTTP/1.1, else the body
 * runs to the connection's close. */
void http_reply_start(struct http_req *req, int code, const char *reason);
void http_reply_chunk(struct http_req *req, struct evbuffer *data);
/* As http_reply_chunk, and cb(conn, arg) runs once everything queued is
 * written (a later chunk or the end drops a callback not yet run). */
void http_reply_chunk_then(struct http_req *req, struct evbuffer *data,
                           http_conn_fn cb, void *arg);
void http_reply_end(struct http_req *req);

#endif
