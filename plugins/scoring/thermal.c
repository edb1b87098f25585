/* scoring/thermal: model temperature (not CPU heat). A node with the model
 * in memory is hot, one that unloaded it within warm_window seconds is
 * warm, one that has it on disk is cold. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct thermal_ctx {
    double hot_points;
    double warm_points;
    double cold_points;
    double warm_window; /* s; the router remembers unloads for 1800 s */
};

#define THERMAL_P(f) offsetof(struct thermal_ctx, f)
static const struct scoring_param thermal_params[] = {
    {"hot_points", SCORING_PARAM_NUMBER, THERMAL_P(hot_points), -1000, 1000},
    {"warm_points", SCORING_PARAM_NUMBER, THERMAL_P(warm_points), -1000, 1000},
    {"cold_points", SCORING_PARAM_NUMBER, THERMAL_P(cold_points), -1000, 1000},
    {"warm_window", SCORING_PARAM_NUMBER, THERMAL_P(warm_window), 0, 1e9},
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const thermal_keys[] = {"hot_points", "warm_points",
                                           "cold_points", "warm_window", NULL};

static int
thermal_init(const struct herd_host *host, void **out)
{
    struct thermal_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->hot_points = 50;
    ctx->warm_points = 30;
    ctx->cold_points = 10;
    ctx->warm_window = 1800;
    *out = ctx;
    return HERD_OK;
}

static int
thermal_config(void *ctx, const char *key, const char *value, char *err,
               size_t errlen)
{
    return scoring_param_set(thermal_params, ctx, key, value, err, errlen);
}

static void
thermal_destroy(void *ctx)
{
    free(ctx);
}

/* Most names differ in their first letter: test it before the call. */
static int
thermal_same(const char *a, const char *b)
{
    return a[0] == b[0] && strcmp(a, b) == 0;
}

static int
thermal_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct thermal_ctx *ctx = arg;
    const struct herd_node_view *n = c->node;
    const char *model = c->request->model;

    for (size_t i = 0; i < n->loaded_count; i++)
        if (thermal_same(n->loaded[i].name, model)) {
            *points = ctx->hot_points;
            return HERD_OK;
        }
    for (size_t i = 0; i < n->unloaded_count; i++)
        if (thermal_same(n->unloaded[i].name, model) &&
            n->unloaded[i].seconds_ago < ctx->warm_window) {
            *points = ctx->warm_points;
            return HERD_OK;
        }
    for (size_t i = 0; i < n->available_count; i++)
        if (thermal_same(n->available[i], model)) {
            *points = ctx->cold_points;
            return HERD_OK;
        }
    *points = 0;
    return HERD_OK;
}

static const struct herd_scoring_plugin thermal_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "thermal",
            .version = "1.0",
            .description = "model temperature: hot, warm or cold",
            .config_keys = thermal_keys,
            .init = thermal_init,
            .config = thermal_config,
            .destroy = thermal_destroy,
        },
    .score = thermal_score,
};

HERD_PLUGIN_DEFINE(thermal_plugin)
