/* storage/test_storage_gate: a storage plugin for tests. write() waits
 * while the file named by `gate` exists -- a disk that stalls on demand --
 * then appends "request_id status" per trace to the file `log`; while the
 * file named by `fail` exists it fails instead (a broken disk). It answers
 * the query "count" with the number of traces written. Test use only. */
#include "autoconfig.h"

#include <errno.h>
#include <herd/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A forgotten gate must not hang a test run forever. */
#define GATE_MAX_WAIT_S 120

struct gate {
    char *gate;
    char *log;
    char *fail;
    long written;
};

static int
gate_init(const struct herd_host *host, void **out)
{
    (void)host;
    *out = calloc(1, sizeof(struct gate));
    return *out ? HERD_OK : -ENOMEM;
}

static void
gate_destroy(void *ctx)
{
    struct gate *g = ctx;
    free(g->gate);
    free(g->log);
    free(g->fail);
    free(g);
}

static int
gate_config(void *ctx, const char *key, const char *value, char *err,
            size_t errlen)
{
    struct gate *g = ctx;
    char **slot = strcmp(key, "gate") == 0   ? &g->gate
                  : strcmp(key, "log") == 0  ? &g->log
                  : strcmp(key, "fail") == 0 ? &g->fail
                                             : NULL;
    if (!slot) {
        snprintf(err, errlen, "unknown key \"%s\"", key);
        return -ENOENT;
    }
    free(*slot);
    *slot = strdup(value);
    return *slot ? HERD_OK : -ENOMEM;
}

static int
gate_write(void *ctx, const struct herd_trace *const *traces, size_t n,
           char *err, size_t errlen)
{
    struct gate *g = ctx;
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0;
         g->gate && access(g->gate, F_OK) == 0 && i < GATE_MAX_WAIT_S * 100;
         i++)
        nanosleep(&tick, NULL);
    if (g->fail && access(g->fail, F_OK) == 0) {
        snprintf(err, errlen, "simulated disk failure");
        return -EIO;
    }
    if (g->log) {
        FILE *f = fopen(g->log, "a");
        if (!f) {
            snprintf(err, errlen, "%s: %s", g->log, strerror(errno));
            return -EIO;
        }
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s %s\n", traces[i]->request_id, traces[i]->status);
        fclose(f);
    }
    g->written += (long)n;
    return HERD_OK;
}

static int
gate_query(void *ctx, const char *name, const char *params_json,
           herd_emit_fn emit, void *sink, char *err, size_t errlen)
{
    struct gate *g = ctx;
    char buf[64];
    (void)params_json;
    (void)err;
    (void)errlen;
    if (strcmp(name, "count") != 0)
        return HERD_DECLINED;
    int len = snprintf(buf, sizeof buf, "{\"written\":%ld}", g->written);
    emit(sink, buf, (size_t)len);
    return HERD_OK;
}

static const char *const gate_keys[] = {"gate", "log", "fail", NULL};

static const struct herd_storage_plugin gate_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_storage_plugin),
            .kind = HERD_KIND_STORAGE,
            .name = "test_storage_gate",
            .version = "1.0",
            .description = "test only: a storage that stalls while a file "
                           "exists",
            .config_keys = gate_keys,
            .init = gate_init,
            .config = gate_config,
            .destroy = gate_destroy,
        },
    .write = gate_write,
    .query = gate_query,
};

HERD_PLUGIN_DEFINE(gate_plugin)
