/* scoring/completion_time: points for how soon this node would finish the
 * request, so the fastest node that can take it wins even while it is cold.
 *
 *   T = wait + load + service
 *   service  estimate = prompt / (prompt_speedup x rate) + output / rate,
 *            where rate = efficiency x bandwidth / model size (a decode
 *            step reads every weight once), times the learned calibration;
 *            a node whose p75 latency for the model (the router's history)
 *            is off that by more than history_tolerance either way counts
 *            as off by the excess
 *   load     model size / load_gbps when the model is not in memory there
 *            (half of it when a request is already running: the load began)
 *   wait     (depth - slots + 1) / slots x service when every slot is busy
 *   points = points_per_halving x log2(T_ref / T), within +-max_points,
 *            T_ref being the service on an idle node of the fleet's median
 *            bandwidth with the model loaded.
 *
 * The ratio, not the difference, makes "twice as fast" worth the same for a
 * 1 GB and a 40 GB model. Calibration: wherever a node has a history and
 * the model loaded, history / estimate tells how far the bandwidth model is
 * off (efficiency, answer length, a simulator's time scale); its running
 * geometric mean scales every estimated time, so nodes without a history
 * compete fairly with nodes that have one. The tolerance keeps equal nodes
 * equal: their histories differ by noise, and a tie lets them take turns. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct completion_time_ctx {
    double output_tokens;  /* expected answer of a chat or generate */
    double efficiency;     /* share of the bandwidth a decode step gets */
    double prompt_speedup; /* prompt tokens/s over generated tokens/s */
    double unknown_bandwidth_gbps;
    double load_gbps;
    double points_per_halving;
    double max_points;
    double history_tolerance;  /* history / estimate ratio taken as noise */
    double calibration_weight; /* of each new sample; 0 = no calibration */
    double calibration_log;    /* running mean of log(history / estimate) */
    double calibration_samples;
};

#define CT_P(f) offsetof(struct completion_time_ctx, f)
#define CT_N(f, lo, hi)                                                        \
    {                                                                          \
#f, SCORING_PARAM_NUMBER, CT_P(f), lo, hi                              \
    }
