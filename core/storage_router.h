/* The router's side of storage (storage_router.c) and the analytics
 * endpoints (api_analytics.c). Loop thread. */
#ifndef HERD_CORE_STORAGE_ROUTER_H
#define HERD_CORE_STORAGE_ROUTER_H

#include "http_server.h"
#include <json-c/json.h>
#include <stddef.h>

#include "config.h"

struct router;

/* Loads a [storage.*] section into r->plugins; sqlite and jsonl without a
 * `path` get latency.db and logs/herd.jsonl under the data directory. */
int router_storage_load(struct router *r,
                        const struct config_plugin_section *sec, char *err,
                        size_t errlen);

/* After the plugins started: r->latency and r->traces. 0 or -ENOMEM. */
int router_storage_start(struct router *r);

/* Before the plugins go: writes what is queued, flushes, joins the storage
 * thread. Safe when never started. */
void router_storage_stop(struct router *r);

/* "traces" member of /fleet/status: the writer's counters. */
json_object *router_storage_status(struct router *r);

void api_analytics_traces(struct router *r, struct http_req *req);
void api_analytics_usage(struct router *r, struct http_req *req);
void api_analytics_trends(struct router *r, struct http_req *req);
void api_analytics_models(struct router *r, struct http_req *req);
void api_analytics_overview(struct router *r, struct http_req *req);
void api_analytics_tags(struct router *r, struct http_req *req);
void api_analytics_tags_daily(struct router *r, struct http_req *req);

#endif
