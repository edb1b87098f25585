/* The capacity learner with an injected clock: slot maths, decay,
 * bootstrap, modes and ceilings, sustained CPU, a simulated month of office
 * hours, and the state file (atomic save, load, bad files, seeding). */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "agent/agent_capacity.h"
#include "tap.h"

#define DAY 86400
#define HOUR 3600

/* Monday 2026-11-23 00:00 UTC */
static time_t
monday(void)
{
    struct tm tm = {0};
    tm.tm_year = 2026 - 1900;
    tm.tm_mon = 10;
    tm.tm_mday = 23;
    return timegm(&tm);
}

static void
test_slots(void)
{
    time_t m = monday();
    is_int(capacity_slot_of(m), 0, "Monday 00:00 is slot 0");
    is_int(capacity_slot_of(m + 23 * HOUR + 3599), 23, "Monday 23:59 is 23");
    is_int(capacity_slot_of(m + DAY), 24, "Tuesday 00:00 is 24");
    is_int(capacity_slot_of(m + 2 * DAY + 10 * HOUR + 30 * 60), 58,
           "Wednesday 10:30 is 2*24+10");
    is_int(capacity_slot_of(m + 6 * DAY + 23 * HOUR), 167,
           "Sunday 23:00 is the last slot");
    is_int(capacity_slot_of(m + 7 * DAY + 5 * HOUR), 5,
           "a week later the slots repeat");
}

static void
test_decay(void)
{
    struct capacity_learner l;
    time_t t = monday() + 10 * HOUR;
    capacity_init(&l, 0);
    capacity_observe(&l, t, 100, 50);
    is_double(capacity_slot_mean_cpu(&l, 10), 100, 1e-9, "one sample");
    /* four weeks later the old sample weighs 2^(-28/15) */
    capacity_observe(&l, t + 28 * DAY, 0, 50);
    double w = exp2(-28.0 / 15.0);
    is_double(capacity_slot_mean_cpu(&l, 10), 100 * w / (w + 1), 1e-9,
              "decayed mean with a 15-day half-life");
    /* 15 days = one half-life: a 2:1 mix weighted 0.5:1 is 50/50 */
    capacity_init(&l, 0);
    capacity_observe(&l, t, 100, 0);
    capacity_observe(&l, t, 100, 0);
    capacity_observe(&l, t + 15 * DAY, 0, 0);
    is_double(capacity_slot_mean_cpu(&l, capacity_slot_of(t + 15 * DAY)), 0,
              1e-9, "another weekday has its own slot");
    is_double(capacity_slot_mean_cpu(&l, 10), 100, 1e-9,
              "and leaves this one alone");
    is_int(l.slots[10].visits, 1, "two samples in a row are one visit");
    ok(capacity_slot_mean_cpu(&l, 11) < 0, "an unseen slot has no mean");
}

static void
test_bootstrap(void)
{
    struct capacity_learner l;
    struct capacity_result r;
    time_t t = monday();
    capacity_init(&l, 7 * DAY);
    capacity_evaluate(&l, t, 0, 0, 64, &r);
    is_str(r.mode, "bootstrap", "no observation yet: bootstrap");
    capacity_observe(&l, t, 5, 10);
    capacity_evaluate(&l, t + 6 * DAY, 5, 10, 64, &r);
    is_str(r.mode, "bootstrap", "six days in: still bootstrap");
    ok(r.score == 0 && r.ceiling_gb == 0, "bootstrap offers nothing");
    is_double(r.days_observed, 6, 1e-9, "days_observed counts");
    capacity_evaluate(&l, t + 7 * DAY, 5, 10, 64, &r);
    ok(strcmp(r.mode, "bootstrap") != 0, "seven days in: learned (%s)", r.mode);
    capacity_init(&l, 0);
    capacity_observe(&l, t, 5, 10);
    capacity_evaluate(&l, t, 5, 10, 64, &r);
    ok(strcmp(r.mode, "bootstrap") != 0,
       "bootstrap 0: advice from the first observation (%s)", r.mode);
}

