/* Seconds on the monotonic clock, for timeouts and durations measured on
 * the loop (never stepped by NTP or a date change). */
#ifndef HERD_MONO_CLOCK_H
#define HERD_MONO_CLOCK_H

#include <time.h>

static inline double
mono_clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
