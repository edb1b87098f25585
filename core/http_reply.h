/* JSON replies and request bodies on the router's HTTP server (the
 * evhttp forms in common/http_util.h serve herd-node and herd-sim). */
#ifndef HERD_HTTP_REPLY_H
#define HERD_HTTP_REPLY_H

#include <json-c/json.h>
#include <stddef.h>

#include <herd/plugin.h> /* HERD_PRINTF */

#include "http_server.h"

/* Sends body (borrowed) as application/json with status code. */
void http_send_json(struct http_req *req, int code, const json_object *body);

/* Sends {"error":"<message>"} (Ollama's error shape) with status code. */
void http_send_error(struct http_req *req, int code, const char *fmt, ...)
    HERD_PRINTF(3, 4);

/* Sends OpenAI's error shape with status code. */
void http_send_openai_error(struct http_req *req, int code, const char *type,
                            const char *fmt, ...) HERD_PRINTF(4, 5);

/* The request body as one JSON value (see http_body_json). */
json_object *http_req_json(struct http_req *req, size_t limit, char *err,
                           size_t errlen);

/* The client's address as text ("" once it left). */
const char *http_req_peer(const struct http_req *req);

#endif
