/* scoring/memory_fit: room for the model in memory, up to +20, and the
 * memory eliminations: critical pressure, and a cold load that does not
 * fit in the available memory (capped by the capacity learner's ceiling). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct memory_fit_ctx {
    double loaded_points;
    double ratio_high, points_high;
    double ratio_mid, points_mid;
    double ratio_low, points_low;
    double ratio_min, points_min;
    int eliminate_critical;
    int eliminate_no_room;
};

#define MEMFIT_P(f) offsetof(struct memory_fit_ctx, f)
#define MEMFIT_N(k, f)                                                         \
    {                                                                          \
        k, SCORING_PARAM_NUMBER, MEMFIT_P(f), -1000, 1000                      \
    }
static const struct scoring_param memory_fit_params[] = {
    MEMFIT_N("loaded_points", loaded_points),
    MEMFIT_N("ratio_high", ratio_high),
    MEMFIT_N("points_high", points_high),
    MEMFIT_N("ratio_mid", ratio_mid),
    MEMFIT_N("points_mid", points_mid),
    MEMFIT_N("ratio_low", ratio_low),
    MEMFIT_N("points_low", points_low),
    MEMFIT_N("ratio_min", ratio_min),
    MEMFIT_N("points_min", points_min),
    {"eliminate_critical", SCORING_PARAM_BOOL, MEMFIT_P(eliminate_critical), 0,
     1},
    {"eliminate_no_room", SCORING_PARAM_BOOL, MEMFIT_P(eliminate_no_room), 0,
     1},
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const memory_fit_keys[] = {
    "loaded_points", "ratio_high",         "points_high",       "ratio_mid",
    "points_mid",    "ratio_low",          "points_low",        "ratio_min",
    "points_min",    "eliminate_critical", "eliminate_no_room", NULL};

static int
memory_fit_init(const struct herd_host *host, void **out)
{
    struct memory_fit_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->loaded_points = 20;
    ctx->ratio_high = 2.0;
    ctx->points_high = 20;
    ctx->ratio_mid = 1.5;
    ctx->points_mid = 15;
    ctx->ratio_low = 1.2;
    ctx->points_low = 8;
    ctx->ratio_min = 1.0;
    ctx->points_min = 3;
    ctx->eliminate_critical = 1;
    ctx->eliminate_no_room = 1;
    *out = ctx;
    return HERD_OK;
}

static int
memory_fit_config(void *ctx, const char *key, const char *value, char *err,
                  size_t errlen)
{
    return scoring_param_set(memory_fit_params, ctx, key, value, err, errlen);
}

static void
memory_fit_destroy(void *ctx)
{
    free(ctx);
}

static int
memory_fit_loaded(const struct herd_candidate *c)
{
    for (size_t i = 0; i < c->node->loaded_count; i++)
        if (strcmp(c->node->loaded[i].name, c->request->model) == 0)
            return 1;
    return 0;
}

/* Available memory, capped by a learned ceiling when one is reported. */
static double
memory_fit_available(const struct herd_node_view *n)
{
    double avail = n->memory_available_gb;
    if (n->has_capacity && n->capacity_ceiling_gb > 0 &&
        n->capacity_ceiling_gb < avail)
        avail = n->capacity_ceiling_gb;
    return avail;
}

static int
memory_fit_filter(void *arg, const struct herd_candidate *c, char *reason,
                  size_t reasonlen)
{
    const struct memory_fit_ctx *ctx = arg;
    const struct herd_node_view *n = c->node;

    if (ctx->eliminate_critical && n->pressure == HERD_PRESSURE_CRITICAL) {
        snprintf(reason, reasonlen, "memory pressure critical");
        return HERD_FILTER_VETO;
    }
    /* Without memory figures (agentless nodes) there is nothing to judge. */
    if (!ctx->eliminate_no_room || n->memory_total_gb <= 0 ||
        c->request->model_size_gb <= 0 || memory_fit_loaded(c))
        return HERD_FILTER_KEEP;
    double avail = memory_fit_available(n);
    if (avail < c->request->model_size_gb) {
        snprintf(reason, reasonlen,
                 "not enough memory to load the model (%.1f GB free, "
                 "%.1f GB needed)",
                 avail, c->request->model_size_gb);
        return HERD_FILTER_VETO;
    }
    return HERD_FILTER_KEEP;
}

static int
memory_fit_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct memory_fit_ctx *ctx = arg;
    double size = c->request->model_size_gb;
    double avail = memory_fit_available(c->node);

    if (memory_fit_loaded(c)) {
        *points = ctx->loaded_points;
        return HERD_OK;
    }
    *points = 0;
    if (size <= 0 || avail <= 0)
        return HERD_OK;
    double r = avail / size;
    if (r > ctx->ratio_high)
        *points = ctx->points_high;
    else if (r > ctx->ratio_mid)
        *points = ctx->points_mid;
    else if (r > ctx->ratio_low)
        *points = ctx->points_low;
    else if (r >= ctx->ratio_min)
        *points = ctx->points_min;
    return HERD_OK;
}

static const struct herd_scoring_plugin memory_fit_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "memory_fit",
            .version = "1.0",
            .description = "room for the model in memory",
            .config_keys = memory_fit_keys,
            .init = memory_fit_init,
            .config = memory_fit_config,
            .destroy = memory_fit_destroy,
        },
    .score = memory_fit_score,
    .filter = memory_fit_filter,
};

HERD_PLUGIN_DEFINE(memory_fit_plugin)
