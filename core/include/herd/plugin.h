/*
 * herd/plugin.h - the plugin ABI of herd, the Ollama fleet router.
 *
 * This is the only header herd installs. A plugin is a shared object that
 * exports exactly one symbol, herd_plugin_entry(), which returns a pointer to
 * a static const descriptor. The descriptor starts with struct herd_plugin
 * (version, size, kind, name) followed by the callbacks of its kind.
 *
 * Versioning
 *   HERD_ABI_MAJOR changes when anything is removed, reordered or retyped;
 *   the loader refuses a plugin whose major differs from its own.
 *   HERD_ABI_MINOR changes when something is appended at the end of a
 *   struct; the loader refuses a plugin built against a newer minor than the
 *   host's. Every struct that crosses the boundary starts with its size, so
 *   either side reads only the fields the other side knew about.
 *
 *   Changelog
 *     1.0 (2026-11-27)  first version.
 *     1.1 (2026-11-27)  struct herd_trace gains load_ms and cold_load.
 *
 * Ownership rules (apply to every call below)
 *   1. A pointer the host passes into a callback is borrowed for the duration
 *      of that call. Copy what you need to keep.
 *   2. ctx belongs to the plugin from init() until destroy().
 *   3. What a plugin hands to the host (a heartbeat, a router URL, ...) is
 *      copied by the host before the host function returns.
 *   4. Nothing is freed on the other side of the boundary.
 *
 * Errors
 *   int-returning callbacks return HERD_OK (0), HERD_DECLINED where stated,
 *   or a negative errno value (-EINVAL, -ENOMEM, -ENOENT for an unknown key).
 *   Detail goes into the caller-owned buffer err of errlen bytes, always
 *   NUL-terminated by whoever writes it.
 *
 * Threading
 *   Everything runs on the host's event-loop thread except the storage
 *   callbacks write(), flush() and query(), which run on the host's storage
 *   thread. No callback may block the loop: no sleeping, no synchronous
 *   network or disk I/O on the loop thread.
 */
#ifndef HERD_PLUGIN_H
#define HERD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERD_ABI_MAJOR 1u
#define HERD_ABI_MINOR 1u
#define HERD_ABI_VERSION ((HERD_ABI_MAJOR << 16) | HERD_ABI_MINOR)
#define HERD_ABI_VERSION_MAJOR(v) (((uint32_t)(v)) >> 16)
#define HERD_ABI_VERSION_MINOR(v) (((uint32_t)(v)) & 0xffffu)

#if defined(__GNUC__)
#define HERD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define HERD_EXPORT __attribute__((visibility("default")))
#else
#define HERD_PRINTF(fmt, args)
#define HERD_EXPORT
#endif

#define HERD_OK 0
#define HERD_DECLINED 1

enum herd_kind {
    HERD_KIND_SCORING = 1,
    HERD_KIND_DISCOVERY = 2,
    HERD_KIND_STORAGE = 3
};

enum herd_log_level {
    HERD_LOG_ERR = 3,
    HERD_LOG_WARNING = 4,
    HERD_LOG_INFO = 6,
    HERD_LOG_DEBUG = 7
};

/* Which program loaded the plugin (struct herd_host.role). */
enum herd_role {
    HERD_ROLE_ROUTER = 1, /* herd: discovery finds nodes */
    HERD_ROLE_AGENT = 2   /* herd-node: discovery finds the router */
};

/* host->features; a plugin's `requires` must be a subset. */
#define HERD_HOST_F_EVENT_BASE (UINT64_C(1) << 0)
#define HERD_HOST_F_NODE_REPORT (UINT64_C(1) << 1)
#define HERD_HOST_F_ROUTER_URL (UINT64_C(1) << 2)

struct event_base;

/* ---------------------------------------------------------------------
 * Views handed to scoring plugins. Read-only, borrowed for the call.
 * ------------------------------------------------------------------- */

enum herd_node_status {
    HERD_NODE_ONLINE = 1,
    HERD_NODE_DEGRADED = 2,
    HERD_NODE_OFFLINE = 3
};

