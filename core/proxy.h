/* The request path of the inference APIs: route a parsed request to a
 * node with a free slot (or hold it), send it upstream, relay the answer,
 * retry on another node while the client has seen nothing, and account
 * for every slot. Loop thread only. */
#ifndef HERD_CORE_PROXY_H
#define HERD_CORE_PROXY_H

#include "http_server.h"
#include <json-c/json.h>

struct autopull;
struct router;
struct proxy;
struct upstream_pool;

enum proxy_api {
    PROXY_API_CHAT,            /* POST /api/chat */
    PROXY_API_GENERATE,        /* POST /api/generate */
    PROXY_API_EMBED,           /* POST /api/embed */
    PROXY_API_EMBEDDINGS,      /* POST /api/embeddings */
    PROXY_API_OAI_CHAT,        /* POST /v1/chat/completions */
    PROXY_API_OAI_COMPLETIONS, /* POST /v1/completions */
    PROXY_API_OAI_EMBEDDINGS   /* POST /v1/embeddings */
};

/* Limits of the request path, from the configuration. */
struct proxy_settings {
    unsigned max_retries;    /* further nodes tried before the first byte */
    double queue_wait;       /* s a request may wait for a slot */
    size_t queue_max;        /* requests that may wait */
    double upstream_timeout; /* s of silence from a node */
    double connect_timeout;  /* s a node gets to accept a connection */
    double drain_timeout;    /* s in-flight requests get on SIGTERM */
    double backoff;          /* s a refusing node is skipped */
    int default_num_parallel;
    size_t max_body_bytes;
    int vram_fallback; /* serve a loaded model of the same category when
                          none of the requested ones can be served */
    int auto_pull;           /* pull a model no node has, then serve */
    double auto_pull_timeout; /* s a pull may take */
    /* body changes (proxy_body.h) */
    int context_protection;        /* enum config_context_protection */
    int context_upgrade; /* strip mode: a larger same-family model serves */
    double keep_alive;             /* s, -1 = forever */
    double thinking_overhead;      /* num_predict factor, thinking models */
    unsigned thinking_min_predict; /* their least num_predict */
    size_t image_fetch_max_bytes;  /* largest image downloaded from a URL */
    double image_fetch_timeout;    /* s all image URLs of a request get */
    const char *image_fetch_ca_file; /* extra CAs; read while configuring */
    double stale_timeout; /* s a slot may be held without bytes flowing */
    /* pre-warm of the runner-up node (prewarm.h) */
    int prewarm;
    double prewarm_interval;
    unsigned prewarm_threshold, prewarm_looks;
    double prewarm_cooldown;
};

struct proxy *proxy_new(struct router *r, const struct proxy_settings *s);
/* Frees the requests that still run or wait, without answering them: at
 * teardown, before http_server_free closes their connections. */
void proxy_cut(struct proxy *p);
/* Cancels what runs (upstream calls, waiting requests) and frees the
 * upstream pool: after http_server_free, whose close callbacks let model
 * calls cancel their own upstream calls first. */
void proxy_free(struct proxy *p);
void proxy_configure(struct proxy *p, const struct proxy_settings *s);

/* Serves one inference request of the given API. */
void proxy_handle(struct proxy *p, struct http_req *req,
                  enum proxy_api api);

/* Stops taking new work (503), sends waiting requests away with 503 and
 * calls done once the in-flight ones have finished or the drain timeout
 * has passed. */
void proxy_drain(struct proxy *p, void (*done)(void *arg), void *arg);
/* While draining: the Retry-After of a 503, the seconds left until the
 * drain timeout (rounded up, 1 to 60). */
unsigned proxy_drain_retry_after(const struct proxy *p);

/* The fleet changed (a heartbeat or poll landed, a model was pulled or
 * unloaded): waiting requests look again as soon as the loop is free.
 * Nothing else makes them look, apart from a slot that frees and a node
 * whose back-off ends. */
void proxy_kick(struct proxy *p);

/* The upstream connection pool, for calls outside inference slots
 * (model management). */
struct upstream_pool *proxy_pool(struct proxy *p);
/* The table of running pulls (autopull.h), which every pull claims. */
struct autopull *proxy_autopull(struct proxy *p);

/* A new request id: 32 hex digits and a NUL. */
void proxy_request_id(char out[33]);

/* Work beside the proxied requests that a drain lets finish too: model
 * calls through the router (show, pull, delete). proxy_side_begin returns
 * -ESHUTDOWN while draining (the caller answers 503 and starts nothing);
 * each successful begin takes one proxy_side_end. */
int proxy_side_begin(struct proxy *p);
void proxy_side_end(struct proxy *p);
/* Call right before req's answer (or its end) is sent, after the caller
 * has taken its own close callback off the connection (the watch uses
 * that slot until the answer is out): a drain waits until it is written
 * out, or the connection is gone. */
void proxy_flush_watch(struct proxy *p, struct http_req *req);

/* Requests running upstream now, and waiting for a slot. */
unsigned proxy_in_flight(const struct proxy *p);

/* GET /fleet/queue body (new reference). */
json_object *proxy_queue_json(const struct proxy *p);

#endif
