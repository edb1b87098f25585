/* The capacity learner: decayed weekly slots, score, mode, state file. */
#include "autoconfig.h"

#include "agent_capacity.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAPACITY_MAX_FILE (1 << 20)

void
capacity_init(struct capacity_learner *l, double bootstrap_s)
{
    memset(l, 0, sizeof *l);
    l->bootstrap_s = bootstrap_s < 0 ? 0 : bootstrap_s;
    l->last_slot = -1;
}

int
capacity_slot_of(time_t when)
{
    struct tm tm;
    if (!localtime_r(&when, &tm))
        return 0;
    return ((tm.tm_wday + 6) % 7) * 24 + tm.tm_hour; /* Monday first */
}

static double
capacity_clamp(double v, double lo, double hi)
{
    if (!(v >= lo)) /* NaN too */
        return lo;
    return v > hi ? hi : v;
}

void
capacity_observe(struct capacity_learner *l, time_t now, double cpu, double mem)
{
    double t = (double)now;
    int slot = capacity_slot_of(now);
    struct capacity_slot *s = &l->slots[slot];

    cpu = capacity_clamp(cpu, 0, 100);
    mem = capacity_clamp(mem, 0, 100);
    if (l->first_observation <= 0 || t < l->first_observation)
        l->first_observation = t;
    /* a new visit: another slot before, or an hour of silence */
    if (slot != l->last_slot || t - l->last_observation >= 3600.0 ||
        s->visits == 0)
        if (s->visits < UINT32_MAX)
            s->visits++;
    /* Folding with the factor since the slot's last observation keeps
     * every sample weighted 2^(-age/half-life) relative to the newest. */
    double factor = 1.0;
    if (s->last > 0 && t > s->last)
        factor = exp2(-(t - s->last) / CAPACITY_HALF_LIFE_S);
    s->weight = s->weight * factor + 1.0;
    s->cpu_sum = s->cpu_sum * factor + cpu;
    s->mem_sum = s->mem_sum * factor + mem;
    if (t > s->last)
        s->last = t;

    if (cpu > CAPACITY_HIGH_CPU_PCT) {
        if (l->high_cpu_since <= 0)
            l->high_cpu_since = t;
    } else {
        l->high_cpu_since = 0;
    }
    l->trend[l->trend_head] = cpu;
    l->trend_head = (l->trend_head + 1) % CAPACITY_TREND_WINDOW;
    if (l->trend_count < CAPACITY_TREND_WINDOW)
        l->trend_count++;
    l->last_slot = slot;
    if (t > l->last_observation)
        l->last_observation = t;
}

double
capacity_slot_mean_cpu(const struct capacity_learner *l, int slot)
{
    if (slot < 0 || slot >= CAPACITY_SLOTS)
        return -1;
    const struct capacity_slot *s = &l->slots[slot];
    if (s->weight <= 0)
        return -1;
    return s->cpu_sum / s->weight;
}

/* (mean of the newer half - mean of the older half) / 50, in [-1, 1]. */
static double
capacity_trend(const struct capacity_learner *l)
{
    size_t n = l->trend_count;
    if (n < 2)
        return 0;
    size_t half = n / 2;
    double older = 0, newer = 0;
    /* oldest sample first */
    size_t start =
        (l->trend_head + CAPACITY_TREND_WINDOW - n) % CAPACITY_TREND_WINDOW;
    for (size_t i = 0; i < n; i++) {
        double v = l->trend[(start + i) % CAPACITY_TREND_WINDOW];
        if (i < n - half)
            older += v;
        else
            newer += v;
    }
    older /= (double)(n - half);
    newer /= (double)half;
    return capacity_clamp((newer - older) / 50.0, -1, 1);
}

static double
capacity_confidence(const struct capacity_learner *l, double days)
{
    double visits = 0;
    for (int i = 0; i < CAPACITY_SLOTS; i++)
        visits += l->slots[i].visits;
    double per_slot = visits / CAPACITY_SLOTS / CAPACITY_FULL_VISITS;
    return 0.6 * capacity_clamp(days / 30.0, 0, 1) +
           0.4 * capacity_clamp(per_slot, 0, 1);
}

