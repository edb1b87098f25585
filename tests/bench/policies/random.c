/* scoring/random (benchmark policy): uniform random points in [0, 1) for
 * every candidate, so with no other signal the pick is uniformly random.
 * seed = N makes a run repeatable. Not installed: tests/bench only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

struct random_ctx {
    uint64_t state;
};

static const char *const random_keys[] = {"seed", NULL};

static int
random_init(const struct herd_host *host, void **out)
{
    struct random_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    ctx->state = 42;
    *out = ctx;
    return HERD_OK;
}

static int
random_config(void *arg, const char *key, const char *value, char *err,
              size_t errlen)
{
    struct random_ctx *ctx = arg;
    char *end;
    unsigned long long v;

    if (strcmp(key, "seed") != 0)
        return -ENOENT;
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-') {
        snprintf(err, errlen, "seed wants a non-negative integer, not '%s'",
                 value);
        return -EINVAL;
    }
    ctx->state = v;
    return HERD_OK;
}

static void
random_destroy(void *ctx)
{
    free(ctx);
}

/* splitmix64: small, fast, good enough to spread picks evenly */
static uint64_t
random_next(struct random_ctx *ctx)
{
    uint64_t z = (ctx->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int
random_score(void *arg, const struct herd_candidate *c, double *points)
{
    (void)c;
    *points = (double)(random_next(arg) >> 11) / 9007199254740992.0;
    return HERD_OK;
}

static const struct herd_scoring_plugin random_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "random",
            .version = "1.0",
            .description = "benchmark policy: a uniformly random node",
            .config_keys = random_keys,
            .init = random_init,
            .config = random_config,
            .destroy = random_destroy,
        },
    .score = random_score,
};

HERD_PLUGIN_DEFINE(random_plugin)