enum herd_pressure {
    HERD_PRESSURE_UNKNOWN = 0,
    HERD_PRESSURE_NORMAL = 1,
    HERD_PRESSURE_WARN = 2,
    HERD_PRESSURE_CRITICAL = 3
};

/* One model resident in a node's memory (Ollama /api/ps). */
struct herd_loaded_model {
    uint32_t size;          /* sizeof(struct herd_loaded_model) */
    const char *name;       /* normalised, e.g. "qwen3:32b" */
    double size_gb;         /* resident size in GiB */
    uint32_t context_length; /* 0 when unknown */
    uint32_t num_parallel;  /* slots of this runner; 0 when unknown */
};

/* A model the node unloaded recently ("warm"). */
struct herd_unloaded_model {
    uint32_t size;
    const char *name;
    double seconds_ago;
};

/* The request being routed. */
struct herd_request_view {
    uint32_t size;              /* sizeof(struct herd_request_view) */
    const char *model;          /* normalised model name, never NULL */
    const char *endpoint;       /* "/api/chat", "/v1/embeddings", ... */
    uint32_t estimated_tokens;  /* prompt estimate plus expected output */
    uint32_t num_ctx;           /* requested context, 0 = not set */
    uint32_t image_count;       /* images attached to the request */
    const char *format;         /* "ollama" or "openai" */
    const char *const *tags;    /* NULL-terminated, may be NULL */
    double model_size_gb;       /* router's estimate of the model's size */
};

/* One node as the router sees it now. */
struct herd_node_view {
    uint32_t size;              /* sizeof(struct herd_node_view) */
    const char *id;
    const char *url;            /* Ollama base URL */
    uint32_t status;            /* enum herd_node_status */
    uint32_t pressure;          /* enum herd_pressure */
    double memory_total_gb;
    double memory_available_gb;
    double memory_bandwidth_gbps; /* 0 = unknown */
    uint32_t cores_physical;
    double cpu_utilization_pct;
    double temperature_c;       /* NaN when unknown */
    const char *chip;           /* may be "" */
    /* capacity learner; has_capacity = 0 when the node does not learn */
    uint32_t has_capacity;
    const char *capacity_mode;  /* "full", "learned_high", "paused", ... */
    double capacity_ceiling_gb;
    double availability_score;  /* 0..1 */
    /* models */
    const struct herd_loaded_model *loaded;
    size_t loaded_count;
    const char *const *available; /* names on disk, NULL-terminated */
    size_t available_count;
    const struct herd_unloaded_model *unloaded;
    size_t unloaded_count;
    /* queueing for the requested model on this node */
    uint32_t queue_depth;       /* waiting + running for node:model */
    uint32_t in_flight;         /* running for node:model */
    uint32_t slots;             /* parallel slots for node:model */
    double p75_latency_ms;      /* NaN when there is no history */
};

/* Figures over the whole fleet, for relative signals. */
struct herd_fleet_view {
    uint32_t size;
    size_t node_count;
    double median_bandwidth_gbps; /* over nodes with a known bandwidth */
    double median_memory_gb;
};

struct herd_candidate {
    uint32_t size;              /* sizeof(struct herd_candidate) */
    const struct herd_request_view *request;
    const struct herd_node_view *node;
    const struct herd_fleet_view *fleet;
};

/* What became of a routed request, for observe(). */
struct herd_outcome {
    uint32_t size;
    int http_status;            /* final status sent to the client */
    const char *status;         /* "completed", "failed", "retried", ... */
    double latency_ms;
    double ttft_ms;             /* NaN when no token arrived */
    uint32_t prompt_tokens;
    uint32_t completion_tokens;
};

/* ---------------------------------------------------------------------
 * Records handed to storage plugins (on the storage thread).
 * ------------------------------------------------------------------- */

