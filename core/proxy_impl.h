/* Private to the proxy's own files (core/proxy*.c): the state of the
 * proxy and of each request, and the functions those files share. Not
 * installed; everything else goes through proxy.h. The files, by job:
 *   proxy.c          the proxy: new, configure, free, load and queue views
 *   proxy_req.c      one request: arrival, request id, client gone, end
 *   proxy_route.c    route or hold; the holding queue's callbacks
 *   proxy_pick.c     node and model for an attempt, its slot taken
 *   proxy_dispatch.c an attempt sent to its node
 *   proxy_stream.c   the node's answer relayed to the client
 *   proxy_retry.c    a failed attempt tried elsewhere; node back-off
 *   proxy_reply.c    the router's own answers: headers, errors, 503s
 *   proxy_trace.c    one trace record per attempt
 *   proxy_kick.c     the kick and the tick of the holding queue
 *   proxy_reaper.c   slots held without bytes flowing freed
 *   proxy_drain.c    drain, flush tracking, cut at the end */
#ifndef HERD_CORE_PROXY_IMPL_H
#define HERD_CORE_PROXY_IMPL_H

#include <event2/buffer.h>
#include <event2/util.h>
#include <json-c/json.h>
#include <stdint.h>

#include "admission.h"
#include "heartbeat.h"
#include "http_reply.h"
#include "openai_response.h"
#include "proxy.h"
#include "relay.h"
#include "request.h"
#include "scorer.h"
#include "upstream.h"

#define PROXY_MAX_MODELS (1 + REQUEST_MAX_FALLBACKS)
#define PROXY_MAX_EXCLUDED 16
#define PROXY_MAX_BACKOFF 64
/* Ended requests kept for reuse: enough for the requests a busy router
 * ends between two arrivals, 15 KB each. */
#define PROXY_SPARE_MAX 16

/* the component of every log line of the proxy's files */
static const char *const proxy_comp = "proxy";

struct proxy_backoff {
    char node[HEARTBEAT_MAX_STRING];
    double until;
};

struct proxy_req;

struct proxy {
    struct router *r;
    struct proxy_settings set;
    struct admission *adm;
    struct upstream_pool *pool;
    struct autopull *ap;
    struct image_fetcher *images;
    struct prewarm *pw; /* loads a deep queue's model on the runner-up */
    struct event *tick, *kick, *drain_timer;
    double last_tick;      /* when the tick last ran */
    double drain_started;  /* when the drain began (SIGTERM) */
    double drain_deadline; /* when a drain gives up on what still runs */
    struct event *reaper;  /* frees slots held without bytes flowing */
    double reap_every;     /* s between its sweeps */
    uint64_t reaped;
    struct proxy_req *head; /* every live request */
    unsigned live;
    /* Ended requests kept for later ones, linked by next (see
     * proxy_req_release); at most PROXY_SPARE_MAX. */
    struct proxy_req *spare;
    unsigned spare_count;
    struct proxy_backoff backoff[PROXY_MAX_BACKOFF];
    int draining;
    unsigned flushing; /* answers ended but not yet written out */
    unsigned side;     /* model calls running beside the requests */
    void (*drain_done)(void *arg);
    void *drain_arg;
    uint64_t served;
};

struct proxy_req {
    struct proxy *p;
    struct proxy_req *next, *prev;
    struct http_req *req;
    struct http_conn *conn;
    enum proxy_api api;
    int openai;
    /* OpenAI requests: the client's body as a tree. A native request has
     * none: its text is read in place (http_req_body) */
    json_object *body;
    uint32_t num_ctx; /* the client's options.num_ctx, 0 when none */
    /* OpenAI requests: the body in the native API's shape (up_api), sent
     * to the node, and the state of the answer converted back */
    enum proxy_api up_api;
    json_object *native;
    struct openai_reply oai;
    int oai_include_usage;
    int convert_failed; /* a native line could not be converted */
    size_t model_count; /* of models[] */
    char request_id[33];

