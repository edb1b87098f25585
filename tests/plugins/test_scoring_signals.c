/* The seven scoring plugins through the real plugin loader with a fake
 * host: every formula at and around its thresholds, the filters' vetoes
 * with their reasons, INI keys changing the constants, and bad keys and
 * values refused with a clear message. */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plugin_loader.h"
#include "fake_host.h"
#include "tap.h"

/* The router's host (fake_host.h: logs kept in memory, unused here). */
static struct fake_host host;

/* One loaded instance of scoring/NAME with key/value pairs (NULL-ended). */
struct sig {
    struct plugin_set *set;
    const struct loaded_plugin *p;
};

static int
sig_load(struct sig *s, const char *name, char *err, size_t errlen, ...)
{
    va_list ap;
    memset(s, 0, sizeof *s);
    va_start(ap, errlen);
    int rc =
        fake_host_vopen(&host, &s->set, "scoring", name, 1, err, errlen, ap);
    va_end(ap);
    if (rc == 0)
        s->p = plugin_set_get(s->set, 0);
    return rc;
}

static void
sig_free(struct sig *s)
{
    plugin_set_free(s->set);
    s->set = NULL;
}

/* A candidate the tests adjust field by field. */
struct cand {
    struct herd_request_view req;
    struct herd_node_view node;
    struct herd_fleet_view fleet;
    struct herd_loaded_model loaded[2];
    struct herd_unloaded_model unloaded[2];
    const char *available[3];
    struct herd_candidate c;
};

static void
cand_init(struct cand *k)
{
    memset(k, 0, sizeof *k);
    k->req.size = sizeof k->req;
    k->req.model = "qwen3:32b";
    k->req.endpoint = "/api/chat";
    k->req.format = "ollama";
    k->req.model_size_gb = 24.6;
    k->node.size = sizeof k->node;
    k->node.id = "a";
    k->node.url = "http://127.0.0.1:1";
    k->node.status = HERD_NODE_ONLINE;
    k->node.pressure = HERD_PRESSURE_NORMAL;
    k->node.memory_total_gb = 64;
    k->node.memory_available_gb = 40;
    k->node.temperature_c = NAN;
    k->node.chip = "";
    k->node.capacity_mode = "";
    k->node.p75_latency_ms = NAN;
    k->node.loaded = k->loaded;
    k->node.unloaded = k->unloaded;
    k->available[0] = "qwen3:32b";
    k->node.available = k->available;
    k->node.available_count = 1;
    k->fleet.size = sizeof k->fleet;
    k->fleet.node_count = 2;
    k->c.size = sizeof k->c;
    k->c.request = &k->req;
    k->c.node = &k->node;
    k->c.fleet = &k->fleet;
}

static void
cand_load(struct cand *k, double size_gb, uint32_t ctx)
{
    k->loaded[0].size = sizeof k->loaded[0];
    k->loaded[0].name = k->req.model;
    k->loaded[0].size_gb = size_gb;
    k->loaded[0].context_length = ctx;
    k->node.loaded_count = 1;
}

static double
score(const struct sig *s, const struct cand *k)
{
    double pts = -12345;
    int rc = s->p->desc.scoring.score(s->p->ctx, &k->c, &pts);
    return rc == HERD_OK ? pts : -99999;
}

static int
veto(const struct sig *s, const struct cand *k, char *reason, size_t len)
{
    reason[0] = '\0';
    return s->p->desc.scoring.filter(s->p->ctx, &k->c, reason, len) ==
           HERD_FILTER_VETO;
}

