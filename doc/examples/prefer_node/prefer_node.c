/* prefer_node: an example scoring signal built outside herd's tree.
 *
 * It gives `points` to every node whose id matches the shell pattern
 * `pattern` (fnmatch(3): "gpu-*", "box-[12]"), and nothing to the others.
 * With `exclusive = true` it also vetoes the nodes that do not match, so
 * the request goes to a matching node or waits.
 *
 *   [scoring.prefer_node]
 *   pattern = gpu-*
 *   points = 40
 *   weight = 1
 *
 * Build and install: see the Makefile beside this file. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <herd/plugin.h>

struct prefer_node {
    const struct herd_host *host;
    char *pattern; /* NULL until configured: then nothing matches */
    double points;
    int exclusive;
};

static const char *const prefer_node_keys[] = {"pattern", "points", "exclusive",
                                               NULL};

static int
prefer_node_init(const struct herd_host *host, void **ctx)
{
    struct prefer_node *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->host = host;
    p->points = 20;
    *ctx = p;
    return HERD_OK;
}

static int
prefer_node_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    struct prefer_node *p = ctx;
    if (strcmp(key, "pattern") == 0) {
        char *copy = strdup(value);
        if (!copy)
            return -ENOMEM;
        free(p->pattern);
        p->pattern = copy;
        return HERD_OK;
    }
    if (strcmp(key, "points") == 0) {
        char *end;
        double d = strtod(value, &end);
        if (end == value || *end || d < -1000 || d > 1000) {
            snprintf(err, errlen,
                     "points must be a number from -1000 to 1000, not '%s'",
                     value);
            return -EINVAL;
        }
        p->points = d;
        return HERD_OK;
    }
    if (strcmp(key, "exclusive") == 0) {
        if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
            p->exclusive = 1;
        else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
            p->exclusive = 0;
        else {
            snprintf(err, errlen, "exclusive must be true or false");
            return -EINVAL;
        }
        return HERD_OK;
    }
    snprintf(err, errlen, "unknown key '%s'", key);
    return -ENOENT;
}

static int
prefer_node_start(void *ctx, char *err, size_t errlen)
{
    struct prefer_node *p = ctx;
    if (!p->pattern) {
        snprintf(err, errlen, "pattern is required (e.g. pattern = gpu-*)");
        return -EINVAL;
    }
    p->host->log(p->host->host_data, HERD_LOG_INFO,
                 "preferring nodes matching '%s' by %g points%s", p->pattern,
                 p->points, p->exclusive ? ", others vetoed" : "");
    return HERD_OK;
}

static void
prefer_node_destroy(void *ctx)
{
    struct prefer_node *p = ctx;
    free(p->pattern);
    free(p);
}

static int
prefer_node_matches(const struct prefer_node *p, const char *id)
{
    return fnmatch(p->pattern, id, 0) == 0;
}

static int
prefer_node_score(void *ctx, const struct herd_candidate *c, double *points)
{
    const struct prefer_node *p = ctx;
    *points = prefer_node_matches(p, c->node->id) ? p->points : 0;
    return HERD_OK;
}

static int
prefer_node_filter(void *ctx, const struct herd_candidate *c, char *reason,
                   size_t reasonlen)
{
    const struct prefer_node *p = ctx;
    if (!p->exclusive || prefer_node_matches(p, c->node->id))
        return HERD_FILTER_KEEP;
    snprintf(reason, reasonlen, "id does not match '%s'", p->pattern);
    return HERD_FILTER_VETO;
}

static const struct herd_scoring_plugin prefer_node_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "prefer_node",
            .version = "1.0",
            .description = "prefer nodes whose id matches a pattern",
            .config_keys = prefer_node_keys,
            .init = prefer_node_init,
            .config = prefer_node_config,
            .start = prefer_node_start,
            .destroy = prefer_node_destroy,
        },
    .score = prefer_node_score,
    .filter = prefer_node_filter,
};

HERD_PLUGIN_DEFINE(prefer_node_plugin)
