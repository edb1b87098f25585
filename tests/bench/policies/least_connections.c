/* scoring/least_connections (benchmark policy): fewer requests running or
 * waiting on the node for this model scores higher, like nginx least_conn.
 * The candidate view counts the requested model only (the router's per
 * node:model admission), so requests for other models on the same node are
 * not seen; equal counts fall to the router's least-recently-chosen
 * tie-break. Not installed: tests/bench only. */
#include <errno.h>
#include <stdlib.h>

#include <herd/plugin.h>

static const char *const least_connections_keys[] = {NULL};

static int
least_connections_init(const struct herd_host *host, void **out)
{
    (void)host;
    /* no state, but ctx must be non-NULL to tell success apart */
    *out = malloc(1);
    return *out ? HERD_OK : -ENOMEM;
}

static int
least_connections_config(void *ctx, const char *key, const char *value,
                         char *err, size_t errlen)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)err;
    (void)errlen;
    return -ENOENT;
}

static void
least_connections_destroy(void *ctx)
{
    free(ctx);
}

static int
least_connections_score(void *ctx, const struct herd_candidate *c,
                        double *points)
{
    uint32_t busy = c->node->queue_depth;
    (void)ctx;
    if (c->node->in_flight > busy)
        busy = c->node->in_flight;
    *points = -(double)busy;
    return HERD_OK;
}

static const struct herd_scoring_plugin least_connections_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "least_connections",
            .version = "1.0",
            .description = "benchmark policy: fewest requests for the model",
            .config_keys = least_connections_keys,
            .init = least_connections_init,
            .config = least_connections_config,
            .destroy = least_connections_destroy,
        },
    .score = least_connections_score,
};

HERD_PLUGIN_DEFINE(least_connections_plugin)