static double
expected_ceiling(const char *mode, double total)
{
    if (!strcmp(mode, "paused"))
        return 0;
    if (!strcmp(mode, "learned_low"))
        return fmin(16, 0.125 * total);
    if (!strcmp(mode, "learned_medium"))
        return fmin(32, 0.25 * total);
    if (!strcmp(mode, "learned_high"))
        return fmin(64, 0.5 * total);
    return 0.8 * total;
}

static const char *
expected_mode(double score)
{
    return score < 0.2   ? "paused"
           : score < 0.4 ? "learned_low"
           : score < 0.6 ? "learned_medium"
           : score < 0.8 ? "learned_high"
                         : "full";
}

static void
test_modes(void)
{
    struct capacity_learner l;
    struct capacity_result r;
    time_t t = monday() + 3 * HOUR;
    int bad = 0, seen[5] = {0};
    const char *names[5] = {"paused", "learned_low", "learned_medium",
                            "learned_high", "full"};

    /* every score band, on a small and a big machine */
    for (int total = 16; total <= 512; total *= 32)
        for (int cpu = 0; cpu <= 100; cpu += 5)
            for (int mem = 0; mem <= 100; mem += 25) {
                capacity_init(&l, 0);
                capacity_observe(&l, t, cpu, mem);
                capacity_evaluate(&l, t, cpu, mem, total, &r);
                if (strcmp(r.mode, expected_mode(r.score)) != 0 ||
                    fabs(r.ceiling_gb - expected_ceiling(r.mode, total)) >
                        0.006) {
                    diag("cpu %d mem %d total %d: score %.3f mode %s "
                         "ceiling %.2f",
                         cpu, mem, total, r.score, r.mode, r.ceiling_gb);
                    bad++;
                }
                for (int i = 0; i < 5; i++)
                    seen[i] += strcmp(r.mode, names[i]) == 0;
            }
    is_int(bad, 0, "mode and ceiling follow the score bands");
    ok(seen[0] && seen[1] && seen[2] && seen[3] && seen[4],
       "the sweep reached every mode");
    capacity_init(&l, 0);
    capacity_observe(&l, t, 0, 0);
    capacity_evaluate(&l, t, 0, 0, 256, &r);
    is_str(r.mode, "full", "an idle machine is fully available");
    is_double(r.ceiling_gb, 204.8, 1e-9, "full = 80 %% of memory");
    is_str(r.reason, "high_availability", "with its reason");
    capacity_init(&l, 0);
    capacity_observe(&l, t, 100, 100);
    capacity_evaluate(&l, t, 100, 100, 256, &r);
    is_str(r.mode, "paused", "a saturated machine is paused");
    is_str(r.reason, "historically_busy_slot",
           "busy history (100 %% > 60) is the reason");
}

static void
test_sustained_cpu(void)
{
    struct capacity_learner l;
    struct capacity_result r;
    time_t t = monday() + 14 * HOUR;
    capacity_init(&l, 0);
    capacity_observe(&l, t, 95, 50);
    capacity_observe(&l, t + 60, 95, 50);
    capacity_evaluate(&l, t + 60, 95, 50, 64, &r);
    ok(strcmp(r.reason, "sustained_high_cpu") != 0,
       "60 s above 85 %% is not sustained (%s)", r.reason);
    capacity_observe(&l, t + 130, 95, 50);
    capacity_evaluate(&l, t + 130, 95, 50, 64, &r);
    is_str(r.reason, "sustained_high_cpu", "130 s above 85 %% is sustained");
    is_str(r.mode, "learned_low", "the node stays routable");
    is_double(r.ceiling_gb, 6.4, 1e-9, "ceiling min(16 GB, 10 %%)");
    ok(r.score <= 0.2 && r.score >= 0.2, "score capped at 0.2");
    capacity_observe(&l, t + 140, 50, 50);
    capacity_observe(&l, t + 400, 95, 50);
    capacity_evaluate(&l, t + 400, 95, 50, 64, &r);
    ok(strcmp(r.reason, "sustained_high_cpu") != 0,
       "a dip below 85 %% starts the count again");
}

