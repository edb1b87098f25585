/* JSON the way Ollama (Go encoding/json + gin) reads and writes it. */
#include "autoconfig.h"

#include "common/http_util.h"
#include "sim.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

void
sim_json_add(struct evbuffer *buf, json_object *o)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    /* Outside strings JSON text has no <, > or &, so escaping every
     * occurrence matches Go's HTML-safe output. */
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *esc = NULL;
        switch (text[i]) {
        case '<':
            esc = "\\u003c";
            break;
        case '>':
            esc = "\\u003e";
            break;
        case '&':
            esc = "\\u0026";
            break;
        default:
            continue;
        }
        evbuffer_add(buf, text + from, i - from);
        evbuffer_add(buf, esc, 6);
        from = i + 1;
    }
    evbuffer_add(buf, text + from, len - from);
}

static void
sim_json_send(struct evhttp_request *req, int code, const char *ctype,
              struct evbuffer *buf)
{
    /* evhttp would send a HEAD reply's body: keep only its length. */
    if (buf && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        char len[32];
        snprintf(len, sizeof len, "%zu", evbuffer_get_length(buf));
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Length", len);
        evbuffer_drain(buf, evbuffer_get_length(buf));
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_remove_header(h, "Content-Type");
    if (ctype)
        evhttp_add_header(h, "Content-Type", ctype);
    evhttp_send_reply(req, code, http_reason(code), buf);
}

void
sim_reply_obj(struct evhttp_request *req, int code, json_object *o,
              const char *ctype, int newline)
{
    struct evbuffer *buf = evbuffer_new();
    sim_json_add(buf, o);
    if (newline)
        evbuffer_add(buf, "\n", 1);
    sim_json_send(req, code, ctype ? ctype : "application/json; charset=utf-8",
                  buf);
    evbuffer_free(buf);
}

void
sim_reply_error(struct evhttp_request *req, int code, const char *ctype,
                const char *msg)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    sim_reply_obj(req, code, o, ctype, 0);
    json_object_put(o);
}

void
sim_reply_oai_error(struct evhttp_request *req, int code, const char *msg)
{
    const char *type = code == 400   ? "invalid_request_error"
                       : code == 404 ? "not_found_error"
                                     : "api_error";
    json_object *e = json_object_new_object();
    json_object_object_add(e, "message", json_object_new_string(msg));
    json_object_object_add(e, "type", json_object_new_string(type));
    json_object_object_add(e, "param", NULL);
    json_object_object_add(e, "code", NULL);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", e);
    sim_reply_obj(req, code, o, "application/json", 1);
    json_object_put(o);
}

void
sim_reply_text(struct evhttp_request *req, int code, const char *text)
{
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, text, strlen(text));
    sim_json_send(req, code,
                  code == 200 ? "text/plain; charset=utf-8" : "text/plain",
                  buf);
    evbuffer_free(buf);
}

void
sim_reply_empty(struct evhttp_request *req, int code)
{
    sim_json_send(req, code, NULL, NULL);
}

json_object *
sim_body_parse(struct evhttp_request *req, int *status, char *err,
               size_t errlen)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    *status = 400;
    if (len == 0) {
        snprintf(err, errlen, "missing request body");
        return NULL;
    }
    if (len > SIM_BODY_LIMIT) {
        *status = 413;
        snprintf(err, errlen,
                 "request body of %zu bytes exceeds the limit "
                 "of %u bytes",
                 len, SIM_BODY_LIMIT);
        return NULL;
    }
    const char *text = (const char *)evbuffer_pullup(in, -1);
    size_t skip = 0;
    while (skip < len && strchr(" \t\r\n", text[skip]))
        skip++;
    if (skip == len) {
        snprintf(err, errlen, "unexpected EOF");
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue) {
        json_object_put(o);
        snprintf(err, errlen, "unexpected EOF");
        return NULL;
    }
    if (jerr != json_tokener_success) {
        json_object_put(o);
        char c = end < len ? text[end] : text[len - 1];
        if (end > 0 && end <= len && (end == len || c == '\0'))
            c = text[end - 1];
        snprintf(err, errlen,
                 "invalid character '%c' looking for beginning of value",
                 (c >= 32 && c < 127) ? c : '?');
        return NULL;
    }
    /* Go decodes JSON null into an empty struct; trailing data after the
     * first value is never read by its decoder. */
    if (!o)
        return json_object_new_object();
    return o;
}

static const char *
sim_json_kind(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        return "bool";
    case json_type_double:
    case json_type_int:
        return "number";
    case json_type_string:
        return "string";
    case json_type_array:
        return "array";
    case json_type_object:
        return "object";
    default:
        return "null";
    }
}

static int
sim_json_fits(json_object *v, enum sim_jtype t)
{
    switch (t) {
    case SIM_J_STRING:
        return json_object_is_type(v, json_type_string);
    case SIM_J_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case SIM_J_INT:
        if (json_object_is_type(v, json_type_int))
            return 1;
        if (json_object_is_type(v, json_type_double)) {
            double d = json_object_get_double(v);
            return d == (double)(int64_t)d;
        }
        return 0;
    case SIM_J_NUMBER:
        return json_object_is_type(v, json_type_int) ||
               json_object_is_type(v, json_type_double);
    case SIM_J_OBJECT:
        return json_object_is_type(v, json_type_object);
    case SIM_J_ARRAY:
        return json_object_is_type(v, json_type_array);
    default:
        return 1;
    }
}

int
sim_json_check(json_object *o, const char *goname,
               const struct sim_field_rule *rules, char *err, size_t errlen)
{
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen,
                 "json: cannot unmarshal %s into Go value of type api.%s",
                 sim_json_kind(o), goname);
        return -EINVAL;
    }
    for (const struct sim_field_rule *r = rules; r->name; r++) {
        json_object *v = sim_jget(o, r->name);
        if (!v || sim_json_fits(v, r->type))
            continue;
        snprintf(err, errlen,
                 "json: cannot unmarshal %s into Go struct field %s.%s of "
                 "type %s",
                 sim_json_kind(v), goname, r->name, r->gotype);
        return -EINVAL;
    }
    return 0;
}

json_object *
sim_json_double(double v)
{
    char num[32];
    snprintf(num, sizeof num, "%.15g", v);
    if (!strpbrk(num, ".eEn")) /* keep it a float: "1" -> "1.0" */
        strcat(num, ".0");
    return json_object_new_double_s(v, num);
}

json_object *
sim_jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v; /* json-c represents null as NULL */
}

const char *
sim_jstr(json_object *o, const char *key)
{
    json_object *v = sim_jget(o, key);
    return v && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}
