/* OpenAI request bodies rebuilt for the native API: the fields every
 * API shares (model, stream, options, format, think, keep_alive) and the
 * per-API ones (messages and tools, prompt, input). Chat messages are
 * converted in openai_messages.c. */
#include "autoconfig.h"

#include "openai_request.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "openai_messages.h"

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

static int
is_type(const json_object *v, json_type t)
{
    return v && json_object_is_type(v, t);
}

static int
is_number(const json_object *v)
{
    return is_type(v, json_type_int) || (is_type(v, json_type_double) &&
                                         isfinite(json_object_get_double(v)));
}

/* An integer, also when written as 3.0 (JSON has one number type). */
static int
integer_value(const json_object *v, int64_t *out)
{
    if (is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return 1;
    }
    if (!is_type(v, json_type_double))
        return 0;
    double d = json_object_get_double(v);
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e15)
        return 0;
    *out = (int64_t)d;
    return 1;
}

enum option_kind {
    OPTION_NUMBER,
    OPTION_INTEGER,
    OPTION_TOKENS, /* a positive integer */
    OPTION_STOP    /* a string or an array of strings */
};

/* Top-level sampling fields and the native options they set. A later row
 * wins: max_completion_tokens, OpenAI's newer name, over max_tokens. */
static const struct option_field {
    const char *name, *native;
    enum option_kind kind;
} option_fields[] = {
    {"temperature", "temperature", OPTION_NUMBER},
    {"top_p", "top_p", OPTION_NUMBER},
    {"frequency_penalty", "frequency_penalty", OPTION_NUMBER},
    {"presence_penalty", "presence_penalty", OPTION_NUMBER},
    {"seed", "seed", OPTION_INTEGER},
    {"stop", "stop", OPTION_STOP},
    {"max_tokens", "num_predict", OPTION_TOKENS},
    {"max_completion_tokens", "num_predict", OPTION_TOKENS},
    /* not OpenAI's, but sent by clients written for llama.cpp and vLLM */
    {"top_k", "top_k", OPTION_INTEGER},
    {"min_p", "min_p", OPTION_NUMBER},
    {"repeat_penalty", "repeat_penalty", OPTION_NUMBER},
};

/* stop as the native string array; an empty one is left out, since it
 * would replace the model's own stop sequences with none. */
static int
stop_to_native(const json_object *v, json_object *opts, char *err,
               size_t errlen)
{
    if (is_type(v, json_type_string)) {
        json_object *one = json_object_new_array_ext(1);
        json_object *s = NULL;
        if (one && json_object_deep_copy((json_object *)v, &s, NULL) == 0 &&
            json_object_array_add(one, s) == 0)
            return openai_put(opts, "stop", one);
        json_object_put(s);
        json_object_put(one);
        return -ENOMEM;
    }
    if (!is_type(v, json_type_array))
        return openai_invalid(err, errlen,
                              "stop: expected a string or an array of "
                              "strings");
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++)
        if (!is_type(json_object_array_get_idx(v, i), json_type_string))
            return openai_invalid(err, errlen, "stop[%zu]: expected a string",
                                  i);
    return n > 0 ? openai_put_copy(opts, "stop", v) : 0;
}

static int
option_to_native(const struct option_field *f, const json_object *v,
                 json_object *opts, char *err, size_t errlen)
{
    int64_t n;
    switch (f->kind) {
    case OPTION_NUMBER:
        if (!is_number(v))
            return openai_invalid(err, errlen, "%s: expected a number",
                                  f->name);
        /* the copy keeps the client's spelling of the number */
        return openai_put_copy(opts, f->native, v);
    case OPTION_INTEGER:
        if (!integer_value(v, &n))
            return openai_invalid(err, errlen, "%s: expected an integer",
                                  f->name);
        return openai_put(opts, f->native, json_object_new_int64(n));
    case OPTION_TOKENS:
        /* num_predict 0 would mean "no limit" to Ollama, not "none" */
        if (!integer_value(v, &n) || n < 1)
            return openai_invalid(err, errlen,
                                  "%s: expected a positive integer", f->name);
        return openai_put(opts, f->native, json_object_new_int64(n));
    case OPTION_STOP:
        return stop_to_native(v, opts, err, errlen);
    }
    return -EINVAL;
}

/* options: the client's own (an Ollama extension some clients send), with
 * the OpenAI sampling fields set over them when sampling; none at all
 * when nothing is set. */
