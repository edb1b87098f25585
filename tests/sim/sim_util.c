/* Time, randomness and Go-style duration parsing for herd-sim. */
#include "autoconfig.h"

#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
sim_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
sim_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
sim_format_time(int64_t wall_ns, int utc, char *out, size_t outlen)
{
    time_t sec = (time_t)(wall_ns / 1000000000);
    long ns = (long)(wall_ns % 1000000000);
    if (wall_ns == SIM_FOREVER) {
        int64_t now = sim_wall_ns();
        sec = (time_t)(now / 1000000000 + 292LL * 31556952);
        ns = (long)(now % 1000000000);
    }
    struct tm tm;
    if (utc)
        gmtime_r(&sec, &tm);
    else
        localtime_r(&sec, &tm);
    char date[32], frac[16] = "", zone[24] = "Z";
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ns > 0) {
        /* Go trims trailing zeros of the fraction. */
        snprintf(frac, sizeof frac, ".%09ld", ns);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    if (!utc && tm.tm_gmtoff != 0) {
        long off = tm.tm_gmtoff / 60;
        snprintf(zone, sizeof zone, "%c%02ld:%02ld", off < 0 ? '-' : '+',
                 labs(off) / 60, labs(off) % 60);
    }
    snprintf(out, outlen, "%s%s%s", date, frac, zone);
}

/* splitmix64: small, fast, and the same everywhere. */
uint64_t
sim_rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double
sim_rand_unit(uint64_t *state)
{
    return (double)(sim_rand_next(state) >> 11) / 9007199254740992.0;
}

/* FNV-1a, seeded. */
uint64_t
sim_hash(const char *s, size_t len, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

struct timeval
sim_tv(int64_t ns)
{
    struct timeval tv;
    if (ns < 0)
        ns = 0;
    tv.tv_sec = (time_t)(ns / 1000000000);
    tv.tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
    return tv;
}

static const struct {
    const char *unit;
    double ns;
} util_units[] = {
    {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

int
sim_parse_go_duration(const char *s, int64_t *ns, char *err, size_t errlen)
{
    const char *p = s;
    int neg = 0;
    double total = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*p == '\0')
        goto invalid;
    while (*p) {
        char *end;
        if (!(*p == '.' || (*p >= '0' && *p <= '9')))
            goto invalid;
        double v = strtod(p, &end);
        if (end == p)
            goto invalid;
        p = end;
        const char *u = p;
        while (*p && *p != '.' && !(*p >= '0' && *p <= '9'))
            p++;
        if (u == p) {
            snprintf(err, errlen, "time: missing unit in duration \"%s\"", s);
            return -EINVAL;
        }
        size_t ulen = (size_t)(p - u);
        double mult = 0;
        for (size_t i = 0; i < sizeof util_units / sizeof util_units[0]; i++)
            if (strlen(util_units[i].unit) == ulen &&
                memcmp(util_units[i].unit, u, ulen) == 0)
                mult = util_units[i].ns;
        if (mult == 0) {
            snprintf(err, errlen,
                     "time: unknown unit \"%.*s\" in duration "
                     "\"%s\"",
                     (int)ulen, u, s);
            return -EINVAL;
        }
        total += v * mult;
    }
    if (total > SIM_KEEP_ALIVE_MAX_S * 1e9)
        total = SIM_KEEP_ALIVE_MAX_S * 1e9;
    *ns = (int64_t)(neg ? -total : total);
    return 0;
invalid:
    snprintf(err, errlen, "time: invalid duration \"%s\"", s);
    return -EINVAL;
}
