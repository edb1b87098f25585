/* OpenAI chat messages as native /api/chat messages: content parts
 * joined, data: URI images as bare base64, assistant tool calls with
 * object arguments, tool results named after the call they answer,
 * reasoning as thinking. */
#include "autoconfig.h"

#include "openai_messages.h"

#include <errno.h>
#include <json-c/printbuf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_object *
openai_member(const json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

int
openai_put(json_object *o, const char *key, json_object *v)
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
openai_put_copy(json_object *o, const char *key, const json_object *v)
{
    json_object *copy = NULL;
    /* json-c's copy takes a mutable source but does not change it */
    if (json_object_deep_copy((json_object *)v, &copy, NULL) != 0)
        return -ENOMEM;
    return openai_put(o, key, copy);
}

int
openai_invalid(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int
is_string(const json_object *v)
{
    return v && json_object_is_type(v, json_type_string);
}

static int
base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* The payload of a base64 data: URI of an image as a new string in *out:
 * line breaks dropped and missing padding added, since Ollama decodes
 * strictly. The media type may be empty (some clients omit it) or must
 * be image/...; -EINVAL for anything else. */
static int
image_data_uri(const char *uri, size_t len, json_object **out)
{
    if (len < 5 || strncasecmp(uri, "data:", 5) != 0)
        return -EINVAL;
    const char *head = uri + 5;
    const char *comma = memchr(head, ',', len - 5);
    if (!comma)
        return -EINVAL;
    size_t head_len = (size_t)(comma - head);
    size_t type_len = 0;
    while (type_len < head_len && head[type_len] != ';')
        type_len++;
    if (type_len != 0 && (type_len <= 6 || strncasecmp(head, "image/", 6) != 0))
        return -EINVAL;
    if (head_len < 7 || strncasecmp(comma - 7, ";base64", 7) != 0)
        return -EINVAL;

    const char *data = comma + 1;
    size_t data_len = len - (size_t)(data - uri), n = 0, pad = 0;
    char *b64 = malloc(data_len + 3);
    if (!b64)
        return -ENOMEM;
    for (size_t k = 0; k < data_len; k++) {
        char c = data[k];
        if (c == '\r' || c == '\n')
            continue;
        if (c == '=' && pad < 2) {
            pad++;
        } else if (pad > 0 || !base64_char(c)) {
            free(b64);
            return -EINVAL;
        }
        b64[n++] = c;
    }
    if (n % 4 == 1 || n == pad) {
        free(b64);
        return -EINVAL;
    }
    while (n % 4 != 0)
        b64[n++] = '=';
    *out = json_object_new_string_len(b64, (int)n);
    free(b64);
    return *out ? 0 : -ENOMEM;
}

/* An image_url part: its URL (a string, or {url}) must be a data: URI by
 * now, since the router downloads http(s) images before converting. */
static int
image_part_to_native(const json_object *part, size_t i, size_t j,
                     json_object *images, char *err, size_t errlen)
{
    json_object *url = openai_member(part, "image_url");
    if (url && json_object_is_type(url, json_type_object))
        url = openai_member(url, "url");
    if (!is_string(url))
        return openai_invalid(err, errlen,
                              "messages[%zu].content[%zu].image_url: expected "
                              "a URL string or an object with a url",
                              i, j);
    json_object *b64 = NULL;
    int rc = image_data_uri(json_object_get_string(url),
                            (size_t)json_object_get_string_len(url), &b64);
    if (rc == -EINVAL)
        return openai_invalid(err, errlen,
                              "messages[%zu].content[%zu].image_url: "
                              "'%.40s...' is not a base64 data: URI of an "
                              "image",
                              i, j, json_object_get_string(url));
    if (rc != 0)
        return rc;
    if (json_object_array_add(images, b64) != 0) {
        json_object_put(b64);
        return -ENOMEM;
    }
    return 0;
}

/* One part of an array content: text goes to text (text parts joined by
 * line breaks, as the reference system does; *texts counts them), images
 * to images. */
static int
part_to_native(const json_object *part, size_t i, size_t j,
               struct printbuf *text, int *texts, json_object *images,
               char *err, size_t errlen)
{
    json_object *type = openai_member(part, "type");
    if (!is_string(type))
        return openai_invalid(err, errlen,
                              "messages[%zu].content[%zu]: expected a part "
                              "object with a string type",
                              i, j);
    const char *t = json_object_get_string(type);
    if (strcmp(t, "image_url") == 0)
        return image_part_to_native(part, i, j, images, err, errlen);
    if (strcmp(t, "text") != 0)
        return openai_invalid(err, errlen,
                              "messages[%zu].content[%zu].type: '%.40s' parts "
                              "are not supported (text and image_url are)",
                              i, j, t);
    json_object *s = openai_member(part, "text");
    if (!is_string(s))
        return openai_invalid(err, errlen,
                              "messages[%zu].content[%zu].text: expected a "
                              "string",
                              i, j);
    if ((*texts)++ > 0 && printbuf_memappend(text, "\n", 1) < 0)
        return -ENOMEM;
    if (printbuf_memappend(text, json_object_get_string(s),
                           json_object_get_string_len(s)) < 0)
        return -ENOMEM;
    return 0;
}

/* An array content -> native content (the text) and images (when any). */
static int
parts_to_native(const json_object *parts, size_t i, json_object *msg, char *err,
                size_t errlen)
{
    struct printbuf *text = printbuf_new();
    json_object *images = json_object_new_array();
    int rc = text && images ? 0 : -ENOMEM, texts = 0;
    size_t n = json_object_array_length(parts);
    for (size_t j = 0; rc == 0 && j < n; j++)
        rc = part_to_native(json_object_array_get_idx(parts, j), i, j, text,
                            &texts, images, err, errlen);
    if (rc == 0)
        rc = openai_put(msg, "content",
                        json_object_new_string_len(text->buf, text->bpos));
    if (rc == 0 && json_object_array_length(images) > 0) {
        rc = openai_put(msg, "images", images);
        images = NULL;
    }
    json_object_put(images);
    if (text)
        printbuf_free(text);
    return rc;
}

/* Tool call arguments as a native object: JSON text (OpenAI's form) is
 * parsed, an object (some clients send one) copied; "" means none. */
static int
arguments_to_native(const json_object *args, json_object **out)
{
    *out = NULL;
    if (args && json_object_is_type(args, json_type_object))
        return json_object_deep_copy((json_object *)args, out, NULL) == 0
                   ? 0
                   : -ENOMEM;
    if (args && !is_string(args))
        return -EINVAL;
    const char *s = args ? json_object_get_string((json_object *)args) : "";
    size_t len = args ? (size_t)json_object_get_string_len(args) : 0;
    size_t lead = strspn(s, " \t\r\n");
    if (lead == len) {
        *out = json_object_new_object();
        return *out ? 0 : -ENOMEM;
    }
    struct json_tokener *tok = json_tokener_new();
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
    json_object *fn = openai_member(call, "function");
    if (!fn || !json_object_is_type(fn, json_type_object))
        return openai_invalid(err, errlen,
                              "messages[%zu].tool_calls[%zu].function: "
                              "expected an object",
                              i, k);
    json_object *name = openai_member(fn, "name"), *id;
    if (!is_string(name))
        return openai_invalid(err, errlen,
                              "messages[%zu].tool_calls[%zu].function.name: "
                              "expected a string",
                              i, k);
    id = openai_member(call, "id");
    if (id && !is_string(id))
        return openai_invalid(err, errlen,
                              "messages[%zu].tool_calls[%zu].id: expected a "
                              "string",
                              i, k);
    json_object *args;
    int rc = arguments_to_native(openai_member(fn, "arguments"), &args);
    if (rc == -EINVAL)
        return openai_invalid(err, errlen,
                              "messages[%zu].tool_calls[%zu].function."
                              "arguments: expected a JSON object (as text)",
                              i, k);
    if (rc != 0)
        return rc;
    json_object *call_out = json_object_new_object();
    json_object *fn_out = json_object_new_object();
    rc = call_out && fn_out ? 0 : -ENOMEM;
    if (rc == 0 && id)
        rc = openai_put_copy(call_out, "id", id);
    if (rc == 0)
        rc = openai_put_copy(fn_out, "name", name);
    if (rc == 0) {
        rc = openai_put(fn_out, "arguments", args);
        args = NULL;
    }
    if (rc == 0) {
        rc = openai_put(call_out, "function", fn_out);
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
    if (!json_object_is_type(calls, json_type_array))
        return openai_invalid(err, errlen,
                              "messages[%zu].tool_calls: expected an array", i);
    size_t n = json_object_array_length(calls);
    if (n == 0)
        return 0;
    json_object *out = json_object_new_array_ext((int)n);
    int rc = out ? 0 : -ENOMEM;
    for (size_t k = 0; rc == 0 && k < n; k++) {
        json_object *call = json_object_array_get_idx(calls, k), *native;
        if (!json_object_is_type(call, json_type_object)) {
            rc = openai_invalid(err, errlen,
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
    return openai_put(msg, "tool_calls", out);
}

/* The name of the function an earlier assistant message called with this
 * id, or NULL. */
static json_object *
called_function(const json_object *earlier, const char *id)
{
    for (size_t m = json_object_array_length(earlier); m-- > 0;) {
        json_object *calls =
            openai_member(json_object_array_get_idx(earlier, m), "tool_calls");
        for (size_t k = 0; calls && k < json_object_array_length(calls); k++) {
            json_object *call = json_object_array_get_idx(calls, k);
            json_object *call_id = openai_member(call, "id");
            if (is_string(call_id) &&
                strcmp(json_object_get_string(call_id), id) == 0)
                return openai_member(openai_member(call, "function"), "name");
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
    json_object *id = openai_member(m, "tool_call_id");
    json_object *name = openai_member(m, "name");
    if (id && !is_string(id))
        return openai_invalid(
            err, errlen, "messages[%zu].tool_call_id: expected a string", i);
    if (name && !is_string(name))
        return openai_invalid(err, errlen,
                              "messages[%zu].name: expected a string", i);
    if (!name && id)
        name = called_function(earlier, json_object_get_string(id));
    int rc = 0;
    if (name)
        rc = openai_put_copy(msg, "tool_name", name);
    if (rc == 0 && id)
        rc = openai_put_copy(msg, "tool_call_id", id);
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
        json_object *v = openai_member(m, keys[k]);
        if (!v)
            continue;
        if (!is_string(v))
            return openai_invalid(
                err, errlen, "messages[%zu].%s: expected a string", i, keys[k]);
        return openai_put_copy(msg, "thinking", v);
    }
    return 0;
}

static int
message_fields_to_native(const json_object *m, size_t i,
                         const json_object *earlier, json_object *msg,
                         char *err, size_t errlen)
{
    json_object *role = openai_member(m, "role");
    if (!is_string(role) || json_object_get_string_len(role) == 0)
        return openai_invalid(err, errlen,
                              "messages[%zu].role: expected a string", i);
    const char *r = json_object_get_string(role);
    /* OpenAI's newer name for system; Ollama's templates know system */
    int rc = strcmp(r, "developer") == 0
                 ? openai_put(msg, "role", json_object_new_string("system"))
                 : openai_put_copy(msg, "role", role);
    if (rc != 0)
        return rc;

    json_object *content = openai_member(m, "content");
    int assistant = strcmp(r, "assistant") == 0;
    if (is_string(content))
        rc = openai_put_copy(msg, "content", content);
    else if (content && json_object_is_type(content, json_type_array))
        rc = parts_to_native(content, i, msg, err, errlen);
    else if (!content && assistant) /* a turn of only tool calls */
        rc = openai_put(msg, "content", json_object_new_string(""));
    else
        rc = openai_invalid(err, errlen,
                            "messages[%zu].content: expected a string or an "
                            "array of parts",
                            i);
    if (rc == 0)
        rc = reasoning_to_native(m, i, msg, err, errlen);
    json_object *calls = openai_member(m, "tool_calls");
    if (rc == 0 && calls)
        rc = tool_calls_to_native(calls, i, msg, err, errlen);
    if (rc == 0 && strcmp(r, "tool") == 0)
        rc = tool_result_to_native(m, i, earlier, msg, err, errlen);
    return rc;
}

int
openai_messages_to_native(const json_object *messages, json_object **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    if (!messages || !json_object_is_type(messages, json_type_array) ||
        json_object_array_length(messages) == 0)
        return openai_invalid(err, errlen,
                              "messages: expected a non-empty array");
    size_t n = json_object_array_length(messages);
    json_object *native = json_object_new_array_ext((int)n);
    if (!native)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(messages, i);
        json_object *msg = NULL;
        int rc = json_object_is_type(m, json_type_object)
                     ? 0
                     : openai_invalid(err, errlen,
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