static int
options_to_native(const json_object *body, int sampling, json_object *native,
                  char *err, size_t errlen)
{
    json_object *given = openai_member(body, "options"), *opts = NULL;
    if (given && !is_type(given, json_type_object))
        return openai_invalid(err, errlen, "options: expected an object");
    if (given ? json_object_deep_copy(given, &opts, NULL) != 0
              : !(opts = json_object_new_object()))
        return -ENOMEM;
    int rc = 0;
    size_t nfields = sizeof option_fields / sizeof option_fields[0];
    for (size_t i = 0; rc == 0 && sampling && i < nfields; i++) {
        json_object *v = openai_member(body, option_fields[i].name);
        if (v)
            rc = option_to_native(&option_fields[i], v, opts, err, errlen);
    }
    if (rc != 0 || json_object_object_length(opts) == 0) {
        json_object_put(opts);
        return rc;
    }
    return openai_put(native, "options", opts);
}

/* response_format -> format; without one, a native format the client
 * sent is kept. */
static int
format_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *rf = openai_member(body, "response_format");
    if (!rf) {
        json_object *f = openai_member(body, "format");
        if (!f)
            return 0;
        if (!is_type(f, json_type_string) && !is_type(f, json_type_object))
            return openai_invalid(err, errlen,
                                  "format: expected \"json\" or a JSON "
                                  "schema object");
        return openai_put_copy(native, "format", f);
    }
    json_object *type = openai_member(rf, "type");
    if (!is_type(rf, json_type_object) || !is_type(type, json_type_string))
        return openai_invalid(err, errlen,
                              "response_format: expected an object with a "
                              "string type");
    const char *t = json_object_get_string(type);
    if (strcmp(t, "text") == 0)
        return 0;
    if (strcmp(t, "json_object") == 0)
        return openai_put(native, "format", json_object_new_string("json"));
    if (strcmp(t, "json_schema") != 0)
        return openai_invalid(err, errlen,
                              "response_format.type: '%.40s' is not one of "
                              "text, json_object, json_schema",
                              t);
    json_object *schema =
        openai_member(openai_member(rf, "json_schema"), "schema");
    if (!is_type(schema, json_type_object))
        return openai_invalid(err, errlen,
                              "response_format.json_schema.schema: expected "
                              "a JSON schema object");
    return openai_put_copy(native, "format", schema);
}

/* OpenAI's reasoning efforts and the think value each becomes (NULL:
 * false). Ollama takes low, medium, high and max. */
static const struct effort {
    const char *name, *think;
} efforts[] = {
    {"none", NULL},   {"minimal", "low"}, {"low", "low"}, {"medium", "medium"},
    {"high", "high"}, {"xhigh", "max"},   {"max", "max"},
};

/* think as the client gave it (an Ollama extension), else from
 * reasoning_effort or reasoning.effort. */
static int
think_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *v = openai_member(body, "think");
    if (v) {
        if (!is_type(v, json_type_boolean) && !is_type(v, json_type_string))
            return openai_invalid(err, errlen,
                                  "think: expected a boolean or a level");
        return openai_put_copy(native, "think", v);
    }
    const char *field = "reasoning_effort";
    v = openai_member(body, field);
    if (!v) {
        json_object *reasoning = openai_member(body, "reasoning");
        if (reasoning && !is_type(reasoning, json_type_object))
            return openai_invalid(err, errlen, "reasoning: expected an object");
        field = "reasoning.effort";
        v = openai_member(reasoning, "effort");
    }
    if (!v)
        return 0;
    const char *name = is_type(v, json_type_string) ? json_object_get_string(v)
                                                    : "(not a string)";
    for (size_t i = 0; i < sizeof efforts / sizeof efforts[0]; i++)
        if (strcasecmp(name, efforts[i].name) == 0)
            return openai_put(native, "think",
                              efforts[i].think
                                  ? json_object_new_string(efforts[i].think)
                                  : json_object_new_boolean(0));
    return openai_invalid(err, errlen,
                          "%s: '%.40s' is not one of none, minimal, low, "
                          "medium, high, xhigh, max",
                          field, name);
}

static int
keep_alive_to_native(const json_object *body, json_object *native, char *err,
                     size_t errlen)
{
    json_object *v = openai_member(body, "keep_alive");
    if (!v)
        return 0;
    if (!is_number(v) && !is_type(v, json_type_string))
        return openai_invalid(err, errlen,
                              "keep_alive: expected seconds or a duration "
                              "string");
    return openai_put_copy(native, "keep_alive", v);
}

/* stream: OpenAI's default is false, Ollama's true, so it is always
 * written. */
