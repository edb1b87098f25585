/* scoring/round_robin (benchmark policy): nodes take turns. The node
 * picked longest ago scores highest (never picked: first seen first).
 *
 * A scoring plugin is not told which node won, so the plugin infers it:
 * the router asks for every candidate of one request in a row, once each,
 * in registry order, and with no other signal loaded the candidate it
 * scored highest wins. A repeated node, an earlier view or another model
 * starts the next request; that is when the previous winner's turn is
 * recorded. The inference is wrong when admission sends a request past a
 * full winner; the benchmark reports node loads, so that would show.
 * Not installed: tests/bench only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#define RR_MAX_NODES 4096

struct rr_node {
    char *id;
    double stamp;  /* turn of the last pick; negative: never picked */
    uint64_t pass; /* last pass that scored this node */
};

struct rr_ctx {
    struct rr_node *nodes;
    size_t count, cap;
    double turn;
    uint64_t pass;
    const void *last_view;
    char *model;
    size_t best; /* index of the highest-scored node of this pass */
    int in_pass;
};

static const char *const rr_keys[] = {NULL};

static int
rr_init(const struct herd_host *host, void **out)
{
    struct rr_ctx *ctx = calloc(1, sizeof *ctx);
    (void)host;
    if (!ctx)
        return -ENOMEM;
    *out = ctx;
    return HERD_OK;
}

static int
rr_config(void *ctx, const char *key, const char *value, char *err,
          size_t errlen)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)err;
    (void)errlen;
    return -ENOENT;
}

static void
rr_destroy(void *arg)
{
    struct rr_ctx *ctx = arg;
    for (size_t i = 0; i < ctx->count; i++)
        free(ctx->nodes[i].id);
    free(ctx->nodes);
    free(ctx->model);
    free(ctx);
}

/* Index of node id, added when new; -1 when full or out of memory. */
static long
rr_node_index(struct rr_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < ctx->count; i++)
        if (strcmp(ctx->nodes[i].id, id) == 0)
            return (long)i;
    if (ctx->count == RR_MAX_NODES)
        return -1;
    if (ctx->count == ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 16;
        struct rr_node *n = realloc(ctx->nodes, cap * sizeof *n);
        if (!n)
            return -1;
        ctx->nodes = n;
        ctx->cap = cap;
    }
    struct rr_node *n = &ctx->nodes[ctx->count];
    if (!(n->id = strdup(id)))
        return -1;
    /* older than any real pick, and in the order first seen */
    n->stamp = -1e9 + (double)ctx->count;
    n->pass = 0;
    return (long)ctx->count++;
}

static int
rr_new_pass(struct rr_ctx *ctx, const struct herd_candidate *c,
            const struct rr_node *n)
{
    if (!ctx->in_pass || n->pass == ctx->pass ||
        (const void *)c->node <= ctx->last_view)
        return 1;
    return !ctx->model || strcmp(ctx->model, c->request->model) != 0;
}

static int
rr_score(void *arg, const struct herd_candidate *c, double *points)
{
    struct rr_ctx *ctx = arg;
    long i = rr_node_index(ctx, c->node->id);
    if (i < 0)
        return HERD_DECLINED;
    struct rr_node *n = &ctx->nodes[i];
    if (rr_new_pass(ctx, c, n)) {
        if (ctx->in_pass)
            ctx->nodes[ctx->best].stamp = ++ctx->turn;
        char *m = strdup(c->request->model);
        if (!m)
            return HERD_DECLINED;
        free(ctx->model);
        ctx->model = m;
        ctx->pass++;
        ctx->in_pass = 1;
        ctx->best = (size_t)i;
    }
    n->pass = ctx->pass;
    ctx->last_view = c->node;
    if (n->stamp < ctx->nodes[ctx->best].stamp)
        ctx->best = (size_t)i;
    *points = -n->stamp;
    return HERD_OK;
}

static const struct herd_scoring_plugin rr_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "round_robin",
            .version = "1.0",
            .description = "benchmark policy: nodes take turns",
            .config_keys = rr_keys,
            .init = rr_init,
            .config = rr_config,
            .destroy = rr_destroy,
        },
    .score = rr_score,
};

HERD_PLUGIN_DEFINE(rr_plugin)