static void
test_thermal(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, "thermal", err, sizeof err, NULL) == 0,
       "thermal loads (%s)", err);
    cand_init(&k);
    is_double(score(&s, &k), 10, 1e-9, "cold: on disk only -> 10");
    k.unloaded[0] =
        (struct herd_unloaded_model){sizeof k.unloaded[0], "qwen3:32b", 1799.9};
    k.node.unloaded_count = 1;
    is_double(score(&s, &k), 30, 1e-9, "warm: unloaded 1799.9 s ago -> 30");
    k.unloaded[0].seconds_ago = 1800;
    is_double(score(&s, &k), 10, 1e-9, "unloaded 1800 s ago is cold again");
    k.unloaded[0].name = "other:7b";
    k.unloaded[0].seconds_ago = 1;
    is_double(score(&s, &k), 10, 1e-9, "another model's unload is not warm");
    cand_load(&k, 24.6, 40960);
    is_double(score(&s, &k), 50, 1e-9, "hot: loaded -> 50");
    k.node.loaded_count = 0;
    k.node.available_count = 0;
    is_double(score(&s, &k), 0, 1e-9, "nowhere on the node -> 0");
    sig_free(&s);

    ok(sig_load(&s, "thermal", err, sizeof err, "hot_points", "70",
                "warm_window", "60", NULL) == 0,
       "thermal with hot_points and warm_window");
    cand_init(&k);
    cand_load(&k, 24.6, 0);
    is_double(score(&s, &k), 70, 1e-9, "hot_points = 70 applies");
    k.node.loaded_count = 0;
    k.unloaded[0] =
        (struct herd_unloaded_model){sizeof k.unloaded[0], "qwen3:32b", 61};
    k.node.unloaded_count = 1;
    is_double(score(&s, &k), 10, 1e-9, "warm_window = 60: 61 s is cold");
    sig_free(&s);

    ok(sig_load(&s, "thermal", err, sizeof err, "hot_point", "1", NULL) ==
               -ENOENT &&
           strstr(err, "t.ini:2") && strstr(err, "hot_point"),
       "misspelt key refused with file:line (%s)", err);
    ok(sig_load(&s, "thermal", err, sizeof err, "hot_points", "lots", NULL) ==
               -EINVAL &&
           strstr(err, "hot_points must be a number, not 'lots'"),
       "non-number refused (%s)", err);
    ok(sig_load(&s, "thermal", err, sizeof err, "warm_window", "-1", NULL) ==
               -EINVAL &&
           strstr(err, "between"),
       "out-of-range value refused (%s)", err);
}

