/* scoring/queue_depth: a penalty for requests waiting or running for this
 * node:model, down to -30. With bandwidth_normalize a node faster than the
 * fleet's median bandwidth drains its queue sooner, so its depth counts
 * for less (and a slower node's for more), within [min_ratio, max_ratio]. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct queue_depth_ctx {
    double penalty_per;
    double max_penalty;
    int bandwidth_normalize;
    double min_ratio;
    double max_ratio;
};

#define QDEPTH_P(f) offsetof(struct queue_depth_ctx, f)
static const struct scoring_param queue_depth_params[] = {
    {"penalty_per", SCORING_PARAM_NUMBER, QDEPTH_P(penalty_per), 0, 1000},
    {"max_penalty", SCORING_PARAM_NUMBER, QDEPTH_P(max_penalty), 0, 1000},
    {"bandwidth_normalize", SCORING_PARAM_BOOL, QDEPTH_P(bandwidth_normalize),
     0, 1},
    {"min_ratio", SCORING_PARAM_NUMBER, QDEPTH_P(min_ratio), 0.001, 1000},
    {"max_ratio", SCORING_PARAM_NUMBER, QDEPTH_P(max_ratio), 0.001, 1000},
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const queue_depth_keys[] = {
    "penalty_per", "max_penalty", "bandwidth_normalize",
    "min_ratio",   "max_ratio",   NULL};

static int
queue_depth_init(const struct herd_host *host, void **out)
{
    struct queue_depth_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->penalty_per = 6;
    ctx->max_penalty = 30;
    ctx->bandwidth_normalize = 1;
    ctx->min_ratio = 0.25;
    ctx->max_ratio = 4.0;
    *out = ctx;
    return HERD_OK;
}

static int
queue_depth_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    return scoring_param_set(queue_depth_params, ctx, key, value, err, errlen);
}

static int
queue_depth_start(void *arg, char *err, size_t errlen)
{
    const struct queue_depth_ctx *ctx = arg;
    (void)errlen;
    if (ctx->min_ratio > ctx->max_ratio) {
        snprintf(err, errlen, "min_ratio %g is above max_ratio %g",
                 ctx->min_ratio, ctx->max_ratio);
        return -EINVAL;
    }
    return HERD_OK;
}

static void
queue_depth_destroy(void *ctx)
{
    free(ctx);
}

static int
queue_depth_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct queue_depth_ctx *ctx = arg;
    double depth = c->node->queue_depth;
    double bw = c->node->memory_bandwidth_gbps;
    double median = c->fleet->median_bandwidth_gbps;

    *points = 0;
    if (depth <= 0)
        return HERD_OK;
    if (ctx->bandwidth_normalize && bw > 0 && median > 0) {
        double rel = bw / median;
        if (rel < ctx->min_ratio)
            rel = ctx->min_ratio;
        if (rel > ctx->max_ratio)
            rel = ctx->max_ratio;
        depth /= rel;
    }
    double penalty = depth * ctx->penalty_per;
    *points = -(penalty < ctx->max_penalty ? penalty : ctx->max_penalty);
    return HERD_OK;
}

static const struct herd_scoring_plugin queue_depth_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "queue_depth",
            .version = "1.0",
            .description = "penalty for requests queued on the node",
            .config_keys = queue_depth_keys,
            .init = queue_depth_init,
            .config = queue_depth_config,
            .start = queue_depth_start,
            .destroy = queue_depth_destroy,
        },
    .score = queue_depth_score,
};

HERD_PLUGIN_DEFINE(queue_depth_plugin)
