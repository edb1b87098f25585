/* JSON read in place: a validating recursive skipper (RFC 8259 grammar)
 * and member iteration over it. */
#include "autoconfig.h"

#include "json_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *
skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* Bytes of the word that end a plain run: a quote, a backslash or a
 * control character, each flagged by its top bit (0 when none is). */
static uint64_t
word_stops(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    /* a byte below 0x20, or zero after the xor: its top bit set by the
     * subtraction and clear in the byte itself */
    return ((w - ones * 0x20) & ~w & high) | ((quote - ones) & ~quote & high) |
           ((slash - ones) & ~slash & high);
}

/* How many plain bytes come before the first flagged one. The lowest
 * flag is exact (a false one can only follow a true one: the borrow runs
 * toward the high bytes); elsewhere 0, so the byte loop checks it. */
static size_t
word_first_stop(uint64_t stops)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(stops) / 8;
#else
    (void)stops;
    return 0;
#endif
}

/* p at the opening quote; returns past the closing one, or NULL. Sets
 * *escaped when the string has a backslash. */
static const char *
scan_string(const char *p, const char *end, int *escaped)
{
    p++;
    while (p < end) {
        /* the plain bytes eight at a time: strings are most of a text */
        uint64_t w, stops = 0;
        while (end - p >= 8) {
            memcpy(&w, p, 8);
            if ((stops = word_stops(w)) != 0) {
                p += word_first_stop(stops);
                break;
            }
            p += 8;
        }
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (escaped)
                *escaped = 1;
            if (++p >= end)
                return NULL;
            switch (*p) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p++;
                break;
            case 'u':
                if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) ||
                    !is_hex(p[3]) || !is_hex(p[4]))
                    return NULL;
                p += 5;
                break;
            default:
                return NULL;
            }
            continue;
        }
        p++;
    }
    return NULL;
}

static const char *
scan_digits(const char *p, const char *end)
{
    const char *s = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p > s ? p : NULL;
}

static const char *
scan_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (!(p = scan_digits(p, end)))
        return NULL;
    if (p < end && *p == '.' && !(p = scan_digits(p + 1, end)))
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!(p = scan_digits(p, end)))
            return NULL;
    }
    return p;
}

static const char *
scan_literal(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

static const char *scan_value(const char *p, const char *end, int depth);

static const char *
scan_container(const char *p, const char *end, int depth)
{
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    if (depth >= JSON_SCAN_MAX_DEPTH)
        return NULL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= end || *p != '"' || !(p = scan_string(p, end, NULL)))
                return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p++;
        }
        if (!(p = scan_value(p, end, depth + 1)))
            return NULL;
        p = skip_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const char *
scan_value(const char *p, const char *end, int depth)
{
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    switch (*p) {
    case '{':
    case '[':
        return scan_container(p, end, depth);
    case '"':
        return scan_string(p, end, NULL);
    case 't':
        return scan_literal(p, end, "true");
    case 'f':
        return scan_literal(p, end, "false");
    case 'n':
        return scan_literal(p, end, "null");
    default:
        return scan_number(p, end);
    }
}

const char *
json_scan_value(const char *s, const char *end)
{
    return scan_value(s, end, 0);
}

int
json_scan_valid(const char *s, size_t len)
{
    const char *end = s + len;
    const char *p = json_scan_value(s, end);
    return p && skip_ws(p, end) == end;
}

/* A walk over an object's members or an array's elements starts past
 * its opening bracket. Returns 0, or -1 when s does not start with open. */
static int
walk_begin(const char **at, const char **end, int *first, const char *s,
           size_t len, char open)
{
    *end = s + len;
    *at = skip_ws(s, *end);
    *first = 1;
    if (*at >= *end || **at != open)
        return -1;
    (*at)++;
    return 0;
}

/* The next item of a walk: 1 with *at on its start (past the comma), 0
 * past the closing bracket (the walk's position moved there), -1 when the
 * text is invalid. */
