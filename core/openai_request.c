/* OpenAI request bodies rebuilt for the native API: the entry point, the
 * per-API fields (tools, prompt, input, keep_alive) and the helpers the
 * conversion shares. Chat messages are converted in openai_messages.c,
 * their content parts in openai_content.c, the generation settings in
 * openai_options.c. */
#include "autoconfig.h"

#include "openai_request.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "openai_request_impl.h"

enum proxy_api
openai_native_api(enum proxy_api api)
{
    switch (api) {
    case PROXY_API_OAI_CHAT:
        return PROXY_API_CHAT;
    case PROXY_API_OAI_COMPLETIONS:
        return PROXY_API_GENERATE;
    case PROXY_API_OAI_EMBEDDINGS:
        return PROXY_API_EMBED;
    default:
        return api;
    }
}

json_object *
oai_req_member(const json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

int
oai_req_put(json_object *o, const char *key, json_object *v)
{
    if (!v)
        return -ENOMEM;
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

int
oai_req_put_copy(json_object *o, const char *key, const json_object *v)
{
    json_object *copy = NULL;
    /* json-c's copy takes a mutable source but does not change it */
    if (json_object_deep_copy((json_object *)v, &copy, NULL) != 0)
        return -ENOMEM;
    return oai_req_put(o, key, copy);
}

int
oai_req_invalid(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int
oai_req_is_number(const json_object *v)
{
    return oai_req_is(v, json_type_int) ||
           (oai_req_is(v, json_type_double) &&
            isfinite(json_object_get_double(v)));
}

int
oai_req_integer(const json_object *v, int64_t *out)
{
    if (oai_req_is(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return 1;
    }
    if (!oai_req_is(v, json_type_double))
        return 0;
    double d = json_object_get_double(v);
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e15)
        return 0;
    *out = (int64_t)d;
    return 1;
}

static int
keep_alive_to_native(const json_object *body, json_object *native, char *err,
                     size_t errlen)
{
    json_object *v = oai_req_member(body, "keep_alive");
    if (!v)
        return 0;
    if (!oai_req_is_number(v) && !oai_req_is(v, json_type_string))
        return oai_req_invalid(err, errlen,
                               "keep_alive: expected seconds or a duration "
                               "string");
    return oai_req_put_copy(native, "keep_alive", v);
}

/* The function a tool_choice object names ({"type":"function",
 * "function":{"name":...}}), or NULL for a string choice. */
static const char *
tools_chosen_name(const json_object *choice)
{
    json_object *fn, *name;
    if (!oai_req_is(choice, json_type_object) ||
        !json_object_object_get_ex(choice, "function", &fn) ||
        !json_object_is_type(fn, json_type_object) ||
        !json_object_object_get_ex(fn, "name", &name) ||
        !json_object_is_type(name, json_type_string))
        return NULL;
    return json_object_get_string(name);
}

static const char *
tools_name_of(json_object *tool)
{
    json_object *fn, *name;
    if (json_object_object_get_ex(tool, "function", &fn) &&
        json_object_is_type(fn, json_type_object) &&
        json_object_object_get_ex(fn, "name", &name) &&
        json_object_is_type(name, json_type_string))
        return json_object_get_string(name);
    return NULL;
}

/* tools are copied. Ollama has no tool_choice, so it is done with the
 * tools the model sees: "none" drops them (a model without tools cannot
 * call one), a named function keeps that one alone (the only one it can
 * call); "auto", "required" and other kinds of choice keep them all. */
static int
tools_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *tools = oai_req_member(body, "tools");
    json_object *choice = oai_req_member(body, "tool_choice");
    if (choice && !oai_req_is(choice, json_type_string) &&
        !oai_req_is(choice, json_type_object))
        return oai_req_invalid(err, errlen,
                               "tool_choice: expected a string or an object");
    if (!tools)
        return 0;
    if (!oai_req_is(tools, json_type_array))
        return oai_req_invalid(err, errlen, "tools: expected an array");
    size_t n = json_object_array_length(tools);
    for (size_t i = 0; i < n; i++)
        if (!oai_req_is(json_object_array_get_idx(tools, i), json_type_object))
            return oai_req_invalid(err, errlen,
                                   "tools[%zu]: expected an object", i);
    if (n == 0 || (oai_req_is(choice, json_type_string) &&
                   strcmp(json_object_get_string(choice), "none") == 0))
        return 0;
    json_object *type;
    if (oai_req_is(choice, json_type_object) &&
        json_object_object_get_ex(choice, "type", &type) &&
        json_object_is_type(type, json_type_string) &&
        strcmp(json_object_get_string(type), "function") == 0) {
        const char *want = tools_chosen_name(choice);
        if (!want)
            return oai_req_invalid(err, errlen,
                                   "tool_choice.function.name: expected a "
                                   "string");
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(tools, i);
            const char *name = tools_name_of(t);
            if (name && strcmp(name, want) == 0) {
                json_object *one = json_object_new_array(), *copy = NULL;
                if (!one || json_object_deep_copy(t, &copy, NULL) != 0 ||
                    json_object_array_add(one, copy) != 0) {
                    json_object_put(copy);
                    json_object_put(one);
                    return -ENOMEM;
                }
                return oai_req_put(native, "tools", one);
            }
        }
        return oai_req_invalid(err, errlen,
                               "tool_choice: no function '%s' in tools", want);
    }
    return oai_req_put_copy(native, "tools", tools);
}

static int
chat_to_native(const json_object *body, json_object *native, char *err,
               size_t errlen)
{
    json_object *messages;
    int rc = openai_messages_to_native(oai_req_member(body, "messages"),
                                       &messages, err, errlen);
    if (rc == 0)
        rc = oai_req_put(native, "messages", messages);
    if (rc == 0)
        rc = tools_to_native(body, native, err, errlen);
    return rc;
}

/* One prompt per request: Ollama generates for a single one. */
static int
prompt_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *p = oai_req_member(body, "prompt");
    if (oai_req_is(p, json_type_array) && json_object_array_length(p) == 1 &&
        oai_req_is(json_object_array_get_idx(p, 0), json_type_string))
        p = json_object_array_get_idx(p, 0);
    if (oai_req_is(p, json_type_array)) {
        size_t n = json_object_array_length(p);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(p, i);
            if (oai_req_is(e, json_type_int) || oai_req_is(e, json_type_array))
                return oai_req_invalid(err, errlen,
                                       "prompt: token arrays are not "
                                       "supported, send text");
        }
        return oai_req_invalid(err, errlen,
                               "prompt: one prompt per request is supported "
                               "(got an array of %zu)",
                               n);
    }
    if (!oai_req_is(p, json_type_string))
        return oai_req_invalid(err, errlen, "prompt: expected a string");
    return oai_req_put_copy(native, "prompt", p);
}