    /* the attempt under way */
    char model[REQUEST_MODEL_MAX];
    char node[HEARTBEAT_MAX_STRING];
    double score;
    /* the ranking that chose it, kept for the trace: its breakdown text
     * is written then, after the answer, not before the request goes */
    struct route_result route;
    size_t route_index; /* the chosen candidate in route */
    int slot_held;
    int context_overflow;
    char upgraded_from[REQUEST_MODEL_MAX]; /* context upgrade, "" = none */
    /* at dispatch: no other request of ours ran on the node:model, and
     * (cold) the node had not reported the model loaded either */
    int alone_at_dispatch, cold_at_dispatch;
    struct upstream_call *call;
    struct image_job *images; /* image URLs being downloaded */
    int status;
    char ctype[96];
    int headers_sent;
    int too_big; /* a non-streamed answer outgrew max_body_bytes */
    int paused;  /* reading from the node waits for the client */
    unsigned pauses;
    struct relay relay;
    struct evbuffer *out;   /* non-streamed answer, or error body */
    struct evbuffer *chunk; /* scratch for streamed chunks */

    size_t excluded_count; /* of excluded[] */
    unsigned retries;
    struct admission_waiter *waiter;
    double t_queued;   /* the current wait began */
    double waited;     /* s spent in the holding queue by earlier waits */
    double wait_extra; /* s its limit has beyond queue_wait (a pull's) */
    int busy_primary;  /* the last selection found its model's nodes busy */
    double t_start;    /* arrival */
    double t_dispatch; /* the current attempt was sent */
    double t_first;    /* its first byte came back; 0 = not yet */
    double t_active;   /* bytes last came from the node (or dispatch) */
    int64_t bytes_out;
    int http_status; /* what the client got */
    /* the 5xx a node answered the last failed attempt with, 0 when it
     * failed otherwise (no connection, no answer): the status the client
     * gets when no node is left, as nginx passes the last one on */
    int last_status;
    char client_ip[64];

    /* The big buffers, last: a new request zeroes everything above and
     * only marks these empty (proxy_req_reset), as zeroing all 15 KB
     * cost more instructions than the rest of its arrival. A field added
     * here must be made empty there too. */
    struct request_info ri; /* request_parse fills it whole */
    char models[PROXY_MAX_MODELS][REQUEST_MODEL_MAX];
    char excluded[PROXY_MAX_EXCLUDED][HEARTBEAT_MAX_STRING];
    char last_error[600];
};

/* A node chosen for an attempt, copied out of the scorer's result. */
struct proxy_pick {
    char model[REQUEST_MODEL_MAX];
    char node[HEARTBEAT_MAX_STRING];
    char url[512];
    double total;
    unsigned loaded_ctx;
    int hot;         /* the node reported the model loaded */
    struct route_result route; /* owned; proxy_dispatch takes it */
    size_t route_index;        /* the chosen candidate in route */
};

struct queue_view;

/* ---- proxy.c ------------------------------------------------------------- */
/* The holding queue as queue_view.h sees it. */
void proxy_view(const struct proxy *p, struct queue_view *v);

/* ---- proxy_drain.c ------------------------------------------------------- */
/* Right before q's answer ends: a drain waits until it is written out. */
void proxy_track_flush(struct proxy_req *q);
/* Calls the drain's callback once nothing runs any more. */
void proxy_drain_check(struct proxy *p);
/* drain_timeout passed: the drain's callback runs with work left. */
void proxy_drain_timeout_cb(evutil_socket_t fd, short what, void *arg);
/* After a reload: a running drain ends at its start plus the new
 * drain_timeout (at once if that is past). */
void proxy_drain_retime(struct proxy *p);

