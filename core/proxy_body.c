/* Upstream bodies: what the router changes in a client's request. */
#include "autoconfig.h"

#include "proxy_body.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_util.h"
#include "common/json_scan.h"
#include "common/json_text.h"
#include "config.h"

/* Whether the member is absent (or null, when not required) or of one of
 * the two kinds. */
static int
body_kind_is(const struct json_span *v, enum json_scan_kind k1,
             enum json_scan_kind k2, int required)
{
    enum json_scan_kind k = json_scan_kind(v->s, v->len);
    if (k == JSON_SCAN_ABSENT || k == JSON_SCAN_NULL)
        return !required;
    return k == k1 || k == k2;
}

int
proxy_body_check(const struct request_body *b, enum proxy_api api, char *err,
                 size_t errlen)
{
    const char *key = NULL, *what = NULL;
    const struct json_span *v = NULL;
    int required = 0;
    enum json_scan_kind k1 = JSON_SCAN_ARRAY, k2 = JSON_SCAN_ARRAY;
    switch (api) {
    case PROXY_API_CHAT:
        key = "messages", v = &b->messages, what = "an array";
        break;
    case PROXY_API_OAI_CHAT:
        key = "messages", v = &b->messages, what = "an array", required = 1;
        break;
    case PROXY_API_GENERATE:
        key = "prompt", v = &b->prompt, what = "a string";
        k1 = k2 = JSON_SCAN_STRING;
        break;
    case PROXY_API_OAI_COMPLETIONS:
        key = "prompt", v = &b->prompt, what = "a string or an array";
        required = 1, k1 = JSON_SCAN_STRING;
        break;
    case PROXY_API_EMBED: /* without input: only loads the model */
        key = "input", v = &b->input, what = "a string or an array";
        k1 = JSON_SCAN_STRING;
        break;
    case PROXY_API_OAI_EMBEDDINGS:
        key = "input", v = &b->input, what = "a string or an array";
        required = 1, k1 = JSON_SCAN_STRING;
        break;
    case PROXY_API_EMBEDDINGS: /* the same */
        key = "prompt", v = &b->prompt, what = "a string";
        k1 = k2 = JSON_SCAN_STRING;
        break;
    }
    if (!body_kind_is(v, k1, k2, required)) {
        snprintf(err, errlen, "%s %s %s", key,
                 required ? "is required and must be" : "must be", what);
        return -EINVAL;
    }
    if (!body_kind_is(&b->options, JSON_SCAN_OBJECT, JSON_SCAN_OBJECT, 0)) {
        snprintf(err, errlen, "options must be an object");
        return -EINVAL;
    }
    return 0;
}

int
proxy_body_is_thinking(const char *model)
{
    static const char *const names[] = {
        "deepseek-r1",     "gpt-oss",        "qwq",
        "phi-4-reasoning", "phi4-reasoning", "reasoning"};
    /* names match without regard to case, as Ollama's do */
    char lower[256];
    size_t n = 0;
    for (; model[n] && n < sizeof lower - 1; n++)
        lower[n] = (char)tolower((unsigned char)model[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(lower, names[i]))
            return 1;
    return 0;
}

static int
body_native(enum proxy_api api)
{
    return api == PROXY_API_CHAT || api == PROXY_API_GENERATE;
}

/* A whole number as Ollama reads an option: an integer (json-c's int,
 * beyond int64 clamped as json-c clamps it), or a number with a fraction
 * truncated toward zero. Returns 1 with *out, 0 when not a number. */
static int
body_int(const char *val, size_t len, int64_t *out)
{
    if (json_scan_kind(val, len) != JSON_SCAN_NUMBER)
        return 0;
    if (json_scan_is_integer(val, len)) {
        if (json_scan_int64(val, len, out) != 0)
            *out = *val == '-' ? INT64_MIN : INT64_MAX;
        return 1;
    }
    char small[64], *buf = json_scan_cstr(val, len, small, sizeof small);
    if (!buf)
        return 0;
    double d = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    if (!isfinite(d) || d >= 9.0e18 || d <= -9.0e18)
        return 0;
    *out = (int64_t)d;
    return 1;
}

/* The text of a member of a json-c object, NULL when it has none: a
 * tree is read by the same rules as the client's text (json-c keeps a
 * parsed number's own text). */
static const char *
body_tree_member(json_object *o, const char *key, size_t *len)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, len);
}

int
proxy_body_num_ctx(const char *opts, size_t len, int64_t *out)
{
    struct json_member m;
    return opts && json_scan_member(opts, len, "num_ctx", &m) == 1 &&
           body_int(m.val, m.val_len, out);
}

uint32_t
proxy_body_ctx_asked(const struct request_body *b)
{
    int64_t n;
    if (json_scan_kind(b->options.s, b->options.len) == JSON_SCAN_OBJECT &&
        proxy_body_num_ctx(b->options.s, b->options.len, &n) && n > 0 &&
        n < UINT32_MAX)
        return (uint32_t)n;
    return 0;
}

