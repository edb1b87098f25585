/* The router daemon: one libevent loop serving the HTTP API, the node
 * registry with its liveness timer, plugins, and signal handling.
 *
 * The endpoint groups live in api_*.c; they see the router through this
 * header. Everything here runs on the loop thread. */
#ifndef HERD_CORE_ROUTER_H
#define HERD_CORE_ROUTER_H

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stddef.h>

#include "config.h"
#include "host.h"
#include "http_reply.h"
#include "http_server.h"
#include "registry.h"
#include "scorer.h"

/* Largest heartbeat accepted (POST /heartbeat and node_report): an
 * agentless report carries full /api/tags objects of every model. */
#define ROUTER_HEARTBEAT_MAX_BYTES (1u << 20)

/* How long a model unloaded from a node still counts as warm. */
#define ROUTER_WARM_WINDOW_S 1800.0

struct dashboard_assets;
struct latency;
struct plugin_set;
struct traces;
struct proxy;

struct router {
    struct herd_config *boot; /* config at start; plugins borrow from it */
    struct herd_config *cfg;  /* current config (== boot until SIGHUP) */
    struct event_base *base;
    struct http_server *http;
    struct registry *registry;
    struct host host;
    struct plugin_set *plugins;
    struct plugin_set *scoring; /* [scoring.*], replaced on SIGHUP */
    struct scorer *scorer;
    struct scorer_load_provider load; /* queue depth, p75; get NULL = none */
    struct traces *traces;   /* trace writer (storage_router.c) */
    struct latency *latency; /* p75 per node:model, fed by traces */
    struct event *liveness;
    double liveness_s; /* its period: re-armed on reload only when it changes */
    struct event *sig_int, *sig_term, *sig_hup;
    struct proxy *proxy; /* the request path (proxy.h) */
    struct dashboard_assets *dashboard; /* /dashboard files; NULL = none */
    int stopping;        /* a first SIGTERM/SIGINT is draining */
    char listen_addr[96]; /* "127.0.0.1:11435" once bound */
};

/* Runs the router with cfg (borrowed; stays the caller's) until SIGINT or
 * SIGTERM. Returns the process exit status: 0 after a clean stop, 1 when
 * start-up fails (the reason is logged). */
int router_run(struct herd_config *cfg);

/* Monotonic seconds, the clock of the registry. */
double router_now(void);

/* Registers a parsed report: snap and the payload reference are taken in
 * every case. peer_addr: where it came from ("" when unknown). source:
 * "heartbeat", "static" (agentless, from discovery) or "discovery".
 * Returns 0, -EINVAL (no node URL can be derived), -ENOSPC (registry
 * full), -ENOMEM; err says why. */
int api_heartbeat_ingest(struct router *r, struct hb_snapshot *snap,
                         json_object *payload, const char *peer_addr,
                         const char *source, char *err, size_t errlen);

/* Scoring (router_scoring.c): load the [scoring.*] sections of r->cfg
 * and create r->scorer; on SIGHUP re-create them from next, swapped in
 * only when all load and start (else the old ones stay, -EINVAL). */
int router_scoring_start(struct router *r);
int router_scoring_reload(struct router *r, const struct herd_config *next);
void router_scoring_stop(struct router *r);

/* Endpoint handlers (api_*.c). Each answers req itself. */
void api_heartbeat_post(struct router *r, struct http_req *req);
void api_fleet_status(struct router *r, struct http_req *req);
void api_meta_root(struct router *r, struct http_req *req);
void api_meta_tags(struct router *r, struct http_req *req);
void api_meta_ps(struct router *r, struct http_req *req);
void api_meta_version(struct router *r, struct http_req *req);
void api_inference_chat(struct router *r, struct http_req *req);
void api_inference_generate(struct router *r, struct http_req *req);
void api_inference_embed(struct router *r, struct http_req *req);
void api_inference_embeddings(struct router *r, struct http_req *req);
void api_inference_queue(struct router *r, struct http_req *req);
void api_openai_chat(struct router *r, struct http_req *req);
void api_openai_completions(struct router *r, struct http_req *req);
void api_openai_embeddings(struct router *r, struct http_req *req);
void api_openai_models(struct router *r, struct http_req *req);
void api_openai_model(struct router *r, struct http_req *req);
void api_models_show(struct router *r, struct http_req *req);
void api_models_pull(struct router *r, struct http_req *req);
void api_models_delete(struct router *r, struct http_req *req);
void api_route_post(struct router *r, struct http_req *req);

#endif
