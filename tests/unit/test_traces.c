/* The trace writer and the latency history: the queue is bounded and a
 * stalled storage (the test_storage_gate plugin) makes further traces
 * drop and count without ever blocking the submitter; everything queued is
 * written once storage moves again or the writer stops; queries answer on
 * the loop; p75 follows the reference's rule and is preloaded from
 * latency.db through the sqlite plugin. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"
#include "tap.h"
#include "traces.h"
#include "../plugins/test_storage_host.h"

static char tmpdir[256];
static char plugdir[512];

static double
mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
touch(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static int
count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void
test_latency(void)
{
    struct latency *l = latency_new();
    ok(isnan(latency_p75_ms(l, "a", "m")), "p75 unknown is NaN");
    for (int i = 1; i <= 100; i++)
        latency_observe(l, "a", "m", (double)(101 - i));
    /* sorted 1..100, element floor(100 * 0.75) = 75 holds 76 */
    is_double(latency_p75_ms(l, "a", "m"), 76, 1e-9, "p75 of 1..100 is 76");
    ok(isnan(latency_p75_ms(l, "a", "other")), "pairs are separate");
    latency_observe(l, "a", "m", NAN);
    latency_observe(l, "a", "m", -5);
    is_double(latency_p75_ms(l, "a", "m"), 76, 1e-9,
              "NaN and negative samples are ignored");
    for (int i = 0; i < LATENCY_WINDOW; i++)
        latency_observe(l, "a", "m", 1000);
    is_double(latency_p75_ms(l, "a", "m"), 1000, 1e-9,
              "only the newest %d samples count", LATENCY_WINDOW);

    /* preload: older history goes behind what was observed since start */
    struct latency *p = latency_new();
    latency_observe(p, "n1", "m", 10);
    const char *hist = "[{\"node_id\":\"n1\",\"model\":\"m\",\"latencies\":"
                       "[20,30,40]},{\"node_id\":\"n2\",\"model\":\"m\","
                       "\"latencies\":[5]},{\"bad\":1}]";
    is_int(latency_preload(p, hist, strlen(hist)), 2, "two pairs preloaded");
    /* samples 10,20,30,40 -> element 3 of sorted = 40 */
    is_double(latency_p75_ms(p, "n1", "m"), 40, 1e-9, "merged p75");
    is_double(latency_p75_ms(p, "n2", "m"), 5, 1e-9, "preloaded pair");
    is_int(latency_preload(p, "{", 1), -EINVAL, "bad JSON refused");
    latency_free(p);
    latency_free(l);
    ok(isnan(latency_p75_ms(NULL, "a", "m")), "NULL-safe");
}

struct answer {
    int calls;
    int rc;
    char text[8192];
};

static void
answer_cb(void *arg, int rc, const char *text, size_t len, const char *err)
{
    struct answer *a = arg;
    (void)err;
    a->calls++;
    a->rc = rc;
    snprintf(a->text, sizeof a->text, "%.*s", (int)len, text);
}

static void
run_until(struct event_base *base, struct answer *a, int calls)
{
    double end = mono() + 10;
    while (a->calls < calls && mono() < end)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
}

