/* Line and body inspection for the stream relay. */
#include "autoconfig.h"

#include "relay.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/json_scan.h"

void
relay_reset(struct relay *r)
{
    if (r->tok)
        json_tokener_free(r->tok);
    r->tok = NULL;
    json_object_put(r->body);
    r->body = NULL;
    if (!r->pending)
        return;
    evbuffer_drain(r->pending, evbuffer_get_length(r->pending));
    if (r->spare)
        evbuffer_free(r->spare);
    r->spare = r->pending;
    r->pending = NULL;
}

int
relay_init(struct relay *r, enum relay_kind kind, size_t max_bytes)
{
    relay_reset(r);
    /* an evbuffer_new is a calloc, which glibc never serves from its
     * per-thread cache: the buffer of an earlier answer is taken again */
    struct evbuffer *pending = r->spare ? r->spare : evbuffer_new();
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->max_bytes = max_bytes;
    r->prompt_tokens = r->completion_tokens = r->load_ns = -1;
    r->pending = pending;
    return pending ? 0 : -ENOMEM;
}

void
relay_clear(struct relay *r)
{
    relay_reset(r);
    if (r->spare)
        evbuffer_free(r->spare);
    r->spare = NULL;
}

/* A whole number member, or -1 (relay's "unknown"). */
static int64_t
relay_int(const struct json_member *m)
{
    int64_t v;
    return json_scan_int64(m->val, m->val_len, &v) == 0 ? v : -1;
}

static void
relay_note_error(struct relay *r, const struct json_member *err)
{
    struct json_members it;
    struct json_member m;
    int got = json_scan_string(err->val, err->val_len, r->error_msg,
                               sizeof r->error_msg) == 0;
    if (!got && json_members_begin(&it, err->val, err->val_len) == 0)
        while (!got && json_members_next(&it, &m) == 1)
            got = json_member_is(&m, "message") &&
                  json_scan_string(m.val, m.val_len, r->error_msg,
                                   sizeof r->error_msg) == 0;
    if (!got)
        snprintf(r->error_msg, sizeof r->error_msg, "%s",
                 "error reported by the node");
    r->error = 1;
}

/* OpenAI's usage object: its token counts. */
static void
relay_usage(struct relay *r, const struct json_member *usage)
{
    struct json_members it;
    struct json_member m;
    if (json_members_begin(&it, usage->val, usage->val_len) != 0)
        return;
    while (json_members_next(&it, &m) == 1) {
        if (json_member_is(&m, "prompt_tokens"))
            r->prompt_tokens = relay_int(&m);
        else if (json_member_is(&m, "completion_tokens"))
            r->completion_tokens = relay_int(&m);
    }
}

/* One line or body of the answer: a native line or body, an OpenAI chunk
 * or body. Read in place, in one pass that also validates it: every line
 * of every answer passes here, and a json-c tree per line cost more than
 * the rest of the relay. Returns 0 for valid JSON (an object or not), -1
 * for anything else; an invalid text changes nothing. */
static int
relay_object(struct relay *r, const char *s, size_t len)
{
    struct json_members it;
    struct json_member m, prompt = {0}, eval = {0}, reason = {0};
    struct json_member usage = {0}, error = {0};
    int done = 0, complete = 0, rc;
    int64_t load_ns = r->load_ns;
    if (json_members_begin(&it, s, len) != 0)
        return json_scan_valid(s, len) ? 0 : -1;
    while ((rc = json_members_next(&it, &m)) == 1) {
        if (json_member_is(&m, "error")) {
            if (!json_scan_is_null(m.val, m.val_len)) {
                /* reported once the whole text is known to be JSON */
                error = m;
                break;
            }
        } else if (json_member_is(&m, "done")) {
            done = json_scan_is_true(m.val, m.val_len);
        } else if (json_member_is(&m, "prompt_eval_count")) {
            prompt = m;
        } else if (json_member_is(&m, "eval_count")) {
            eval = m;
        } else if (json_member_is(&m, "done_reason")) {
            reason = m;
        } else if (json_member_is(&m, "load_duration")) {
            /* native final lines and bodies, embeddings included */
            load_ns = relay_int(&m);
        } else if (json_member_is(&m, "usage")) {
            usage = m;
        } else if (json_member_is(&m, "choices") ||
                   json_member_is(&m, "embeddings") ||
                   json_member_is(&m, "embedding") ||
                   json_member_is(&m, "data")) {
            complete = 1;
        }
    }
    if (error.val) {
        if (!json_scan_valid(s, len))
            return -1;
        relay_note_error(r, &error);
        return 0;
    }
    if (rc != 0 || !json_members_done(&it))
        return -1;
    r->load_ns = load_ns;
    if (usage.val)
        relay_usage(r, &usage);
    if (done) {
        r->done = 1;
        r->prompt_tokens = prompt.val ? relay_int(&prompt) : -1;
        r->completion_tokens = eval.val ? relay_int(&eval) : -1;
        if (reason.val &&
            json_scan_string(reason.val, reason.val_len, r->done_reason,
                             sizeof r->done_reason) != 0)
            snprintf(r->done_reason, sizeof r->done_reason, "%.*s",
                     (int)reason.val_len, reason.val);
    }
    /* Bodies that are complete by nature: OpenAI answers and embeddings. */
    if (r->kind == RELAY_JSON && complete)
        r->done = 1;
    return 0;
}

/* The json-c tree of a valid line or body, for a caller that converts
 * it; NULL when memory runs out. */
static json_object *
relay_tree(struct relay *r, const char *s, size_t len)
{
    if (!r->tok && !(r->tok = json_tokener_new_ex(JSON_TOKENER_DEPTH)))
        return NULL;
    json_tokener_reset(r->tok);
    json_object *o = json_tokener_parse_ex(r->tok, s, (int)len);
    if (o && json_tokener_get_error(r->tok) == json_tokener_success)
        return o;
    json_object_put(o);
    return NULL;
}

static void
relay_text(struct relay *r, const char *s, size_t len)
{
    /* A converted stream ends at its first line that is not JSON: what
     * follows would be events after a hole (the caller ends the stream
     * with an error), however many lines one read brought. */
    if (r->on_object && r->bad_lines && r->kind != RELAY_JSON)
        return;
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
    if (len > INT_MAX || relay_object(r, s, len) != 0) {
        if (r->kind != RELAY_JSON)
            r->bad_lines++;
        return;
    }
    int convert = r->on_object && r->kind != RELAY_JSON;
    int keep = r->keep_body && r->kind == RELAY_JSON;
    if (!convert && !keep)
        return;
    json_object *o = relay_tree(r, s, len);
    if (!o) {
        /* valid JSON json-c will not take (nesting): not convertible */
        if (convert)
            r->bad_lines++;
        return;
    }
    if (convert)
        r->on_object(r->on_object_arg, o);
    if (keep) {
        json_object_put(r->body);
        r->body = json_object_get(o);
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
    if (out) {
        char last = '\n';
        struct evbuffer_ptr at;
        if (evbuffer_ptr_set(in, &at, n - 1, EVBUFFER_PTR_SET) == 0)
            evbuffer_copyout_from(in, &at, &last, 1);
        r->mid_line = last != '\n';
        evbuffer_add_buffer(out, in);
    } else
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
relay_error_tail(enum relay_kind kind, int mid_line, const char *msg,
                 struct evbuffer *out)
{
    json_object *o = json_object_new_object();
    if (mid_line)
        evbuffer_add(out, "\n", 1);
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
