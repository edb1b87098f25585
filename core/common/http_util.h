/* Small helpers over evhttp shared by herd, herd-node and herd-sim. */
#ifndef HERD_COMMON_HTTP_UTIL_H
#define HERD_COMMON_HTTP_UTIL_H

#include <event2/http.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>

#include <herd/plugin.h> /* HERD_PRINTF */

/* Sends body (borrowed) as application/json with status code. */
void http_reply_json(struct evhttp_request *req, int code,
                     const json_object *body);

/* Sends {"error":"<message>"} (Ollama's error shape) with status code. */
void http_reply_error(struct evhttp_request *req, int code, const char *fmt,
                      ...) HERD_PRINTF(3, 4);

/* Sends {"error":{"message":..,"type":..,"param":null,"code":null}}
 * (OpenAI's error shape) with status code. */
void http_reply_openai_error(struct evhttp_request *req, int code,
                             const char *type, const char *fmt, ...)
    HERD_PRINTF(4, 5);

/* An error answer's body: {"error":"<message>"} (Ollama's shape), or with
 * type {"error":{"message":..,"type":type,"param":null,"code":null}}
 * (OpenAI's). A new reference. */
json_object *http_error_body(const char *type, const char *fmt, va_list ap);

/* The whole of a request body as one piece of text, or NULL with a
 * message fit for a 400 in err (empty, over limit bytes, no memory). */
const char *http_body_text(struct evbuffer *in, size_t limit, size_t *len,
                           char *err, size_t errlen);

/* Parses text as one JSON value (whitespace around it allowed). Returns a
 * new reference, or NULL with a message in err (not JSON, trailing data,
 * JSON null, over INT_MAX bytes). */
json_object *http_json_parse(const char *text, size_t len, char *err,
                             size_t errlen);

/* Parses the request body as one JSON value. Returns a new reference, or
 * NULL with a message fit for a 400 in err (empty body, too large, not
 * JSON, trailing data, null). */
json_object *http_body_json(struct evhttp_request *req, size_t limit,
                            char *err, size_t errlen);

/* The client address of req as text ("" when unknown). */
const char *http_peer_addr(struct evhttp_request *req);

/* Writes what evhttp queued for req's client to its socket at once,
 * instead of on the loop's next pass (evhttp waits for the socket to
 * report writable, even when it is). When everything went out, evhttp is
 * told as a drained socket would tell it, which completes the request
 * after its last write: req may be freed. Call it last, right after
 * evhttp_send_reply*, and touch req no more. A connection that closes
 * after the reply is left to evhttp. */
void http_write_now(struct evhttp_request *req);

/* Whether a started reply is chunked (HTTP/1.1). One that is not (an
 * HTTP/1.0 client's stream) can end, and its connection close, inside
 * evhttp_send_reply_end itself. */
int http_reply_chunked(struct evhttp_request *req);

/* Standard reason phrase for code ("OK", "Not Found", ...). */
const char *http_reason(int code);

#endif
