/* Capacity learner: when is this machine free to serve models?
 *
 * The week has 168 slots (weekday x local hour, Monday 00:00 = slot 0). Each
 * observation (CPU %, memory %) is folded into its slot as an exponentially
 * decayed mean (half-life 15 days), so memory is constant and old habits
 * fade. From the slot's history, the current load and the recent CPU trend
 * comes an availability score in [0, 1] and, from the score, a mode and a
 * memory ceiling (the reference's thresholds):
 *
 *   score = (1 - hist/100) * 0.4 * conf
 *         + max(0, 1 - 0.7 cpu/100 - 0.3 mem/100) * (0.4 + 0.4 (1 - conf))
 *         + clamp(0.5 - 0.5 trend, 0, 1) * 0.2
 *
 *   < 0.2 paused (0 GB)            < 0.4 learned_low  min(16, 12.5 %)
 *   < 0.6 learned_medium min(32, 25 %)  < 0.8 learned_high min(64, 50 %)
 *   else  full (80 % of memory)
 *
 * conf grows with the number of separate visits of the slot (a visit = an
 * hour of the week observed at least once), reaching 1 at 4 visits, so one
 * busy minute does not make a slot "known". trend is the difference of the
 * mean CPU of the newer and older halves of the last 24 observations, / 50.
 *
 * Before the bootstrap period has passed since the first observation the
 * mode is "bootstrap" (score 0, ceiling 0). CPU above 85 % for 120 s or
 * more caps the result at learned_low with min(16 GB, 10 %) of memory
 * (reason sustained_high_cpu); a stricter learned result stays.
 *
 * All times are epoch seconds passed in by the caller (an injectable
 * clock); slots use local time. Not thread-safe; no I/O except
 * capacity_save/capacity_load. */
#ifndef HERD_AGENT_CAPACITY_H
#define HERD_AGENT_CAPACITY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CAPACITY_SLOTS 168
#define CAPACITY_TREND_WINDOW 24
#define CAPACITY_HALF_LIFE_S (15.0 * 86400.0)
#define CAPACITY_DEFAULT_BOOTSTRAP_S (7.0 * 86400.0)
#define CAPACITY_HIGH_CPU_PCT 85.0
#define CAPACITY_HIGH_CPU_S 120.0
#define CAPACITY_FULL_VISITS 4.0
#define CAPACITY_STATE_FORMAT "herd-capacity/1"

struct capacity_slot {
    double weight;   /* decayed number of observations */
    double cpu_sum;  /* decayed sum of CPU % */
    double mem_sum;  /* decayed sum of memory % */
    double last;     /* epoch s of the last observation, 0 = never */
    uint32_t visits; /* separate hours this slot was observed in */
};

struct capacity_learner {
    double bootstrap_s;
    double first_observation; /* epoch s, 0 = none yet */
    double last_observation;
    int last_slot;         /* -1 = none */
    double high_cpu_since; /* start of the current >85 % run, 0 = none */
    double trend[CAPACITY_TREND_WINDOW];
    size_t trend_count, trend_head;
    struct capacity_slot slots[CAPACITY_SLOTS];
};

struct capacity_result {
    const char *mode; /* bootstrap, paused, learned_low, learned_medium,
                         learned_high, full */
    const char *reason;
    double score; /* availability, 0..1 */
    double ceiling_gb;
    double confidence; /* learning_confidence, 0..1 */
    double days_observed;
    double slot_cpu; /* decayed mean CPU of the current slot, -1 = none */
    int slot;
};

void capacity_init(struct capacity_learner *l, double bootstrap_s);

/* Slot of a time: weekday (Monday 0) * 24 + local hour. */
int capacity_slot_of(time_t when);

/* Folds one observation in. cpu and mem are percentages (clamped 0..100). */
void capacity_observe(struct capacity_learner *l, time_t now, double cpu,
                      double mem);

/* Decayed mean CPU of slot as seen at now, or -1 when never observed. */
double capacity_slot_mean_cpu(const struct capacity_learner *l, int slot);

/* The mode, score and ceiling for now, given the current load and the
 * machine's memory in GiB. */
void capacity_evaluate(const struct capacity_learner *l, time_t now, double cpu,
                       double mem, double total_gb,
                       struct capacity_result *out);

/* Writes the state as JSON to path atomically (a temporary file in the
 * same directory, fsync, rename). Returns 0 or -errno with err set. */
int capacity_save(const struct capacity_learner *l, const char *node_id,
                  const char *path, time_t now, char *err, size_t errlen);

/* Reads a state file written by capacity_save (or by hand, for seeding).
 * On any problem returns -errno (-ENOENT: no file) with the reason in err
 * and leaves l unchanged. The bootstrap period is kept from l. */
int capacity_load(struct capacity_learner *l, const char *path, char *err,
                  size_t errlen);

#endif
