/* Reading JSON text in place, without building objects: validating a
 * value, walking an object's members as spans of the original text, and
 * decoding the few scalars the request path needs. The router looks at a
 * handful of fields of every answer and request; building a json-c tree
 * for that costs more than the rest of its work on a request. */
#ifndef HERD_COMMON_JSON_SCAN_H
#define HERD_COMMON_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Nesting deeper than this is refused as invalid, here and by the json-c
 * parsers of request bodies and answers (json-c's own default, 32, turned
 * away JSON schemas that Ollama takes). */
#define JSON_SCAN_MAX_DEPTH 128

/* Returns the end of the JSON value at s (leading whitespace skipped), or
 * NULL when the text is not one complete, valid value. */
const char *json_scan_value(const char *s, const char *end);

/* 1 when s..s+len is exactly one valid JSON value, with only whitespace
 * around it. */
int json_scan_valid(const char *s, size_t len);

/* One member of an object: the key between its quotes (escapes not
 * decoded; key_escaped says whether it has any) and the value's text. */
struct json_member {
    const char *key;
    size_t key_len;
    int key_escaped;
    const char *val;
    size_t val_len;
};

struct json_members {
    const char *p, *end;
    int first;
};

/* Starts walking the object at s (leading whitespace skipped). Returns 0,
 * or -1 when s does not start an object. */
int json_members_begin(struct json_members *it, const char *s, size_t len);

/* Returns 1 with the next member in *m, 0 after the last one (it->p is
 * then just past the closing brace), -1 when the text is invalid. */
int json_members_next(struct json_members *it, struct json_member *m);

/* After json_members_next returned 0: whether only whitespace follows
 * the object (the text was exactly one object). */
int json_members_done(const struct json_members *it);

/* Whether member m's key is exactly key (an escaped key never is).
 * Inline: with a literal key the length is known when compiling, and the
 * relay asks this of every member of every answer line. */
static inline int
json_member_is(const struct json_member *m, const char *key)
{
    size_t n = strlen(key);
    return !m->key_escaped && m->key_len == n && memcmp(m->key, key, n) == 0;
}

/* The value as a whole number: an integer, or a number with a fraction or
 * exponent truncated toward zero (as json-c's get_int64 does). Returns 0,
 * or -1 when it is not a number or out of range. */
int json_scan_int64(const char *val, size_t len, int64_t *out);

/* Decodes the string value (quotes included in val) into buf as UTF-8,
 * cut to fit with a NUL. Returns 0, or -1 when val is not a string. */
int json_scan_string(const char *val, size_t len, char *buf, size_t buflen);

/* Whether the value is the literal true / null. */
int json_scan_is_true(const char *val, size_t len);
int json_scan_is_null(const char *val, size_t len);

#endif