static void
test_stall(struct fake_host *h)
{
    char err[512], gate[300], log[300], fail[300];
    struct event_base *base = event_base_new();
    char *dirs[] = {plugdir};
    struct plugin_set *set = plugin_set_new(&h->table, dirs, 1);

    snprintf(gate, sizeof gate, "%s/gate", tmpdir);
    snprintf(log, sizeof log, "%s/gate.log", tmpdir);
    snprintf(fail, sizeof fail, "%s/fail", tmpdir);
    touch(gate);
    is_int(storage_host_load(set, "test_storage_gate", 1, err, sizeof err,
                             "gate", gate, "log", log, "fail", fail, NULL),
           0, "gate plugin loads (%s)", err);
    struct latency *lat = latency_new();
    struct traces *tr = traces_new(base, set, lat, 100, err, sizeof err);
    ok(tr != NULL, "writer starts (%s)", tr ? "" : err);

    struct herd_trace bad =
        storage_host_trace(NULL, "completed", "n", "m", 1, 1);
    is_int(traces_submit(tr, &bad), -EINVAL, "a trace without id is refused");

    int accepted = 0, dropped = 0;
    double worst = 0;
    char id[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "r%d", i);
        struct herd_trace t = storage_host_trace(
            id, "completed", "n1", "m", 100 + i % 10, 1700000000.0 + i);
        double t0 = mono();
        int rc = traces_submit(tr, &t);
        double dt = mono() - t0;
        if (dt > worst)
            worst = dt;
        if (rc == 0)
            accepted++;
        else if (rc == -ENOSPC)
            dropped++;
    }
    struct traces_stats st;
    traces_get_stats(tr, &st);
    diag("accepted %d dropped %d, slowest submit %.3f ms", accepted, dropped,
         worst * 1e3);
    is_int(accepted + dropped, 1000, "every submit accepted or dropped");
    ok(accepted >= 100 && accepted <= 100 + 512,
       "about the queue's size accepted while storage stalls (%d)", accepted);
    is_int((long)st.dropped, dropped, "drops are counted");
    /* the gate holds for minutes: any wait on it would show */
    ok(worst < 0.5, "no submit waited for the stalled storage");
    is_int(count_lines(log), 0, "nothing written while stalled");
    ok(!isnan(latency_p75_ms(lat, "n1", "m")),
       "latency is fed even while storage stalls");

    /* a query waits its turn behind the stalled write */
    struct answer a = {0};
    is_int(traces_query(tr, "count", NULL, answer_cb, &a), 0, "query queued");
    unlink(gate);
    run_until(base, &a, 1);
    is_int(a.calls, 1, "the answer arrives on the loop");
    is_int(a.rc, 0, "count answered");
    double end = mono() + 10;
    do {
        traces_get_stats(tr, &st);
        usleep(10000);
    } while (st.written < (uint64_t)accepted && mono() < end);
    is_int((long)st.written, accepted, "everything accepted is written");
    is_int(count_lines(log), accepted, "the plugin saw each trace once");
    is_int((long)st.queued, 0, "queue empty");

    struct answer d = {0};
    traces_query(tr, "no_such_query", NULL, answer_cb, &d);
    run_until(base, &d, 1);
    is_int(d.rc, HERD_DECLINED, "unknown query declined");

    /* a failing disk: batches are counted as failed, nothing blocks */
    touch(fail);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "broken%d", i);
        struct herd_trace t =
            storage_host_trace(id, "completed", "n1", "m", 5, 1700000500.0);
        traces_submit(tr, &t);
    }
    uint64_t want = st.written + 3;
    end = mono() + 10;
    do {
        traces_get_stats(tr, &st);
        usleep(10000);
    } while (st.written < want && mono() < end);
    ok(st.failed >= 1, "a failing write is counted (%llu)",
       (unsigned long long)st.failed);
    is_int(count_lines(log), accepted, "and stored nothing");
    unlink(fail);

    /* stopping writes what is still queued */
    touch(gate);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "late%d", i);
        struct herd_trace t =
            storage_host_trace(id, "failed", "n1", "m", 5, 1700001000.0);
        traces_submit(tr, &t);
    }
    struct answer never = {0};
    traces_query(tr, "count", NULL, answer_cb, &never);
    unlink(gate);
    traces_free(tr);
    is_int(count_lines(log), accepted + 20, "queued traces written at stop");
    is_int(never.calls, 0, "no callback after traces_free");
    is_int(traces_submit(NULL, &bad), -ENOSPC, "NULL writer drops");
    latency_free(lat);
    plugin_set_free(set);
    event_base_free(base);
}

/* Completed traces written through sqlite come back as latency history
 * at the next start, with one query. */
static void
test_preload(struct fake_host *h)
{
    char err[512], db[300];
    snprintf(db, sizeof db, "%s/latency.db", tmpdir);
    for (int round = 0; round < 2; round++) {
        struct event_base *base = event_base_new();
        struct plugin_set *set = plugin_set_new(&h->table, NULL, 0);
        int rc = storage_host_load(set, "sqlite", 1, err, sizeof err, "path",
                                   db, NULL);
        is_int(rc, 0, "sqlite loads (%s)", err);
        struct latency *lat = latency_new();
        struct traces *tr = traces_new(base, set, lat, 1000, err, sizeof err);
        if (round == 0) {
            for (int i = 1; i <= 8; i++) {
                char id[16];
                snprintf(id, sizeof id, "p%d", i);
                struct herd_trace t = storage_host_trace(
                    id, i == 8 ? "failed" : "completed", "gpu1", "qwen3:8b",
                    i * 100.0, (double)time(NULL) - 100 + i);
                traces_submit(tr, &t);
            }
        } else {
            double end = mono() + 10;
            while (isnan(latency_p75_ms(lat, "gpu1", "qwen3:8b")) &&
                   mono() < end) {
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
                usleep(1000);
            }
            /* 100..700 (the failed 800 is not a latency): element 5 */
            is_double(latency_p75_ms(lat, "gpu1", "qwen3:8b"), 600, 1e-9,
                      "p75 preloaded from latency.db at start");
        }
        traces_free(tr);
        latency_free(lat);
        plugin_set_free(set);
        event_base_free(base);
    }
}

