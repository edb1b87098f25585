/* The scores_breakdown text of a trace, written directly: every request
 * stores one, and building it as a json-c object and printing it cost
 * more than ranking the nodes. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scorer.h"

struct bd_text {
    char *s;
    size_t len, cap;
};

static int
bd_put(struct bd_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *p = realloc(t->s, cap);
        if (!p)
            return -1;
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
    return 0;
}

/* A signal name as a JSON string (names are plugin names; escaped all
 * the same). */
static int
bd_key(struct bd_text *t, const char *name)
{
    static const char special[] = "\"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09"
                                  "\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13"
                                  "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
                                  "\x1e\x1f";
    int rc = bd_put(t, "\"", 1);
    while (rc == 0 && *name) {
        size_t plain = strcspn(name, special);
        rc = bd_put(t, name, plain);
        name += plain;
        if (rc == 0 && *name) {
            char esc[8];
            rc = bd_put(t, esc,
                        (size_t)snprintf(esc, sizeof esc, "\\u%04x",
                                         (unsigned char)*name++));
        }
    }
    return rc ? rc : bd_put(t, "\":", 2);
}

/* Points to a millionth ("50.0", "-12.5", "3.141593"): whole numbers are
 * the common case and printf's %g costs thousands of instructions. */
static int
bd_points(struct bd_text *t, double v)
{
    char buf[48], *end = buf + sizeof buf, *p = end;
    if (!isfinite(v))
        return bd_put(t, "null", 4);
    if (!(fabs(v) < 1e12))
        return bd_put(t, buf, (size_t)snprintf(buf, sizeof buf, "%.17g", v));
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
    return bd_put(t, p, (size_t)(end - p));
}

char *
route_result_breakdown_text(const struct route_result *r, size_t i)
{
    if (i >= r->candidate_count)
        return NULL;
    const struct route_candidate *c = &r->candidates[i];
    /* eight signals fit; more grow it */
    struct bd_text t = {malloc(256), 0, 256};
    if (!t.s)
        return NULL;
    int rc = bd_put(&t, "{", 1);
    for (size_t k = 0; k < r->signal_count && rc == 0; k++) {
        rc = bd_key(&t, r->signals[k]);
        if (rc == 0)
            rc = bd_points(&t, c->points[k]);
        if (rc == 0)
            rc = bd_put(&t, ",", 1);
    }
    if (rc == 0)
        rc = bd_put(&t, "\"total\":", 8);
    if (rc == 0)
        rc = bd_points(&t, c->total);
    if (rc == 0)
        rc = bd_put(&t, "}", 1);
    if (rc != 0) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