/* Office hours: weekdays 9-17 busy (CPU 90 %, memory 80 %), idle else. */
static void
office_load(time_t t, double *cpu, double *mem)
{
    int slot = capacity_slot_of(t);
    int day = slot / 24, hour = slot % 24;
    int busy = day < 5 && hour >= 9 && hour < 17;
    *cpu = busy ? 90 : 5;
    *mem = busy ? 80 : 30;
}

static void
test_month(void)
{
    struct capacity_learner l;
    struct capacity_result r;
    time_t start = monday();
    double cpu, mem;
    capacity_init(&l, 7 * DAY);
    /* four weeks at one observation per minute */
    time_t t;
    for (t = start; t < start + 28 * DAY; t += 60) {
        office_load(t, &cpu, &mem);
        capacity_observe(&l, t, cpu, mem);
    }
    /* week 5, feeding the same life until each probe time */
    time_t wed_11 = start + 28 * DAY + 2 * DAY + 11 * HOUR;
    time_t thu_3 = start + 28 * DAY + 3 * DAY + 3 * HOUR;
    time_t fri_9 = start + 28 * DAY + 4 * DAY + 9 * HOUR;
    time_t sat_11 = start + 28 * DAY + 5 * DAY + 11 * HOUR;
    for (; t <= wed_11; t += 60) {
        office_load(t, &cpu, &mem);
        capacity_observe(&l, t, cpu, mem);
    }
    capacity_evaluate(&l, wed_11, 90, 80, 64, &r);
    is_str(r.mode, "paused", "Wednesday 11:00, busy as usual: unavailable");
    is_str(r.reason, "historically_busy_slot", "because the slot is busy");
    is_double(r.slot_cpu, 90, 0.5, "the slot remembers 90 %% CPU");
    is_double(r.ceiling_gb, 0, 0, "no memory offered");

    for (; t <= thu_3; t += 60) {
        office_load(t, &cpu, &mem);
        capacity_observe(&l, t, cpu, mem);
    }
    capacity_evaluate(&l, thu_3, 5, 30, 64, &r);
    is_str(r.mode, "full", "Thursday 03:00: fully available at night");
    double night = r.score;

    /* Friday 8:59 the office is still empty: the learner expects it */
    for (; t < fri_9; t += 60) {
        office_load(t, &cpu, &mem);
        capacity_observe(&l, t, cpu, mem);
    }
    capacity_evaluate(&l, fri_9, 5, 30, 64, &r);
    ok(r.score < night - 0.3,
       "Friday 9:00, still idle, scores lower than the night (%.3f < %.3f)",
       r.score, night);
    ok(strcmp(r.mode, "full") != 0 && strcmp(r.mode, "paused") != 0,
       "and gets a partial ceiling (%s, %.1f GB)", r.mode, r.ceiling_gb);

    for (; t <= sat_11; t += 60) {
        office_load(t, &cpu, &mem);
        capacity_observe(&l, t, cpu, mem);
    }
    capacity_evaluate(&l, sat_11, 5, 30, 64, &r);
    is_str(r.mode, "full", "Saturday 11:00: available, no office on weekends");
    ok(r.confidence > 0.9, "a month gives high confidence (%.3f)",
       r.confidence);
    is_double(r.days_observed, 33 + 11.0 / 24, 1e-6, "days observed");
}