static void
capacity_mode(double score, double total_gb, struct capacity_result *out)
{
    if (score < 0.2) {
        out->mode = "paused";
        out->ceiling_gb = 0;
    } else if (score < 0.4) {
        out->mode = "learned_low";
        out->ceiling_gb = fmin(16, 0.125 * total_gb);
        out->reason = "low_availability";
    } else if (score < 0.6) {
        out->mode = "learned_medium";
        out->ceiling_gb = fmin(32, 0.25 * total_gb);
        out->reason = "moderate_availability";
    } else if (score < 0.8) {
        out->mode = "learned_high";
        out->ceiling_gb = fmin(64, 0.5 * total_gb);
        out->reason = "good_availability";
    } else {
        out->mode = "full";
        out->ceiling_gb = 0.8 * total_gb;
        out->reason = "high_availability";
    }
}

void
capacity_evaluate(const struct capacity_learner *l, time_t now, double cpu,
                  double mem, double total_gb, struct capacity_result *out)
{
    double t = (double)now;
    memset(out, 0, sizeof *out);
    cpu = capacity_clamp(cpu, 0, 100);
    mem = capacity_clamp(mem, 0, 100);
    total_gb = total_gb > 0 ? total_gb : 0;
    out->slot = capacity_slot_of(now);
    out->slot_cpu = capacity_slot_mean_cpu(l, out->slot);
    out->days_observed = l->first_observation > 0 && t > l->first_observation
                             ? (t - l->first_observation) / 86400.0
                             : 0;
    out->confidence = capacity_confidence(l, out->days_observed);

    if (l->first_observation <= 0 ||
        t - l->first_observation < l->bootstrap_s) {
        out->mode = "bootstrap";
        out->reason = "bootstrap";
        return;
    }
    const struct capacity_slot *s = &l->slots[out->slot];
    double hist = out->slot_cpu >= 0 ? out->slot_cpu : 0;
    double conf = capacity_clamp(s->visits / CAPACITY_FULL_VISITS, 0, 1);
    if (s->weight <= 0)
        conf = 0;
    double now_term = fmax(0, 1 - 0.7 * cpu / 100 - 0.3 * mem / 100);
    double score = (1 - hist / 100) * 0.4 * conf +
                   now_term * (0.4 + 0.4 * (1 - conf)) +
                   capacity_clamp(0.5 - 0.5 * capacity_trend(l), 0, 1) * 0.2;
    score = capacity_clamp(score, 0, 1);
    out->score = round(score * 1000) / 1000;
    capacity_mode(out->score, total_gb, out);
    if (out->score < 0.2)
        out->reason = hist > 60 ? "historically_busy_slot" : "currently_busy";

    /* Sustained load lowers the ceiling but, unlike the reference, does
     * not take the node out of routing. */
    if (l->high_cpu_since > 0 && t - l->high_cpu_since >= CAPACITY_HIGH_CPU_S &&
        out->score >= 0.2) {
        double cap = fmin(16, 0.1 * total_gb);
        if (out->score > 0.2 || out->ceiling_gb > cap) {
            out->mode = "learned_low";
            out->ceiling_gb = fmin(out->ceiling_gb, cap);
            out->score = fmin(out->score, 0.2);
            out->reason = "sustained_high_cpu";
        }
    }
    out->ceiling_gb = round(out->ceiling_gb * 100) / 100;
}

/* ---- state file ---- */

int
capacity_save(const struct capacity_learner *l, const char *node_id,
              const char *path, time_t now, char *err, size_t errlen)
{
    char tmp[4200];
    json_object *o = json_object_new_object();
    json_object *slots = json_object_new_array();

    json_object_object_add(o, "format",
                           json_object_new_string(CAPACITY_STATE_FORMAT));
    json_object_object_add(o, "node_id",
                           json_object_new_string(node_id ? node_id : ""));
    json_object_object_add(o, "first_observation",
                           json_object_new_double(l->first_observation));
    json_object_object_add(o, "saved_at", json_object_new_int64(now));
    json_object_object_add(
        o, "half_life_days",
        json_object_new_double(CAPACITY_HALF_LIFE_S / 86400));
    /* [weight, cpu_sum, mem_sum, last, visits] per slot, Monday 00:00
     * first */
    for (int i = 0; i < CAPACITY_SLOTS; i++) {
        const struct capacity_slot *s = &l->slots[i];
        json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_new_double(s->weight));
        json_object_array_add(a, json_object_new_double(s->cpu_sum));
        json_object_array_add(a, json_object_new_double(s->mem_sum));
        json_object_array_add(a, json_object_new_double(s->last));
        json_object_array_add(a, json_object_new_int64(s->visits));
        json_object_array_add(slots, a);
    }
    json_object_object_add(o, "slots", slots);
    size_t len;
    const char *text = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

    int rc = 0;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        json_object_put(o);
        return -ENAMETOOLONG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        json_object_put(o);
        return rc;
    }
    size_t off = 0;
    while (off < len && rc == 0) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno != EINTR)
            rc = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (rc == 0 && (write(fd, "\n", 1) != 1 || fsync(fd) != 0))
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    json_object_put(o);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        unlink(tmp);
    }
    return rc;
}

