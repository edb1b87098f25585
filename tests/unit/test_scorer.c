/* The scorer over a registry filled with real heartbeats and the seven
 * real scoring plugins: the reference's worked example (Appendix B) to the
 * decimal, every elimination reason, weights, the breakdown JSON, the
 * least-recently-chosen tie-break, and the model size estimate. */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "model_size.h"
#include "plugin_loader.h"
#include "registry.h"
#include "score_breakdown.h"
#include "scorer.h"
#include "tap.h"

static const char *const signals[] = {
    "thermal",       "memory_fit",         "queue_depth", "wait_time",
    "role_affinity", "availability_trend", "context_fit", NULL};

static struct herd_host host;

static void quiet_log(void *hd, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
quiet_log(void *hd, int level, const char *fmt, ...)
{
    (void)hd;
    (void)level;
    (void)fmt;
}

/* The seven signals, weight 1 except `heavy` (weight w). */
static struct plugin_set *
load_signals(const char *heavy, double w)
{
    char err[512];
    struct plugin_set *set = plugin_set_new(&host, NULL, 0);
    for (size_t i = 0; set && signals[i]; i++) {
        struct config_plugin_section sec = {0};
        sec.kind = (char *)"scoring";
        sec.name = (char *)signals[i];
        sec.enabled = 1;
        sec.weight = heavy && strcmp(heavy, signals[i]) == 0 ? w : 1.0;
        if (plugin_set_load(set, &sec, err, sizeof err) != 0) {
            diag("%s", err);
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

/* A heartbeat: memory total/available, bandwidth, pressure, the loaded
 * model (name, size, ctx; name NULL = none), the models on disk (a JSON
 * array body) and an optional capacity object. */
static int
beat(struct registry *reg, double now, const char *id, double total,
     double avail, double bw, const char *pressure, const char *lname,
     double lsize, int lctx, const char *disk, const char *capacity)
{
    char text[2048], loaded[512] = "";
    if (lname)
        snprintf(loaded, sizeof loaded,
                 "{\"name\":\"%s\",\"size_gb\":%g,\"requests_active\":0,"
                 "\"context_length\":%d}",
                 lname, lsize, lctx);
    snprintf(text, sizeof text,
             "{\"node_id\":\"%s\",\"cpu\":{\"cores_physical\":16,"
             "\"utilization_pct\":10},\"memory\":{\"total_gb\":%g,"
             "\"used_gb\":%g,\"available_gb\":%g,\"pressure\":\"%s\"},"
             "\"memory_bandwidth_gbps\":%g,\"capacity\":%s,"
             "\"ollama\":{\"models_loaded\":[%s],\"models_available\":[%s]}}",
             id, total, total - avail, avail, pressure, bw,
             capacity ? capacity : "null", loaded, disk);
    json_object *payload;
    struct hb_snapshot s;
    char err[256];
    int r = heartbeat_parse_text(text, strlen(text), 1 << 16, &payload, &s, err,
                                 sizeof err);
    if (r != 0) {
        diag("parse: %s", err);
        return r;
    }
    char url[64];
    snprintf(url, sizeof url, "http://%s:11434", id);
    r = registry_report(reg, &s, payload, url, "heartbeat", now, err,
                        sizeof err);
    if (r != 0)
        diag("report: %s", err);
    return r;
}

static struct registry *
new_registry(void)
{
    struct registry_settings rs = {15, 30, 0, 1800, 64};
    return registry_new(&rs);
}

/* Load as the admission queue and latency history would report it. */
struct load_table {
    const char *node;
    uint32_t depth;
    double p75;
};

static void
load_get(void *arg, const char *node_id, const char *model,
         struct herd_node_view *fill)
{
    (void)model;
    for (const struct load_table *t = arg; t->node; t++)
        if (strcmp(t->node, node_id) == 0) {
            fill->queue_depth = t->depth;
            fill->p75_latency_ms = t->p75;
        }
}

static double
points(const struct route_result *r, size_t cand, const char *signal)
{
    for (size_t k = 0; k < r->signal_count; k++)
        if (strcmp(r->signals[k], signal) == 0)
            return r->candidates[cand].points[k];
    return NAN;
}

static const char *
reason(const struct route_result *r, const char *node)
{
    for (size_t i = 0; i < r->eliminated_count; i++)
        if (strcmp(r->eliminated[i].node, node) == 0)
            return r->eliminated[i].reason;
    return "(kept)";
}

static void
test_appendix_b(void)
{
    struct registry *reg = new_registry();
    struct plugin_set *set = load_signals(NULL, 1);
    struct scorer *s = scorer_new(set);
    struct route_result res;
    struct load_table lt[] = {{"A", 2, 30000}, {NULL, 0, 0}};
    struct scorer_load_provider load = {lt, load_get};
    struct route_request rq = {0};

    ok(set && s, "scorer over the seven signals");
    ok(beat(reg, 0, "A", 128, 60, 1008, "normal", "qwen3:32b", 24.6, 40960,
            "\"qwen3:32b\"", NULL) == 0 &&
           beat(reg, 0, "B", 128, 60, 200, "normal", NULL, 0, 0,
                "\"qwen3:32b\"", NULL) == 0,
       "two heartbeats registered");
    rq.model = "qwen3:32b";
    rq.endpoint = "/api/chat";
    rq.estimated_tokens = 2000;
    ok(scorer_rank(s, reg, &rq, &load, 1, &res) == 0, "ranked");
    is_int((int)res.candidate_count, 2, "two candidates");
    is_str(route_result_winner(&res)->node, "A", "A wins");
    is_double(round(res.candidates[0].total * 10) / 10, 96.8, 1e-9,
              "A = 96.8 (%.4f)", res.candidates[0].total);
    is_double(res.candidates[1].total, 40, 1e-9, "B = 40");
    is_double(points(&res, 0, "thermal"), 50, 1e-9, "A thermal 50");
    is_double(points(&res, 0, "memory_fit"), 20, 1e-9, "A memory 20");
    is_double(round(points(&res, 0, "queue_depth") * 10) / 10, -7.2, 1e-9,
              "A queue -7.2");
    is_double(points(&res, 0, "wait_time"), -6, 1e-9, "A wait -6");
    is_double(points(&res, 0, "role_affinity"), 25, 1e-9, "A affinity 25");
    is_double(points(&res, 0, "availability_trend"), 0, 1e-9, "A avail 0");
    is_double(points(&res, 0, "context_fit"), 15, 1e-9, "A context 15");
    is_double(points(&res, 1, "thermal"), 10, 1e-9, "B thermal 10 (cold)");
    is_double(points(&res, 1, "memory_fit"), 20, 1e-9, "B memory 20");
    is_double(points(&res, 1, "role_affinity"), 10, 1e-9, "B affinity 10");
    is_double(points(&res, 1, "context_fit"), 0, 1e-9, "B context 0");
    is_double(res.model_size_gb, 24.6, 1e-9, "size from A's loaded copy");
    ok(res.candidates[0].hot && res.candidates[0].loaded_ctx == 40960 &&
           !res.candidates[1].hot,
       "hot flag and loaded context for the request path");

    json_object *bd = route_result_breakdown(&res, 0);
    int keys = 0;
    for (size_t i = 0; signals[i]; i++)
        keys += json_object_object_get_ex(bd, signals[i], NULL);
    ok(keys == 7 && json_object_object_length(bd) == 8 &&
           fabs(json_object_get_double(json_object_object_get(bd, "total")) -
                res.candidates[0].total) < 1e-9,
       "scores_breakdown: the seven signals plus total");
    for (size_t c = 0; c < res.candidate_count; c++) {
        /* the trace's text says what the object says, to a millionth */
        json_object *obj = route_result_breakdown(&res, c);
        const char *names[SCORER_MAX_SIGNALS];
        size_t n = route_result_signal_names(&res, names);
        char *text = score_breakdown_text(names, res.candidates[c].points, n,
                                          res.candidates[c].total);
        json_object *parsed = text ? json_tokener_parse(text) : NULL;
        int same = parsed && json_object_object_length(parsed) ==
                                 json_object_object_length(obj);
        json_object_object_foreach(obj, key, val)
        {
            json_object *v = NULL;
            same = same && json_object_object_get_ex(parsed, key, &v) &&
                   fabs(json_object_get_double(v) -
                        json_object_get_double(val)) <= 5e-7;
        }
        ok(same, "breakdown text of candidate %zu: %s", c, text ? text : "-");
        json_object_put(parsed);
        json_object_put(obj);
        free(text);
    }
    json_object_put(bd);
    json_object *j = route_result_to_json(&res);
    json_object *c0 =
        json_object_array_get_idx(json_object_object_get(j, "candidates"), 0);
    ok(strcmp(json_object_get_string(json_object_object_get(j, "winner")),
              "A") == 0 &&
           strcmp(json_object_get_string(json_object_object_get(c0, "node")),
                  "A") == 0 &&
           json_object_object_length(json_object_object_get(c0, "scores")) == 7,
       "explanation JSON: winner, ranked candidates with their scores");
    json_object_put(j);
    route_result_free(&res);

    /* a weight multiplies a signal's points */
    scorer_free(s);
    plugin_set_free(set);
    set = load_signals("thermal", 0.5);
    s = scorer_new(set);
    ok(scorer_rank(s, reg, &rq, &load, 1, &res) == 0 &&
           fabs(points(&res, 0, "thermal") - 25) < 1e-9 &&
           fabs(res.candidates[0].total - (96.8 - 25)) < 0.05,
       "weight 0.5 on thermal: A gets 25 for it");
    route_result_free(&res);
    set = (plugin_set_free(set), load_signals("role_affinity", 0));
    ok(scorer_set_plugins(s, set) == 0 &&
           scorer_rank(s, reg, &rq, NULL, 1, &res) == 0 &&
           points(&res, 0, "role_affinity") == 0 &&
           points(&res, 0, "queue_depth") == 0,
       "new plugins swapped in; no load provider: no queue penalty");
    route_result_free(&res);
    scorer_free(s);
    plugin_set_free(set);
    registry_free(reg);
}

static void
test_eliminations(void)
{
    struct registry *reg = new_registry();
    struct plugin_set *set = load_signals(NULL, 1);
    struct scorer *s = scorer_new(set);
    struct route_result res;
    struct route_request rq = {0};
    const char *const excluded[] = {"retry", NULL};
    struct config_node off = {(char *)"disabled", 0, 0, NULL, 0, 0, 0};
    const char *disk = "\"llama3.2:3b\"";

    beat(reg, 0, "old", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);
    registry_tick(reg, 100); /* old goes offline */
    beat(reg, 100, "ok", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);
    beat(reg, 100, "hot", 64, 40, 0, "normal", "llama3.2:3b", 2.5, 8192, "",
         NULL);
    beat(reg, 100, "drain", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);
    {
        const char *t = "{\"node_id\":\"drain\",\"draining\":true}";
        json_object *p;
        struct hb_snapshot hs;
        char err[128];
        heartbeat_parse_text(t, strlen(t), 1024, &p, &hs, err, sizeof err);
        registry_report(reg, &hs, p, "", "heartbeat", 100, err, sizeof err);
    }
    beat(reg, 100, "disabled", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);
    registry_set_node_config(reg, &off, 1);
    beat(reg, 100, "nomodel", 64, 40, 0, "normal", NULL, 0, 0, "\"x:1b\"",
         NULL);
    beat(reg, 100, "critical", 64, 40, 0, "critical", NULL, 0, 0, disk, NULL);
    beat(reg, 100, "small", 64, 2, 0, "normal", NULL, 0, 0, disk, NULL);
    beat(reg, 100, "paused", 64, 40, 0, "normal", NULL, 0, 0, disk,
         "{\"mode\":\"paused\",\"ceiling_gb\":0,\"availability_score\":0.9}");
    beat(reg, 100, "ceiling", 64, 40, 0, "normal", NULL, 0, 0, disk,
         "{\"mode\":\"learned_high\",\"ceiling_gb\":1,"
         "\"availability_score\":0.9}");
    beat(reg, 100, "retry", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);

    rq.model = "llama3.2:3b";
    rq.estimated_tokens = 100;
    rq.excluded_nodes = excluded;
    ok(scorer_rank(s, reg, &rq, NULL, 100, &res) == 0, "ranked");
    is_str(reason(&res, "old"), "offline", "offline");
    is_str(reason(&res, "drain"), "draining", "draining");
    is_str(reason(&res, "disabled"), "disabled by [node.ID]",
           "disabled by [node.ID]");
    is_str(reason(&res, "nomodel"), "model not on node", "model not on node");
    is_str(reason(&res, "retry"), "excluded after a failed attempt",
           "excluded for a retry");
    is_str(reason(&res, "critical"), "memory_fit: memory pressure critical",
           "critical pressure vetoed by memory_fit");
    like(reason(&res, "small"), "memory_fit: not enough memory to load",
         "no room for a cold load");
    like(reason(&res, "ceiling"), "not enough memory to load the model (1.0",
         "capacity ceiling caps the room");
    is_str(reason(&res, "paused"), "availability_trend: capacity paused",
           "paused capacity vetoed");
    is_int((int)res.candidate_count, 2, "two candidates left");
    is_str(res.candidates[0].node, "hot", "the hot node first");
    is_str(res.candidates[1].node, "ok", "then the cold one");
    ok(res.model_known, "model known");
    route_result_free(&res);

    rq.model = "nothing:1b";
    ok(scorer_rank(s, reg, &rq, NULL, 100, &res) == 0 && !res.model_known &&
           res.candidate_count == 0 && route_result_winner(&res) == NULL,
       "a model on no node: not known, no winner");
    route_result_free(&res);
    scorer_free(s);
    plugin_set_free(set);
    registry_free(reg);
}

static void
test_tie_break(void)
{
    struct registry *reg = new_registry();
    struct plugin_set *set = load_signals(NULL, 1);
    struct scorer *s = scorer_new(set);
    struct route_result res;
    struct route_request rq = {0};
    int wins[3] = {0};
    const char *ids[] = {"n0", "n1", "n2"};

    for (int i = 0; i < 3; i++)
        beat(reg, 0, ids[i], 64, 40, 400, "normal", "llama3.2:3b", 2.5, 8192,
             "", NULL);
    rq.model = "llama3.2:3b";
    rq.estimated_tokens = 100;
    ok(scorer_rank(s, reg, &rq, NULL, 1, &res) == 0 &&
           res.candidate_count == 3 &&
           fabs(res.candidates[0].total - res.candidates[2].total) < 1e-9,
       "three equal nodes");
    is_str(res.candidates[0].node, "n0", "never chosen: registry order");
    route_result_free(&res);
    for (int round = 0; round < 30; round++) {
        scorer_rank(s, reg, &rq, NULL, 1 + round, &res);
        const char *w = route_result_winner(&res)->node;
        for (int i = 0; i < 3; i++)
            wins[i] += strcmp(w, ids[i]) == 0;
        scorer_note_chosen(s, w, 1 + round);
        route_result_free(&res);
    }
    ok(wins[0] == 10 && wins[1] == 10 && wins[2] == 10,
       "30 ties spread 10/10/10 (%d/%d/%d)", wins[0], wins[1], wins[2]);

    /* a real difference still wins over the tie-break */
    struct load_table lt[] = {{"n1", 1, NAN}, {"n2", 1, NAN}, {NULL, 0, 0}};
    struct scorer_load_provider load = {lt, load_get};
    scorer_note_chosen(s, "n0", 100);
    scorer_rank(s, reg, &rq, &load, 101, &res);
    is_str(route_result_winner(&res)->node, "n0",
           "an idle node beats busier ones even if chosen last");
    route_result_free(&res);
    scorer_free(s);
    plugin_set_free(set);
    registry_free(reg);
}

static void
test_model_size(void)
{
    static const struct {
        const char *name;
        double gb;
    } rows[] = {
        {"qwen3:32b", 20},       {"llama2:13b", 13 * 0.6},
        {"llama3.2:3b", 2.5},    {"gemma3:31b-it", 31 * 0.6},
        {"tinyllama:1b", 1},     {"deepseek-r1:671b", 370},
        {"mixtral:8x7b", 20},    {"mixtral:8x22b", 176 * 0.6},
        {"qwen2.5:0.5b", 1},     {"qwen2.5:1.5b", 1.5 * 0.6},
        {"llama3:70b-q4", 40},   {"nomic-embed-text:latest", 0.3},
        {"llama3.2:latest", 10}, {"web:latest", 10},
        {"QWEN3:14B", 9},        {"org/phi-4b:latest", 2.5},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        is_double(model_size_from_name(rows[i].name), rows[i].gb, 1e-9,
                  "size of %s", rows[i].name);
    is_double(model_size_from_params("32.8B", "Q4_K_M"), 32.8 * 0.6, 1e-9,
              "32.8B at Q4");
    is_double(model_size_from_params("8B", "Q8_0"), 8 * 1.1, 1e-9, "8B at Q8");
    is_double(model_size_from_params("567M", "F16"), 0.567 * 2, 1e-9,
              "567M at F16");
    is_double(model_size_from_params("lots", NULL), 0, 0, "unreadable: 0");
    is_double(model_size_from_params("7Bx", NULL), 0, 0, "trailing junk: 0");

    struct registry *reg = new_registry();
    beat(reg, 0, "a", 64, 40, 0, "normal", NULL, 0, 0,
         "{\"name\":\"big:13b\",\"size\":8589934592}", NULL);
    is_double(model_size_estimate(reg, "big:13b"), 8, 1e-9,
              "on-disk size from /api/tags before the name");
    beat(reg, 0, "b", 64, 40, 0, "normal", "big:13b", 9.5, 4096, "", NULL);
    is_double(model_size_estimate(reg, "big:13b"), 9.5, 1e-9,
              "resident size before the on-disk size");
    is_double(model_size_estimate(reg, "other:13b"), 13 * 0.6, 1e-9,
              "else the name");
    registry_free(reg);
}

/* Times node appears in r, eliminated or ranked. */
static int
appearances(const struct route_result *r, const char *node)
{
    int n = 0;
    for (size_t i = 0; i < r->eliminated_count; i++)
        n += strcmp(r->eliminated[i].node, node) == 0;
    for (size_t i = 0; i < r->candidate_count; i++)
        n += strcmp(r->candidates[i].node, node) == 0;
    return n;
}

static char *
explanation_text(const struct route_result *r)
{
    json_object *j = route_result_to_json(r);
    char *text = j ? strdup(json_object_to_json_string(j)) : NULL;
    json_object_put(j);
    return text;
}

/* A result is one block sized before the ranking for each node once (a
 * core reason, a filter's veto or a rank), with its own copies of every
 * string: a request keeps it until its trace is written, past a reload of
 * the signals, other rankings and the removal of its nodes. */
static void
test_result_block(void)
{
    struct registry *reg = new_registry();
    struct plugin_set *set = load_signals(NULL, 1), *next_set;
    struct scorer *s = scorer_new(set);
    struct route_result res, next;
    struct route_request rq = {0};
    const char *const excluded[] = {"excluded-critical", NULL};
    const char *disk = "\"llama3.2:3b\"";
    const char *paused =
        "{\"mode\":\"paused\",\"ceiling_gb\":0,\"availability_score\":0.9}";
    const char *tail = "-so-that-the-ids-and-their-urls-are-of-many-lengths";
    char id[64];

    beat(reg, 0, "offline", 64, 40, 0, "normal", NULL, 0, 0, disk, NULL);
    registry_tick(reg, 100);
    /* every third critical (memory_fit vetoes), every fifth paused
     * (availability_trend vetoes): n01, n16, n31 and n46 are both */
    for (int i = 0; i < 48; i++) {
        snprintf(id, sizeof id, "n%02d%.*s", i, i, tail);
        beat(reg, 100, id, 64, 40, 0, i % 3 == 1 ? "critical" : "normal",
             i % 2 ? NULL : "llama3.2:3b", 2.5, 8192, disk,
             i % 5 == 1 ? paused : NULL);
    }
    beat(reg, 100, "excluded-critical", 64, 40, 0, "critical", NULL, 0, 0, disk,
         NULL);
    beat(reg, 100, "nomodel", 64, 40, 0, "normal", NULL, 0, 0, "\"x:1b\"",
         NULL);
    rq.model = "llama3.2:3b";
    rq.estimated_tokens = 100;
    rq.excluded_nodes = excluded;
    int rc = scorer_rank(s, reg, &rq, NULL, 100, &res);
    ok(rc == 0 &&
           res.eliminated_count + res.candidate_count == registry_count(reg),
       "51 nodes: %zu eliminated + %zu ranked", res.eliminated_count,
       res.candidate_count);
    int once = 1;
    for (size_t i = 0; i < registry_count(reg); i++)
        once = once && appearances(&res, registry_at(reg, i)->id) == 1;
    ok(once, "each node once, however many reasons it has");
    snprintf(id, sizeof id, "n01%.*s", 1, tail);
    is_str(reason(&res, id), "memory_fit: memory pressure critical",
           "critical and paused: the first filter's veto only");
    snprintf(id, sizeof id, "n06%.*s", 6, tail);
    is_str(reason(&res, id), "availability_trend: capacity paused",
           "paused only: availability_trend's veto");
    is_str(reason(&res, "excluded-critical"), "excluded after a failed attempt",
           "excluded and critical: the core reason only");
    is_str(reason(&res, "offline"), "offline", "offline");
    is_str(reason(&res, "nomodel"), "model not on node", "model not on node");
    int urls = res.candidate_count > 0;
    for (size_t i = 0; i < res.candidate_count; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://%s:11434", res.candidates[i].node);
        urls = urls && strcmp(res.candidates[i].url, url) == 0;
    }
    ok(urls, "each candidate with its URL");

    char *before = explanation_text(&res);
    next_set = load_signals("thermal", 2);
    ok(scorer_set_plugins(s, next_set) == 0, "signals reloaded");
    plugin_set_free(set);
    set = next_set;
    rq.excluded_nodes = NULL;
    ok(scorer_rank(s, reg, &rq, NULL, 101, &next) == 0 &&
           next.candidate_count > 0,
       "ranked again");
    registry_remove(reg, res.candidates[0].node);
    registry_remove(reg, res.eliminated[0].node);
    char *after = explanation_text(&res);
    ok(before && after && strcmp(before, after) == 0,
       "the first result unchanged by the reload, the second ranking and "
       "the removal of its nodes");
    free(before);
    free(after);
    route_result_free(&next);
    route_result_free(&res);
    ok(!res.model && !res.eliminated && !res.candidates && !res.signals &&
           res.candidate_count == 0 && res.eliminated_count == 0,
       "freed: zeroed");
    route_result_free(&res);
    ok(1, "a zeroed result is freed again");
    scorer_free(s);
    plugin_set_free(set);
    registry_free(reg);
}

/* No signal and every node ranked: the text section of the block, the
 * last, used to its end (ASan's redzone is right after it). */
static void
test_result_block_no_signals(void)
{
    struct registry *reg = new_registry();
    struct scorer *s = scorer_new(NULL);
    struct route_result res;
    struct route_request rq = {0};
    char id[64];

    rq.model = "m:1b";
    ok(scorer_rank(s, reg, &rq, NULL, 1, &res) == 0 &&
           res.candidate_count == 0 && res.eliminated_count == 0 &&
           strcmp(res.model, "m:1b") == 0,
       "an empty registry: the model, nothing else");
    route_result_free(&res);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "node-%d-%.*s", i, i * 2,
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
        beat(reg, 0, id, 64, 40, 0, "normal", "m:1b", 1, 4096, "", NULL);
    }
    ok(scorer_rank(s, reg, &rq, NULL, 1, &res) == 0 &&
           res.candidate_count == 20 && res.signal_count == 0 &&
           res.candidates[19].total == 0,
       "no signal: every node ranked, with no points");
    snprintf(id, sizeof id, "node-19-%.*s", 38,
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
    is_str(res.candidates[19].node, id, "the last node's id intact");
    route_result_free(&res);
    scorer_free(s);
    registry_free(reg);
}

/* A signal over the time budget is logged, once a minute at most. */
static void
test_budget(void)
{
    struct registry *reg = new_registry();
    struct plugin_set *set = load_signals(NULL, 1);
    struct scorer *s = scorer_new(set);
    struct route_result res;
    struct route_request rq = {0};
    char path[] = "/tmp/herd-scorer-log.XXXXXX", text[8192];
    int fd = mkstemp(path), saved = dup(2);

    beat(reg, 0, "n", 64, 40, 0, "normal", "m:1b", 1, 4096, "", NULL);
    rq.model = "m:1b";
    log_set_level(HERD_LOG_WARNING);
    dup2(fd, 2);
    scorer_set_budget_us(s, 1e-9); /* everything is over it */
    for (int i = 0; i < 3; i++) {
        scorer_rank(s, reg, &rq, NULL, 10 + i, &res);
        route_result_free(&res);
    }
    scorer_set_budget_us(s, 0);
    scorer_rank(s, reg, &rq, NULL, 100, &res); /* no check: not logged */
    route_result_free(&res);
    dup2(saved, 2);
    close(saved);
    log_set_level(HERD_LOG_ERR);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "for one request (budget")); p++)
        lines++;
    is_int(lines, 7, "three slow rounds: one line per signal, not three");
    like(text, "signal thermal took", "the line names the signal");
    scorer_free(s);
    plugin_set_free(set);
    registry_free(reg);
}

int
main(void)
{
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    log_set_level(HERD_LOG_ERR);
    host.abi_version = HERD_ABI_VERSION;
    host.size = sizeof host;
    host.role = HERD_ROLE_ROUTER;
    host.log = quiet_log;
    test_appendix_b();
    test_eliminations();
    test_tie_break();
    test_model_size();
    test_result_block();
    test_result_block_no_signals();
    test_budget();
    return done_testing();
}
