/* Building blocks of the OpenAI answers made from native ones. */
#include "autoconfig.h"

#include "openai_shape.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* json-c's getters take non-const pointers but do not modify. */
#define JC(o) ((json_object *)(o))

json_object *
openai_jget(const json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(JC(o), json_type_object))
        return NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

json_object *
openai_jobject(const json_object *o, const char *key)
{
    json_object *v = openai_jget(o, key);
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

const char *
openai_jstr(const json_object *o, const char *key)
{
    json_object *v = openai_jget(o, key);
    return v && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

int64_t
openai_jcount(const json_object *o, const char *key)
{
    json_object *v = openai_jget(o, key);
    if (!v || !(json_object_is_type(v, json_type_int) ||
                json_object_is_type(v, json_type_double)))
        return 0;
    int64_t n = json_object_get_int64(v);
    /* bounded so that prompt + completion cannot overflow */
    return n < 0 ? 0 : n > INT64_MAX / 2 ? INT64_MAX / 2 : n;
}

int
openai_jtrue(const json_object *o, const char *key)
{
    json_object *v = openai_jget(o, key);
    return v && json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

int
openai_put(json_object *o, const char *key, json_object *v)
{
    if (!o || !v || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

int
openai_put_str(json_object *o, const char *key, const char *text)
{
    return openai_put(o, key, json_object_new_string(text ? text : ""));
}

int
openai_put_null(json_object *o, const char *key)
{
    return !o || json_object_object_add(o, key, NULL) != 0 ? -1 : 0;
}

void
openai_note_model(struct openai_reply *r, const json_object *native)
{
    const char *m = openai_jstr(native, "model");
    if (m && *m && strlen(m) < sizeof r->model)
        memcpy(r->model, m, strlen(m) + 1);
}

int
openai_put_head(json_object *o, const struct openai_reply *r,
                const char *object)
{
    int err = openai_put_str(o, "id", r->id);
    err |= openai_put_str(o, "object", object);
    err |= openai_put(o, "created", json_object_new_int64(r->created));
    return err;
}

int
openai_put_model(json_object *o, const struct openai_reply *r)
{
    int err = openai_put_str(o, "model", r->model);
    err |= openai_put_str(o, "system_fingerprint", "fp_ollama");
    return err;
}

json_object *
openai_usage_of(int64_t prompt, int64_t completion)
{
    json_object *u = json_object_new_object();
    int err = openai_put(u, "prompt_tokens", json_object_new_int64(prompt));
    err |=
        openai_put(u, "completion_tokens", json_object_new_int64(completion));
    err |= openai_put(u, "total_tokens",
                      json_object_new_int64(prompt + completion));
    if (err) {
        json_object_put(u);
        return NULL;
    }
    return u;
}

json_object *
openai_usage(const json_object *native)
{
    return openai_usage_of(openai_jcount(native, "prompt_eval_count"),
                           openai_jcount(native, "eval_count"));
}

/* "call_" and 8 lowercase alphanumerics, as Ollama's ids look, from an
 * FNV-1a hash of the response id and the call's index: stable within a
 * response, different between responses. */
static void
tool_call_id(const struct openai_reply *r, int index, char *out, size_t len)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = r->id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (int i = 0; i < 4; i++)
        h = (h ^ (unsigned)(index >> (8 * i) & 0xff)) * 1099511628211ULL;
    char digits[9];
    for (int i = 0; i < 8; i++, h /= 36)
        digits[i] = alnum[h % 36];
    digits[8] = '\0';
    snprintf(out, len, "call_%s", digits);
}

/* OpenAI carries arguments as JSON text; the native API as an object.
 * A node that already sent text keeps it; nothing at all is "{}". */
static json_object *
tool_call_arguments(const json_object *fn)
{
    json_object *args = openai_jget(fn, "arguments");
    if (!args)
        return json_object_new_string("{}");
    if (json_object_is_type(args, json_type_string))
        return json_object_new_string(json_object_get_string(args));
    const char *text = json_object_to_json_string_ext(
        args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    return text ? json_object_new_string(text) : NULL;
}

json_object *
openai_tool_call(const struct openai_reply *r, const json_object *call,
                 int index)
{
    json_object *fn = openai_jobject(call, "function");
    const char *id = openai_jstr(call, "id");
    char made[24];
    if (!id || !*id) {
        tool_call_id(r, index, made, sizeof made);
        id = made;
    }
    json_object *f = json_object_new_object();
    int err = openai_put_str(f, "name", openai_jstr(fn, "name"));
    err |= openai_put(f, "arguments", tool_call_arguments(fn));
    json_object *c = json_object_new_object();
    err |= openai_put_str(c, "id", id);
    err |= openai_put(c, "index", json_object_new_int(index));
    err |= openai_put_str(c, "type", "function");
    err |= openai_put(c, "function", f);
    if (err) {
        json_object_put(c);
        return NULL;
    }
    return c;
}

int
openai_tool_calls(const struct openai_reply *r, const json_object *msg,
                  int first, json_object **calls)
{
    json_object *native = openai_jget(msg, "tool_calls");
    *calls = NULL;
    if (!native || !json_object_is_type(native, json_type_array))
        return 0;
    int n = 0;
    for (size_t i = 0; i < json_object_array_length(native); i++) {
        json_object *call = json_object_array_get_idx(native, i);
        if (!json_object_is_type(call, json_type_object))
            continue;
        if (!*calls && !(*calls = json_object_new_array()))
            return -ENOMEM;
        json_object *c = openai_tool_call(r, call, first + n);
        if (!c || json_object_array_add(*calls, c) != 0) {
            json_object_put(c);
            json_object_put(*calls);
            *calls = NULL;
            return -ENOMEM;
        }
        n++;
    }
    return n;
}

int
openai_has_logprobs(const json_object *native)
{
    json_object *lp = openai_jget(native, "logprobs");
    return lp && json_object_is_type(lp, json_type_array) &&
           json_object_array_length(lp) > 0;
}

int
openai_put_logprobs(json_object *choice, const json_object *native)
{
    if (!openai_has_logprobs(native))
        return 0;
    json_object *lp = json_object_new_object();
    if (openai_put(lp, "content",
                   json_object_get(openai_jget(native, "logprobs"))) != 0) {
        json_object_put(lp);
        return -1;
    }
    return openai_put(choice, "logprobs", lp);
}

/* {token: logprob, ...} of one entry's alternatives, or null. */
static json_object *
openai_top_map(const json_object *entry)
{
    json_object *tops = openai_jget(entry, "top_logprobs");
    if (!tops || !json_object_is_type(tops, json_type_array))
        return NULL;
    json_object *map = json_object_new_object();
    for (size_t i = 0; map && i < json_object_array_length(tops); i++) {
        json_object *t = json_object_array_get_idx(tops, i);
        const char *tok = openai_jstr(t, "token");
        json_object *lp = openai_jget(t, "logprob");
        if (tok && json_object_object_add(map, tok, json_object_get(lp)) != 0) {
            json_object_put(map);
            return NULL;
        }
    }
    return map;
}

int
openai_put_completion_logprobs(json_object *choice, const json_object *native,
                               size_t *offset)
{
    if (!openai_has_logprobs(native))
        return 0;
    json_object *entries = openai_jget(native, "logprobs");
    json_object *lp = json_object_new_object();
    json_object *tokens = json_object_new_array();
    json_object *token_lps = json_object_new_array();
    json_object *tops = json_object_new_array();
    json_object *offsets = json_object_new_array();
    int err = !lp || !tokens || !token_lps || !tops || !offsets;
    for (size_t i = 0; !err && i < json_object_array_length(entries); i++) {
        json_object *e = json_object_array_get_idx(entries, i);
        const char *tok = openai_jstr(e, "token");
        if (!tok)
            tok = "";
        err |= json_object_array_add(tokens, json_object_new_string(tok));
        err |= json_object_array_add(
            token_lps, json_object_get(openai_jget(e, "logprob")));
        err |= json_object_array_add(tops, openai_top_map(e));
        err |= json_object_array_add(offsets,
                                     json_object_new_int64((int64_t)*offset));
        *offset += strlen(tok);
    }
    err |= openai_put(lp, "tokens", tokens);
    err |= openai_put(lp, "token_logprobs", token_lps);
    err |= openai_put(lp, "top_logprobs", tops);
    err |= openai_put(lp, "text_offset", offsets);
    if (err) {
        json_object_put(lp);
        return -1;
    }
    return openai_put(choice, "logprobs", lp);
}

const char *
openai_finish_reason(const json_object *native, int tool_calls)
{
    const char *why = openai_jstr(native, "done_reason");
    if (why && strcmp(why, "length") == 0)
        return "length";
    return tool_calls ? "tool_calls" : "stop";
}

const char *
openai_error_type(int status)
{
    if (status == 400)
        return "invalid_request_error";
    if (status == 404)
        return "not_found_error";
    return "api_error";
}

json_object *
openai_error_object(const char *message, const char *type)
{
    json_object *e = json_object_new_object();
    int err = openai_put_str(e, "message", message);
    err |= openai_put_str(e, "type", type);
    err |= openai_put_null(e, "param");
    err |= openai_put_null(e, "code");
    json_object *o = json_object_new_object();
    err |= openai_put(o, "error", e);
    if (err) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

int
openai_write_json(struct evbuffer *out, const json_object *o)
{
    size_t len;
    if (!o)
        return -ENOMEM;
    const char *text = json_object_to_json_string_length(
        JC(o), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!text)
        return -ENOMEM;
    /* Outside strings JSON text holds none of these, so escaping every
     * one gives Go's HTML-safe encoding: <, >, & and the line and
     * paragraph separators U+2028, U+2029. */
    size_t from = 0;
    int err = 0;
    for (size_t i = 0; i < len; i++) {
        const char *esc = NULL;
        size_t skip = 1;
        if (text[i] == '<')
            esc = "\\u003c";
        else if (text[i] == '>')
            esc = "\\u003e";
        else if (text[i] == '&')
            esc = "\\u0026";
        else if ((unsigned char)text[i] == 0xe2 && i + 2 < len &&
                 (unsigned char)text[i + 1] == 0x80 &&
                 ((unsigned char)text[i + 2] & 0xfe) == 0xa8) {
            esc = (unsigned char)text[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!esc)
            continue;
        err |= evbuffer_add(out, text + from, i - from);
        err |= evbuffer_add(out, esc, 6);
        from = i + skip;
        i += skip - 1;
    }
    err |= evbuffer_add(out, text + from, len - from);
    return err ? -ENOMEM : 0;
}

int
openai_write_event(struct evbuffer *out, const json_object *o)
{
    if (evbuffer_add(out, "data: ", 6) != 0 || openai_write_json(out, o) ||
        evbuffer_add(out, "\n\n", 2) != 0)
        return -ENOMEM;
    return 0;
}

int
openai_write_body(struct evbuffer *out, const json_object *o)
{
    struct evbuffer *tmp = evbuffer_new();
    int rc = tmp ? openai_write_json(tmp, o) : -ENOMEM;
    if (rc == 0 &&
        (evbuffer_add(tmp, "\n", 1) != 0 || evbuffer_add_buffer(out, tmp) != 0))
        rc = -ENOMEM;
    if (tmp)
        evbuffer_free(tmp);
    return rc;
}

/* [choice], OpenAI's list of one; NULL (choice consumed) on failure. */
json_object *
openai_one_choice(json_object *choice)
{
    json_object *choices = choice ? json_object_new_array() : NULL;
    if (!choices || json_object_array_add(choices, choice) != 0) {
        json_object_put(choice);
        json_object_put(choices);
        return NULL;
    }
    return choices;
}
