/* The node registry: every node the router knows, its last heartbeat, its
 * liveness (online -> degraded -> offline -> forgotten) and the models it
 * unloaded recently.
 *
 * Time is passed in by the caller (monotonic seconds) so tests can drive
 * liveness without sleeping. Loop thread only. */
#ifndef HERD_CORE_REGISTRY_H
#define HERD_CORE_REGISTRY_H

#include <json-c/json.h>
#include <stddef.h>

#include <herd/plugin.h>

#include "config.h"
#include "heartbeat.h"

#define REGISTRY_DEFAULT_MAX_NODES 1024
#define REGISTRY_MAX_UNLOADED 64

struct registry_settings {
    double heartbeat_timeout; /* s without a heartbeat: online -> degraded */
    double heartbeat_offline; /* s without a heartbeat: -> offline */
    double forget_after;      /* s offline before a node is dropped; 0 never */
    double unloaded_memory;   /* s an unloaded model counts as warm */
    size_t max_nodes;         /* reports of new nodes beyond are refused */
};

struct registry_unloaded {
    char *name;
    double when; /* monotonic seconds */
};

struct registry_node {
    char *id;
    char *url;    /* Ollama base URL, no trailing slash */
    char *source; /* "heartbeat", or the discovery plugin's name */
    enum herd_node_status status;
    int draining;
    unsigned missed_heartbeats;
    double first_seen; /* monotonic */
    double last_seen;  /* monotonic, last report */
    double offline_since;
    struct hb_snapshot snap; /* last report (empty after a drain notice) */
    json_object *payload;    /* last full payload, for passthrough */
    struct registry_unloaded *unloaded;
    size_t unloaded_count;
    int cfg_num_parallel; /* [node.ID] num_parallel, 0 = not set */
    int cfg_enabled;      /* [node.ID] enabled, 1 when not set */
};

struct registry;

struct registry *registry_new(const struct registry_settings *settings);
void registry_free(struct registry *reg);

/* Replaces the liveness settings (SIGHUP). */
void registry_set_settings(struct registry *reg,
                           const struct registry_settings *settings);

/* Copies the [node.ID] settings and applies them to known nodes now and to
 * nodes that appear later. Returns 0 or -ENOMEM (old settings kept). */
int registry_set_node_config(struct registry *reg,
                             const struct config_node *nodes, size_t count);

/* Records a report for snap->node_id reached at url. Takes snap's contents
 * and the payload reference in every case (a failed call frees them).
 * A draining report takes the node out of routing at once. Returns 0,
 * -ENOSPC when the registry is full (err says so), -ENOMEM. */
int registry_report(struct registry *reg, struct hb_snapshot *snap,
                    json_object *payload, const char *url, const char *source,
                    double now, char *err, size_t errlen);

/* Liveness: degrade, take offline and forget nodes by the time of their
 * last report. Logs each change. Call every heartbeat_interval. */
void registry_tick(struct registry *reg, double now);

/* Forgets a node at once. -ENOENT when unknown. */
int registry_remove(struct registry *reg, const char *id);

size_t registry_count(const struct registry *reg);
/* Nodes in the order they first reported. */
const struct registry_node *registry_at(const struct registry *reg, size_t i);
const struct registry_node *registry_find(const struct registry *reg,
                                          const char *id);

/* Whether requests may go to n: not offline, not draining, not switched
 * off by [node.ID] enabled = false. */
int registry_node_usable(const struct registry_node *n);
/* Whether n's last report names model, loaded or on disk. */
int registry_node_lists(const struct registry_node *n, const char *model);

/* How a node lists the model name, when no node lists that exact string
 * but one lists it in another case ("Llama3.2:latest" for
 * "llama3.2:latest"): Ollama matches names without regard to case, the
 * router by the exact string. NULL when a node lists name itself or none
 * lists it at all. Points into a node's report: copy it at once. */
const char *registry_model_spelling(const struct registry *reg,
                                    const char *name);

/* A pull of model on node id succeeded: the node lists it from now on,
 * not only from its next report (which replaces the list). Returns 0, or
 * -ENOENT (no such node), -ENOSPC (its list is full), -ENOMEM. */
int registry_note_pulled(struct registry *reg, const char *id,
                         const char *model);

/* A delete of model on node id succeeded: the node no longer lists it,
 * loaded or on disk, nor counts it as recently unloaded, from now on, not
 * only from its next report. The name matches in any case, as Ollama
 * matches it. Returns 0, or -ENOENT (no such node). */
int registry_note_deleted(struct registry *reg, const char *id,
                          const char *model);

/* An unload of model on node id succeeded (at now): the node no longer
 * has it loaded from now on, not only from its next report, and it counts
 * as recently unloaded (warm). The name matches in any case. Returns 0,
 * or -ENOENT (no such node). */
int registry_note_unloaded(struct registry *reg, const char *id,
                           const char *model, double now);

/* Slots for the node: [node.ID] num_parallel, else the heartbeat's, else
 * 0 (unknown). */
unsigned registry_node_num_parallel(const struct registry_node *n);

/* "online", "degraded", "offline". */
const char *registry_status_name(enum herd_node_status status);

#endif