static int
walk_next(const char **pos, const char *end, int *first, char close,
          const char **at)
{
    const char *p = skip_ws(*pos, end);
    if (p >= end)
        return -1;
    if (*p == close) {
        *pos = p + 1;
        return 0;
    }
    if (!*first) {
        if (*p != ',')
            return -1;
        p = skip_ws(p + 1, end);
    }
    *first = 0;
    *at = p;
    return 1;
}

int
json_members_begin(struct json_members *it, const char *s, size_t len)
{
    return walk_begin(&it->p, &it->end, &it->first, s, len, '{');
}

int
json_members_next(struct json_members *it, struct json_member *m)
{
    const char *p;
    int rc = walk_next(&it->p, it->end, &it->first, '}', &p);
    if (rc != 1)
        return rc;
    if (p >= it->end || *p != '"')
        return -1;
    m->key_escaped = 0;
    const char *k = scan_string(p, it->end, &m->key_escaped);
    if (!k)
        return -1;
    m->key = p + 1;
    m->key_len = (size_t)(k - p - 2);
    p = skip_ws(k, it->end);
    if (p >= it->end || *p != ':')
        return -1;
    p = skip_ws(p + 1, it->end);
    const char *v = scan_value(p, it->end, 1);
    if (!v)
        return -1;
    m->val = p;
    m->val_len = (size_t)(v - p);
    it->p = v;
    return 1;
}

int
json_members_done(const struct json_members *it)
{
    return skip_ws(it->p, it->end) == it->end;
}

int
json_scan_int64(const char *val, size_t len, int64_t *out)
{
    const char *end = val + len;
    const char *p = scan_number(val, end);
    if (!p || p != end || len >= 64)
        return -1;
    if (len <= 18 && *val != '-' && !memchr(val, '.', len) &&
        !memchr(val, 'e', len) && !memchr(val, 'E', len)) {
        /* the usual token count or duration: 18 digits cannot overflow */
        int64_t v = 0;
        for (p = val; p < end; p++)
            v = v * 10 + (*p - '0');
        *out = v;
        return 0;
    }
    char buf[64];
    memcpy(buf, val, len);
    buf[len] = '\0';
    if (!memchr(buf, '.', len) && !memchr(buf, 'e', len) &&
        !memchr(buf, 'E', len)) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno == ERANGE)
            return -1;
        *out = (int64_t)v;
        return 0;
    }
    double d = strtod(buf, NULL);
    if (!(d > -9.2e18 && d < 9.2e18))
        return -1;
    *out = (int64_t)d;
    return 0;
}

static size_t
put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned long
hex4(const char *p)
{
    return strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
}

/* Decodes the character at p (inside a valid string) into o as UTF-8.
 * Returns past it, with its byte count in *k. */
