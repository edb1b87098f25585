/* JSON text written directly; see json_text.h. */
#include "autoconfig.h"

#include "json_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
json_text_init(struct json_text *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    if (cap && (t->s = malloc(cap))) {
        t->cap = cap;
        t->s[0] = '\0';
    }
}

void
json_text_put(struct json_text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Bytes a JSON string cannot hold as they are: quote, backslash and the
 * control characters. A table: glibc's strcspn with a set this large
 * walks the set for every byte. */
static const unsigned char json_text_special[256] = {
    [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1,
    [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1,
    [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
    [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1,
    [0x1f] = 1, ['"'] = 1,  ['\\'] = 1};

void
json_text_str(struct json_text *t, const char *s)
{
    if (!s) {
        json_text_put(t, "null", 4);
        return;
    }
    json_text_put(t, "\"", 1);
    while (*s) {
        const char *plain = s;
        while (*s && !json_text_special[(unsigned char)*s])
            s++;
        json_text_put(t, plain, (size_t)(s - plain));
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s++;
        char esc[8];
        switch (c) {
        case '"':
            json_text_put(t, "\\\"", 2);
            break;
        case '\\':
            json_text_put(t, "\\\\", 2);
            break;
        case '\n':
            json_text_put(t, "\\n", 2);
            break;
        case '\r':
            json_text_put(t, "\\r", 2);
            break;
        case '\t':
            json_text_put(t, "\\t", 2);
            break;
        default:
            json_text_put(t, esc,
                          (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
        }
    }
    json_text_put(t, "\"", 1);
}

void
json_text_num(struct json_text *t, double v)
{
    char buf[48], *end = buf + sizeof buf, *p = end;
    if (!isfinite(v)) {
        json_text_put(t, "null", 4);
        return;
    }
    if (!(fabs(v) < 1e12)) {
        json_text_put(t, buf, (size_t)snprintf(buf, sizeof buf, "%.17g", v));
        return;
    }
    long long micro = llround(fabs(v) * 1e6);
    unsigned long long whole = (unsigned long long)(micro / 1000000);
    long long frac = micro % 1000000;
    int digits = 6;
    while (digits > 1 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    for (int i = 0; i < digits; i++, frac /= 10)
        *--p = (char)('0' + frac % 10);
    *--p = '.';
    do
        *--p = (char)('0' + whole % 10);
    while (whole /= 10);
    if (v < 0 && micro != 0)
        *--p = '-';
    json_text_put(t, p, (size_t)(end - p));
}

void
json_text_int(struct json_text *t, int64_t v)
{
    char buf[24], *end = buf + sizeof buf, *p = end;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    json_text_put(t, p, (size_t)(end - p));
}

char *
json_text_take(struct json_text *t, size_t *len)
{
    char *s = t->s;
    if (t->failed) {
        free(s);
        s = NULL;
    } else if (!s) {
        s = calloc(1, 1); /* nothing written: the empty text */
    }
    if (len)
        *len = s ? t->len : 0;
    memset(t, 0, sizeof *t);
    return s;
}
