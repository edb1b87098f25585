/* Effective configuration of herd and herd-node.
 *
 * One loader for both programs. Sources, highest first: command line,
 * environment (FLEET_* names of the reference where one exists, HERD_*
 * otherwise), the INI file, built-in defaults. The INI file is read and
 * validated whole (unknown section or key, bad value, over-long line: an
 * error naming file:line) before anything is applied; config_load either
 * fills a complete struct herd_config or changes nothing.
 *
 * Sections: [router] [security] [agent] [node.ID] and plugin sections
 * [scoring.NAME] [discovery.NAME] [storage.NAME] (optionally
 * [KIND.NAME.INSTANCE]). In plugin sections the host keys `enabled` and
 * `weight` are consumed here; every other key is kept, with its file and
 * line, for the plugin's config() callback. */
#ifndef HERD_CORE_CONFIG_H
#define HERD_CORE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* A comfortable size for the err buffers of the functions below. */
#define CONFIG_ERR_MAX 512

enum config_program {
    CONFIG_PROGRAM_ROUTER, /* herd */
    CONFIG_PROGRAM_AGENT   /* herd-node */
};

enum config_source {
    CONFIG_SRC_DEFAULT = 0,
    CONFIG_SRC_FILE,
    CONFIG_SRC_ENV,
    CONFIG_SRC_CLI
};

/* [router] context_protection (reference §6.2): what a client's num_ctx
 * that the serving node's loaded context already covers becomes. */
enum config_context_protection {
    CONFIG_CTX_STRIP = 0,  /* removed: it would only force a reload */
    CONFIG_CTX_WARN,       /* kept, and logged */
    CONFIG_CTX_PASSTHROUGH /* kept, nothing checked */
};

/* What the command line asked the program to do. */
enum config_action {
    CONFIG_ACTION_RUN = 0,
    CONFIG_ACTION_HELP,
    CONFIG_ACTION_VERSION,
    CONFIG_ACTION_PRINT_CONFIG,
    CONFIG_ACTION_LIST_PLUGINS
};

/* One key = value line of a plugin section, kept for the plugin. */
struct config_entry {
    char *key;
    char *value;
    char *file; /* NULL when it came from a default */
    int line;
};

/* One plugin instance: [kind.name] or [kind.name.instance]. */
struct config_plugin_section {
    char *kind;     /* "scoring", "discovery", "storage" */
    char *name;     /* plugin name = file stem */
    char *instance; /* NULL for [kind.name] */
    int enabled;    /* host key `enabled`, default 1 */
    double weight;  /* host key `weight`, default 1.0 (scoring only) */
    struct config_entry *entries;
    size_t entry_count;
    char *file; /* where the section starts; NULL for a built-in default */
    int line;
    int enabled_line; /* line of `enabled` in file, 0 = default */
    int weight_line;  /* line of `weight` in file, 0 = default */
    int builtin;      /* added by config_defaults_append, not in the file */
};

/* Plugins the router loads with no section in the file
 * (config_defaults.c): a plain table of kind and name. */
struct config_default_plugin {
    const char *kind;
    const char *name;
};
extern const struct config_default_plugin config_default_plugins[];
extern const size_t config_default_plugin_count;

/* Appends a built-in section (builtin = 1, enabled, weight 1, no entries)
 * for each default plugin whose kind and name have no section in
 * plugins[0..*count-1]. Returns 0 or -ENOMEM (err says so). */
int config_defaults_append(struct config_plugin_section **plugins,
                           size_t *count, char *err, size_t errlen);

/* [node.ID]: settings for one node, whatever discovered it. */
struct config_node {
    char *id;
    int num_parallel; /* 0 = not set */
    int enabled;      /* 0 = never route to it */
    char *file;       /* where the section starts */
    int line;
    int num_parallel_line; /* line of the key in file, 0 = default */
    int enabled_line;
};

struct herd_config {
    enum config_action action;
    char *config_file; /* the file read, NULL when none */

