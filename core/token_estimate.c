/* Token estimate: characters of text over four, plus a fixed cost per
 * message and per image, read from the body's text in place. */
#include "autoconfig.h"

#include "token_estimate.h"

#include <string.h>

#include "common/json_scan.h"

/* Characters of a string value, decoded; UTF-8 continuation bytes do not
 * count, so the estimate is per character as the reference's len(str). */
static uint64_t
estimate_chars(const char *val, size_t len)
{
    return json_scan_string_chars(val, len);
}

static uint32_t
estimate_array_len(const char *val, size_t len)
{
    struct json_elements it;
    const char *v;
    size_t n;
    uint32_t count = 0;
    if (json_elements_begin(&it, val, len) != 0)
        return 0;
    while (json_elements_next(&it, &v, &n) == 1)
        count++;
    return count;
}

/* OpenAI content parts: text parts count their text, image parts one
 * image each. */
static void
estimate_parts(const char *val, size_t len, struct token_estimate *e)
{
    struct json_elements it;
    const char *p;
    size_t n;
    json_elements_begin(&it, val, len);
    while (json_elements_next(&it, &p, &n) == 1) {
        struct json_member text, image;
        if (json_scan_kind(p, n) != JSON_SCAN_OBJECT)
            continue;
        if (json_scan_member(p, n, "text", &text) == 1 &&
            json_scan_kind(text.val, text.val_len) == JSON_SCAN_STRING)
            e->chars += estimate_chars(text.val, text.val_len);
        else if (json_scan_member(p, n, "image_url", &image) == 1)
            e->images++;
    }
}

static void
estimate_message(const char *val, size_t len, struct token_estimate *e)
{
    struct json_members it;
    struct json_member m, content = {0}, images = {0};
    e->chars += TOKEN_ESTIMATE_MESSAGE_CHARS;
    if (json_members_begin(&it, val, len) != 0)
        return;
    /* one walk for both; given twice, the last one counts */
    while (json_members_next(&it, &m) == 1) {
        if (json_member_named(&m, "content"))
            content = m;
        else if (json_member_named(&m, "images"))
            images = m;
    }
    switch (json_scan_kind(content.val, content.val_len)) {
    case JSON_SCAN_STRING:
        e->chars += estimate_chars(content.val, content.val_len);
        break;
    case JSON_SCAN_ARRAY:
        estimate_parts(content.val, content.val_len, e);
        break;
    default:
        break;
    }
    if (images.val)
        e->images += estimate_array_len(images.val, images.val_len);
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
estimate_messages_into(const char *val, size_t len, struct token_estimate *e)
{
    struct json_elements it;
    const char *m;
    size_t n;
    if (json_elements_begin(&it, val, len) != 0)
        return;
    while (json_elements_next(&it, &m, &n) == 1)
        estimate_message(m, n, e);
}

void
token_estimate_messages(const char *messages, size_t len,
                        struct token_estimate *out)
{
    memset(out, 0, sizeof *out);
    estimate_messages_into(messages, len, out);
    estimate_finish(out);
}

/* "input" of an embedding request: a string or an array of strings. */
static void
estimate_input(const char *val, size_t len, struct token_estimate *e)
{
    struct json_elements it;
    const char *s;
    size_t n;
    if (json_scan_kind(val, len) == JSON_SCAN_STRING) {
        e->chars += estimate_chars(val, len);
        return;
    }
    if (json_elements_begin(&it, val, len) != 0)
        return;
    while (json_elements_next(&it, &s, &n) == 1)
        if (json_scan_kind(s, n) == JSON_SCAN_STRING)
            e->chars += estimate_chars(s, n);
}

static int
estimate_is_string(const struct json_span *v)
{
    return json_scan_kind(v->s, v->len) == JSON_SCAN_STRING;
}

void
token_estimate_body(const struct request_body *b, struct token_estimate *out)
{
    memset(out, 0, sizeof *out);
    if (b->messages.s) {
        estimate_messages_into(b->messages.s, b->messages.len, out);
    } else if (estimate_is_string(&b->prompt)) {
        /* a generate prompt counts as one user message */
        out->chars += TOKEN_ESTIMATE_MESSAGE_CHARS +
                      estimate_chars(b->prompt.s, b->prompt.len);
        if (estimate_is_string(&b->system))
            out->chars += estimate_chars(b->system.s, b->system.len);
        if (b->images.s)
            out->images += estimate_array_len(b->images.s, b->images.len);
    } else if (b->input.s) {
        estimate_input(b->input.s, b->input.len, out);
    }
    estimate_finish(out);
}