static int
count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void
test_state_file(void)
{
    char dir[] = "/tmp/test_agent_capacity.XXXXXX";
    char path[256], bad[256], err[512];
    struct capacity_learner a, b;
    struct capacity_result ra, rb;
    struct stat st1, st2;
    time_t t = monday() + 10 * HOUR;

    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/capacity-n1.json", dir);
    capacity_init(&a, 0);
    for (int i = 0; i < 500; i++)
        capacity_observe(&a, t + i * 600, (i * 7) % 100, (i * 3) % 100);
    is_int(capacity_save(&a, "n1", path, t, err, sizeof err), 0, "saved");
    is_int(count_files(dir), 1, "no temporary file is left behind");
    stat(path, &st1);
    ok(st1.st_size > 0 && st1.st_size < 32768,
       "the state is small (%lld bytes)", (long long)st1.st_size);
    is_int(capacity_save(&a, "n1", path, t, err, sizeof err), 0, "saved again");
    stat(path, &st2);
    ok(st1.st_ino != st2.st_ino, "replaced by rename, not rewritten in place");

    capacity_init(&b, 0);
    is_int(capacity_load(&b, path, err, sizeof err), 0, "loaded back");
    int same = 1;
    for (int i = 0; i < CAPACITY_SLOTS; i++)
        same &= fabs(a.slots[i].weight - b.slots[i].weight) < 1e-9 &&
                fabs(a.slots[i].cpu_sum - b.slots[i].cpu_sum) < 1e-9 &&
                a.slots[i].visits == b.slots[i].visits;
    ok(same, "every slot survives the round trip");
    time_t later = t + 500 * 600;
    capacity_evaluate(&a, later, 10, 10, 64, &ra);
    capacity_evaluate(&b, later, 10, 10, 64, &rb);
    is_double(rb.confidence, ra.confidence, 1e-9, "same confidence");

    /* bad files: clear errors, nothing changed */
    struct capacity_learner c = b;
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    write_text(bad, "{");
    is_int(capacity_load(&c, bad, err, sizeof err), -EINVAL, "truncated JSON");
    ok(strstr(err, bad) != NULL, "the error names the file: %s", err);
    ok(memcmp(&c, &b, sizeof c) == 0, "and the learner is unchanged");
    write_text(bad, "{\"format\":\"herd-capacity/1\",\"first_observation\":1,"
                    "\"slots\":[[1,2,3,4,5]]}");
    is_int(capacity_load(&c, bad, err, sizeof err), -EINVAL, "one slot");
    ok(strstr(err, "168") != NULL, "says 168 slots: %s", err);
    write_text(bad, "{\"format\":\"other\"}");
    is_int(capacity_load(&c, bad, err, sizeof err), -EINVAL, "wrong format");
    ok(strstr(err, "format") != NULL, "says format: %s", err);
    snprintf(bad, sizeof bad, "%s/none.json", dir);
    is_int(capacity_load(&c, bad, err, sizeof err), -ENOENT, "missing file");
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.json", dir);
    ok(capacity_save(&a, "n1", bad, t, err, sizeof err) < 0,
       "saving into a missing directory fails: %s", err);

    /* seeding: a hand-written state ends the bootstrap at once */
    char seed[16384];
    size_t n = (size_t)snprintf(seed, sizeof seed,
                                "{\"format\":\"herd-capacity/1\","
                                "\"first_observation\":%lld,\"slots\":[",
                                (long long)(t - 30 * DAY));
    for (int i = 0; i < CAPACITY_SLOTS; i++)
        n +=
            (size_t)snprintf(seed + n, sizeof seed - n, "%s[10,900,500,%lld,4]",
                             i ? "," : "", (long long)(t - DAY));
    snprintf(seed + n, sizeof seed - n, "]}");
    snprintf(bad, sizeof bad, "%s/seed.json", dir);
    write_text(bad, seed);
    capacity_init(&c, 7 * DAY);
    is_int(capacity_load(&c, bad, err, sizeof err), 0, "seed loaded");
    capacity_evaluate(&c, t, 90, 50, 64, &ra);
    ok(strcmp(ra.mode, "bootstrap") != 0,
       "a seed of 30 days skips the bootstrap (%s)", ra.mode);
    is_double(ra.slot_cpu, 90, 1e-9, "and brings its history");
    is_double(c.bootstrap_s, 7 * DAY, 0, "the configured bootstrap stays");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

int
main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    plan(62);
    test_slots();
    test_decay();
    test_bootstrap();
    test_modes();
    test_sustained_cpu();
    test_month();
    test_state_file();
    return done_testing();
}
