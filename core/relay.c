/* Line and body inspection for the stream relay. */
#include "autoconfig.h"

#include "relay.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int
relay_init(struct relay *r, enum relay_kind kind, size_t max_bytes)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->max_bytes = max_bytes;
    r->prompt_tokens = r->completion_tokens = r->load_ns = -1;
    r->pending = evbuffer_new();
    r->tok = json_tokener_new();
    if (!r->pending || !r->tok) {
        relay_clear(r);
        return -ENOMEM;
    }
    return 0;
}

void
relay_clear(struct relay *r)
{
    if (r->pending)
        evbuffer_free(r->pending);
    r->pending = NULL;
    if (r->tok)
        json_tokener_free(r->tok);
    r->tok = NULL;
    json_object_put(r->body);
    r->body = NULL;
}

static int64_t
relay_int(json_object *o, const char *key)
{
    json_object *v;
    if (o && json_object_object_get_ex(o, key, &v) &&
        (json_object_is_type(v, json_type_int) ||
         json_object_is_type(v, json_type_double)))
        return json_object_get_int64(v);
    return -1;
}

static void
relay_note_error(struct relay *r, json_object *err)
{
    json_object *m;
    const char *msg = NULL;
    if (json_object_is_type(err, json_type_string))
        msg = json_object_get_string(err);
    else if (json_object_is_type(err, json_type_object) &&
             json_object_object_get_ex(err, "message", &m))
        msg = json_object_get_string(m);
    r->error = 1;
    snprintf(r->error_msg, sizeof r->error_msg, "%s",
             msg ? msg : "error reported by the node");
}

/* One JSON object of the answer: a native line or body, an OpenAI chunk
 * or body. */
static void
relay_object(struct relay *r, json_object *o)
{
    json_object *v, *usage;
    if (!json_object_is_type(o, json_type_object))
        return;
    if (json_object_object_get_ex(o, "error", &v) &&
        !json_object_is_type(v, json_type_null)) {
        relay_note_error(r, v);
        return;
    }
    if (json_object_object_get_ex(o, "done", &v) &&
        json_object_get_boolean(v)) {
        r->done = 1;
        r->prompt_tokens = relay_int(o, "prompt_eval_count");
        r->completion_tokens = relay_int(o, "eval_count");
        if (json_object_object_get_ex(o, "done_reason", &v))
            snprintf(r->done_reason, sizeof r->done_reason, "%s",
                     json_object_get_string(v));
    }
    /* native final lines and bodies, embeddings included */
    if (json_object_object_get_ex(o, "load_duration", &v))
        r->load_ns = relay_int(o, "load_duration");
    if (json_object_object_get_ex(o, "usage", &usage) &&
        json_object_is_type(usage, json_type_object)) {
        r->prompt_tokens = relay_int(usage, "prompt_tokens");
        r->completion_tokens = relay_int(usage, "completion_tokens");
    }
    /* Bodies that are complete by nature: OpenAI answers and embeddings. */
    if (r->kind == RELAY_JSON &&
        (json_object_object_get_ex(o, "choices", &v) ||
         json_object_object_get_ex(o, "embeddings", &v) ||
         json_object_object_get_ex(o, "embedding", &v) ||
         json_object_object_get_ex(o, "data", &v)))
        r->done = 1;
}

static void
relay_text(struct relay *r, const char *s, size_t len)
{
    while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    if (r->kind == RELAY_SSE) {
        if (len < 5 || strncmp(s, "data:", 5) != 0)
            return;
        s += 5;
        len -= 5;
        while (len && *s == ' ') {
            s++;
            len--;
        }
        if (len == 6 && strncmp(s, "[DONE]", 6) == 0) {
            r->done = 1;
            return;
        }
    }
    if (len == 0)
        return;
    /* one tokener per answer, not per line: a stream has hundreds */
    json_tokener_reset(r->tok);
    json_object *o = json_tokener_parse_ex(r->tok, s, (int)len);
    if (o && json_tokener_get_error(r->tok) == json_tokener_success) {
        relay_object(r, o);
        if (r->on_object && r->kind != RELAY_JSON)
            r->on_object(r->on_object_arg, o);
        if (r->keep_body && r->kind == RELAY_JSON) {
            json_object_put(r->body);
            r->body = json_object_get(o);
        }
    } else if (r->kind != RELAY_JSON) {
        r->bad_lines++;
    }
    json_object_put(o);
}

/* Inspects the complete lines of pending and drops them. */
static void
relay_lines(struct relay *r)
{
    for (;;) {
        struct evbuffer_ptr nl = evbuffer_search(r->pending, "\n", 1, NULL);
        if (nl.pos < 0)
            return;
        size_t len = (size_t)nl.pos;
        char *line = (char *)evbuffer_pullup(r->pending, (ev_ssize_t)len + 1);
        if (line)
            relay_text(r, line, len);
        evbuffer_drain(r->pending, len + 1);
    }
}

int
relay_feed(struct relay *r, struct evbuffer *in, struct evbuffer *out)
{
    size_t n = evbuffer_get_length(in);
    int rc = 0;
    if (n == 0)
        return 0;
    /* a body is bounded as a whole; a stream line by line (one read may
     * bring many short lines) */
    if (r->kind == RELAY_JSON &&
        evbuffer_get_length(r->pending) + n > r->max_bytes) {
        /* Too long to inspect: keep relaying, forget what was kept. */
        evbuffer_drain(r->pending, evbuffer_get_length(r->pending));
        rc = -E2BIG;
    } else {
        const unsigned char *data = evbuffer_pullup(in, -1);
        if (!data || evbuffer_add(r->pending, data, n) != 0)
            rc = -ENOMEM;
    }
    if (out)
        evbuffer_add_buffer(out, in);
    else
        evbuffer_drain(in, n);
    if (r->kind != RELAY_JSON) {
        relay_lines(r);
        if (evbuffer_get_length(r->pending) > r->max_bytes) {
            /* a line too long to inspect: forget its start */
            evbuffer_drain(r->pending, evbuffer_get_length(r->pending));
            rc = -E2BIG;
        }
    }
    return rc;
}

void
relay_end(struct relay *r)
{
    size_t len = evbuffer_get_length(r->pending);
    if (len == 0)
        return;
    char *s = (char *)evbuffer_pullup(r->pending, -1);
    if (s)
        relay_text(r, s, len);
    evbuffer_drain(r->pending, len);
}

void
relay_error_tail(enum relay_kind kind, const char *msg, struct evbuffer *out)
{
    json_object *o = json_object_new_object();
    if (kind == RELAY_SSE) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "message", json_object_new_string(msg));
        json_object_object_add(e, "type", json_object_new_string("api_error"));
        json_object_object_add(e, "param", NULL);
        json_object_object_add(e, "code", NULL);
        json_object_object_add(o, "error", e);
        evbuffer_add_printf(
            out, "data: %s\n\n",
            json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        json_object_object_add(o, "error", json_object_new_string(msg));
        evbuffer_add_printf(
            out, "%s\n",
            json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    json_object_put(o);
}