static const char *
decode_one(const char *p, const char *end, char o[4], size_t *k)
{
    *k = 1;
    if (*p != '\\') {
        o[0] = *p;
        return p + 1;
    }
    p++;
    switch (*p) {
    case 'b':
        o[0] = '\b';
        break;
    case 'f':
        o[0] = '\f';
        break;
    case 'n':
        o[0] = '\n';
        break;
    case 'r':
        o[0] = '\r';
        break;
    case 't':
        o[0] = '\t';
        break;
    case 'u': {
        unsigned long cp = hex4(p + 1);
        p += 4;
        /* a surrogate pair is one code point; a lone half is replaced
         * (U+FFFD), as json-c does */
        if (cp >= 0xD800 && cp < 0xDC00 && end - p > 6 && p[1] == '\\' &&
            p[2] == 'u') {
            unsigned long lo = hex4(p + 3);
            if (lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
        }
        if (cp >= 0xD800 && cp < 0xE000)
            cp = 0xFFFD;
        *k = put_utf8(o, cp);
        break;
    }
    default:
        o[0] = *p;
        break; /* " \ / */
    }
    return p + 1;
}

/* Decodes the valid string val (quotes included) into buf, cut before a
 * character that would not fit with the NUL. Returns the bytes written. */
static size_t
decode_string(const char *val, size_t len, char *buf, size_t buflen)
{
    const char *end = val + len;
    size_t n = 0;
    for (const char *p = val + 1; p < end - 1;) {
        char tmp[4];
        size_t k;
        p = decode_one(p, end - 1, tmp, &k);
        if (n + k >= buflen)
            break;
        memcpy(buf + n, tmp, k);
        n += k;
    }
    buf[n] = '\0';
    return n;
}

int
json_scan_string(const char *val, size_t len, char *buf, size_t buflen)
{
    if (len < 2 || *val != '"' ||
        scan_string(val, val + len, NULL) != val + len)
        return -1;
    if (buflen > 0)
        decode_string(val, len, buf, buflen);
    return 0;
}

char *
json_scan_cstr(const char *val, size_t len, char *buf, size_t cap)
{
    /* decoded, a string is never longer than its text */
    char *out = len < cap ? buf : malloc(len + 1);
    if (!out)
        return NULL;
    if (json_scan_string(val, len, out, len + 1) != 0) {
        memcpy(out, val, len);
        out[len] = '\0';
    }
    return out;
}

size_t
json_scan_string_chars(const char *val, size_t len)
{
    const char *end = val + len;
    size_t n = 0;
    if (len < 2 || *val != '"')
        return 0;
    for (const char *p = val + 1; p < end - 1;) {
        if (*p != '\\') { /* the usual byte: no decoding */
            n += ((unsigned char)*p++ & 0xC0) != 0x80;
            continue;
        }
        char tmp[4];
        size_t k;
        p = decode_one(p, end - 1, tmp, &k);
        n++; /* an escape decodes to one character */
    }
    return n;
}

int
json_member_named(const struct json_member *m, const char *key)
{
    char buf[64];
    size_t n = strlen(key);
    if (!m->key_escaped)
        return json_member_is(m, key);
    /* decoded, a key is never longer than its text */
    if (m->key_len < n || n + 4 >= sizeof buf)
        return 0;
    return decode_string(m->key - 1, m->key_len + 2, buf, sizeof buf) == n &&
           memcmp(buf, key, n) == 0;
}

int
json_scan_member(const char *s, size_t len, const char *key,
                 struct json_member *m)
{
    struct json_members it;
    struct json_member cur;
    int rc, found = 0;
    if (json_members_begin(&it, s, len) != 0)
        return -1;
    while ((rc = json_members_next(&it, &cur)) == 1)
        if (json_member_named(&cur, key)) {
            *m = cur;
            found = 1;
        }
    return rc < 0 ? -1 : found;
}

int
json_elements_begin(struct json_elements *it, const char *s, size_t len)
{
    return walk_begin(&it->p, &it->end, &it->first, s, len, '[');
}

int
json_elements_next(struct json_elements *it, const char **val, size_t *len)
{
    const char *p;
    int rc = walk_next(&it->p, it->end, &it->first, ']', &p);
    if (rc != 1)
        return rc;
    const char *v = scan_value(p, it->end, 1);
    if (!v)
        return -1;
    *val = p;
    *len = (size_t)(v - p);
    it->p = v;
    return 1;
}

int
json_scan_is_integer(const char *val, size_t len)
{
    return json_scan_kind(val, len) == JSON_SCAN_NUMBER &&
           !memchr(val, '.', len) && !memchr(val, 'e', len) &&
           !memchr(val, 'E', len);
}

int
json_scan_is_true(const char *val, size_t len)
{
    return len == 4 && memcmp(val, "true", 4) == 0;
}

int
json_scan_is_null(const char *val, size_t len)
{
    return len == 4 && memcmp(val, "null", 4) == 0;
}
