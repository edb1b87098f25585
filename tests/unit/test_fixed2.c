/* fixed2 writes what snprintf's "%.2f" writes: ties, signs, zeros and
 * random values of every size checked against it. */
#include "autoconfig.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/fixed2.h"
#include "tap.h"

/* 1 when fixed2 and snprintf agree on x; prints the first difference. */
static int
same(double x)
{
    char want[FIXED2_MAX], buf[FIXED2_MAX];
    snprintf(want, sizeof want, "%.2f", x);
    const char *got = fixed2(buf, x);
    if (strcmp(got, want) == 0)
        return 1;
    diag("%.17g: fixed2 \"%s\", snprintf \"%s\"", x, got, want);
    return 0;
}

/* xorshift64*: the same values on every run */
static uint64_t
next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

int
main(void)
{
    static const double edges[] = {
        0.0,    -0.0,    0.001,  -0.001, 0.005,  -0.005, 0.015,
        0.125,  0.375,   0.625,  0.875,  -0.125, 2.5,    1.005,
        99.995, 96.8095, 40.0,   -7.2,   1e15,   -1e15,  999999999999999.9,
        1e300,  -1e300,  5e-324, INFINITY, -INFINITY, NAN};
    int bad = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        bad += !same(edges[i]);
    is_int(bad, 0, "edges: ties to even, -0.00, huge and non-finite");

    /* every exact tie of two decimals in [-100, 100]: k/8 */
    bad = 0;
    for (int k = -800; k <= 800; k++)
        bad += !same(k / 8.0);
    is_int(bad, 0, "eighths from -100 to 100");

    /* hundredths as a score would be, and their neighbours */
    bad = 0;
    for (int k = -100000; k <= 100000; k++) {
        double x = k / 100.0;
        bad += !same(x) + !same(nextafter(x, INFINITY)) +
               !same(nextafter(x, -INFINITY)) + !same(x + 0.005);
    }
    is_int(bad, 0, "hundredths from -1000 to 1000 and their neighbours");

    /* random bit patterns: every exponent, both signs */
    bad = 0;
    uint64_t s = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        uint64_t u = next(&s);
        double x;
        memcpy(&x, &u, sizeof x);
        bad += !same(x);
    }
    is_int(bad, 0, "random doubles");

    /* random values of a score's size */
    bad = 0;
    for (int i = 0; i < 200000; i++) {
        double x = ((double)(next(&s) >> 11) / 9007199254740992.0 - 0.5) * 400;
        bad += !same(x);
    }
    is_int(bad, 0, "random values in (-200, 200)");
    return done_testing();
}