/* A thinking budget the router raises: num_predict an integer, not
 * negative (-1: unlimited already). */
static int
body_predict(const char *val, size_t len, int64_t *out)
{
    return val && json_scan_is_integer(val, len) && body_int(val, len, out) &&
           *out >= 0;
}

/* Context protection (reference §6.2): a num_ctx the loaded model already
 * covers would only make Ollama reload it, so strip removes it and warn
 * keeps it (the caller logs); a larger one stays in every mode and is
 * flagged. passthrough looks at nothing. */
static enum proxy_ctx_result
body_context(json_object *opts, unsigned loaded_ctx, int mode)
{
    int64_t n;
    size_t len = 0;
    const char *v = body_tree_member(opts, "num_ctx", &len);
    if (mode == CONFIG_CTX_PASSTHROUGH || !v || !body_int(v, len, &n) ||
        loaded_ctx == 0)
        return PROXY_CTX_NONE;
    if (n > (int64_t)loaded_ctx)
        return PROXY_CTX_OVERFLOW;
    if (mode == CONFIG_CTX_WARN)
        return PROXY_CTX_KEPT;
    json_object_object_del(opts, "num_ctx");
    return PROXY_CTX_STRIPPED;
}

static void
body_thinking(json_object *opts, const char *model,
              const struct proxy_body_opts *o)
{
    int64_t n;
    size_t len = 0;
    const char *v = body_tree_member(opts, "num_predict", &len);
    if (!proxy_body_is_thinking(model) || !body_predict(v, len, &n))
        return;
    double want = (double)n * o->thinking_overhead;
    if (want < o->thinking_min_predict)
        want = o->thinking_min_predict;
    if (want > (double)INT64_MAX / 2)
        want = (double)INT64_MAX / 2;
    json_object_object_add(opts, "num_predict",
                           json_object_new_int64((int64_t)want));
}

/* keep_alive's JSON text: Ollama reads a number as seconds and any
 * negative as forever. */
static void
body_keep_alive_text(double s, char *buf, size_t len)
{
    if (s < 0)
        snprintf(buf, len, "-1");
    else if (s < 9e18 && s == (double)(int64_t)s)
        snprintf(buf, len, "%lld", (long long)s);
    else
        snprintf(buf, len, "%.17g", s);
}

static json_object *
body_keep_alive(double s)
{
    char text[40];
    body_keep_alive_text(s, text, sizeof text);
    return json_tokener_parse(text);
}

/* Whether building the body changes anything inside options (the text
 * of the options object): a num_ctx stripped, a thinking budget raised.
 * *ctx says what context protection decides either way. */
static int
body_options_change(const char *opts, size_t opts_len, const char *model,
                    unsigned loaded_ctx, const struct proxy_body_opts *o,
                    enum proxy_ctx_result *ctx)
{
    struct json_members it;
    struct json_member m, num_ctx = {0}, predict = {0};
    int64_t n;
    *ctx = PROXY_CTX_NONE;
    if (json_members_begin(&it, opts, opts_len) != 0)
        return 0;
    while (json_members_next(&it, &m) == 1) {
        if (json_member_named(&m, "num_ctx"))
            num_ctx = m;
        else if (json_member_named(&m, "num_predict"))
            predict = m;
    }
    if (o->context_protection != CONFIG_CTX_PASSTHROUGH && loaded_ctx != 0 &&
        num_ctx.val && body_int(num_ctx.val, num_ctx.val_len, &n)) {
        if (n > (int64_t)loaded_ctx)
            *ctx = PROXY_CTX_OVERFLOW;
        else if (o->context_protection == CONFIG_CTX_WARN)
            *ctx = PROXY_CTX_KEPT;
        else
            return 1;
    }
    return proxy_body_is_thinking(model) &&
           body_predict(predict.val, predict.val_len, &n);
}

#define BODY_SPLICE_MEMBERS 64

static int
body_key_seen(const struct json_member *seen, size_t n,
              const struct json_member *m)
{
    for (size_t i = 0; i < n; i++)
        if (seen[i].key_len == m->key_len &&
            memcmp(seen[i].key, m->key, m->key_len) == 0)
            return 1;
    return 0;
}

/* The client's own text with the router's changes spliced in: its members
 * go out byte for byte, so the node gets exactly what the client wrote
 * (json-c would reprint numbers and escapes) and nothing is rebuilt.
 * NULL when the text has an escaped top-level key (it might spell a key
 * the router removes), a key given twice, options that must change, or
 * memory runs out: the caller rebuilds instead. */