/* ---- proxy_kick.c -------------------------------------------------------- */
/* Waiting requests look again as soon as the loop is free. */
void proxy_kick_soon(struct proxy *p);
/* The kick event: waiting requests look again. */
void proxy_kick_cb(evutil_socket_t fd, short what, void *arg);
/* The tick: expires waits, kicks when a back-off ended. */
void proxy_tick_cb(evutil_socket_t fd, short what, void *arg);

/* ---- proxy_reaper.c ------------------------------------------------------ */
/* The reaper's sweep. */
void proxy_reaper_cb(evutil_socket_t fd, short what, void *arg);
/* (Re)arms the reaper's sweep for stale_timeout. */
void proxy_reaper_arm(struct proxy *p);

/* ---- proxy_retry.c ------------------------------------------------------- */
/* Whether node is being skipped (arg: the proxy; a pre-warm hook too). */
int proxy_backed_off(void *arg, const char *node);
/* Whether some node's back-off ended in (since, now]. */
int proxy_backoff_ended(const struct proxy *p, double since, double now);
/* Failed before the first byte (why): next node or 502; backoff skips it. */
void proxy_attempt_failed(struct proxy_req *q, const char *why, int backoff);

/* ---- proxy_trace.c ------------------------------------------------------- */
/* One trace record for q's attempt; error may be NULL. */
void proxy_trace(struct proxy_req *q, const char *status, const char *error);

/* ---- proxy_reply.c ------------------------------------------------------- */
/* X-Request-Id and X-Fleet-*; with_node: a node answers this request. */
void proxy_fleet_headers(struct proxy_req *q, int with_node);
/* An error answer in the client's API shape; q lets go of its request. */
void proxy_reply_error(struct proxy_req *q, int code, const char *fmt, ...)
    HERD_PRINTF(3, 4);
/* A 503 of the holding queue: counted, traced (why), with Retry-After. */
void proxy_reject(struct proxy_req *q, const char *why, const char *fmt, ...)
    HERD_PRINTF(3, 4);

/* ---- proxy_stream.c ------------------------------------------------------ */
/* The callbacks of an attempt's upstream call. */
extern const struct upstream_cbs proxy_upstream_cbs;
/* The relay's callback for a native line of an OpenAI client's stream. */
void proxy_on_native_object(void *arg, json_object *o);
/* The stream format the client reads. */
enum relay_kind proxy_client_kind(const struct proxy_req *q);
/* Ends q's started stream; q lets go of its request first. */
void proxy_end_stream(struct proxy_req *q);
/* Ends a started stream with an error line (why) and frees q. */
void proxy_fail_midstream(struct proxy_req *q, const char *why);

/* ---- proxy_dispatch.c ---------------------------------------------------- */
/* The path the client called for api. */
const char *proxy_client_path(enum proxy_api api);
/* Sends q to the node picked for it; the slot is held already. */
void proxy_dispatch(struct proxy_req *q, const struct proxy_pick *pk);

/* ---- proxy_pick.c -------------------------------------------------------- */
/* A slot for the first model with one: 1 (*pk), 0 (wait), -ENOENT, -ENODEV. */
int proxy_select(struct proxy_req *q, struct proxy_pick *pk);
/* The wait ran out: a later fallback model with a free slot, 1 (*pk) or 0. */
int proxy_expiry_fallback(struct proxy_req *q, struct proxy_pick *pk);

/* ---- proxy_route.c ------------------------------------------------------- */
/* Sends q or holds it: 1 sent, 0 waits, -1 answered (the caller frees q). */
int proxy_route(struct proxy_req *q);

/* ---- proxy_req.c --------------------------------------------------------- */
/* Gives q's slot back, if it holds one, and kicks the queue. */
void proxy_release_slot(struct proxy_req *q, enum admission_outcome outcome);
/* Ends q: cancels what it runs or waits for and frees it (or keeps it
 * as a spare). */
void proxy_free_req(struct proxy_req *q);
/* Frees the spare requests (at the proxy's end). */
void proxy_req_free_spares(struct proxy *p);

#endif
