/* A correct scoring plugin: score = bias; logs every lifecycle call with
 * its label so the test can check order and counts. */
#include <herd/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct good_ctx {
    const struct herd_host *host;
    char label[32];
    double bias;
};

static int
good_init(const struct herd_host *host, void **ctx)
{
    struct good_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->host = host;
    snprintf(c->label, sizeof c->label, "-");
    host->log(host->host_data, HERD_LOG_INFO, "init");
    *ctx = c;
    return HERD_OK;
}

static int
good_config(void *ctx, const char *key, const char *value, char *err,
            size_t errlen)
{
    struct good_ctx *c = ctx;
    if (strcmp(key, "label") == 0) {
        snprintf(c->label, sizeof c->label, "%s", value);
    } else if (strcmp(key, "bias") == 0) {
        char *end;
        c->bias = strtod(value, &end);
        if (end == value || *end) {
            snprintf(err, errlen, "bias must be a number, not \"%s\"", value);
            return -EINVAL;
        }
    } else {
        snprintf(err, errlen, "unknown key %s", key);
        return -ENOENT;
    }
    c->host->log(c->host->host_data, HERD_LOG_INFO, "config %s=%s", key, value);
    return HERD_OK;
}

static int
good_start(void *ctx, char *err, size_t errlen)
{
    struct good_ctx *c = ctx;
    c->host->log(c->host->host_data, HERD_LOG_INFO, "start %s", c->label);
    return HERD_OK;
}

static void
good_destroy(void *ctx)
{
    struct good_ctx *c = ctx;
    c->host->log(c->host->host_data, HERD_LOG_INFO, "destroy %s", c->label);
    free(c);
}

static int
good_score(void *ctx, const struct herd_candidate *cand, double *points)
{
    struct good_ctx *c = ctx;
    *points = c->bias;
    return HERD_OK;
}

static const char *const good_keys[] = {"label", "bias", NULL};

static const struct herd_scoring_plugin good_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "good",
            .version = "1.0",
            .description = "ABI test: a correct scoring plugin",
            .config_keys = good_keys,
            .init = good_init,
            .config = good_config,
            .start = good_start,
            .destroy = good_destroy,
        },
    .score = good_score,
};

HERD_PLUGIN_DEFINE(good_plugin)