static int
capacity_fail(char *err, size_t errlen, const char *path, const char *why)
{
    snprintf(err, errlen, "%s: %s", path, why);
    return -EINVAL;
}

static int
capacity_number(json_object *v, double *out)
{
    if (!v || !(json_object_is_type(v, json_type_double) ||
                json_object_is_type(v, json_type_int)))
        return -1;
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < 0)
        return -1;
    *out = d;
    return 0;
}

static int
capacity_parse_slot(json_object *a, struct capacity_slot *s)
{
    double v[5];
    if (!a || !json_object_is_type(a, json_type_array) ||
        json_object_array_length(a) != 5)
        return -1;
    for (size_t i = 0; i < 5; i++)
        if (capacity_number(json_object_array_get_idx(a, i), &v[i]) != 0)
            return -1;
    /* sums are of percentages, so at most 100 per unit of weight */
    if (v[1] > v[0] * 100 + 1e-6 || v[2] > v[0] * 100 + 1e-6 ||
        v[4] > UINT32_MAX || v[4] != floor(v[4]))
        return -1;
    s->weight = v[0];
    s->cpu_sum = v[1];
    s->mem_sum = v[2];
    s->last = v[3];
    s->visits = (uint32_t)v[4];
    return 0;
}

int
capacity_load(struct capacity_learner *l, const char *path, char *err,
              size_t errlen)
{
    char why[128];
    json_object *o = NULL, *v = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char *buf = malloc(CAPACITY_MAX_FILE + 1);
    size_t len = 0;
    ssize_t n = 0;
    while (buf && len <= CAPACITY_MAX_FILE &&
           (n = read(fd, buf + len, CAPACITY_MAX_FILE + 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    if (!buf)
        return -ENOMEM;
    if (n < 0 || len > CAPACITY_MAX_FILE) {
        free(buf);
        return capacity_fail(err, errlen, path,
                             n < 0 ? "cannot be read"
                                   : "larger than 1 MiB: not a state file");
    }
    buf[len] = '\0';
    enum json_tokener_error jerr;
    o = json_tokener_parse_verbose(buf, &jerr);
    free(buf);
    if (!o || !json_object_is_type(o, json_type_object)) {
        snprintf(why, sizeof why, "not a JSON object (%s)",
                 o ? "wrong type" : json_tokener_error_desc(jerr));
        json_object_put(o);
        return capacity_fail(err, errlen, path, why);
    }
    struct capacity_learner next = *l;
    int rc = 0;
    const char *problem = NULL;
    if (!json_object_object_get_ex(o, "format", &v) ||
        !json_object_is_type(v, json_type_string) ||
        strcmp(json_object_get_string(v), CAPACITY_STATE_FORMAT) != 0)
        problem = "format must be \"" CAPACITY_STATE_FORMAT "\"";
    else if (!json_object_object_get_ex(o, "first_observation", &v) ||
             capacity_number(v, &next.first_observation) != 0)
        problem = "first_observation must be a number >= 0 (epoch seconds)";
    else if (!json_object_object_get_ex(o, "slots", &v) ||
             !json_object_is_type(v, json_type_array) ||
             json_object_array_length(v) != CAPACITY_SLOTS)
        problem = "slots must be an array of 168 entries";
    if (!problem) {
        for (int i = 0; i < CAPACITY_SLOTS; i++) {
            if (capacity_parse_slot(json_object_array_get_idx(v, (size_t)i),
                                    &next.slots[i]) != 0) {
                snprintf(why, sizeof why,
                         "slots[%d] must be [weight, cpu_sum, mem_sum, last, "
                         "visits] of numbers >= 0, sums <= 100 x weight",
                         i);
                problem = why;
                break;
            }
        }
    }
    if (problem) {
        rc = capacity_fail(err, errlen, path, problem);
    } else {
        next.last_slot = -1;
        next.high_cpu_since = 0;
        next.trend_count = next.trend_head = 0;
        next.last_observation = 0;
        for (int i = 0; i < CAPACITY_SLOTS; i++)
            if (next.slots[i].last > next.last_observation)
                next.last_observation = next.slots[i].last;
        *l = next;
    }
    json_object_put(o);
    return rc;
}
