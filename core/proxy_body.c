/* Upstream bodies: what the router changes in a client's request. */
#include "autoconfig.h"

#include "proxy_body.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
body_type_is(const json_object *body, const char *key, json_type t1,
             json_type t2, int required)
{
    json_object *v;
    if (!json_object_object_get_ex(body, key, &v) ||
        json_object_is_type(v, json_type_null))
        return !required;
    return json_object_is_type(v, t1) || json_object_is_type(v, t2);
}

int
proxy_body_check(const json_object *body, enum proxy_api api, char *err,
                 size_t errlen)
{
    const char *key = NULL, *what = NULL;
    int required = 0;
    json_type t1 = json_type_array, t2 = json_type_array;
    switch (api) {
    case PROXY_API_CHAT:
        key = "messages", what = "an array";
        break;
    case PROXY_API_OAI_CHAT:
        key = "messages", what = "an array", required = 1;
        break;
    case PROXY_API_GENERATE:
        key = "prompt", what = "a string", t1 = t2 = json_type_string;
        break;
    case PROXY_API_OAI_COMPLETIONS:
        key = "prompt", what = "a string or an array", required = 1;
        t1 = json_type_string;
        break;
    case PROXY_API_EMBED:
    case PROXY_API_OAI_EMBEDDINGS:
        key = "input", what = "a string or an array", required = 1;
        t1 = json_type_string;
        break;
    case PROXY_API_EMBEDDINGS:
        key = "prompt", what = "a string", t1 = t2 = json_type_string;
        required = 1;
        break;
    }
    if (!body_type_is(body, key, t1, t2, required)) {
        snprintf(err, errlen, "%s %s %s", key,
                 required ? "is required and must be" : "must be", what);
        return -EINVAL;
    }
    json_object *opts;
    if (json_object_object_get_ex(body, "options", &opts) &&
        !json_object_is_type(opts, json_type_null) &&
        !json_object_is_type(opts, json_type_object)) {
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
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(model, names[i]))
            return 1;
    return 0;
}

static int
body_native(enum proxy_api api)
{
    return api == PROXY_API_CHAT || api == PROXY_API_GENERATE;
}

/* Context protection, strip mode (reference §6.2): a num_ctx the loaded
 * model already covers would only force a reload, so it goes; a larger
 * one stays and is flagged. */
static void
body_context(json_object *opts, unsigned loaded_ctx, int *overflow)
{
    json_object *v;
    if (!json_object_object_get_ex(opts, "num_ctx", &v) ||
        !json_object_is_type(v, json_type_int) || loaded_ctx == 0)
        return;
    int64_t want = json_object_get_int64(v);
    if (want <= (int64_t)loaded_ctx)
        json_object_object_del(opts, "num_ctx");
    else
        *overflow = 1;
}

static void
body_thinking(json_object *opts, const char *model)
{
    json_object *v;
    if (!proxy_body_is_thinking(model) ||
        !json_object_object_get_ex(opts, "num_predict", &v) ||
        !json_object_is_type(v, json_type_int))
        return;
    int64_t n = json_object_get_int64(v);
    if (n < 0) /* -1: unlimited already */
        return;
    double want = (double)n * PROXY_THINKING_FACTOR;
    if (want < PROXY_THINKING_MIN_PREDICT)
        want = PROXY_THINKING_MIN_PREDICT;
    json_object_object_add(opts, "num_predict",
                           json_object_new_int64((int64_t)want));
}

char *
proxy_body_build(const json_object *body, enum proxy_api api, const char *model,
                 unsigned loaded_ctx, int *overflow, size_t *len)
{
    json_object *b = NULL, *opts;
    *overflow = 0;
    if (json_object_deep_copy((json_object *)body, &b, NULL) != 0 || !b)
        return NULL;
    json_object_object_add(b, "model", json_object_new_string(model));
    json_object_object_del(b, "name");
    json_object_object_del(b, "fallback_models");
    if (api < PROXY_API_OAI_CHAT)
        json_object_object_del(b, "metadata");
    if (api < PROXY_API_OAI_CHAT && api != PROXY_API_EMBEDDINGS &&
        !json_object_object_get_ex(b, "keep_alive", NULL))
        json_object_object_add(b, "keep_alive",
                               json_object_new_int(PROXY_KEEP_ALIVE_DEFAULT));
    if (body_native(api) && json_object_object_get_ex(b, "options", &opts) &&
        json_object_is_type(opts, json_type_object)) {
        body_context(opts, loaded_ctx, overflow);
        body_thinking(opts, model);
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
