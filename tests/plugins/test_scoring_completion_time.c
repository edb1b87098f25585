/* scoring/completion_time through the real plugin loader with a fake host:
 * exact points for constructed candidates (generation from bandwidth,
 * prompt, cold load, a load under way, full slots, embeddings, unknown
 * bandwidth, the clamp), the latency history and the calibration it
 * teaches, INI keys, bad values, and its herd.ini(5) section. */
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

/* One loaded instance of scoring/completion_time with key/value pairs
 * (NULL-ended). */
struct sig {
    struct plugin_set *set;
    const struct loaded_plugin *p;
};

static int
sig_load(struct sig *s, char *err, size_t errlen, ...)
{
    va_list ap;
    memset(s, 0, sizeof *s);
    va_start(ap, errlen);
    int rc = fake_host_vopen(&host, &s->set, "scoring", "completion_time", 1,
                             err, errlen, ap);
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

/* A 6 GB model: at 100 GB/s and efficiency 0.6 it writes 10 tokens/s, so
 * the default 100-token answer takes 10 s on the fleet's median node. */
struct cand {
    struct herd_request_view req;
    struct herd_node_view node;
    struct herd_fleet_view fleet;
    struct herd_loaded_model loaded[1];
    const char *available[2];
    struct herd_candidate c;
};

static void
cand_init(struct cand *k, double bw, int loaded)
{
    memset(k, 0, sizeof *k);
    k->req.size = sizeof k->req;
    k->req.model = "m:6b";
    k->req.endpoint = "/api/chat";
    k->req.format = "ollama";
    k->req.model_size_gb = 6;
    k->node.size = sizeof k->node;
    k->node.id = "a";
    k->node.url = "http://127.0.0.1:1";
    k->node.status = HERD_NODE_ONLINE;
    k->node.memory_total_gb = 64;
    k->node.memory_available_gb = 40;
    k->node.memory_bandwidth_gbps = bw;
    k->node.temperature_c = NAN;
    k->node.chip = "";
    k->node.capacity_mode = "";
    k->node.p75_latency_ms = NAN;
    k->node.slots = 4;
    k->loaded[0].size = sizeof k->loaded[0];
    k->loaded[0].name = "m:6b";
    k->loaded[0].size_gb = 6;
    k->node.loaded = k->loaded;
    k->node.loaded_count = loaded ? 1 : 0;
    k->available[0] = "m:6b";
    k->node.available = k->available;
    k->node.available_count = 1;
    k->fleet.size = sizeof k->fleet;
    k->fleet.node_count = 3;
    k->fleet.median_bandwidth_gbps = 100;
    k->c.size = sizeof k->c;
    k->c.request = &k->req;
    k->c.node = &k->node;
    k->c.fleet = &k->fleet;
}

static double
score(const struct sig *s, const struct cand *k)
{
    double pts = -12345;
    int rc = s->p->desc.scoring.score(s->p->ctx, &k->c, &pts);
    return rc == HERD_OK ? pts : -99999;
}

static void
test_estimates(void)
{
    struct sig s;
    struct cand k;
    char err[512];
    ok(sig_load(&s, err, sizeof err, NULL) == 0, "completion_time loads (%s)",
       err);

    cand_init(&k, 100, 1);
    is_double(score(&s, &k), 0, 1e-9, "median node, loaded, idle: 0");
    cand_init(&k, 200, 1);
    is_double(score(&s, &k), 30, 1e-9,
              "twice the bandwidth: half the time, +30");
    cand_init(&k, 50, 1);
    is_double(score(&s, &k), -30, 1e-9, "half the bandwidth: -30");

    cand_init(&k, 200, 0);
    is_double(score(&s, &k), 4.560092803, 1e-6,
              "cold at 200 GB/s: 6 GB / 1.5 GB/s + 5 s = 9 s against 10 s");
    cand_init(&k, 100, 0);
    is_double(score(&s, &k), -14.562804815, 1e-6, "cold at 100 GB/s: 14 s");
    k.node.in_flight = 1;
    k.node.queue_depth = 1;
    is_double(score(&s, &k), -7.891032175, 1e-6,
              "a request already running: the load began, half of it counts");

    cand_init(&k, 100, 1);
    k.node.slots = 2;
    k.node.in_flight = k.node.queue_depth = 1;
    is_double(score(&s, &k), 0, 1e-9, "a free slot: no wait");
    k.node.in_flight = k.node.queue_depth = 2;
    is_double(score(&s, &k), -17.548875022, 1e-6,
              "slots full: half a service to wait (15 s)");
    k.node.queue_depth = 3;
    is_double(score(&s, &k), -30, 1e-9,
              "one more waiting: a whole service (20 s)");
    k.node.slots = 0;
    k.node.queue_depth = 1;
    k.node.in_flight = 1;
    is_double(score(&s, &k), -30, 1e-9, "unknown slots count as one");

    cand_init(&k, 100, 1);
    k.req.estimated_tokens = 1000;
    is_double(score(&s, &k), 0, 1e-9, "a long prompt on the median node: 0");
    cand_init(&k, 400, 1);
    k.req.estimated_tokens = 1000;
    is_double(score(&s, &k), 60, 1e-9,
              "prompt and answer 4x faster: +60, the limit");
    cand_init(&k, 800, 1);
    k.req.estimated_tokens = 1000;
    is_double(score(&s, &k), 60, 1e-9, "8x faster: still +60 (max_points)");

    cand_init(&k, 200, 1);
    k.req.endpoint = "/api/embed";
    k.req.estimated_tokens = 100;
    is_double(score(&s, &k), 30, 1e-9,
              "an embedding: prompt only, 0.5 s against 1 s");
    k.node.loaded_count = 0;
    is_double(score(&s, &k), -60, 1e-9,
              "a cold embedding model: 4.5 s against 1 s, -60 at most");

    cand_init(&k, 0, 1);
    is_double(score(&s, &k), -22.108967825, 1e-6,
              "no bandwidth reported: 60 GB/s assumed");
    k.fleet.median_bandwidth_gbps = 0;
    is_double(score(&s, &k), 0, 1e-9,
              "nobody reports one: the reference is 60 GB/s too");

    cand_init(&k, 100, 1);
    k.req.model_size_gb = 0;
    k.req.estimated_tokens = 0;
    k.req.endpoint = "/api/embed";
    double p = score(&s, &k);
    ok(isfinite(p) && p == 0, "an empty embedding of unknown size: 0 (%g)", p);
    sig_free(&s);
}

static void
test_history(void)
{
    struct sig s;
    struct cand k;
    char err[512];

    ok(sig_load(&s, err, sizeof err, "calibration_weight", "0", NULL) == 0,
       "calibration_weight 0 (%s)", err);
    cand_init(&k, 100, 1);
    k.node.p75_latency_ms = 12000;
    is_double(score(&s, &k), 0, 1e-9,
              "a history 1.2x the estimate of 10 s: noise, 0");
    k.node.p75_latency_ms = 5000;
    is_double(score(&s, &k), 12.451124978, 1e-6,
              "half the estimate: 1.5x tolerated, 7.5 s count");
    k.node.p75_latency_ms = 30000;
    is_double(score(&s, &k), -30, 1e-9, "3x the estimate: 20 s count, -30");
    k.node.p75_latency_ms = 5000;
    k.node.loaded_count = 0;
    is_double(score(&s, &k), -6.049015835, 1e-6,
              "half the estimate but cold: 7.5 s + 4 s of load");
    sig_free(&s);

    ok(sig_load(&s, err, sizeof err, "calibration_weight", "0",
                "history_tolerance", "1", NULL) == 0,
       "history_tolerance 1 (%s)", err);
    cand_init(&k, 100, 1);
    k.node.p75_latency_ms = 5000;
    is_double(score(&s, &k), 30, 1e-9, "no tolerance: the history of 5 s, +30");
    sig_free(&s);

    ok(sig_load(&s, err, sizeof err, NULL) == 0, "default calibration");
    cand_init(&k, 200, 0);
    k.node.p75_latency_ms = 5000;
    is_double(score(&s, &k), 4.560092803, 1e-6,
              "a cold node's history teaches nothing (it may hold a load)");
    cand_init(&k, 100, 1);
    k.node.p75_latency_ms = 5000;
    is_double(score(&s, &k), 0, 1e-9,
              "the first sample is taken whole: the fleet runs at half the "
              "estimate, the reference too");
    k.node.p75_latency_ms = NAN;
    is_double(score(&s, &k), 0, 1e-9, "a node without history: 5 s as well");
    k.node.loaded_count = 0;
    is_double(score(&s, &k), -14.562804815, 1e-6,
              "and its load halved too: 5 s + 2 s against 5 s");
    cand_init(&k, 100, 1);
    k.node.p75_latency_ms = 20000;
    is_double(score(&s, &k), -12.451124979, 1e-6,
              "second sample (2x): the mean of the two is 1x, the node 2x "
              "slower counts 1.33x");
    for (int i = 0; i < 18; i++) {
        k.node.p75_latency_ms = i % 2 ? 5000 : 20000;
        score(&s, &k);
    }
    k.node.p75_latency_ms = 10000;
    is_double(score(&s, &k), 0, 1e-9, "20 samples averaging 1x, then 1x: 0");
    k.node.p75_latency_ms = 5000;
    is_double(score(&s, &k), 10.951124978, 1e-6,
              "past 20 samples each weighs 0.05: x0.966, 7.5 s count");
    sig_free(&s);

    ok(sig_load(&s, err, sizeof err, NULL) == 0, "fresh calibration");
    cand_init(&k, 100, 1);
    k.node.p75_latency_ms = 1e11;
    is_double(score(&s, &k), -60, 1e-9, "an odd history of 10^8 s: -60");
    k.node.p75_latency_ms = NAN;
    is_double(score(&s, &k), 0, 1e-9,
              "learns at most 10,000x: estimates x10,000, not x10^7");
    k.node.p75_latency_ms = 1e8;
    is_double(score(&s, &k), 0, 1e-9, "a history of 10^5 s is now on par");
    sig_free(&s);
}

static void
test_keys(void)
{
    struct sig s;
    struct cand k;
    char err[512];

    ok(sig_load(&s, err, sizeof err, "output_tokens", "200", "efficiency",
                "1.2", "load_gbps", "0.6", "points_per_halving", "10",
                "max_points", "100", NULL) == 0,
       "every key set (%s)", err);
    cand_init(&k, 100, 0);
    is_double(
        score(&s, &k), -10, 1e-9,
        "cold: 200 tokens at 20/s + 6 GB at 0.6 GB/s = 20 s, 10 a halving");
    sig_free(&s);
    ok(sig_load(&s, err, sizeof err, "prompt_speedup", "1",
                "unknown_bandwidth_gbps", "25", NULL) == 0,
       "prompt_speedup and unknown_bandwidth_gbps (%s)", err);
    cand_init(&k, 0, 1);
    k.req.estimated_tokens = 100;
    k.fleet.median_bandwidth_gbps = 0;
    is_double(score(&s, &k), 0, 1e-9, "unknown node against unknown fleet");
    k.fleet.median_bandwidth_gbps = 100;
    is_double(score(&s, &k), -60, 1e-9,
              "25 GB/s against 100: 4x slower, prompt as slow as output");
    sig_free(&s);

    int rc = sig_load(&s, err, sizeof err, "efficiency", "0", NULL);
    ok(rc == -EINVAL, "efficiency 0 refused (%d)", rc);
    like(err, "efficiency must be between", "with the allowed range");
    rc = sig_load(&s, err, sizeof err, "load_gbps", "fast", NULL);
    ok(rc == -EINVAL, "load_gbps fast refused");
    like(err, "load_gbps must be a number, not 'fast'", "saying why");
    rc = sig_load(&s, err, sizeof err, "calibration_weight", "2", NULL);
    ok(rc == -EINVAL, "calibration_weight 2 refused");
    rc = sig_load(&s, err, sizeof err, "hot_points", "1", NULL);
    ok(rc != 0, "a key of another signal refused (%s)", err);
}

/* Every key of the signal is documented in its herd.ini(5) section. */
static void
test_documented(void)
{
    char path[4096], err[512];
    const char *src = getenv("top_srcdir");
    static char man[1 << 18];
    struct sig s;
    snprintf(path, sizeof path, "%s/doc/herd.ini.5", src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        ok(0, "cannot read %s", path);
        return;
    }
    size_t n = fread(man, 1, sizeof man - 1, f);
    man[n] = '\0';
    fclose(f);
    if (sig_load(&s, err, sizeof err, NULL) != 0) {
        ok(0, "completion_time loads (%s)", err);
        return;
    }
    char *start = strstr(man, ".SS \"[scoring.completion_time]\"");
    char *end = start ? strstr(start + 1, ".SS ") : NULL;
    if (end)
        *end = '\0';
    int missing = 0;
    for (const char *const *k = s.p->desc.base.config_keys; start && k && *k;
         k++) {
        char want[128];
        snprintf(want, sizeof want, "\n.B %s\n", *k);
        if (!strstr(start, want)) {
            diag("key %s is not documented", *k);
            missing++;
        }
    }
    ok(start && !missing,
       "every key of scoring/completion_time is in herd.ini(5)");
    sig_free(&s);
}

int
main(void)
{
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    fake_host_init(&host, HERD_ROLE_ROUTER, NULL);
    test_estimates();
    test_history();
    test_keys();
    test_documented();
    return done_testing();
}
