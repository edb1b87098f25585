/* The generation settings of an OpenAI request in native form: stream,
 * format (from response_format), think (from reasoning_effort), options
 * (from the sampling fields) and logprobs. */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "openai_request_impl.h"

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
    if (oai_req_is(v, json_type_string)) {
        json_object *one = json_object_new_array_ext(1);
        json_object *s = NULL;
        if (one && json_object_deep_copy((json_object *)v, &s, NULL) == 0 &&
            json_object_array_add(one, s) == 0)
            return oai_req_put(opts, "stop", one);
        json_object_put(s);
        json_object_put(one);
        return -ENOMEM;
    }
    if (!oai_req_is(v, json_type_array))
        return oai_req_invalid(err, errlen,
                               "stop: expected a string or an array of "
                               "strings");
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++)
        if (!oai_req_is(json_object_array_get_idx(v, i), json_type_string))
            return oai_req_invalid(err, errlen, "stop[%zu]: expected a string",
                                   i);
    return n > 0 ? oai_req_put_copy(opts, "stop", v) : 0;
}

static int
option_to_native(const struct option_field *f, const json_object *v,
                 json_object *opts, char *err, size_t errlen)
{
    int64_t n;
    switch (f->kind) {
    case OPTION_NUMBER:
        if (!oai_req_is_number(v))
            return oai_req_invalid(err, errlen, "%s: expected a number",
                                   f->name);
        /* the copy keeps the client's spelling of the number */
        return oai_req_put_copy(opts, f->native, v);
    case OPTION_INTEGER:
        if (!oai_req_integer(v, &n))
            return oai_req_invalid(err, errlen, "%s: expected an integer",
                                   f->name);
        return oai_req_put(opts, f->native, json_object_new_int64(n));
    case OPTION_TOKENS:
        /* num_predict 0 would mean "no limit" to Ollama, not "none" */
        if (!oai_req_integer(v, &n) || n < 1)
            return oai_req_invalid(err, errlen,
                                   "%s: expected a positive integer", f->name);
        return oai_req_put(opts, f->native, json_object_new_int64(n));
    case OPTION_STOP:
        return stop_to_native(v, opts, err, errlen);
    }
    return -EINVAL;
}

/* options: the client's own (an Ollama extension some clients send), with
 * the OpenAI sampling fields set over them when sampling; none at all
 * when nothing is set. */
int
openai_options_to_native(const json_object *body, int sampling,
                         json_object *native, char *err, size_t errlen)
{
    json_object *given = oai_req_member(body, "options"), *opts = NULL;
    if (given && !oai_req_is(given, json_type_object))
        return oai_req_invalid(err, errlen, "options: expected an object");
    if (given ? json_object_deep_copy(given, &opts, NULL) != 0
              : !(opts = json_object_new_object()))
        return -ENOMEM;
    int rc = 0;
    size_t nfields = sizeof option_fields / sizeof option_fields[0];
    for (size_t i = 0; rc == 0 && sampling && i < nfields; i++) {
        json_object *v = oai_req_member(body, option_fields[i].name);
        if (v)
            rc = option_to_native(&option_fields[i], v, opts, err, errlen);
    }
    if (rc != 0 || json_object_object_length(opts) == 0) {
        json_object_put(opts);
        return rc;
    }
    return oai_req_put(native, "options", opts);
}

/* response_format -> format; without one, a native format the client
 * sent is kept. */
static int
format_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *rf = oai_req_member(body, "response_format");
    if (!rf) {
        json_object *f = oai_req_member(body, "format");
        if (!f)
            return 0;
        if (!oai_req_is(f, json_type_string) &&
            !oai_req_is(f, json_type_object))
            return oai_req_invalid(err, errlen,
                                   "format: expected \"json\" or a JSON "
                                   "schema object");
        return oai_req_put_copy(native, "format", f);
    }
    json_object *type = oai_req_member(rf, "type");
    if (!oai_req_is(rf, json_type_object) ||
        !oai_req_is(type, json_type_string))
        return oai_req_invalid(err, errlen,
                               "response_format: expected an object with a "
                               "string type");
    const char *t = json_object_get_string(type);
    if (strcmp(t, "text") == 0)
        return 0;
    if (strcmp(t, "json_object") == 0)
        return oai_req_put(native, "format", json_object_new_string("json"));
    if (strcmp(t, "json_schema") != 0)
        return oai_req_invalid(err, errlen,
                               "response_format.type: '%.40s' is not one of "
                               "text, json_object, json_schema",
                               t);
    json_object *schema =
        oai_req_member(oai_req_member(rf, "json_schema"), "schema");
    if (!oai_req_is(schema, json_type_object))
        return oai_req_invalid(err, errlen,
                               "response_format.json_schema.schema: expected "
                               "a JSON schema object");
    return oai_req_put_copy(native, "format", schema);
}

