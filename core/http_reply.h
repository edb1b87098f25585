/* JSON replies and request bodies on the router's HTTP server. */
#ifndef HERD_HTTP_REPLY_H
#define HERD_HTTP_REPLY_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stddef.h>

#include <herd/plugin.h> /* HERD_PRINTF */

#include "http_server.h"

/* An error answer's body: {"error":"<message>"} (Ollama's shape), or with
 * type {"error":{"message":..,"type":type,"param":null,"code":null}}
 * (OpenAI's). A new reference. */
json_object *http_error_body(const char *type, const char *fmt, va_list ap);

/* Sends body (borrowed) as application/json with status code. A HEAD
 * request gets the headers alone, Content-Length included (the server
 * drops the body). */
void http_send_json(struct http_req *req, int code, const json_object *body);

/* Sends text as text/plain; charset=utf-8 with status code. */
void http_send_text(struct http_req *req, int code, const char *text);

/* Sends {"error":"<message>"} (Ollama's error shape) with status code. */
void http_send_error(struct http_req *req, int code, const char *fmt, ...)
    HERD_PRINTF(3, 4);

/* Sends OpenAI's error shape with status code. */
void http_send_openai_error(struct http_req *req, int code, const char *type,
                            const char *fmt, ...) HERD_PRINTF(4, 5);

/* The request body's text, made contiguous (not NUL-terminated; valid
 * while req is and its body unchanged), with its length in *len. NULL
 * with a message fit for a 400 in err when empty or over limit bytes. */
const char *http_req_text(struct http_req *req, size_t limit, size_t *len,
                          char *err, size_t errlen);

/* Parses the request body as one JSON value. Returns a new reference, or
 * NULL with a message fit for a 400 in err (empty body, over limit bytes,
 * not JSON, trailing data, null). */
json_object *http_req_json(struct http_req *req, size_t limit, char *err,
                           size_t errlen);

/* The client's address as text ("" once it left). */
const char *http_req_peer(const struct http_req *req);

#endif