    /* [router] */
    char *host;                /* 0.0.0.0 */
    int port;                  /* 11435 */
    char *data_dir;            /* ~/.fleet-manager */
    int log_level;             /* enum herd_log_level, info */
    double heartbeat_interval; /* s, liveness check period, 5 */
    double heartbeat_timeout;  /* s, online -> degraded, 15 */
    double heartbeat_offline;  /* s, -> offline, 30 */
    double node_forget_after;  /* s, offline nodes dropped, 3600 */
    size_t max_body_bytes;     /* 64 MiB (images) */
    size_t max_header_bytes;   /* 64 KiB */
    double client_timeout;     /* s, idle client connection, 600 */
    int default_num_parallel; /* slots when the node does not say, 0 = derive */
    double poll_interval;     /* s, agentless nodes, 5 */
    int trace_queue_max;      /* traces waiting for storage, 10000 */
    /* the request path */
    int max_retries;          /* further nodes before the first byte, 2 */
    double queue_wait;        /* s a request waits for a slot, 30 */
    int queue_max;            /* requests that may wait, 1000 */
    double upstream_timeout;  /* s of silence from a node, 600 */
    double connect_timeout;   /* s a node gets to accept a connection, 10 */
    double drain_timeout;     /* s running requests get on SIGTERM, 30 */
    double node_backoff;      /* s a node that refused is skipped, 5 */
    int vram_fallback;        /* a loaded model of the same category, 1 */
    int auto_pull;            /* pull a model no node has, 1 */
    double auto_pull_timeout; /* s a pull may take, 300 */
    int context_protection;   /* enum config_context_protection, strip */
    int context_upgrade;      /* larger same-family model when too small, 1 */
    double keep_alive;        /* s sent when a body has none, -1 = forever */
    double thinking_overhead; /* num_predict factor of thinking models, 4 */
    int thinking_min_predict; /* their least num_predict, 1024 */
    size_t image_fetch_max_bytes; /* image URLs: largest download, 20 MiB */
    double image_fetch_timeout;   /* s all of a request's downloads get, 10 */
    char *image_fetch_ca_file;    /* extra PEM CAs for https images, NULL */
    double stale_timeout; /* s a slot is held without bytes: reaped, 600 */
    char *dashboard_dir; /* NULL = installed, else the source tree's */

    /* pre-warm of the runner-up node: on (1); s between looks at the
     * queue (5); waiting requests that make a model deep (3); consecutive
     * deep looks before a load (2); s before the same node:model again
     * (300) */
    int prewarm;
    double prewarm_interval;
    int prewarm_threshold;
    int prewarm_looks;
    double prewarm_cooldown;

    /* extra plugin directories: --plugin-dir, then [router] plugin_dir
     * (both repeatable; herd-node uses them too). HERD_PLUGIN_PATH is the
     * plugin loader's business, not read here. */
    char **plugin_dirs;
    size_t plugin_dir_count;

    /* [security] */
    char *node_token;  /* NULL = heartbeats need no token */
    char *admin_token; /* NULL = admin actions from loopback only */
    char **api_keys;   /* client API keys; none = open */
    size_t api_key_count;
    char *cors_origins; /* beyond Ollama's built-in ones; NULL = none */

    /* [agent] (herd-node) */
    char *agent_node_id;             /* short host name */
    char *agent_ollama_host;         /* http://localhost:11434 */
    char *agent_router_url;          /* NULL = discover */
    double agent_heartbeat_interval; /* 5 */
    int agent_learn_capacity;        /* 0 */
    int agent_num_parallel;          /* 0 = OLLAMA_NUM_PARALLEL or unknown */
    char *agent_data_dir; /* ~/.fleet-manager (herd-node --data-dir) */
    int agent_log_level;  /* herd-node --log-level, info */
    double agent_capacity_bootstrap; /* s, learner's bootstrap, 7 days */
    char *agent_capacity_seed; /* learner state to start from, NULL */

    struct config_plugin_section *plugins;
    size_t plugin_count;
    struct config_node *nodes;
    size_t node_count;

    /* private: where each value came from, and the command line and
     * environment to replay on reload */
    struct config_provenance *provenance;
};

/* Fills cfg from argv, the environment and the INI file. On error returns
 * -EINVAL (-ENOMEM) with "file:line: reason", "option --x: reason" or
 * "VARIABLE: reason" in err, and cfg is left zeroed. argv is not modified.
 * Every field is filled for both programs (herd-node's [agent] values are
 * checked by herd too), except with --help or --version: then only action
 * is set and the file is not read. Not thread-safe (getopt). Call
 * config_free after success. */
int config_load(struct herd_config *cfg, enum config_program program, int argc,
                char *const *argv, char *err, size_t errlen);

/* Re-reads current->config_file (none if the first load had none) with the
 * command line and the environment captured by the first load (SIGHUP).
 * On error returns -EINVAL and leaves *out zeroed; current is untouched. */
int config_reload(const struct herd_config *current, struct herd_config *out,
                  char *err, size_t errlen);

/* Frees everything cfg owns and zeroes it. NULL-safe, and safe on a zeroed
 * struct. */
void config_free(struct herd_config *cfg);

/* --print-config: every effective value with its source, as INI that
 * config_load accepts back. Secrets are written as ***. */
void config_print(const struct herd_config *cfg, FILE *out);

/* For each [router] or [security] key whose value differs between a and
 * b, in schema order: fn(arg, section, name, old, new), both as INI text
 * ("(unset)" when unset; a secret as *** whatever it is). */
typedef void (*config_diff_fn)(void *arg, const char *section, const char *name,
                               const char *was, const char *now);
void config_diff(const struct herd_config *a, const struct herd_config *b,
                 config_diff_fn fn, void *arg);

/* --help text of the program. */
void config_usage(enum config_program program, FILE *out);

/* The [node.ID] settings of id, or NULL. */
const struct config_node *config_find_node(const struct herd_config *cfg,
                                           const char *id);

#endif
