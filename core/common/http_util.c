/* evhttp reply and body helpers. */
#include "autoconfig.h"

#include "common/http_util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>

const char *
http_reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return code < 400 ? "OK" : "Error";
    }
}

void
http_reply_json(struct evhttp_request *req, int code, const json_object *body)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        (json_object *)body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
        &len);
    struct evbuffer *buf = evbuffer_new();
    if (!buf || evbuffer_add(buf, text, len) != 0) {
        /* Still answer, so the client is not left waiting. */
        if (buf)
            evbuffer_free(buf);
        evhttp_send_reply(req, 503, http_reason(503), NULL);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_remove_header(h, "Content-Type");
    evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
    evhttp_send_reply(req, code, http_reason(code), buf);
    evbuffer_free(buf);
}

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

void
http_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_object *o = http_error_body(NULL, fmt, ap);
    va_end(ap);
    http_reply_json(req, code, o);
    json_object_put(o);
}

void
http_reply_openai_error(struct evhttp_request *req, int code, const char *type,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_object *o = http_error_body(type, fmt, ap);
    va_end(ap);
    http_reply_json(req, code, o);
    json_object_put(o);
}

/* Making a tokener (three zeroed allocations) costs about as much as
 * parsing a small body: one is kept for the next parse (every request
 * body is parsed here). Any thread may parse; the one kept goes
 * to whoever takes it first, the others make their own. */
static json_tokener *_Atomic http_spare_tokener;

static json_tokener *
http_tokener_take(void)
{
    json_tokener *tok = atomic_exchange(&http_spare_tokener, NULL);
    if (tok) {
        json_tokener_reset(tok);
        return tok;
    }
    return json_tokener_new();
}

static void
http_tokener_give(json_tokener *tok)
{
    json_tokener *none = NULL;
    if (!atomic_compare_exchange_strong(&http_spare_tokener, &none, tok))
        json_tokener_free(tok);
}

json_object *
http_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    /* json-c takes an int length; a longer text would be cut or read
     * past its end. */
    if (len > INT_MAX) {
        snprintf(err, errlen, "%zu bytes of JSON is more than can be parsed",
                 len);
        return NULL;
    }
    json_tokener *tok = http_tokener_take();
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A number or literal at the very end waits for a delimiter:
         * the terminating NUL says the input ends here. */
        o = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        used = len;
    }
    http_tokener_give(tok);
    if (jerr != json_tokener_success) {
        json_object_put(o);
        snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
        return NULL;
    }
    for (; used < len; used++) {
        if (!strchr(" \t\r\n", text[used])) {
            json_object_put(o);
            snprintf(err, errlen, "invalid JSON: trailing data after value");
            return NULL;
        }
    }
    if (!o)
        snprintf(err, errlen, "expected a JSON object, not null");
    return o;
}

const char *
http_body_text(struct evbuffer *in, size_t limit, size_t *len, char *err,
               size_t errlen)
{
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
http_body_json(struct evhttp_request *req, size_t limit, char *err,
               size_t errlen)
{
    size_t len;
    const char *text = http_body_text(evhttp_request_get_input_buffer(req),
                                      limit, &len, err, errlen);
    return text ? http_json_parse(text, len, err, errlen) : NULL;
}

const char *
http_peer_addr(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    const char *addr = NULL;
    ev_uint16_t port;
    if (conn)
        evhttp_connection_get_peer(conn, (char **)&addr, &port);
    return addr ? addr : "";
}

int
http_reply_chunked(struct evhttp_request *req)
{
    const char *te = evhttp_find_header(evhttp_request_get_output_headers(req),
                                        "Transfer-Encoding");
    return te && evutil_ascii_strcasecmp(te, "chunked") == 0;
}

/* Whether evhttp keeps conn open after this reply: HTTP/1.1 (its status
 * line, or a chunked stream) without Connection: close. */
static int
http_stays_open(struct evhttp_request *req, struct evbuffer *out)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    const char *conn = evhttp_find_header(h, "Connection");
    if (conn && evutil_ascii_strcasecmp(conn, "close") == 0)
        return 0;
    if (http_reply_chunked(req))
        return 1;
    struct evbuffer_ptr at = evbuffer_search(out, "HTTP/1.1 ", 9, NULL);
    return at.pos == 0;
}

void
http_write_now(struct evhttp_request *req)
{
    struct evhttp_connection *conn =
        req ? evhttp_request_get_connection(req) : NULL;
    struct bufferevent *bev =
        conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    if (!bev)
        return;
    struct evbuffer *out = bufferevent_get_output(bev);
    evutil_socket_t fd = bufferevent_getfd(bev);
    /* A connection that closes after the reply is left to evhttp's own
     * pass: freeing it from here would close the socket before libevent
     * forgets its events. A full socket or an error: evhttp finds it. */
    if (fd < 0 || evbuffer_get_length(out) == 0 ||
        !http_stays_open(req, out) || evbuffer_write(out, fd) < 0)
        return;
    if (evbuffer_get_length(out) == 0)
        bufferevent_trigger(bev, EV_WRITE, 0);
}
