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

void
json_text_str(struct json_text *t, const char *s)
{
    static const char special[] = "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09"
                                  "\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13"
                                  "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                  "\x1e\x1f";
    if (!s) {
        json_text_put(t, "null", 4);
        return;
    }
    json_text_put(t, "\"", 1);
    while (*s) {
        size_t plain = strcspn(s, special);
        json_text_put(t, s, plain);
        s += plain;
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
