/* OpenAI chat messages as native /api/chat messages: roles, content
 * (parts in openai_content.c), assistant tool calls with object
 * arguments, tool results named after the call they answer, reasoning as
 * thinking. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/json_scan.h"
#include "openai_request_impl.h"

/* Tool call arguments as a native object: JSON text (OpenAI's form) is
 * parsed, an object (some clients send one) copied; "" means none. */
static int
arguments_to_native(const json_object *args, json_object **out)
{
    *out = NULL;
    if (oai_req_is(args, json_type_object))
        return json_object_deep_copy((json_object *)args, out, NULL) == 0
                   ? 0
                   : -ENOMEM;
    if (args && !oai_req_is(args, json_type_string))
        return -EINVAL;
    const char *s = args ? json_object_get_string((json_object *)args) : "";
    size_t len = args ? (size_t)json_object_get_string_len(args) : 0;
    size_t lead = strspn(s, " \t\r\n");
    if (lead == len) {
        *out = json_object_new_object();
        return *out ? 0 : -ENOMEM;
    }
    struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEPTH);
    if (!tok)
        return -ENOMEM;
    json_object *o = json_tokener_parse_ex(tok, s, (int)len);
    size_t end = json_tokener_get_parse_end(tok);
    int complete = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (complete && end <= len)
        complete = strspn(s + end, " \t\r\n") == len - end;
    if (!o || !complete || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -EINVAL;
    }
    *out = o;
    return 0;
}

/* One assistant tool call -> {id?, function: {name, arguments}}. */
static int
tool_call_to_native(const json_object *call, size_t i, size_t k,
                    json_object **out, char *err, size_t errlen)
{
    json_object *fn = oai_req_member(call, "function");
    if (!oai_req_is(fn, json_type_object))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].tool_calls[%zu].function: "
                               "expected an object",
                               i, k);
    json_object *name = oai_req_member(fn, "name"), *id;
    if (!oai_req_is(name, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].tool_calls[%zu].function.name: "
                               "expected a string",
                               i, k);
    id = oai_req_member(call, "id");
    if (id && !oai_req_is(id, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].tool_calls[%zu].id: expected a "
                               "string",
                               i, k);
    json_object *args;
    int rc = arguments_to_native(oai_req_member(fn, "arguments"), &args);
    if (rc == -EINVAL)
        return oai_req_invalid(err, errlen,
                               "messages[%zu].tool_calls[%zu].function."
                               "arguments: expected a JSON object (as text)",
                               i, k);
    if (rc != 0)
        return rc;
    json_object *call_out = json_object_new_object();
    json_object *fn_out = json_object_new_object();
    rc = call_out && fn_out ? 0 : -ENOMEM;
    if (rc == 0 && id)
        rc = oai_req_put_copy(call_out, "id", id);
    if (rc == 0)
        rc = oai_req_put_copy(fn_out, "name", name);
    if (rc == 0) {
        rc = oai_req_put(fn_out, "arguments", args);
        args = NULL;
    }
    if (rc == 0) {
        rc = oai_req_put(call_out, "function", fn_out);
        fn_out = NULL;
    }
    json_object_put(args);
    json_object_put(fn_out);
    if (rc != 0) {
        json_object_put(call_out);
        return rc;
    }
    *out = call_out;
    return 0;
}

static int
tool_calls_to_native(const json_object *calls, size_t i, json_object *msg,
                     char *err, size_t errlen)
{
    if (!oai_req_is(calls, json_type_array))
        return oai_req_invalid(
            err, errlen, "messages[%zu].tool_calls: expected an array", i);
    size_t n = json_object_array_length(calls);
    if (n == 0)
        return 0;
    json_object *out = json_object_new_array_ext((int)n);
    int rc = out ? 0 : -ENOMEM;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        json_object *call = json_object_array_get_idx(calls, k), *native = NULL;
        if (!oai_req_is(call, json_type_object)) {
            rc = oai_req_invalid(err, errlen,
                                 "messages[%zu].tool_calls[%zu]: expected an "
                                 "object",
                                 i, k);
            break;
        }
        rc = tool_call_to_native(call, i, k, &native, err, errlen);
        if (rc == 0 && json_object_array_add(out, native) != 0) {
            json_object_put(native);
            rc = -ENOMEM;
        }
    }
    if (rc != 0) {
        json_object_put(out);
        return rc;
    }
    return oai_req_put(msg, "tool_calls", out);
}

/* The name of the function an earlier assistant message called with this
 * id, or NULL. */
