/* scoring/role_affinity: fit the model's size to the hardware. Large
 * models prefer high-bandwidth (or big-memory) nodes, small models the
 * others. With a known bandwidth: b = min(bw_max, bw_base + bw / bw_divisor);
 * large -> b, small -> max(small_min, small_base - small_factor * b),
 * mid -> mid_factor * b. Without one, tiers by total memory. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct role_affinity_ctx {
    double large_gb, small_gb;
    int bandwidth_aware;
    double bw_base, bw_divisor, bw_max;
    double small_base, small_factor, small_min, mid_factor;
    /* legacy tiers (bandwidth unknown) */
    double large_ram_high_gb, large_ram_high_points;
    double large_ram_mid_gb, large_ram_mid_points, large_other_points;
    double small_ram_low_gb, small_ram_low_points;
    double small_ram_mid_gb, small_ram_mid_points, small_other_points;
    double mid_points;
};

#define ROLE_P(f) offsetof(struct role_affinity_ctx, f)
#define ROLE_N(f, lo, hi)                                                      \
    {                                                                          \
#f, SCORING_PARAM_NUMBER, ROLE_P(f), lo, hi                            \
    }
static const struct scoring_param role_affinity_params[] = {
    ROLE_N(large_gb, 0, 1e6),
    ROLE_N(small_gb, 0, 1e6),
    {"bandwidth_aware", SCORING_PARAM_BOOL, ROLE_P(bandwidth_aware), 0, 1},
    ROLE_N(bw_base, -1000, 1000),
    ROLE_N(bw_divisor, 0.001, 1e6),
    ROLE_N(bw_max, -1000, 1000),
    ROLE_N(small_base, -1000, 1000),
    ROLE_N(small_factor, -1000, 1000),
    ROLE_N(small_min, -1000, 1000),
    ROLE_N(mid_factor, -1000, 1000),
    ROLE_N(large_ram_high_gb, 0, 1e6),
    ROLE_N(large_ram_high_points, -1000, 1000),
    ROLE_N(large_ram_mid_gb, 0, 1e6),
    ROLE_N(large_ram_mid_points, -1000, 1000),
    ROLE_N(large_other_points, -1000, 1000),
    ROLE_N(small_ram_low_gb, 0, 1e6),
    ROLE_N(small_ram_low_points, -1000, 1000),
    ROLE_N(small_ram_mid_gb, 0, 1e6),
    ROLE_N(small_ram_mid_points, -1000, 1000),
    ROLE_N(small_other_points, -1000, 1000),
    ROLE_N(mid_points, -1000, 1000),
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const role_affinity_keys[] = {"large_gb",
                                                 "small_gb",
                                                 "bandwidth_aware",
                                                 "bw_base",
                                                 "bw_divisor",
                                                 "bw_max",
                                                 "small_base",
                                                 "small_factor",
                                                 "small_min",
                                                 "mid_factor",
                                                 "large_ram_high_gb",
                                                 "large_ram_high_points",
                                                 "large_ram_mid_gb",
                                                 "large_ram_mid_points",
                                                 "large_other_points",
                                                 "small_ram_low_gb",
                                                 "small_ram_low_points",
                                                 "small_ram_mid_gb",
                                                 "small_ram_mid_points",
                                                 "small_other_points",
                                                 "mid_points",
                                                 NULL};

static int
role_affinity_init(const struct herd_host *host, void **out)
{
    struct role_affinity_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->large_gb = 20;
    ctx->small_gb = 8;
    ctx->bandwidth_aware = 1;
    ctx->bw_base = 5;
    ctx->bw_divisor = 40;
    ctx->bw_max = 25;
    ctx->small_base = 18;
    ctx->small_factor = 0.6;
    ctx->small_min = 3;
    ctx->mid_factor = 0.6;
    ctx->large_ram_high_gb = 128;
    ctx->large_ram_high_points = 15;
    ctx->large_ram_mid_gb = 32;
    ctx->large_ram_mid_points = 5;
    ctx->large_other_points = 0;
    ctx->small_ram_low_gb = 32;
    ctx->small_ram_low_points = 15;
    ctx->small_ram_mid_gb = 128;
    ctx->small_ram_mid_points = 8;
    ctx->small_other_points = 3;
    ctx->mid_points = 5;
    *out = ctx;
    return HERD_OK;
}

static int
role_affinity_config(void *ctx, const char *key, const char *value, char *err,
                     size_t errlen)
{
    return scoring_param_set(role_affinity_params, ctx, key, value, err,
                             errlen);
}

static void
role_affinity_destroy(void *ctx)
{
    free(ctx);
}

static double
role_affinity_bandwidth(const struct role_affinity_ctx *ctx, double bw,
                        int large, int small)
{
    double b = ctx->bw_base + bw / ctx->bw_divisor;
    if (b > ctx->bw_max)
        b = ctx->bw_max;
    if (large)
        return b;
    if (small) {
        double p = ctx->small_base - ctx->small_factor * b;
        return p > ctx->small_min ? p : ctx->small_min;
    }
    return ctx->mid_factor * b;
}

static double
role_affinity_legacy(const struct role_affinity_ctx *ctx, double ram, int large,
                     int small)
{
    if (large) {
        if (ram >= ctx->large_ram_high_gb)
            return ctx->large_ram_high_points;
        if (ram >= ctx->large_ram_mid_gb)
            return ctx->large_ram_mid_points;
        return ctx->large_other_points;
    }
    if (small) {
        if (ram <= ctx->small_ram_low_gb)
            return ctx->small_ram_low_points;
        if (ram <= ctx->small_ram_mid_gb)
            return ctx->small_ram_mid_points;
        return ctx->small_other_points;
    }
    return ctx->mid_points;
}

static int
role_affinity_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct role_affinity_ctx *ctx = arg;
    double size = c->request->model_size_gb;
    double bw = c->node->memory_bandwidth_gbps;
    int large = size > ctx->large_gb;
    int small = size < ctx->small_gb;

    if (ctx->bandwidth_aware && bw > 0)
        *points = role_affinity_bandwidth(ctx, bw, large, small);
    else
        *points =
            role_affinity_legacy(ctx, c->node->memory_total_gb, large, small);
    return HERD_OK;
}

static const struct herd_scoring_plugin role_affinity_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "role_affinity",
            .version = "1.0",
            .description = "large models on big or fast nodes",
            .config_keys = role_affinity_keys,
            .init = role_affinity_init,
            .config = role_affinity_config,
            .destroy = role_affinity_destroy,
        },
    .score = role_affinity_score,
};

HERD_PLUGIN_DEFINE(role_affinity_plugin)