static int
stream_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *v = openai_member(body, "stream");
    if (v && !is_type(v, json_type_boolean))
        return openai_invalid(err, errlen, "stream: expected a boolean");
    return openai_put(native, "stream",
                      json_object_new_boolean(v && json_object_get_boolean(v)));
}

/* Chat: logprobs is a boolean with top_logprobs beside it; completions:
 * logprobs is the number of alternatives wanted. */
static int
logprobs_to_native(const json_object *body, enum proxy_api api,
                   json_object *native, char *err, size_t errlen)
{
    json_object *lp = openai_member(body, "logprobs");
    json_object *top = openai_member(body, "top_logprobs");
    int64_t n;
    int rc = 0;
    if (api == PROXY_API_OAI_COMPLETIONS && lp &&
        !is_type(lp, json_type_boolean)) {
        if (!integer_value(lp, &n) || n < 0)
            return openai_invalid(err, errlen,
                                  "logprobs: expected a count of 0 or more");
        rc = openai_put(native, "logprobs", json_object_new_boolean(1));
        return rc ? rc
                  : openai_put(native, "top_logprobs",
                               json_object_new_int64(n));
    }
    if (lp && !is_type(lp, json_type_boolean))
        return openai_invalid(err, errlen, "logprobs: expected a boolean");
    if (lp)
        rc = openai_put_copy(native, "logprobs", lp);
    if (rc == 0 && top) {
        if (!integer_value(top, &n))
            return openai_invalid(err, errlen,
                                  "top_logprobs: expected an integer");
        rc = openai_put(native, "top_logprobs", json_object_new_int64(n));
    }
    return rc;
}

/* tools are copied; tool_choice "none" drops them, since Ollama has no
 * tool_choice and a model without tools cannot call one. Other choices
 * ("auto", "required", a named function) keep them all. */
static int
tools_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *tools = openai_member(body, "tools");
    json_object *choice = openai_member(body, "tool_choice");
    if (choice && !is_type(choice, json_type_string) &&
        !is_type(choice, json_type_object))
        return openai_invalid(err, errlen,
                              "tool_choice: expected a string or an object");
    if (!tools)
        return 0;
    if (!is_type(tools, json_type_array))
        return openai_invalid(err, errlen, "tools: expected an array");
    size_t n = json_object_array_length(tools);
    for (size_t i = 0; i < n; i++)
        if (!is_type(json_object_array_get_idx(tools, i), json_type_object))
            return openai_invalid(err, errlen, "tools[%zu]: expected an object",
                                  i);
    if (n == 0 || (is_type(choice, json_type_string) &&
                   strcmp(json_object_get_string(choice), "none") == 0))
        return 0;
    return openai_put_copy(native, "tools", tools);
}

static int
chat_to_native(const json_object *body, json_object *native, char *err,
               size_t errlen)
{
    json_object *messages;
    int rc = openai_messages_to_native(openai_member(body, "messages"),
                                       &messages, err, errlen);
    if (rc == 0)
        rc = openai_put(native, "messages", messages);
    if (rc == 0)
        rc = tools_to_native(body, native, err, errlen);
    return rc;
}

/* One prompt per request: Ollama generates for a single one. */
static int
prompt_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *p = openai_member(body, "prompt");
    if (is_type(p, json_type_array) && json_object_array_length(p) == 1 &&
        is_type(json_object_array_get_idx(p, 0), json_type_string))
        p = json_object_array_get_idx(p, 0);
    if (is_type(p, json_type_array)) {
        size_t n = json_object_array_length(p);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(p, i);
            if (is_type(e, json_type_int) || is_type(e, json_type_array))
                return openai_invalid(err, errlen,
                                      "prompt: token arrays are not "
                                      "supported, send text");
        }
        return openai_invalid(err, errlen,
                              "prompt: one prompt per request is supported "
                              "(got an array of %zu)",
                              n);
    }
    if (!is_type(p, json_type_string))
        return openai_invalid(err, errlen, "prompt: expected a string");
    return openai_put_copy(native, "prompt", p);
}

static int
completion_to_native(const json_object *body, json_object *native, char *err,
                     size_t errlen)
{
    /* echo is refused rather than ignored: Ollama cannot return the prompt
     * with its logprobs, and a client that asked for it would silently get
     * an answer of another shape (scorers use echo to rate a prompt). */
    json_object *echo = openai_member(body, "echo");
    if (echo && !is_type(echo, json_type_boolean))
        return openai_invalid(err, errlen, "echo: expected a boolean");
    if (echo && json_object_get_boolean(echo))
        return openai_invalid(err, errlen,
                              "echo: not supported (Ollama cannot return the "
                              "prompt with the completion)");
    int rc = prompt_to_native(body, native, err, errlen);
    json_object *suffix = openai_member(body, "suffix");
    if (rc == 0 && suffix) {
        if (!is_type(suffix, json_type_string))
            return openai_invalid(err, errlen, "suffix: expected a string");
        rc = openai_put_copy(native, "suffix", suffix);
    }
    return rc;
}