static void
test_memory_fit(void)
{
    struct sig s;
    struct cand k;
    char err[512], why[160];
    ok(sig_load(&s, "memory_fit", err, sizeof err, NULL) == 0,
       "memory_fit loads (%s)", err);
    cand_init(&k);
    k.req.model_size_gb = 10;
    static const struct {
        double avail, want;
        const char *what;
    } rows[] = {
        {20.01, 20, "r just over 2.0 -> 20"},
        {20, 15, "r = 2.0 -> 15"},
        {15.01, 15, "r just over 1.5 -> 15"},
        {15, 8, "r = 1.5 -> 8"},
        {12.01, 8, "r just over 1.2 -> 8"},
        {12, 3, "r = 1.2 -> 3"},
        {10, 3, "r = 1.0 -> 3"},
        {9.99, 0, "r under 1.0 -> 0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        k.node.memory_available_gb = rows[i].avail;
        is_double(score(&s, &k), rows[i].want, 1e-9, "%s", rows[i].what);
    }
    k.node.memory_available_gb = 100;
    k.node.has_capacity = 1;
    k.node.capacity_ceiling_gb = 12;
    is_double(score(&s, &k), 3, 1e-9, "a capacity ceiling caps the memory");
    k.node.capacity_ceiling_gb = 0;
    is_double(score(&s, &k), 20, 1e-9, "a zero ceiling is no ceiling");
    k.req.model_size_gb = 0;
    is_double(score(&s, &k), 0, 1e-9, "unknown size -> 0");
    k.req.model_size_gb = 200;
    cand_load(&k, 200, 0);
    is_double(score(&s, &k), 20, 1e-9, "loaded -> 20 whatever the room");

    /* filter */
    cand_init(&k);
    k.req.model_size_gb = 24.6;
    k.node.memory_available_gb = 24.6;
    ok(!veto(&s, &k, why, sizeof why), "exactly enough memory: kept");
    k.node.memory_available_gb = 24.5;
    ok(veto(&s, &k, why, sizeof why) && strstr(why, "not enough memory"),
       "cold load that does not fit: vetoed (%s)", why);
    cand_load(&k, 24.6, 0);
    ok(!veto(&s, &k, why, sizeof why), "loaded: no room needed");
    k.node.pressure = HERD_PRESSURE_CRITICAL;
    ok(veto(&s, &k, why, sizeof why) &&
           strcmp(why, "memory pressure critical") == 0,
       "critical pressure: vetoed (%s)", why);
    k.node.pressure = HERD_PRESSURE_WARN;
    ok(!veto(&s, &k, why, sizeof why), "warn pressure is not penalised");
    sig_free(&s);

    ok(sig_load(&s, "memory_fit", err, sizeof err, "eliminate_critical",
                "false", "points_high", "25", NULL) == 0,
       "memory_fit with eliminate_critical = false");
    cand_init(&k);
    k.node.pressure = HERD_PRESSURE_CRITICAL;
    k.req.model_size_gb = 10;
    ok(!veto(&s, &k, why, sizeof why), "critical kept when switched off");
    is_double(score(&s, &k), 25, 1e-9, "points_high = 25 applies");
    sig_free(&s);
    ok(sig_load(&s, "memory_fit", err, sizeof err, "eliminate_no_room", "maybe",
                NULL) == -EINVAL &&
           strstr(err, "true or false"),
       "bad boolean refused (%s)", err);
}

static void
test_queue_depth(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, "queue_depth", err, sizeof err, NULL) == 0,
       "queue_depth loads (%s)", err);
    cand_init(&k);
    is_double(score(&s, &k), 0, 1e-9, "depth 0 -> 0");
    k.node.queue_depth = 1;
    is_double(score(&s, &k), -6, 1e-9, "depth 1 -> -6");
    k.node.queue_depth = 5;
    is_double(score(&s, &k), -30, 1e-9, "depth 5 -> -30");
    k.node.queue_depth = 9;
    is_double(score(&s, &k), -30, 1e-9, "capped at -30");
    k.node.queue_depth = 2;
    k.node.memory_bandwidth_gbps = 1008;
    k.fleet.median_bandwidth_gbps = 604;
    is_double(score(&s, &k), -2 / (1008.0 / 604) * 6, 1e-9,
              "Appendix B: depth 2 at 1008 of median 604 -> -7.19");
    k.node.memory_bandwidth_gbps = 10000;
    is_double(score(&s, &k), -2 / 4.0 * 6, 1e-9, "ratio clamped to 4");
    k.node.memory_bandwidth_gbps = 10;
    is_double(score(&s, &k), -30, 1e-9, "ratio clamped to 0.25 (-48 -> -30)");
    k.node.queue_depth = 1;
    is_double(score(&s, &k), -24, 1e-9, "slow node: depth 1 counts as 4");
    k.fleet.median_bandwidth_gbps = 0;
    is_double(score(&s, &k), -6, 1e-9, "no fleet median: plain depth");
    sig_free(&s);
    ok(sig_load(&s, "queue_depth", err, sizeof err, "bandwidth_normalize",
                "off", "penalty_per", "10", NULL) == 0,
       "queue_depth without normalisation");
    k.fleet.median_bandwidth_gbps = 604;
    k.node.queue_depth = 2;
    is_double(score(&s, &k), -20, 1e-9, "penalty_per = 10, no normalising");
    sig_free(&s);
    ok(sig_load(&s, "queue_depth", err, sizeof err, "min_ratio", "5",
                "max_ratio", "2", NULL) == -EINVAL &&
           strstr(err, "min_ratio"),
       "min_ratio above max_ratio refused at start (%s)", err);
}

static void
test_wait_time(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, "wait_time", err, sizeof err, NULL) == 0,
       "wait_time loads (%s)", err);
    cand_init(&k);
    k.node.p75_latency_ms = 30000;
    is_double(score(&s, &k), 0, 1e-9, "depth 0 -> 0");
    k.node.queue_depth = 2;
    is_double(score(&s, &k), -6, 1e-9, "Appendix B: 2 x 30 s -> -6");
    k.node.p75_latency_ms = 125000;
    is_double(score(&s, &k), -25, 1e-9, "250 s -> -25 (the cap)");
    k.node.p75_latency_ms = 200000;
    is_double(score(&s, &k), -25, 1e-9, "beyond the cap -> -25");
    /* no history: estimated from bandwidth */
    k.node.p75_latency_ms = NAN;
    k.node.memory_bandwidth_gbps = 400;
    k.req.model_size_gb = 20; /* tps = 400 x 1.2 / 2 = 240 */
    is_double(score(&s, &k), -(2 * (100 / 240.0)) / 10, 1e-9,
              "no history, bandwidth 400, 20 GB: 240 tokens/s");
    k.node.memory_bandwidth_gbps = 4; /* 2.4 tokens/s -> floor 10 */
    is_double(score(&s, &k), -(2 * 10.0) / 10, 1e-9,
              "slow bandwidth floored at 10 tokens/s");
    k.node.memory_bandwidth_gbps = 0; /* tps = max(1, 100 / 20) = 5 */
    is_double(score(&s, &k), -(2 * 20.0) / 10, 1e-9,
              "no bandwidth: 100 / size tokens/s");
    k.req.model_size_gb = 400; /* 0.25 -> floored at 1 */
    is_double(score(&s, &k), -20, 1e-9, "no bandwidth: floored at 1 token/s");
    sig_free(&s);
    ok(sig_load(&s, "wait_time", err, sizeof err, "seconds_per_point", "0",
                NULL) == -EINVAL,
       "seconds_per_point = 0 refused (%s)", err);
}