/* The breakdown of a row: the request's scores_breakdown as stored, in
 * the "traces" answer text; "" when absent. */
static const char *
scored_row(json_object *rows, const char *id)
{
    for (size_t i = 0; i < json_object_array_length(rows); i++) {
        json_object *r = json_object_array_get_idx(rows, i), *v;
        if (json_object_object_get_ex(r, "request_id", &v) &&
            strcmp(json_object_get_string(v), id) == 0 &&
            json_object_object_get_ex(r, "scores_breakdown", &v))
            return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
                     : "null";
    }
    return "";
}

/* A breakdown given as numbers is written as text by the storage thread,
 * and reaches storage as a text given by the caller would; a text given
 * wins over numbers. */
static void
test_scored(struct fake_host *h)
{
    char err[512], db[300];
    snprintf(db, sizeof db, "%s/scored.db", tmpdir);
    struct event_base *base = event_base_new();
    struct plugin_set *set = plugin_set_new(&h->table, NULL, 0);
    is_int(
        storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL),
        0, "sqlite loads (%s)", err);
    struct traces *tr = traces_new(base, set, NULL, 100, err, sizeof err);
    const char *names[] = {"thermal", "queue\"depth"};
    const double points[] = {12.5, -3};
    struct traces_scores sc = {names, points, 2, 9.5};
    struct herd_trace t = storage_host_trace("num", "completed", "n1", "m", 5,
                                             (double)time(NULL) - 3);
    t.scores_breakdown = NULL;
    is_int(traces_submit_scored(tr, &t, &sc), 0, "scored trace queued");
    t = storage_host_trace("text", "completed", "n1", "m", 5,
                           (double)time(NULL) - 2);
    traces_submit_scored(tr, &t, &sc);
    t = storage_host_trace("none", "completed", "n1", "m", 5,
                           (double)time(NULL) - 1);
    t.scores_breakdown = NULL;
    traces_submit_scored(tr, &t, NULL);
    struct traces_stats st;
    double end = mono() + 10;
    do {
        traces_get_stats(tr, &st);
        usleep(10000);
    } while (st.written < 3 && mono() < end);
    is_int((int)(st.written - st.failed), 3, "the three are written");
    struct answer a = {0};
    traces_query(tr, "traces", "{\"limit\":10}", answer_cb, &a);
    run_until(base, &a, 1);
    json_object *o = json_tokener_parse(a.text), *rows = NULL;
    ok(o && json_object_object_get_ex(o, "traces", &rows),
       "the traces come back (%.60s)", a.text);
    is_str(scored_row(rows, "num"),
           "{\"thermal\":12.5,\"queue\\\"depth\":-3.0,\"total\":9.5}",
           "numbers written as the breakdown, names escaped");
    is_str(scored_row(rows, "text"), "{\"thermal\":50,\"total\":42.5}",
           "a text given wins over numbers");
    is_str(scored_row(rows, "none"), "null", "neither: no breakdown");
    json_object_put(o);
    traces_free(tr);
    plugin_set_free(set);
    event_base_free(base);
}

int
main(void)
{
    struct fake_host h;
    const char *top = getenv("top_builddir");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/herd-test-traces-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(plugdir, sizeof plugdir, "%s/tests/plugins", top ? top : ".");
    storage_host_init(&h);
    test_latency();
    test_stall(&h);
    test_preload(&h);
    test_scored(&h);
    char cmd[300];
    snprintf(cmd, sizeof cmd, getenv("KEEP") ? "true %s" : "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return done_testing();
}
