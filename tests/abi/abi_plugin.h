/* Callbacks shared by the ABI test plugins. Each plugin includes this and
 * defines its own descriptor with one deliberate defect; every callback
 * reports itself through host->log so the test can count the calls. */
#ifndef HERD_TESTS_ABI_PLUGIN_H
#define HERD_TESTS_ABI_PLUGIN_H

#include <herd/plugin.h>

#include <errno.h>
#include <stdlib.h>

struct abi_ctx {
    const struct herd_host *host;
};

static inline int
abi_init(const struct herd_host *host, void **ctx)
{
    struct abi_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->host = host;
    host->log(host->host_data, HERD_LOG_INFO, "init");
    *ctx = c;
    return HERD_OK;
}

static inline void
abi_destroy(void *ctx)
{
    struct abi_ctx *c = ctx;
    c->host->log(c->host->host_data, HERD_LOG_INFO, "destroy");
    free(c);
}

static inline int
abi_score(void *ctx, const struct herd_candidate *cand, double *points)
{
    *points = 1.0;
    return HERD_OK;
}

static inline int
abi_write(void *ctx, const struct herd_trace *const *traces, size_t n,
          char *err, size_t errlen)
{
    return HERD_OK;
}

#endif