static void
test_role_affinity(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, "role_affinity", err, sizeof err, NULL) == 0,
       "role_affinity loads (%s)", err);
    cand_init(&k);
    k.req.model_size_gb = 24.6;
    k.node.memory_bandwidth_gbps = 1008;
    is_double(score(&s, &k), 25, 1e-9, "large at 1008 GB/s -> 25 (cap)");
    k.node.memory_bandwidth_gbps = 800;
    is_double(score(&s, &k), 25, 1e-9, "800 GB/s -> 25");
    k.node.memory_bandwidth_gbps = 400;
    is_double(score(&s, &k), 15, 1e-9, "400 GB/s -> 15");
    k.node.memory_bandwidth_gbps = 200;
    is_double(score(&s, &k), 10, 1e-9, "200 GB/s -> 10");
    k.node.memory_bandwidth_gbps = 100;
    is_double(score(&s, &k), 7.5, 1e-9, "100 GB/s -> 7.5");
    k.req.model_size_gb = 20;
    is_double(score(&s, &k), 0.6 * 7.5, 1e-9, "20 GB is mid, not large");
    k.req.model_size_gb = 8;
    is_double(score(&s, &k), 0.6 * 7.5, 1e-9, "8 GB is mid, not small");
    k.req.model_size_gb = 7.9;
    is_double(score(&s, &k), 18 - 0.6 * 7.5, 1e-9, "small: 18 - 0.6 b");
    k.node.memory_bandwidth_gbps = 800;
    is_double(score(&s, &k), 3, 1e-9, "small on a fast node: floor 3");
    /* legacy tiers */
    k.node.memory_bandwidth_gbps = 0;
    k.req.model_size_gb = 40;
    k.node.memory_total_gb = 128;
    is_double(score(&s, &k), 15, 1e-9, "legacy large, 128 GB -> 15");
    k.node.memory_total_gb = 127;
    is_double(score(&s, &k), 5, 1e-9, "legacy large, 127 GB -> 5");
    k.node.memory_total_gb = 31;
    is_double(score(&s, &k), 0, 1e-9, "legacy large, 31 GB -> 0");
    k.req.model_size_gb = 2;
    is_double(score(&s, &k), 15, 1e-9, "legacy small, 31 GB -> 15");
    k.node.memory_total_gb = 128;
    is_double(score(&s, &k), 8, 1e-9, "legacy small, 128 GB -> 8");
    k.node.memory_total_gb = 256;
    is_double(score(&s, &k), 3, 1e-9, "legacy small, 256 GB -> 3");
    k.req.model_size_gb = 10;
    is_double(score(&s, &k), 5, 1e-9, "legacy mid -> 5");
    sig_free(&s);
    ok(sig_load(&s, "role_affinity", err, sizeof err, "bandwidth_aware", "no",
                NULL) == 0,
       "role_affinity without the bandwidth path");
    k.node.memory_bandwidth_gbps = 800;
    is_double(score(&s, &k), 5, 1e-9, "bandwidth ignored -> legacy mid");
    sig_free(&s);
}

