/* scoring/availability_trend: the capacity learner's availability score,
 * up to +10 (the reference's name; it scores the current value, not a
 * trend). Its filter takes paused or bootstrapping nodes, and nodes below
 * min_availability, out of routing. Nodes without a learner get 0. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct availability_trend_ctx {
    double max_points;
    double scale; /* points per unit of availability_score */
    double min_availability;
    int eliminate;
};

#define AVAIL_P(f) offsetof(struct availability_trend_ctx, f)
static const struct scoring_param availability_trend_params[] = {
    {"max_points", SCORING_PARAM_NUMBER, AVAIL_P(max_points), -1000, 1000},
    {"scale", SCORING_PARAM_NUMBER, AVAIL_P(scale), -1000, 1000},
    {"min_availability", SCORING_PARAM_NUMBER, AVAIL_P(min_availability), 0, 1},
    {"eliminate", SCORING_PARAM_BOOL, AVAIL_P(eliminate), 0, 1},
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const availability_trend_keys[] = {
    "max_points", "scale", "min_availability", "eliminate", NULL};

static int
availability_trend_init(const struct herd_host *host, void **out)
{
    struct availability_trend_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->max_points = 10;
    ctx->scale = 10;
    ctx->min_availability = 0.2;
    ctx->eliminate = 1;
    *out = ctx;
    return HERD_OK;
}

static int
availability_trend_config(void *ctx, const char *key, const char *value,
                          char *err, size_t errlen)
{
    return scoring_param_set(availability_trend_params, ctx, key, value, err,
                             errlen);
}

static void
availability_trend_destroy(void *ctx)
{
    free(ctx);
}

static int
availability_trend_filter(void *arg, const struct herd_candidate *c,
                          char *reason, size_t reasonlen)
{
    const struct availability_trend_ctx *ctx = arg;
    const struct herd_node_view *n = c->node;
    const char *mode = n->capacity_mode ? n->capacity_mode : "";

    if (!ctx->eliminate || !n->has_capacity)
        return HERD_FILTER_KEEP;
    if (strcmp(mode, "paused") == 0 || strcmp(mode, "bootstrap") == 0) {
        snprintf(reason, reasonlen, "capacity %s", mode);
        return HERD_FILTER_VETO;
    }
    if (n->availability_score < ctx->min_availability) {
        snprintf(reason, reasonlen, "availability %.2f below %.2f",
                 n->availability_score, ctx->min_availability);
        return HERD_FILTER_VETO;
    }
    return HERD_FILTER_KEEP;
}

static int
availability_trend_score(void *arg, const struct herd_candidate *c,
                         double *points)
{
    const struct availability_trend_ctx *ctx = arg;
    *points = 0;
    if (!c->node->has_capacity)
        return HERD_OK;
    double p = c->node->availability_score * ctx->scale;
    *points = p < ctx->max_points ? p : ctx->max_points;
    return HERD_OK;
}

static const struct herd_scoring_plugin availability_trend_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "availability_trend",
            .version = "1.0",
            .description = "capacity learner availability",
            .config_keys = availability_trend_keys,
            .init = availability_trend_init,
            .config = availability_trend_config,
            .destroy = availability_trend_destroy,
        },
    .score = availability_trend_score,
    .filter = availability_trend_filter,
};

HERD_PLUGIN_DEFINE(availability_trend_plugin)