static const struct scoring_param completion_time_params[] = {
    CT_N(output_tokens, 0, 1e6),      CT_N(efficiency, 0.001, 100),
    CT_N(prompt_speedup, 0.001, 1e6), CT_N(unknown_bandwidth_gbps, 0.001, 1e6),
    CT_N(load_gbps, 0.001, 1e6),      CT_N(points_per_halving, 0, 1000),
    CT_N(max_points, 0, 1000),        CT_N(history_tolerance, 1, 1e6),
    CT_N(calibration_weight, 0, 1),   {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const completion_time_keys[] = {
    "output_tokens",      "efficiency",
    "prompt_speedup",     "unknown_bandwidth_gbps",
    "load_gbps",          "points_per_halving",
    "max_points",         "history_tolerance",
    "calibration_weight", NULL};

/* A calibration sample further than 10,000x off is clipped: one odd
 * request (a stalled stream) must not swing every node. */
#define CT_MAX_LOG_RATIO 9.210340371976184 /* log(10000) */
/* Below this, a model size is taken as unknown. */
#define CT_MIN_SIZE_GB 0.01
/* Times are at least this long, so an empty request has a finite ratio. */
#define CT_MIN_SECONDS 1e-6

static int
completion_time_init(const struct herd_host *host, void **out)
{
    struct completion_time_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->output_tokens = 100;
    ctx->efficiency = 0.6;
    ctx->prompt_speedup = 10;
    ctx->unknown_bandwidth_gbps = 60;
    ctx->load_gbps = 1.5;
    ctx->points_per_halving = 30;
    ctx->max_points = 60;
    ctx->history_tolerance = 1.5;
    ctx->calibration_weight = 0.05;
    *out = ctx;
    return HERD_OK;
}

static int
completion_time_config(void *ctx, const char *key, const char *value, char *err,
                       size_t errlen)
{
    return scoring_param_set(completion_time_params, ctx, key, value, err,
                             errlen);
}

static void
completion_time_destroy(void *ctx)
{
    free(ctx);
}

static int
completion_time_loaded(const struct herd_node_view *n, const char *model)
{
    for (size_t i = 0; i < n->loaded_count; i++)
        if (strcmp(n->loaded[i].name, model) == 0)
            return 1;
    return 0;
}

static double
completion_time_size(const struct herd_request_view *r)
{
    return r->model_size_gb > CT_MIN_SIZE_GB ? r->model_size_gb
                                             : CT_MIN_SIZE_GB;
}

/* Seconds to evaluate the prompt and write the answer at bandwidth bw,
 * uncalibrated. An embedding writes no answer. */
static double
completion_time_estimate(const struct completion_time_ctx *ctx,
                         const struct herd_request_view *r, double bw)
{
    double rate = ctx->efficiency * bw / completion_time_size(r);
    double output =
        r->endpoint && strstr(r->endpoint, "embed") ? 0 : ctx->output_tokens;
    return r->estimated_tokens / (ctx->prompt_speedup * rate) + output / rate;
}

static double
completion_time_node_bandwidth(const struct completion_time_ctx *ctx,
                               const struct herd_node_view *n)
{
    return n->memory_bandwidth_gbps > 0 ? n->memory_bandwidth_gbps
                                        : ctx->unknown_bandwidth_gbps;
}

/* Folds log(history / estimate) of a node that has both into the
 * calibration: a plain mean over the first 1 / calibration_weight samples
 * (the first one is taken whole), a moving average after. */
static void
completion_time_learn(struct completion_time_ctx *ctx, double history_s,
                      double estimate_s)
{
    if (ctx->calibration_weight <= 0 || !(estimate_s > 0))
        return;
    double l = log(history_s / estimate_s);
    if (l > CT_MAX_LOG_RATIO)
        l = CT_MAX_LOG_RATIO;
    if (l < -CT_MAX_LOG_RATIO)
        l = -CT_MAX_LOG_RATIO;
    ctx->calibration_samples++;
    double w = 1.0 / ctx->calibration_samples;
    if (w < ctx->calibration_weight)
        w = ctx->calibration_weight;
    ctx->calibration_log += w * (l - ctx->calibration_log);
}

/* The service time: the calibrated estimate, moved towards the history by
 * as much as the history is off it beyond the tolerance. */
static double
completion_time_service(const struct completion_time_ctx *ctx,
                        double calibrated, double history_s)
{
    if (!(isfinite(history_s) && history_s > 0) || !(calibrated > 0))
        return calibrated;
    double off = log(history_s / calibrated);
    double tolerance = log(ctx->history_tolerance);
    if (fabs(off) <= tolerance)
        return calibrated;
    return calibrated * exp(off > 0 ? off - tolerance : off + tolerance);
}

static int
completion_time_score(void *arg, const struct herd_candidate *c, double *points)
{
    struct completion_time_ctx *ctx = arg;
    const struct herd_node_view *n = c->node;
    const struct herd_request_view *r = c->request;
    int loaded = completion_time_loaded(n, r->model);
    double estimate = completion_time_estimate(
        ctx, r, completion_time_node_bandwidth(ctx, n));
    double history = n->p75_latency_ms / 1000.0;

    /* a cold node's history may hold a load: it teaches nothing */
    if (loaded && isfinite(history) && history > 0)
        completion_time_learn(ctx, history, estimate);
    double scale = exp(ctx->calibration_log);

    double service = completion_time_service(ctx, estimate * scale, history);
    double load = 0;
    if (!loaded) {
        load = completion_time_size(r) / ctx->load_gbps * scale;
        if (n->in_flight > 0)
            load /= 2;
    }
    double slots = n->slots > 0 ? n->slots : 1;
    double wait = 0;
    if (n->queue_depth >= slots)
        wait = (n->queue_depth - slots + 1) / slots * service;

    double median = c->fleet->median_bandwidth_gbps;
    double reference =
        completion_time_estimate(
            ctx, r, median > 0 ? median : ctx->unknown_bandwidth_gbps) *
        scale;
    double total = wait + load + service;
    if (reference < CT_MIN_SECONDS)
        reference = CT_MIN_SECONDS;
    if (total < CT_MIN_SECONDS)
        total = CT_MIN_SECONDS;
    double p = ctx->points_per_halving * log2(reference / total);
    if (p > ctx->max_points)
        p = ctx->max_points;
    if (p < -ctx->max_points)
        p = -ctx->max_points;
    *points = p;
    return HERD_OK;
}

static const struct herd_scoring_plugin completion_time_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "completion_time",
            .version = "1.0",
            .description = "how soon the node would finish the request",
            .config_keys = completion_time_keys,
            .init = completion_time_init,
            .config = completion_time_config,
            .destroy = completion_time_destroy,
        },
    .score = completion_time_score,
};

HERD_PLUGIN_DEFINE(completion_time_plugin)