static void
test_availability(void)
{
    struct sig s;
    struct cand k;
    char err[512], why[160];
    ok(sig_load(&s, "availability_trend", err, sizeof err, NULL) == 0,
       "availability_trend loads (%s)", err);
    cand_init(&k);
    is_double(score(&s, &k), 0, 1e-9, "no learner -> 0");
    ok(!veto(&s, &k, why, sizeof why), "no learner: kept");
    k.node.has_capacity = 1;
    k.node.capacity_mode = "full";
    k.node.availability_score = 0.9;
    is_double(score(&s, &k), 9, 1e-9, "score 0.9 -> 9");
    k.node.availability_score = 1.5;
    is_double(score(&s, &k), 10, 1e-9, "capped at 10");
    k.node.availability_score = 0.2;
    ok(!veto(&s, &k, why, sizeof why), "availability 0.2: kept");
    k.node.availability_score = 0.19;
    ok(veto(&s, &k, why, sizeof why) && strstr(why, "availability 0.19"),
       "availability 0.19: vetoed (%s)", why);
    k.node.availability_score = 0.9;
    k.node.capacity_mode = "paused";
    ok(veto(&s, &k, why, sizeof why) && strcmp(why, "capacity paused") == 0,
       "paused: vetoed (%s)", why);
    k.node.capacity_mode = "bootstrap";
    ok(veto(&s, &k, why, sizeof why) && strcmp(why, "capacity bootstrap") == 0,
       "bootstrap: vetoed (%s)", why);
    sig_free(&s);
}

static void
test_context_fit(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, "context_fit", err, sizeof err, NULL) == 0,
       "context_fit loads (%s)", err);
    cand_init(&k);
    k.req.estimated_tokens = 1000;
    is_double(score(&s, &k), 0, 1e-9, "not loaded -> 0");
    cand_load(&k, 24.6, 0);
    is_double(score(&s, &k), 0, 1e-9, "unknown context length -> 0");
    static const struct {
        uint32_t ctx;
        double want;
        const char *what;
    } rows[] = {
        {999, -15, "r < 1 -> -15"},
        {1000, 3, "r = 1 -> 3"},
        {1499, 3, "r < 1.5 -> 3"},
        {1500, 7.5, "r = 1.5 -> 7.5"},
        {2999, 7.5, "r < 3 -> 7.5"},
        {3000, 12, "r = 3 -> 12"},
        {7999, 12, "r < 8 -> 12"},
        {8000, 15, "r = 8 -> 15"},
        {40960, 15, "Appendix B: 40960 / 2000 tokens -> 15"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        k.loaded[0].context_length = rows[i].ctx;
        k.req.estimated_tokens =
            i + 1 < sizeof rows / sizeof rows[0] ? 1000 : 2000;
        is_double(score(&s, &k), rows[i].want, 1e-9, "%s", rows[i].what);
    }
    k.req.estimated_tokens = 0;
    is_double(score(&s, &k), 0, 1e-9, "no estimate -> 0");
    sig_free(&s);
}

/* Every key a signal accepts is documented in its herd.ini(5) section. */
static void
test_documented(void)
{
    static const char *const names[] = {
        "thermal",       "memory_fit",         "queue_depth", "wait_time",
        "role_affinity", "availability_trend", "context_fit", NULL};
    char path[4096], err[512];
    const char *src = getenv("top_srcdir");
    snprintf(path, sizeof path, "%s/doc/herd.ini.5", src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        ok(0, "cannot read %s", path);
        return;
    }
    static char man[1 << 18];
    size_t n = fread(man, 1, sizeof man - 1, f);
    man[n] = '\0';
    fclose(f);
    for (size_t i = 0; names[i]; i++) {
        struct sig s;
        char head[128], want[128];
        int missing = 0;
        if (sig_load(&s, names[i], err, sizeof err, NULL) != 0) {
            ok(0, "%s loads (%s)", names[i], err);
            continue;
        }
        snprintf(head, sizeof head, ".SS \"[scoring.%s]\"", names[i]);
        char *start = strstr(man, head);
        char *end = start ? strstr(start + 1, ".SS ") : NULL;
        if (end)
            *end = '\0';
        for (const char *const *k = s.p->desc.base.config_keys;
             start && k && *k; k++) {
            snprintf(want, sizeof want, "\n.B %s\n", *k);
            if (!strstr(start, want)) {
                diag("%s: key %s is not documented", names[i], *k);
                missing++;
            }
        }
        if (end)
            *end = '.';
        ok(start && s.p->desc.base.config_keys && !missing,
           "every key of scoring/%s is in herd.ini(5)", names[i]);
        sig_free(&s);
    }
}

int
main(void)
{
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    fake_host_init(&host, HERD_ROLE_ROUTER, NULL);
    test_thermal();
    test_memory_fit();
    test_queue_depth();
    test_wait_time();
    test_role_affinity();
    test_availability();
    test_context_fit();
    test_documented();
    return done_testing();
}
