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
    int rc = bd_put(t, "\"", 1);
    for (const char *p = name; *p && rc == 0; p++) {
        unsigned char c = (unsigned char)*p;
        char esc[8];
        if (c == '"' || c == '\\')
            rc = bd_put(t, (char[]){'\\', (char)c}, 2);
        else if (c < 0x20)
            rc =
                bd_put(t, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
        else
            rc = bd_put(t, p, 1);
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
    struct bd_text t = {0};
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
