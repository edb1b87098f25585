/* herd-node: one libevent loop that, every heartbeat interval, probes the
 * local Ollama, reads the machine's metrics, feeds the capacity learner and
 * POSTs a heartbeat to the router. The router is given (--router-url) or
 * found by discovery plugins through agent_host. SIGTERM sends a draining
 * heartbeat, saves the learner and exits 0. */
#ifndef HERD_AGENT_AGENT_H
#define HERD_AGENT_AGENT_H

#include <herd/plugin.h>
#include <json-c/json.h>
#include <stdint.h>

#include "agent_capacity.h"
#include "agent_gpu.h"
#include "agent_metrics.h"
#include "agent_ollama.h"
#include "agent_url.h"
#include "config.h"

struct event;
struct event_base;
struct evdns_base;
struct evhttp_connection;
struct plugin_set;

/* How often the learner's state is written besides at exit. */
#define AGENT_SAVE_INTERVAL_S 300
/* Heartbeats vary by this share of the interval, so agents started
 * together do not stay in step. */
#define AGENT_JITTER 0.1
/* Longest wait between two attempts while the router fails. */
#define AGENT_BACKOFF_MAX_S 30.0
/* How long the draining heartbeat may take at exit. */
#define AGENT_DRAIN_TIMEOUT_S 3.0

/* The router side: where heartbeats go and how they fared. */
struct agent_router {
    char *url_text; /* NULL = no router known yet */
    struct agent_url url;
    struct evhttp_connection *conn;
    int in_flight;
    int pending;             /* guard for a request that failed to start */
    struct hb_post *out;     /* the POST in flight, NULL when none */
    uint64_t failures;       /* since the last accepted heartbeat */
    uint64_t failures_total; /* since start */
    uint64_t sent_ok;
    int state; /* 0 unknown, 1 accepting, -1 failing (for logs) */
    char last_error[256];
};

struct agent {
    struct herd_config *cfg;
    struct event_base *base;
    struct evdns_base *dns;
    const char *root; /* "" = the real /proc and /sys */

    /* metrics */
    struct agent_cpu cpu;
    unsigned cores;
    char arch[80]; /* uname machine: x86_64, aarch64 */
    char cpu_model[200];
    char chip[400];
    double bandwidth_gbps;
    struct agent_gpu gpu;
    struct agent_memory last_memory; /* for the learner */

    struct agent_ollama ollama;
    struct agent_router router;

    /* capacity learner (cfg->agent_learn_capacity) */
    struct capacity_learner *learner;
    char *state_path;

    struct event *tick, *save_timer, *drain_timer;
    struct event *sig_term, *sig_int;
    struct herd_host *host_table; /* for discovery plugins */
    struct plugin_set *plugins;
    int draining;
    int cycle_busy;
    int exit_status;
    uint64_t cycles;
};

/* ---- agent_payload.c ---- */

/* The heartbeat for the state just collected: the reference's members
 * plus num_parallel, agent_version, ollama_version, gpu and, when
 * learning, capacity. New reference. */
json_object *agent_payload_build(struct agent *a, double cpu_pct,
                                 const struct agent_memory *mem,
                                 const struct agent_disk *disk, int have_disk,
                                 const struct agent_thermal *th,
                                 const struct capacity_result *cap);

/* The drain notice: {"node_id":X,"draining":true,...}. New reference. */
json_object *agent_payload_drain(const struct agent *a);

/* ---- agent_heartbeat.c ---- */

/* Points heartbeats at url (http://host:port[/path]); NULL forgets the
 * router. Returns 0 or -EINVAL/-ENOMEM with err set. */
int agent_router_set(struct agent *a, const char *url, char *err,
                     size_t errlen);

typedef void (*agent_post_done_fn)(struct agent *a, int ok);

/* POSTs payload to the router's /heartbeat with the node token; done runs
 * with ok = 1 when the router accepted it. Returns -EBUSY while the
 * previous one is out, -ENOENT without a router. */
int agent_router_post(struct agent *a, json_object *payload, double timeout_s,
                      agent_post_done_fn done);

/* Seconds until the next heartbeat: the interval with jitter while the
 * router accepts, doubling per failure up to the backoff limit while it
 * does not. rnd in [0, 1). */
double agent_next_delay(double interval, uint64_t failures, double rnd);

void agent_router_free(struct agent_router *r);

/* ---- agent_cycle.c ---- */

/* Starts the heartbeat cycle, the save timer and the signal handlers. */
int agent_cycle_start(struct agent *a);

/* A heartbeat now (a router was just found). */
void agent_cycle_kick(struct agent *a);

void agent_cycle_stop(struct agent *a);

/* Writes the learner's state file now (no-op when not learning). */
void agent_learner_save(struct agent *a);

/* ---- agent_host.c ---- */

/* The host table for discovery plugins in role AGENT: log, event_base,
 * router_found and router_lost. */
struct herd_host *agent_host_new(struct agent *a);
void agent_host_free(struct herd_host *h);

#endif