static int
completion_to_native(const json_object *body, json_object *native, char *err,
                     size_t errlen)
{
    /* echo is refused rather than ignored: Ollama cannot return the prompt
     * with its logprobs, and a client that asked for it would silently get
     * an answer of another shape (scorers use echo to rate a prompt). */
    json_object *echo = oai_req_member(body, "echo");
    if (echo && !oai_req_is(echo, json_type_boolean))
        return oai_req_invalid(err, errlen, "echo: expected a boolean");
    if (echo && json_object_get_boolean(echo))
        return oai_req_invalid(err, errlen,
                               "echo: not supported (Ollama cannot return the "
                               "prompt with the completion)");
    int rc = prompt_to_native(body, native, err, errlen);
    json_object *suffix = oai_req_member(body, "suffix");
    if (rc == 0 && suffix) {
        if (!oai_req_is(suffix, json_type_string))
            return oai_req_invalid(err, errlen, "suffix: expected a string");
        rc = oai_req_put_copy(native, "suffix", suffix);
    }
    return rc;
}

/* input: text only; "" becomes [""], since a native "" only loads the
 * model and would answer with no embedding at all. */
static int
input_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *in = oai_req_member(body, "input");
    if (oai_req_is(in, json_type_string)) {
        if (json_object_get_string_len(in) > 0)
            return oai_req_put_copy(native, "input", in);
        json_object *one = json_object_new_array_ext(1);
        json_object *empty = json_object_new_string("");
        if (one && empty && json_object_array_add(one, empty) == 0)
            return oai_req_put(native, "input", one);
        json_object_put(empty);
        json_object_put(one);
        return -ENOMEM;
    }
    size_t n =
        oai_req_is(in, json_type_array) ? json_object_array_length(in) : 0;
    if (n == 0)
        return oai_req_invalid(err, errlen,
                               "input: expected a string or a non-empty array "
                               "of strings");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(in, i);
        if (oai_req_is(e, json_type_int) || oai_req_is(e, json_type_array))
            return oai_req_invalid(err, errlen,
                                   "input: token arrays are not supported, "
                                   "send text");
        if (!oai_req_is(e, json_type_string))
            return oai_req_invalid(err, errlen, "input[%zu]: expected a string",
                                   i);
    }
    return oai_req_put_copy(native, "input", in);
}

/* The embedding fields. encoding_format leaves no trace in the native
 * body: the response side reads it from the client's body. */
