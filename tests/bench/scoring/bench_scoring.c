/* Scoring benchmark: one request ranked over a fleet of 10, 100 and 1000
 * nodes with herd's eight default signals (the reference's seven and
 * completion_time) loaded through the plugin loader, each node
 * reporting a realistic heartbeat (several loaded models, a few dozen on
 * disk, a queue for the requested model). Prints a table of microseconds
 * per request; the target is under 50 us for 100 nodes.
 *
 *   bench_scoring          smoke run for make check (TAP, few rounds)
 *   bench_scoring --full   the table, with enough rounds to be steady
 *
 * Nothing here is timed against a limit: machines differ, and sanitizer
 * builds are several times slower. Run --full on a build without
 * --enable-sanitizers for meaningful numbers. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "plugin_loader.h"
#include "registry.h"
#include "scorer.h"
#include "tap.h"

#define BENCH_MODELS_LOADED 4
#define BENCH_MODELS_ON_DISK 24

static const char *const bench_signals[] = {
    "thermal",       "memory_fit",         "queue_depth", "wait_time",
    "role_affinity", "availability_trend", "context_fit", "completion_time",
    NULL};

static struct herd_host bench_host;

static void bench_log(void *hd, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
bench_log(void *hd, int level, const char *fmt, ...)
{
    (void)hd;
    (void)level;
    (void)fmt;
}

static double
bench_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct plugin_set *
bench_signals_load(void)
{
    char err[512];
    struct plugin_set *set = plugin_set_new(&bench_host, NULL, 0);
    for (size_t i = 0; set && bench_signals[i]; i++) {
        struct config_plugin_section sec = {0};
        sec.kind = (char *)"scoring";
        sec.name = (char *)bench_signals[i];
        sec.enabled = 1;
        sec.weight = 1;
        if (plugin_set_load(set, &sec, err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            plugin_set_free(set);
            return NULL;
        }
    }
    if (set && plugin_set_start(set, err, sizeof err) != 0) {
        plugin_set_free(set);
        return NULL;
    }
    return set;
}

/* Node i: the requested model loaded on every third node, on disk on the
 * others but every seventh (which lacks it). */
static int
bench_report(struct registry *reg, unsigned i)
{
    char text[8192], loaded[1024] = "", disk[4096] = "";
    size_t lo = 0, dl = 0;
    int hot = i % 3 == 0, has = i % 7 != 0;
    for (unsigned m = 0; m < BENCH_MODELS_LOADED; m++)
        lo += (size_t)snprintf(
            loaded + lo, sizeof loaded - lo,
            "%s{\"name\":\"%s:%ub\",\"size_gb\":%u,\"context_length\":%u}",
            m ? "," : "", m == 0 && hot ? "qwen3" : "other", m == 0 ? 32 : m,
            m == 0 ? 20 : m, 8192u << (m % 3));
    for (unsigned m = 0; m < BENCH_MODELS_ON_DISK; m++)
        dl += (size_t)snprintf(disk + dl, sizeof disk - dl,
                               "%s\"family%u:%ub\"", m ? "," : "", m, m + 1);
    if (has)
        snprintf(disk + dl, sizeof disk - dl, ",\"qwen3:32b\"");
    double total = 32 + (i % 8) * 32;
    snprintf(text, sizeof text,
             "{\"node_id\":\"node-%04u\",\"cpu\":{\"cores_physical\":16,"
             "\"utilization_pct\":20},\"memory\":{\"total_gb\":%g,"
             "\"used_gb\":%g,\"available_gb\":%g,\"pressure\":\"normal\"},"
             "\"memory_bandwidth_gbps\":%u,\"capacity\":{\"mode\":\"full\","
             "\"ceiling_gb\":0,\"availability_score\":0.%u},"
             "\"ollama\":{\"models_loaded\":[%s],\"models_available\":[%s]}}",
             i, total, total / 3, total * 2 / 3, 100 + (i * 37) % 900,
             5 + i % 5, loaded, disk);
    json_object *payload;
    struct hb_snapshot s;
    char err[256], url[64];
    if (heartbeat_parse_text(text, strlen(text), 1 << 20, &payload, &s, err,
                             sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    snprintf(url, sizeof url, "http://10.0.%u.%u:11434", i / 250, i % 250);
    return registry_report(reg, &s, payload, url, "heartbeat", 0, err,
                           sizeof err);
}

static void
bench_load(void *arg, const char *node_id, const char *model,
           struct herd_node_view *fill)
{
    (void)arg;
    (void)model;
    unsigned n = (unsigned)atoi(node_id + 5);
    fill->queue_depth = n % 4;
    fill->in_flight = n % 4 ? 1 : 0;
    fill->slots = 4;
    fill->p75_latency_ms = n % 5 ? 2000.0 + n : NAN;
}

/* Mean microseconds per scorer_rank over rounds; fills candidates. */
static double
bench_run(struct scorer *s, struct registry *reg, unsigned rounds,
          size_t *candidates)
{
    struct route_request rq = {0};
    struct scorer_load_provider load = {NULL, bench_load};
    struct route_result res;
    rq.model = "qwen3:32b";
    rq.endpoint = "/api/chat";
    rq.estimated_tokens = 2000;
    /* warm the scorer's buffers and the caches */
    scorer_rank(s, reg, &rq, &load, 1, &res);
    *candidates = res.candidate_count;
    route_result_free(&res);
    double t0 = bench_clock();
    for (unsigned r = 0; r < rounds; r++) {
        scorer_rank(s, reg, &rq, &load, 1, &res);
        route_result_free(&res);
    }
    return (bench_clock() - t0) * 1e6 / rounds;
}

int
main(int argc, char **argv)
{
    int full = argc > 1 && strcmp(argv[1], "--full") == 0;
    static const unsigned sizes[] = {10, 100, 1000};
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    log_set_level(HERD_LOG_ERR);
    bench_host.abi_version = HERD_ABI_VERSION;
    bench_host.size = sizeof bench_host;
    bench_host.role = HERD_ROLE_ROUTER;
    bench_host.log = bench_log;
    struct plugin_set *set = bench_signals_load();
    struct scorer *s = set ? scorer_new(set) : NULL;
    if (!s) {
        printf("Bail out! cannot load the eight scoring plugins\n");
        plugin_set_free(set);
        return 99;
    }
    scorer_set_budget_us(s, 0); /* timing, not logging */
    if (full)
        printf("# scoring one request, 8 signals\n"
               "%-8s %-10s %-10s %-12s %-10s\n",
               "nodes", "eligible", "rounds", "us/request", "ns/node");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct registry_settings rs = {15, 30, 0, 1800, 4096};
        struct registry *reg = registry_new(&rs);
        unsigned n = sizes[i];
        int bad = 0;
        for (unsigned k = 0; k < n; k++)
            bad |= bench_report(reg, k) != 0;
        unsigned rounds = full ? 2000000 / n : 20;
        size_t cands = 0;
        double us = bad ? NAN : bench_run(s, reg, rounds, &cands);
        if (full)
            printf("%-8u %-10zu %-10u %-12.2f %-10.1f\n", n, cands, rounds, us,
                   us * 1000 / n);
        else
            ok(!bad && cands > 0 && cands < n && isfinite(us),
               "%u nodes: %zu eligible, %.2f us per request (smoke)", n, cands,
               us);
        registry_free(reg);
    }
    scorer_free(s);
    plugin_set_free(set);
    return full ? 0 : done_testing();
}
