/* Writing JSON text directly into a growing buffer. The request path and
 * the storage thread write a few records per request (the upstream body,
 * the score breakdown, the trace line); json-c objects and its printf of
 * doubles cost more than everything else those writers do. */
#ifndef HERD_COMMON_JSON_TEXT_H
#define HERD_COMMON_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct json_text {
    char *s; /* NUL-terminated while not failed */
    size_t len, cap;
    int failed; /* memory ran out: every later write is dropped */
};

/* Starts empty with room for cap bytes (0: grows on first write). */
void json_text_init(struct json_text *t, size_t cap);
void json_text_put(struct json_text *t, const char *s, size_t n);
/* s as a JSON string, escaped; NULL writes null. */
void json_text_str(struct json_text *t, const char *s);
/* A number to a millionth ("50.0", "-12.5", "3.141593"); integral values
 * keep ".0" as json-c writes doubles; beyond 1e12 all digits; NaN and
 * infinities write null. */
void json_text_num(struct json_text *t, double v);
void json_text_int(struct json_text *t, int64_t v);
/* The text (the caller frees it) with its length, or NULL when memory ran
 * out; t is empty afterwards either way. */
char *json_text_take(struct json_text *t, size_t *len);

#endif