static json_object *
called_function(const json_object *earlier, const char *id)
{
    for (size_t m = json_object_array_length(earlier); m-- > 0;) {
        json_object *calls =
            oai_req_member(json_object_array_get_idx(earlier, m), "tool_calls");
        for (size_t k = 0; calls && k < json_object_array_length(calls); k++) {
            json_object *call = json_object_array_get_idx(calls, k);
            json_object *call_id = oai_req_member(call, "id");
            if (oai_req_is(call_id, json_type_string) &&
                strcmp(json_object_get_string(call_id), id) == 0)
                return oai_req_member(oai_req_member(call, "function"), "name");
        }
    }
    return NULL;
}

/* A tool result keeps its tool_call_id and is named by its own name or
 * by the call it answers. */
static int
tool_result_to_native(const json_object *m, size_t i,
                      const json_object *earlier, json_object *msg, char *err,
                      size_t errlen)
{
    json_object *id = oai_req_member(m, "tool_call_id");
    json_object *name = oai_req_member(m, "name");
    if (id && !oai_req_is(id, json_type_string))
        return oai_req_invalid(
            err, errlen, "messages[%zu].tool_call_id: expected a string", i);
    if (name && !oai_req_is(name, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].name: expected a string", i);
    if (!name && id)
        name = called_function(earlier, json_object_get_string(id));
    int rc = 0;
    if (name)
        rc = oai_req_put_copy(msg, "tool_name", name);
    if (rc == 0 && id)
        rc = oai_req_put_copy(msg, "tool_call_id", id);
    return rc;
}

/* The message's reasoning (OpenAI-compatible servers use both names) ->
 * thinking. */
static int
reasoning_to_native(const json_object *m, size_t i, json_object *msg, char *err,
                    size_t errlen)
{
    static const char *const keys[] = {"reasoning", "reasoning_content",
                                       "thinking"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        json_object *v = oai_req_member(m, keys[k]);
        if (!v)
            continue;
        if (!oai_req_is(v, json_type_string))
            return oai_req_invalid(
                err, errlen, "messages[%zu].%s: expected a string", i, keys[k]);
        return oai_req_put_copy(msg, "thinking", v);
    }
    return 0;
}

static int
message_fields_to_native(const json_object *m, size_t i,
                         const json_object *earlier, json_object *msg,
                         char *err, size_t errlen)
{
    json_object *role = oai_req_member(m, "role");
    if (!oai_req_is(role, json_type_string) ||
        json_object_get_string_len(role) == 0)
        return oai_req_invalid(err, errlen,
                               "messages[%zu].role: expected a string", i);
    const char *r = json_object_get_string(role);
    /* OpenAI's newer name for system; Ollama's templates know system.
     * Ollama lowercases roles, so case does not matter here either. */
    int rc = strcasecmp(r, "developer") == 0
                 ? oai_req_put(msg, "role", json_object_new_string("system"))
                 : oai_req_put_copy(msg, "role", role);
    if (rc != 0)
        return rc;

    json_object *content = oai_req_member(m, "content");
    int assistant = strcasecmp(r, "assistant") == 0;
    if (oai_req_is(content, json_type_string))
        rc = oai_req_put_copy(msg, "content", content);
    else if (oai_req_is(content, json_type_array))
        rc = openai_content_to_native(content, i, msg, err, errlen);
    else if (!content && assistant) /* a turn of only tool calls */
        rc = oai_req_put(msg, "content", json_object_new_string(""));
    else
        rc = oai_req_invalid(err, errlen,
                             "messages[%zu].content: expected a string or an "
                             "array of parts",
                             i);
    if (rc == 0)
        rc = reasoning_to_native(m, i, msg, err, errlen);
    json_object *calls = oai_req_member(m, "tool_calls");
    if (rc == 0 && calls)
        rc = tool_calls_to_native(calls, i, msg, err, errlen);
    if (rc == 0 && strcasecmp(r, "tool") == 0)
        rc = tool_result_to_native(m, i, earlier, msg, err, errlen);
    return rc;
}

int
openai_messages_to_native(const json_object *messages, json_object **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    if (!oai_req_is(messages, json_type_array) ||
        json_object_array_length(messages) == 0)
        return oai_req_invalid(err, errlen,
                               "messages: expected a non-empty array");
    size_t n = json_object_array_length(messages);
    json_object *native = json_object_new_array_ext((int)n);
    if (!native)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(messages, i);
        json_object *msg = NULL;
        int rc = oai_req_is(m, json_type_object)
                     ? 0
                     : oai_req_invalid(err, errlen,
                                       "messages[%zu]: expected an object", i);
        if (rc == 0)
            rc = (msg = json_object_new_object()) ? 0 : -ENOMEM;
        if (rc == 0)
            rc = message_fields_to_native(m, i, native, msg, err, errlen);
        if (rc == 0 && json_object_array_add(native, msg) != 0)
            rc = -ENOMEM;
        if (rc != 0) {
            json_object_put(msg);
            json_object_put(native);
            return rc;
        }
    }
    *out = native;
    return 0;
}