static char *
body_splice(const char *text, size_t text_len, enum proxy_api api,
            const char *model, unsigned loaded_ctx,
            const struct proxy_body_opts *o, enum proxy_ctx_result *ctx,
            size_t *len)
{
    struct json_text b;
    struct json_members it;
    struct json_member m;
    int native = api < PROXY_API_OAI_CHAT, keep_alive = 0, rc;
    *ctx = PROXY_CTX_NONE;
    if (json_members_begin(&it, text, text_len) != 0)
        return NULL;
    json_text_init(&b, text_len + 64);
    json_text_put(&b, "{\"model\":", 9);
    json_text_str(&b, model);
    struct json_member seen[BODY_SPLICE_MEMBERS];
    size_t nseen = 0;
    while ((rc = json_members_next(&it, &m)) == 1) {
        /* an escaped key, a key given twice (json-c keeps the last, Go's
         * decoder merges objects) or very many: rebuilt instead */
        if (m.key_escaped || nseen == BODY_SPLICE_MEMBERS ||
            body_key_seen(seen, nseen, &m))
            break;
        seen[nseen++] = m;
        if (json_member_is(&m, "model") || json_member_is(&m, "name") ||
            json_member_is(&m, "fallback_models") ||
            (native && json_member_is(&m, "metadata")))
            continue;
        if (json_member_is(&m, "keep_alive")) {
            /* null says "not given" (Go reads it so): the default goes
             * in its place */
            if (json_scan_is_null(m.val, m.val_len))
                continue;
            keep_alive = 1;
        }
        if (body_native(api) && json_member_is(&m, "options") &&
            m.val[0] == '{') {
            /* options that must change: rebuilt instead */
            if (body_options_change(m.val, m.val_len, model, loaded_ctx, o,
                                    ctx))
                break;
            /* an empty options object goes, as when built */
            size_t k = 1;
            while (k < m.val_len && strchr(" \t\r\n", m.val[k]))
                k++;
            if (m.val[k] == '}')
                continue;
        }
        json_text_put(&b, ",", 1);
        json_text_put(&b, m.key - 1, m.key_len + 2);
        json_text_put(&b, ":", 1);
        json_text_put(&b, m.val, m.val_len);
    }
    if (rc != 0) { /* also after a break above */
        free(json_text_take(&b, NULL));
        return NULL;
    }
    if (native && !keep_alive) {
        char ka[40];
        body_keep_alive_text(o->keep_alive, ka, sizeof ka);
        json_text_put(&b, ",\"keep_alive\":", 14);
        json_text_put(&b, ka, strlen(ka));
    }
    json_text_put(&b, "}", 1);
    return json_text_take(&b, len);
}

/* A tree of the body the caller may change: a copy of body, or (the rare
 * paths of a native request, which has no tree) built from its text. */
static json_object *
body_tree(const json_object *body, const char *text, size_t text_len)
{
    char err[256];
    json_object *b = NULL;
    if (body)
        return json_object_deep_copy((json_object *)body, &b, NULL) == 0 ? b
                                                                         : NULL;
    return text ? http_json_parse(text, text_len, err, sizeof err) : NULL;
}

json_object *
proxy_body_with_ctx(const json_object *body, const char *text, size_t text_len,
                    unsigned num_ctx)
{
    json_object *b = body_tree(body, text, text_len), *opts;
    if (b && json_object_object_get_ex(b, "options", &opts) &&
        json_object_is_type(opts, json_type_object)) {
        json_object_object_add(opts, "num_ctx", json_object_new_int64(num_ctx));
        return b;
    }
    json_object_put(b);
    return NULL;
}

char *
proxy_body_build(const json_object *body, const char *text, size_t text_len,
                 enum proxy_api api, const char *model, unsigned loaded_ctx,
                 const struct proxy_body_opts *o, enum proxy_ctx_result *ctx,
                 size_t *len)
{
    json_object *b = NULL, *opts;
    if (text) {
        char *out =
            body_splice(text, text_len, api, model, loaded_ctx, o, ctx, len);
        if (out)
            return out;
    }
    *ctx = PROXY_CTX_NONE;
    if (!(b = body_tree(body, text, text_len)))
        return NULL;
    json_object_object_add(b, "model", json_object_new_string(model));
    json_object_object_del(b, "name");
    json_object_object_del(b, "fallback_models");
    if (api < PROXY_API_OAI_CHAT)
        json_object_object_del(b, "metadata");
    json_object *ka = NULL;
    if (api < PROXY_API_OAI_CHAT &&
        (!json_object_object_get_ex(b, "keep_alive", &ka) || !ka))
        json_object_object_add(b, "keep_alive", body_keep_alive(o->keep_alive));
    if (body_native(api) && json_object_object_get_ex(b, "options", &opts) &&
        json_object_is_type(opts, json_type_object)) {
        *ctx = body_context(opts, loaded_ctx, o->context_protection);
        body_thinking(opts, model, o);
        if (json_object_object_length(opts) == 0)
            json_object_object_del(b, "options");
    }
    const char *s = json_object_to_json_string_length(
        b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
    char *out = s ? malloc(*len + 1) : NULL;
    if (out)
        memcpy(out, s, *len + 1);
    json_object_put(b);
    return out;
}
