/* Token estimate: characters of text over four, plus a fixed cost per
 * message and per image. */
#include "autoconfig.h"

#include "token_estimate.h"

#include <string.h>

/* Characters of a string value; UTF-8 continuation bytes do not count, so
 * the estimate is per character as the reference's len(str). */
static uint64_t
estimate_chars(const json_object *s)
{
    const unsigned char *p =
        (const unsigned char *)json_object_get_string((json_object *)s);
    int len = json_object_get_string_len(s);
    uint64_t n = 0;
    for (int i = 0; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static uint32_t
estimate_array_len(const json_object *a)
{
    if (!json_object_is_type(a, json_type_array))
        return 0;
    return (uint32_t)json_object_array_length(a);
}

/* OpenAI content parts: text parts count their text, image parts one
 * image each. */
static void
estimate_parts(const json_object *parts, struct token_estimate *e)
{
    size_t n = json_object_array_length(parts);
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(parts, i), *v;
        if (!json_object_is_type(p, json_type_object))
            continue;
        if (json_object_object_get_ex(p, "text", &v) &&
            json_object_is_type(v, json_type_string))
            e->chars += estimate_chars(v);
        else if (json_object_object_get_ex(p, "image_url", &v))
            e->images++;
    }
}

static void
estimate_message(const json_object *m, struct token_estimate *e)
{
    json_object *v;
    e->chars += TOKEN_ESTIMATE_MESSAGE_CHARS;
    if (!json_object_is_type(m, json_type_object))
        return;
    if (json_object_object_get_ex(m, "content", &v)) {
        if (json_object_is_type(v, json_type_string))
            e->chars += estimate_chars(v);
        else if (json_object_is_type(v, json_type_array))
            estimate_parts(v, e);
    }
    if (json_object_object_get_ex(m, "images", &v))
        e->images += estimate_array_len(v);
}

static void
estimate_finish(struct token_estimate *e)
{
    uint64_t t = e->chars / TOKEN_ESTIMATE_CHARS_PER_TOKEN +
                 (uint64_t)e->images * TOKEN_ESTIMATE_IMAGE_TOKENS;
    if (t < 1)
        t = 1;
    e->tokens = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static void
estimate_messages_into(const json_object *messages, struct token_estimate *e)
{
    if (!json_object_is_type(messages, json_type_array))
        return;
    size_t n = json_object_array_length(messages);
    for (size_t i = 0; i < n; i++)
        estimate_message(json_object_array_get_idx(messages, i), e);
}

void
token_estimate_messages(const json_object *messages, struct token_estimate *out)
{
    memset(out, 0, sizeof *out);
    estimate_messages_into(messages, out);
    estimate_finish(out);
}

/* "input" of an embedding request: a string or an array of strings. */
static void
estimate_input(const json_object *in, struct token_estimate *e)
{
    if (json_object_is_type(in, json_type_string)) {
        e->chars += estimate_chars(in);
        return;
    }
    if (!json_object_is_type(in, json_type_array))
        return;
    size_t n = json_object_array_length(in);
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(in, i);
        if (json_object_is_type(s, json_type_string))
            e->chars += estimate_chars(s);
    }
}

void
token_estimate_body(const json_object *body, struct token_estimate *out)
{
    json_object *v;
    memset(out, 0, sizeof *out);
    if (!json_object_is_type(body, json_type_object)) {
        estimate_finish(out);
        return;
    }
    if (json_object_object_get_ex(body, "messages", &v)) {
        estimate_messages_into(v, out);
    } else if (json_object_object_get_ex(body, "prompt", &v) &&
               json_object_is_type(v, json_type_string)) {
        /* a generate prompt counts as one user message */
        out->chars += TOKEN_ESTIMATE_MESSAGE_CHARS + estimate_chars(v);
        if (json_object_object_get_ex(body, "system", &v) &&
            json_object_is_type(v, json_type_string))
            out->chars += estimate_chars(v);
        if (json_object_object_get_ex(body, "images", &v))
            out->images += estimate_array_len(v);
    } else if (json_object_object_get_ex(body, "input", &v)) {
        estimate_input(v, out);
    }
    estimate_finish(out);
}
