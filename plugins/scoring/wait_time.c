/* scoring/wait_time: a penalty for the expected wait, down to -25. The wait
 * is queue depth x p75 latency of this node:model; without a latency
 * history the latency of `tokens` output tokens is estimated from the
 * node's memory bandwidth, or else from the model's size alone. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct wait_time_ctx {
    double max_penalty;
    double seconds_per_point;
    double tokens;           /* output tokens the estimate is for */
    double bandwidth_factor; /* tokens/s per GB/s for a 10 GB model */
    double size_unit_gb;
    double min_tps_bandwidth;
    double fallback_tps; /* tokens/s of a 1 GB model, no bandwidth */
    double min_tps;
};

#define WAIT_P(f) offsetof(struct wait_time_ctx, f)
static const struct scoring_param wait_time_params[] = {
    {"max_penalty", SCORING_PARAM_NUMBER, WAIT_P(max_penalty), 0, 1000},
    {"seconds_per_point", SCORING_PARAM_NUMBER, WAIT_P(seconds_per_point),
     0.001, 1e6},
    {"tokens", SCORING_PARAM_NUMBER, WAIT_P(tokens), 1, 1e6},
    {"bandwidth_factor", SCORING_PARAM_NUMBER, WAIT_P(bandwidth_factor), 0.001,
     1e6},
    {"size_unit_gb", SCORING_PARAM_NUMBER, WAIT_P(size_unit_gb), 0.001, 1e6},
    {"min_tps_bandwidth", SCORING_PARAM_NUMBER, WAIT_P(min_tps_bandwidth),
     0.001, 1e6},
    {"fallback_tps", SCORING_PARAM_NUMBER, WAIT_P(fallback_tps), 0.001, 1e6},
    {"min_tps", SCORING_PARAM_NUMBER, WAIT_P(min_tps), 0.001, 1e6},
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const wait_time_keys[] = {
    "max_penalty",      "seconds_per_point", "tokens",
    "bandwidth_factor", "size_unit_gb",      "min_tps_bandwidth",
    "fallback_tps",     "min_tps",           NULL};

static int
wait_time_init(const struct herd_host *host, void **out)
{
    struct wait_time_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->max_penalty = 25;
    ctx->seconds_per_point = 10;
    ctx->tokens = 100;
    ctx->bandwidth_factor = 1.2;
    ctx->size_unit_gb = 10;
    ctx->min_tps_bandwidth = 10;
    ctx->fallback_tps = 100;
    ctx->min_tps = 1;
    *out = ctx;
    return HERD_OK;
}

static int
wait_time_config(void *ctx, const char *key, const char *value, char *err,
                 size_t errlen)
{
    return scoring_param_set(wait_time_params, ctx, key, value, err, errlen);
}

static void
wait_time_destroy(void *ctx)
{
    free(ctx);
}

static double
wait_time_max(double a, double b)
{
    return a > b ? a : b;
}

/* Milliseconds to produce ctx->tokens tokens on this node. */
static double
wait_time_estimate_ms(const struct wait_time_ctx *ctx,
                      const struct herd_candidate *c)
{
    double size = c->request->model_size_gb;
    double bw = c->node->memory_bandwidth_gbps;
    double tps;
    if (bw > 0)
        tps = wait_time_max(ctx->min_tps_bandwidth,
                            bw * ctx->bandwidth_factor /
                                wait_time_max(1, size / ctx->size_unit_gb));
    else
        tps = wait_time_max(ctx->min_tps,
                            ctx->fallback_tps / wait_time_max(1, size));
    return ctx->tokens / tps * 1000.0;
}

static int
wait_time_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct wait_time_ctx *ctx = arg;
    double depth = c->node->queue_depth;
    double p75 = c->node->p75_latency_ms;

    *points = 0;
    if (depth <= 0)
        return HERD_OK;
    if (isnan(p75) || p75 <= 0)
        p75 = wait_time_estimate_ms(ctx, c);
    double penalty = depth * p75 / 1000.0 / ctx->seconds_per_point;
    *points = -(penalty < ctx->max_penalty ? penalty : ctx->max_penalty);
    return HERD_OK;
}

static const struct herd_scoring_plugin wait_time_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "wait_time",
            .version = "1.0",
            .description = "penalty for the expected wait",
            .config_keys = wait_time_keys,
            .init = wait_time_init,
            .config = wait_time_config,
            .destroy = wait_time_destroy,
        },
    .score = wait_time_score,
};

HERD_PLUGIN_DEFINE(wait_time_plugin)