/* OpenAI's reasoning efforts and the think value each becomes (NULL:
 * false). Ollama takes low, medium, high and max. */
static const struct effort {
    const char *name, *think;
} efforts[] = {
    {"none", NULL},   {"minimal", "low"}, {"low", "low"}, {"medium", "medium"},
    {"high", "high"}, {"xhigh", "max"},   {"ultra", "max"}, {"max", "max"},
};

/* think as the client gave it (an Ollama extension), else from
 * reasoning_effort or reasoning.effort. */
static int
think_to_native(const json_object *body, json_object *native, char *err,
                size_t errlen)
{
    json_object *v = oai_req_member(body, "think");
    if (v) {
        if (!oai_req_is(v, json_type_boolean) &&
            !oai_req_is(v, json_type_string))
            return oai_req_invalid(err, errlen,
                                   "think: expected a boolean or a level");
        return oai_req_put_copy(native, "think", v);
    }
    const char *field = "reasoning_effort";
    v = oai_req_member(body, field);
    if (!v) {
        json_object *reasoning = oai_req_member(body, "reasoning");
        if (reasoning && !oai_req_is(reasoning, json_type_object))
            return oai_req_invalid(err, errlen,
                                   "reasoning: expected an object");
        field = "reasoning.effort";
        v = oai_req_member(reasoning, "effort");
    }
    if (!v)
        return 0;
    if (!oai_req_is(v, json_type_string))
        return oai_req_invalid(err, errlen, "%s: expected a string", field);
    const char *name = json_object_get_string(v);
    for (size_t i = 0; i < sizeof efforts / sizeof efforts[0]; i++)
        if (strcasecmp(name, efforts[i].name) == 0)
            return oai_req_put(native, "think",
                               efforts[i].think
                                   ? json_object_new_string(efforts[i].think)
                                   : json_object_new_boolean(0));
    return oai_req_invalid(err, errlen,
                           "%s: '%.40s' is not one of none, minimal, low, "
                           "medium, high, xhigh, max",
                           field, name);
}

/* stream: OpenAI's default is false, Ollama's true, so it is always
 * written. */
static int
stream_to_native(const json_object *body, json_object *native, char *err,
                 size_t errlen)
{
    json_object *v = oai_req_member(body, "stream");
    if (v && !oai_req_is(v, json_type_boolean))
        return oai_req_invalid(err, errlen, "stream: expected a boolean");
    return oai_req_put(
        native, "stream",
        json_object_new_boolean(v && json_object_get_boolean(v)));
}

/* Chat: logprobs is a boolean with top_logprobs beside it; completions:
 * logprobs is the number of alternatives wanted. */
static int
logprobs_to_native(const json_object *body, enum proxy_api api,
                   json_object *native, char *err, size_t errlen)
{
    json_object *lp = oai_req_member(body, "logprobs");
    json_object *top = oai_req_member(body, "top_logprobs");
    int64_t n;
    int rc = 0;
    if (api == PROXY_API_OAI_COMPLETIONS && lp &&
        !oai_req_is(lp, json_type_boolean)) {
        if (!oai_req_integer(lp, &n) || n < 0)
            return oai_req_invalid(err, errlen,
                                   "logprobs: expected a count of 0 or more");
        rc = oai_req_put(native, "logprobs", json_object_new_boolean(1));
        return rc ? rc
                  : oai_req_put(native, "top_logprobs",
                                json_object_new_int64(n));
    }
    if (lp && !oai_req_is(lp, json_type_boolean))
        return oai_req_invalid(err, errlen, "logprobs: expected a boolean");
    if (lp)
        rc = oai_req_put_copy(native, "logprobs", lp);
    if (rc == 0 && top) {
        if (!oai_req_integer(top, &n))
            return oai_req_invalid(err, errlen,
                                   "top_logprobs: expected an integer");
        rc = oai_req_put(native, "top_logprobs", json_object_new_int64(n));
    }
    return rc;
}

/* The fields of a generating request (chat or completion), after its own
 * messages or prompt. */
int
openai_generation_to_native(const json_object *body, enum proxy_api api,
                            json_object *native, char *err, size_t errlen)
{
    int rc = stream_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = format_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = think_to_native(body, native, err, errlen);
    if (rc == 0)
        rc = openai_options_to_native(body, 1, native, err, errlen);
    if (rc == 0)
        rc = logprobs_to_native(body, api, native, err, errlen);
    return rc;
}
