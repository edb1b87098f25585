/* A small TAP producer for herd's C tests (read by automake's tap-driver).
 *
 *   plan(3); ok(x == 1, "x is one"); is_int(a, b, "..."); return done_testing();
 *
 * done_testing() returns the number of failures, so main's exit status is
 * non-zero on any failure. Header-only: each test is one translation unit. */
#ifndef HERD_TESTS_TAP_H
#define HERD_TESTS_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

static inline void
plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

static inline void
skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
}

static inline void
diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

static inline int
ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_run++;
    if (!pass)
        tap_failed++;
    printf("%sok %d - ", pass ? "" : "not ", tap_run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass)
        printf("#   failed at %s:%d\n", file, line);
    fflush(stdout);
    return pass;
}

#define ok(cond, ...) ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                \
    do {                                                                      \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);      \
        if (!ok(tap_g_ == tap_w_, __VA_ARGS__))                               \
            diag("  got %lld, want %lld", tap_g_, tap_w_);                    \
    } while (0)

#define is_str(got, want, ...)                                                \
    do {                                                                      \
        const char *tap_g_ = (got), *tap_w_ = (want);                         \
        int tap_p_ = (tap_g_ && tap_w_) ? strcmp(tap_g_, tap_w_) == 0         \
                                        : tap_g_ == tap_w_;                   \
        if (!ok(tap_p_, __VA_ARGS__))                                         \
            diag("  got \"%s\", want \"%s\"", tap_g_ ? tap_g_ : "(null)",     \
                 tap_w_ ? tap_w_ : "(null)");                                 \
    } while (0)

#define is_double(got, want, eps, ...)                                        \
    do {                                                                      \
        double tap_g_ = (got), tap_w_ = (want);                               \
        if (!ok(fabs(tap_g_ - tap_w_) <= (eps), __VA_ARGS__))                 \
            diag("  got %g, want %g", tap_g_, tap_w_);                        \
    } while (0)

#define like(got, needle, ...)                                                \
    do {                                                                      \
        const char *tap_g_ = (got), *tap_n_ = (needle);                       \
        if (!ok(tap_g_ && strstr(tap_g_, tap_n_), __VA_ARGS__))               \
            diag("  \"%s\" does not contain \"%s\"",                          \
                 tap_g_ ? tap_g_ : "(null)", tap_n_);                         \
    } while (0)

static inline int
done_testing(void)
{
    if (tap_planned < 0)
        printf("1..%d\n", tap_run);
    else if (tap_planned != tap_run) {
        printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
        return tap_failed + 1;
    }
    return tap_failed > 255 ? 255 : tap_failed;
}

#endif
