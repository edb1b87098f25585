/* scoring/context_fit: the loaded context length against the request's
 * estimated tokens, -15 ... +15. Only judged when the model is loaded on
 * the node with a known context length; otherwise 0. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#include "scoring_param.h"

struct context_fit_ctx {
    double overflow_points; /* ratio < 1 */
    double ratio_tight, points_tight;
    double ratio_snug, points_snug;
    double ratio_fit, points_fit;
    double points_roomy;
};

#define CTX_P(f) offsetof(struct context_fit_ctx, f)
#define CTX_N(f, lo, hi)                                                       \
    {                                                                          \
#f, SCORING_PARAM_NUMBER, CTX_P(f), lo, hi                             \
    }
static const struct scoring_param context_fit_params[] = {
    CTX_N(overflow_points, -1000, 1000),  CTX_N(ratio_tight, 0, 1e6),
    CTX_N(points_tight, -1000, 1000),     CTX_N(ratio_snug, 0, 1e6),
    CTX_N(points_snug, -1000, 1000),      CTX_N(ratio_fit, 0, 1e6),
    CTX_N(points_fit, -1000, 1000),       CTX_N(points_roomy, -1000, 1000),
    {NULL, SCORING_PARAM_NUMBER, 0, 0, 0}};
static const char *const context_fit_keys[] = {
    "overflow_points", "ratio_tight",  "points_tight",
    "ratio_snug",      "points_snug",  "ratio_fit",
    "points_fit",      "points_roomy", NULL};

static int
context_fit_init(const struct herd_host *host, void **out)
{
    struct context_fit_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->overflow_points = -15;
    ctx->ratio_tight = 1.5;
    ctx->points_tight = 3;
    ctx->ratio_snug = 3;
    ctx->points_snug = 7.5;
    ctx->ratio_fit = 8;
    ctx->points_fit = 12;
    ctx->points_roomy = 15;
    *out = ctx;
    return HERD_OK;
}

static int
context_fit_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    return scoring_param_set(context_fit_params, ctx, key, value, err, errlen);
}

static void
context_fit_destroy(void *ctx)
{
    free(ctx);
}

static int
context_fit_score(void *arg, const struct herd_candidate *c, double *points)
{
    const struct context_fit_ctx *ctx = arg;
    double tokens = c->request->estimated_tokens;
    uint32_t clen = 0;

    *points = 0;
    for (size_t i = 0; i < c->node->loaded_count; i++)
        if (strcmp(c->node->loaded[i].name, c->request->model) == 0) {
            clen = c->node->loaded[i].context_length;
            break;
        }
    if (tokens <= 0 || clen == 0)
        return HERD_OK;
    double r = clen / tokens;
    if (r < 1)
        *points = ctx->overflow_points;
    else if (r < ctx->ratio_tight)
        *points = ctx->points_tight;
    else if (r < ctx->ratio_snug)
        *points = ctx->points_snug;
    else if (r < ctx->ratio_fit)
        *points = ctx->points_fit;
    else
        *points = ctx->points_roomy;
    return HERD_OK;
}

static const struct herd_scoring_plugin context_fit_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "context_fit",
            .version = "1.0",
            .description = "loaded context length against the prompt",
            .config_keys = context_fit_keys,
            .init = context_fit_init,
            .config = context_fit_config,
            .destroy = context_fit_destroy,
        },
    .score = context_fit_score,
};

HERD_PLUGIN_DEFINE(context_fit_plugin)