static int
embedding_to_native(const json_object *body, json_object *native, char *err,
                    size_t errlen)
{
    json_object *fmt = oai_req_member(body, "encoding_format");
    if (fmt && (!oai_req_is(fmt, json_type_string) ||
                (strcasecmp(json_object_get_string(fmt), "float") != 0 &&
                 strcasecmp(json_object_get_string(fmt), "base64") != 0)))
        return oai_req_invalid(err, errlen,
                               "encoding_format: expected \"float\" or "
                               "\"base64\"");
    int rc = input_to_native(body, native, err, errlen);
    json_object *dims = oai_req_member(body, "dimensions");
    int64_t n;
    if (rc == 0 && dims) {
        if (!oai_req_integer(dims, &n) || n < 1)
            return oai_req_invalid(err, errlen,
                                   "dimensions: expected a positive integer");
        rc = oai_req_put(native, "dimensions", json_object_new_int64(n));
    }
    json_object *truncate = oai_req_member(body, "truncate");
    if (rc == 0 && truncate) {
        if (!oai_req_is(truncate, json_type_boolean))
            return oai_req_invalid(err, errlen, "truncate: expected a boolean");
        rc = oai_req_put_copy(native, "truncate", truncate);
    }
    return rc;
}

/* Fields with no native counterpart that still must not be silently
 * wrong: several choices (one is all Ollama makes), a tool_choice or
 * stream_options of another shape than OpenAI's. */
static int
unforwarded_check(const json_object *body, enum proxy_api api, char *err,
                  size_t errlen)
{
    static const char *const counts[] = {"n", "best_of"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        json_object *v = oai_req_member(body, counts[i]);
        int64_t n;
        if (v && (!oai_req_integer(v, &n) || n < 1))
            return oai_req_invalid(
                err, errlen, "%s: expected a positive integer", counts[i]);
        if (v && n > 1)
            return oai_req_invalid(err, errlen,
                                   "%s: only 1 is supported (Ollama makes "
                                   "one choice per request)",
                                   counts[i]);
    }
    json_object *choice = oai_req_member(body, "tool_choice");
    if (api == PROXY_API_OAI_CHAT && oai_req_is(choice, json_type_string)) {
        const char *c = json_object_get_string(choice);
        if (strcmp(c, "none") != 0 && strcmp(c, "auto") != 0 &&
            strcmp(c, "required") != 0)
            return oai_req_invalid(err, errlen,
                                   "tool_choice: expected \"none\", "
                                   "\"auto\", \"required\" or an object");
    }
    json_object *so = oai_req_member(body, "stream_options"), *iu;
    if (so && !oai_req_is(so, json_type_object))
        return oai_req_invalid(err, errlen,
                               "stream_options: expected an object");
    if (so && json_object_object_get_ex(so, "include_usage", &iu) && iu &&
        !oai_req_is(iu, json_type_boolean))
        return oai_req_invalid(err, errlen,
                               "stream_options.include_usage: expected a "
                               "boolean");
    return 0;
}

static int
request_to_native(const json_object *body, enum proxy_api api,
                  json_object *native, char *err, size_t errlen)
{
    json_object *model = oai_req_member(body, "model");
    int rc = 0;
    if (model && !oai_req_is(model, json_type_string))
        return oai_req_invalid(err, errlen, "model: expected a string");
    if (model)
        rc = oai_req_put_copy(native, "model", model);
    if (rc == 0)
        rc = unforwarded_check(body, api, err, errlen);
    if (rc != 0)
        return rc;
    switch (api) {
    case PROXY_API_OAI_CHAT:
        rc = chat_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = openai_generation_to_native(body, api, native, err, errlen);
        break;
    case PROXY_API_OAI_COMPLETIONS:
        rc = completion_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = openai_generation_to_native(body, api, native, err, errlen);
        break;
    case PROXY_API_OAI_EMBEDDINGS:
        rc = embedding_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = openai_options_to_native(body, 0, native, err, errlen);
        break;
    default:
        return oai_req_invalid(err, errlen, "not an OpenAI API");
    }
    if (rc == 0)
        rc = keep_alive_to_native(body, native, err, errlen);
    return rc;
}

json_object *
openai_request_to_native(const json_object *body, enum proxy_api api, char *err,
                         size_t errlen)
{
    if (!oai_req_is(body, json_type_object)) {
        snprintf(err, errlen, "request body must be a JSON object");
        return NULL;
    }
    json_object *native = json_object_new_object();
    int rc =
        native ? request_to_native(body, api, native, err, errlen) : -ENOMEM;
    if (rc == 0)
        return native;
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory converting the request");
    json_object_put(native);
    return NULL;
}
