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

/* The depth to make a json-c tokener with so that it takes what the scan
 * takes: json-c counts a value inside the deepest container as one more
 * level, so a tokener of depth 128 refused 128 containers around a
 * number that the scan had passed (a rebuilt body then failed). */
#define JSON_TOKENER_DEPTH (JSON_SCAN_MAX_DEPTH + 1)

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

/* Whether member m's key, its escapes decoded, is key: "mo\u0064el" is
 * model to json-c and to Go, so to the router too. key must be shorter
 * than 60 bytes. */
int json_member_named(const struct json_member *m, const char *key);

/* Finds the member named key (as json_member_named) of the object at
 * s..s+len. A key given twice: the last one counts, as json-c and Go read
 * it. Returns 1 with *m, 0 when there is none, -1 when s is not a valid
 * object. */
int json_scan_member(const char *s, size_t len, const char *key,
                     struct json_member *m);

/* Walking an array's elements, as json_members_* walk an object. */
struct json_elements {
    const char *p, *end;
    int first;
};

/* Returns 0, or -1 when s does not start an array. */
int json_elements_begin(struct json_elements *it, const char *s, size_t len);

/* Returns 1 with the next element's text in *val, *len; 0 after the last
 * one; -1 when the text is invalid. */
int json_elements_next(struct json_elements *it, const char **val, size_t *len);

/* What a value is, from its first character (a value read by the walks
 * above starts there; NULL or empty: absent). */
enum json_scan_kind {
    JSON_SCAN_ABSENT,
    JSON_SCAN_OBJECT,
    JSON_SCAN_ARRAY,
    JSON_SCAN_STRING,
    JSON_SCAN_NUMBER,
    JSON_SCAN_TRUE,
    JSON_SCAN_FALSE,
    JSON_SCAN_NULL
};

static inline enum json_scan_kind
json_scan_kind(const char *val, size_t len)
{
    if (!val || len == 0)
        return JSON_SCAN_ABSENT;
    switch (*val) {
    case '{':
        return JSON_SCAN_OBJECT;
    case '[':
        return JSON_SCAN_ARRAY;
    case '"':
        return JSON_SCAN_STRING;
    case 't':
        return JSON_SCAN_TRUE;
    case 'f':
        return JSON_SCAN_FALSE;
    case 'n':
        return JSON_SCAN_NULL;
    default:
        return JSON_SCAN_NUMBER;
    }
}

/* Whether a number's text is an integer (no fraction, no exponent): what
 * json-c reads as json_type_int. */
int json_scan_is_integer(const char *val, size_t len);

/* The value as a whole number: an integer, or a number with a fraction or
 * exponent truncated toward zero (as json-c's get_int64 does). Returns 0,
 * or -1 when it is not a number or out of range. */
int json_scan_int64(const char *val, size_t len, int64_t *out);

/* Decodes the string value (quotes included in val) into buf as UTF-8,
 * cut to fit with a NUL. Returns 0, or -1 when val is not a string. */
int json_scan_string(const char *val, size_t len, char *buf, size_t buflen);

/* Characters of the decoded string value (quotes included in val): UTF-8
 * continuation bytes do not count, so "\u00e9" and a raw "é" are one
 * each. 0 when val is not a string. */
size_t json_scan_string_chars(const char *val, size_t len);

/* The value as a C string: a string decoded, anything else as written.
 * In buf (cap bytes) when it fits, else in a new allocation: free() the
 * result when it is not buf. NULL when memory runs out. */
char *json_scan_cstr(const char *val, size_t len, char *buf, size_t cap);

/* Whether the value is the literal true / null. */
int json_scan_is_true(const char *val, size_t len);
int json_scan_is_null(const char *val, size_t len);

#endif