struct herd_trace {
    uint32_t size;              /* sizeof(struct herd_trace) */
    const char *request_id;
    const char *model;
    const char *original_model;
    const char *node_id;        /* NULL when never dispatched */
    double score;
    const char *scores_breakdown; /* JSON object text, may be NULL */
    const char *status;         /* completed, failed, retried, ... */
    double latency_ms;
    double ttft_ms;             /* NaN when unknown */
    int64_t prompt_tokens;      /* -1 when unknown */
    int64_t completion_tokens;  /* -1 when unknown */
    uint32_t retry_count;
    uint32_t fallback_used;
    const char *excluded_nodes; /* JSON array text, may be NULL */
    const char *client_ip;
    const char *original_format; /* "ollama" or "openai" */
    const char *error_message;  /* may be NULL */
    double timestamp;           /* epoch seconds */
    const char *tags;           /* JSON array text, may be NULL */
    const char *endpoint;
    int http_status;
    int64_t bytes_out;
    double queue_wait_ms;
    const char *json;           /* the whole record as one JSON object */
    /* 1.1 */
    double load_ms;             /* the node's load_duration; NaN unknown */
    uint32_t cold_load;         /* 1: the node loaded the model for it */
};

/* Called by a storage query to hand back result text, in pieces. */
typedef void (*herd_emit_fn)(void *sink, const char *bytes, size_t len);

/* ---------------------------------------------------------------------
 * Services of the host. Append-only; probe with HERD_HOST_HAS().
 * ------------------------------------------------------------------- */

struct herd_host {
    uint32_t abi_version;       /* HERD_ABI_VERSION of the running host */
    uint32_t size;              /* sizeof(struct herd_host) in the host */
    uint64_t features;          /* HERD_HOST_F_* */
    uint32_t role;              /* enum herd_role */
    uint32_t reserved0;
    void *host_data;            /* first argument of every call below */

    /*
     * log - write a line to the host's log, prefixed "kind/name: ".
     * level is enum herd_log_level. Any thread.
     */
    void (*log)(void *host_data, int level, const char *fmt, ...)
        HERD_PRINTF(3, 4);

    /*
     * event_base - the host's libevent loop. Register events on it only
     * from the loop thread. Never NULL when HERD_HOST_F_EVENT_BASE is set.
     */
    struct event_base *(*event_base)(void *host_data);

    /*
     * node_report - (router) report a node's state as a heartbeat JSON
     * object, the same payload herd-node POSTs to /heartbeat. peer_addr is
     * the address the node was reached at ("" when not known). The host
     * parses and copies it before returning.
     * RETURN VALUE: HERD_OK, or -EINVAL with the reason in err.
     */
    int (*node_report)(void *host_data, const char *json, size_t len,
                       const char *peer_addr, char *err, size_t errlen);

    /*
     * node_remove - (router) forget a node reported earlier. -ENOENT when
     * the host does not know it.
     */
    int (*node_remove)(void *host_data, const char *node_id);

    /*
     * router_found - (agent) discovery found a router at url
     * ("http://host:port"). The host copies url. Called again when the
     * router moves; the latest call wins.
     */
    int (*router_found)(void *host_data, const char *url);

    /*
     * router_lost - (agent) the router at url went away.
     */
    int (*router_lost)(void *host_data, const char *url);
};

#define HERD_HOST_HAS(h, m)                                                   \
    ((h)->size >= offsetof(struct herd_host, m) + sizeof((h)->m) &&           \
     (h)->m != NULL)

/* ---------------------------------------------------------------------
 * Descriptors.
 * ------------------------------------------------------------------- */

/* Common prefix of every descriptor (static const in the plugin). */
struct herd_plugin {
    uint32_t abi_version;       /* HERD_ABI_VERSION the plugin was built with */
    uint32_t size;              /* sizeof(the whole per-kind descriptor) */
    uint32_t kind;              /* enum herd_kind */
    uint32_t reserved0;         /* must be 0 */
    const char *name;           /* [a-z0-9_]+, equals the file's stem */
    const char *version;        /* the plugin's own version, informational */
    const char *description;    /* one line for --list-plugins */
    uint64_t requires;          /* HERD_HOST_F_* it cannot work without */
    /* Keys its INI section accepts, NULL-terminated; NULL = any key. The
     * host rejects other keys with file:line before init() runs. */
    const char *const *config_keys;

