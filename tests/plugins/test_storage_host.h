/* A fake host and a loader helper shared by the storage tests: loads one
 * [storage.NAME] section with given keys through the real plugin loader.
 * Header-only, each test is one translation unit. */
#ifndef HERD_TESTS_STORAGE_HOST_H
#define HERD_TESTS_STORAGE_HOST_H

#include <herd/plugin.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plugin_loader.h"

struct storage_host {
    struct herd_host table;
    char logs[8192];
};

static void storage_host_log(void *hd, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
storage_host_log(void *hd, int level, const char *fmt, ...)
{
    struct storage_host *h = hd;
    size_t used = strlen(h->logs);
    va_list ap;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(h->logs + used, sizeof h->logs - used, fmt, ap);
    va_end(ap);
    used = strlen(h->logs);
    if (used < sizeof h->logs - 1)
        strcat(h->logs, "\n");
}

static void
storage_host_init(struct storage_host *h)
{
    memset(h, 0, sizeof *h);
    h->table.abi_version = HERD_ABI_VERSION;
    h->table.size = sizeof h->table;
    h->table.role = HERD_ROLE_ROUTER;
    h->table.host_data = h;
    h->table.log = storage_host_log;
}

/* Loads [storage.name] into set with key/value pairs (NULL-ended) and
 * starts it when start is set. Returns the loader's code. */
static int
storage_host_load(struct plugin_set *set, const char *name, int start,
                  char *err, size_t errlen, ...)
{
    struct config_entry entries[8];
    struct config_plugin_section sec;
    va_list ap;
    size_t n = 0;

    memset(&sec, 0, sizeof sec);
    va_start(ap, errlen);
    for (const char *k; n < 8 && (k = va_arg(ap, const char *));) {
        entries[n].key = (char *)k;
        entries[n].value = va_arg(ap, char *);
        entries[n].file = (char *)"test.ini";
        entries[n].line = (int)n + 2;
        n++;
    }
    va_end(ap);
    sec.kind = (char *)"storage";
    sec.name = (char *)name;
    sec.enabled = 1;
    sec.weight = 1;
    sec.entries = entries;
    sec.entry_count = n;
    sec.file = (char *)"test.ini";
    sec.line = 1;
    err[0] = '\0';
    int rc = plugin_set_load(set, &sec, err, errlen);
    if (rc == 0 && start)
        rc = plugin_set_start(set, err, errlen);
    return rc;
}

/* A trace with every field set; strings point at static or caller data. */
static struct herd_trace
storage_host_trace(const char *id, const char *status, const char *node,
                   const char *model, double latency_ms, double ts)
{
    struct herd_trace t;
    memset(&t, 0, sizeof t);
    t.size = sizeof t;
    t.request_id = id;
    t.model = model;
    t.original_model = model;
    t.node_id = node;
    t.score = 42.5;
    t.scores_breakdown = "{\"thermal\":50,\"total\":42.5}";
    t.status = status;
    t.latency_ms = latency_ms;
    t.ttft_ms = latency_ms / 4;
    t.prompt_tokens = 10;
    t.completion_tokens = 20;
    t.excluded_nodes = "[]";
    t.client_ip = "127.0.0.1";
    t.original_format = "ollama";
    t.timestamp = ts;
    t.endpoint = "/api/chat";
    t.http_status = 200;
    t.bytes_out = 123;
    t.queue_wait_ms = 1.5;
    return t;
}

#endif
