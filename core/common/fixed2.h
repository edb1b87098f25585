/* A number with two decimals, the text snprintf(buf, n, "%.2f", x) writes,
 * without printf's general float formatting: every proxied answer carries
 * its score so (X-Fleet-Score), and "%.2f" cost some 2,000 instructions. */
#ifndef HERD_COMMON_FIXED2_H
#define HERD_COMMON_FIXED2_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define FIXED2_MAX 64 /* the buffer; snprintf cuts a huge x to fit */

/* Returns the text, somewhere in buf. In long double (64-bit or wider
 * mantissa), x * 100 is exact (53 + 7 bits), so rounding it to an integer
 * rounds as printf does (to nearest, ties to even, in the current mode);
 * a narrower long double, a non-finite or a huge x goes to snprintf. */
static inline const char *
fixed2(char buf[FIXED2_MAX], double x)
{
#if LDBL_MANT_DIG >= 64
    if (fabs(x) < 1e15) {
        uint64_t n = (uint64_t)fabsl(rintl((long double)x * 100.0L));
        char *p = buf + FIXED2_MAX;
        *--p = '\0';
        *--p = (char)('0' + n % 10);
        *--p = (char)('0' + n / 10 % 10);
        *--p = '.';
        n /= 100;
        do
            *--p = (char)('0' + n % 10);
        while (n /= 10);
        if (signbit(x)) /* "-0.00" too, as printf writes it */
            *--p = '-';
        return p;
    }
#endif
    snprintf(buf, FIXED2_MAX, "%.2f", x);
    return buf;
}

#endif