    /*
     * init - create one instance. host stays valid until destroy().
     * *ctx is the plugin's until destroy(). Required.
     */
    int (*init)(const struct herd_host *host, void **ctx);

    /*
     * config - one key = value of the instance's INI section, in file
     * order; a repeated key means a repeated call. key and value are
     * borrowed. Host keys (weight, enabled) are never passed.
     * RETURN VALUE: HERD_OK, -ENOENT (unknown key), -EINVAL (bad value).
     */
    int (*config)(void *ctx, const char *key, const char *value, char *err,
                  size_t errlen);

    /*
     * start - all configuration is in; begin work (register events,
     * open files). Optional. A failure is fatal for the instance.
     */
    int (*start)(void *ctx, char *err, size_t errlen);

    /*
     * destroy - release everything. Called once per successful init(), on
     * every path (failed config/start, shutdown). Required.
     */
    void (*destroy)(void *ctx);
};

enum herd_filter_verdict {
    HERD_FILTER_KEEP = 0,
    HERD_FILTER_VETO = 1
};

struct herd_scoring_plugin {
    struct herd_plugin base;    /* must be first; kind HERD_KIND_SCORING */

    /*
     * score - points this signal gives candidate c (higher is better;
     * negative allowed). The host multiplies by the section's weight and
     * adds the signals. Must be fast: it runs for every node of every
     * request. Required.
     * RETURN VALUE: HERD_OK, HERD_DECLINED (no opinion: 0 points).
     */
    int (*score)(void *ctx, const struct herd_candidate *c, double *points);

    /*
     * filter - veto a candidate before scoring. On HERD_FILTER_VETO the
     * plugin writes the reason into reason (shown in traces and in
     * /fleet/route). Optional.
     */
    int (*filter)(void *ctx, const struct herd_candidate *c, char *reason,
                  size_t reasonlen);

    /*
     * observe - the outcome of a request this plugin helped route, for
     * learning signals. Optional.
     */
    void (*observe)(void *ctx, const struct herd_candidate *c,
                    const struct herd_outcome *o);
};

struct herd_discovery_plugin {
    struct herd_plugin base;    /* kind HERD_KIND_DISCOVERY */

    /*
     * refresh - look again now (SIGHUP, admin request). Optional.
     */
    int (*refresh)(void *ctx);
};

struct herd_storage_plugin {
    struct herd_plugin base;    /* kind HERD_KIND_STORAGE */

    /*
     * write - store traces[0..n-1] as one batch. Storage thread. Required.
     */
    int (*write)(void *ctx, const struct herd_trace *const *traces,
                 size_t n, char *err, size_t errlen);

    /*
     * flush - make everything written durable. Storage thread. Optional.
     */
    int (*flush)(void *ctx);

    /*
     * query - answer a named analytics query ("traces", "usage", ...).
     * params_json is a JSON object of the validated parameters; the result,
     * a JSON value, is handed back through emit(sink, ...) in one or more
     * pieces. Storage thread. Optional.
     * RETURN VALUE: HERD_OK, HERD_DECLINED (query not supported), -errno.
     */
    int (*query)(void *ctx, const char *name, const char *params_json,
                 herd_emit_fn emit, void *sink, char *err, size_t errlen);
};

/* The single exported symbol of every plugin. */
#define HERD_PLUGIN_ENTRY_SYMBOL "herd_plugin_entry"
typedef const struct herd_plugin *(*herd_plugin_entry_fn)(void);

/* Use once per plugin with its descriptor:
 *   static const struct herd_scoring_plugin my_plugin = {...};
 *   HERD_PLUGIN_DEFINE(my_plugin)
 */
#define HERD_PLUGIN_DEFINE(desc)                                              \
    HERD_EXPORT const struct herd_plugin *herd_plugin_entry(void);            \
    HERD_EXPORT const struct herd_plugin *herd_plugin_entry(void)             \
    {                                                                         \
        return &(desc).base;                                                  \
    }

#ifdef __cplusplus
}
#endif
#endif /* HERD_PLUGIN_H */