/* input: text only; "" becomes [""], since a native "" only loads the
 * model and would answer with no embedding at all. */
static int
input_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *in = openai_member(body, "input");
    if (is_type(in, json_type_string)) {
        if (json_object_get_string_len(in) > 0)
            return openai_put_copy(native, "input", in);
        json_object *one = json_object_new_array_ext(1);
        json_object *empty = json_object_new_string("");
        if (one && empty && json_object_array_add(one, empty) == 0)
            return openai_put(native, "input", one);
        json_object_put(empty);
        json_object_put(one);
        return -ENOMEM;
    }
    size_t n = is_type(in, json_type_array) ? json_object_array_length(in) : 0;
    if (n == 0)
        return openai_invalid(err, errlen,
                              "input: expected a string or a non-empty array "
                              "of strings");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(in, i);
        if (is_type(e, json_type_int) || is_type(e, json_type_array))
            return openai_invalid(err, errlen,
                                  "input: token arrays are not supported, "
                                  "send text");
        if (!is_type(e, json_type_string))
            return openai_invalid(err, errlen, "input[%zu]: expected a string",
                                  i);
    }
    return openai_put_copy(native, "input", in);
}

/* The embedding fields. encoding_format leaves no trace in the native
 * body: the response side reads it from the client's body. */
static int
embedding_to_native(const json_object *body, json_object *native, char *err,
                    size_t errlen)
{
    json_object *fmt = openai_member(body, "encoding_format");
    if (fmt && (!is_type(fmt, json_type_string) ||
                (strcasecmp(json_object_get_string(fmt), "float") != 0 &&
                 strcasecmp(json_object_get_string(fmt), "base64") != 0)))
        return openai_invalid(err, errlen,
                              "encoding_format: expected \"float\" or "
                              "\"base64\"");
    int rc = input_to_native(body, native, err, errlen);
    json_object *dims = openai_member(body, "dimensions");
    int64_t n;
    if (rc == 0 && dims) {
        if (!integer_value(dims, &n) || n < 1)
            return openai_invalid(err, errlen,
                                  "dimensions: expected a positive integer");
        rc = openai_put(native, "dimensions", json_object_new_int64(n));
    }
    json_object *truncate = openai_member(body, "truncate");
    if (rc == 0 && truncate) {
        if (!is_type(truncate, json_type_boolean))
            return openai_invalid(err, errlen, "truncate: expected a boolean");
        rc = openai_put_copy(native, "truncate", truncate);
    }
    return rc;
}

/* The fields of a generating request (chat or completion), after its own
 * messages or prompt. */
static int
generation_to_native(const json_object *body, enum proxy_api api,
                     json_object *native, char *err, size_t errlen)
{
    int rc = stream_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = format_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = think_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = options_to_native(body, 1, native, err, errlen);
    if (rc == 0)
        rc = logprobs_to_native(body, api, native, err, errlen);
    return rc;
}

static int
request_to_native(const json_object *body, enum proxy_api api,
                  json_object *native, char *err, size_t errlen)
{
    json_object *model = openai_member(body, "model");
    int rc = 0;
    if (model && !is_type(model, json_type_string))
        return openai_invalid(err, errlen, "model: expected a string");
    if (model)
        rc = openai_put_copy(native, "model", model);
    if (rc != 0)
        return rc;
    switch (api) {
    case PROXY_API_OAI_CHAT:
        rc = chat_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = generation_to_native(body, api, native, err, errlen);
        break;
    case PROXY_API_OAI_COMPLETIONS:
        rc = completion_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = generation_to_native(body, api, native, err, errlen);
        break;
    case PROXY_API_OAI_EMBEDDINGS:
        rc = embedding_to_native(body, native, err, errlen);
        if (rc == 0)
            rc = options_to_native(body, 0, native, err, errlen);
        break;
    default:
        return openai_invalid(err, errlen, "not an OpenAI API");
    }
    if (rc == 0)
        rc = keep_alive_to_native(body, native, err, errlen);
    return rc;
}

json_object *
openai_request_to_native(const json_object *body, enum proxy_api api, char *err,
                         size_t errlen)
{
    if (!is_type(body, json_type_object)) {
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
