/* JSON replies and request bodies on the router's HTTP server. */
#include "autoconfig.h"

#include "http_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/http_util.h"

json_object *
http_error_body(const char *type, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_object *err;
    if (type) {
        err = json_object_new_object();
        json_object_object_add(err, "message", json_object_new_string(msg));
        json_object_object_add(err, "type", json_object_new_string(type));
        json_object_object_add(err, "param", NULL);
        json_object_object_add(err, "code", NULL);
    } else {
        err = json_object_new_string(msg);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", err);
    return o;
}

/* Sends len bytes of text as ctype with status code; 503 when even that
 * cannot be had, so the client is not left waiting. */
static void
http_send_body(struct http_req *req, int code, const char *ctype,
               const char *text, size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    if (!buf || evbuffer_add(buf, text, len) != 0) {
        if (buf)
            evbuffer_free(buf);
        http_reply(req, 503, NULL, NULL);
        return;
    }
    http_req_set_header(req, "Content-Type", ctype);
    http_reply(req, code, NULL, buf);
    evbuffer_free(buf);
}

void
http_send_json(struct http_req *req, int code, const json_object *body)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        (json_object *)body,
        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    http_send_body(req, code, "application/json; charset=utf-8", text, len);
}

void
http_send_text(struct http_req *req, int code, const char *text)
{
    http_send_body(req, code, "text/plain; charset=utf-8", text,
                   strlen(text));
}

void
http_send_error(struct http_req *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_object *o = http_error_body(NULL, fmt, ap);
    va_end(ap);
    http_send_json(req, code, o);
    json_object_put(o);
}

void
http_send_openai_error(struct http_req *req, int code, const char *type,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_object *o = http_error_body(type, fmt, ap);
    va_end(ap);
    http_send_json(req, code, o);
    json_object_put(o);
}

const char *
http_req_text(struct http_req *req, size_t limit, size_t *len, char *err,
              size_t errlen)
{
    struct evbuffer *in = http_req_body(req);
    *len = evbuffer_get_length(in);
    if (*len == 0) {
        snprintf(err, errlen, "missing request body");
        return NULL;
    }
    if (*len > limit) {
        snprintf(err, errlen, "request body of %zu bytes exceeds %zu", *len,
                 limit);
        return NULL;
    }
    const char *text = (const char *)evbuffer_pullup(in, -1);
    if (!text)
        snprintf(err, errlen, "out of memory");
    return text;
}

json_object *
http_req_json(struct http_req *req, size_t limit, char *err, size_t errlen)
{
    size_t len;
    const char *text = http_req_text(req, limit, &len, err, errlen);
    return text ? http_json_parse(text, len, err, errlen) : NULL;
}

const char *
http_req_peer(const struct http_req *req)
{
    const struct http_conn *c = http_req_conn(req);
    return c ? http_conn_peer(c) : "";
}
