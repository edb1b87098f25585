/* The storage tests' host and loader: the shared fake host as a router
 * without an event loop, and [storage.NAME] sections with given keys.
 * Header-only, each test is one translation unit. */
#ifndef HERD_TESTS_STORAGE_HOST_H
#define HERD_TESTS_STORAGE_HOST_H

#include <herd/plugin.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "fake_host.h"

static void
storage_host_init(struct fake_host *h)
{
    fake_host_init(h, HERD_ROLE_ROUTER, NULL);
}

/* Loads [storage.name] into set with key/value pairs (NULL-ended) and
 * starts it when start is set. Returns the loader's code. */
static int
storage_host_load(struct plugin_set *set, const char *name, int start,
                  char *err, size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    int rc = fake_host_vload(set, "storage", name, start, err, errlen, ap);
    va_end(ap);
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
    t.load_ms = NAN;
    return t;
}

#endif
