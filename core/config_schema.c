/* The table of every key of [router], [security] and [agent]: type,
 * default, environment variable, command-line option, help. Everything
 * else in the loader (parsing, --help, --print-config) is driven by it. */
#include "autoconfig.h"

#include <stddef.h>
#include <string.h>

#include "config_impl.h"

#define F(field) offsetof(struct herd_config, field)
#define NOCOUNT 0
#define DMAX 1e9 /* about 31 years: bounds every duration */

/* In the order of enum config_context_protection. */
static const char *const schema_context_protection[] = {"strip", "warn",
                                                        "passthrough", NULL};

const struct config_key config_keys[] = {
    /* [router] */
    {"router", "host", CONFIG_T_HOST, 0, "0.0.0.0", "FLEET_HOST", "host", NULL,
     "ADDR", F(host), NOCOUNT, 0, 0, "address to listen on"},
    {"router", "port", CONFIG_T_PORT, 0, "11435", "FLEET_PORT", "port", NULL,
     "N", F(port), NOCOUNT, 1, 65535, "TCP port to listen on"},
    {"router", "data_dir", CONFIG_T_PATH, 0, "~/.fleet-manager",
     "FLEET_DATA_DIR", "data-dir", NULL, "DIR", F(data_dir), NOCOUNT, 0, 0,
     "traces database and logs"},
    {"router", "log_level", CONFIG_T_LEVEL, 0, "info", "FLEET_LOG_LEVEL",
     "log-level", NULL, "LEVEL", F(log_level), NOCOUNT, 0, 0,
     "error, warning, info or debug"},
    {"router", "heartbeat_interval", CONFIG_T_DURATION, 0, "5",
     "FLEET_HEARTBEAT_INTERVAL", NULL, NULL, NULL, F(heartbeat_interval),
     NOCOUNT, 0.001, DMAX, "period of the liveness check"},
    {"router", "heartbeat_timeout", CONFIG_T_DURATION, 0, "15",
     "FLEET_HEARTBEAT_TIMEOUT", NULL, NULL, NULL, F(heartbeat_timeout), NOCOUNT,
     0.001, DMAX, "silence after which a node is degraded"},
    {"router", "heartbeat_offline", CONFIG_T_DURATION, 0, "30",
     "FLEET_HEARTBEAT_OFFLINE", NULL, NULL, NULL, F(heartbeat_offline), NOCOUNT,
     0.001, DMAX, "silence after which a node is offline"},
    {"router", "node_forget_after", CONFIG_T_DURATION, 0, "3600",
     "HERD_NODE_FORGET_AFTER", NULL, NULL, NULL, F(node_forget_after), NOCOUNT,
     0, DMAX, "offline nodes are forgotten after this; 0 = never"},
    {"router", "max_body_bytes", CONFIG_T_SIZE, 0, "64M", "HERD_MAX_BODY_BYTES",
     NULL, NULL, NULL, F(max_body_bytes), NOCOUNT, 1024, 2146435072.0,
     "largest request body accepted"},
    {"router", "max_header_bytes", CONFIG_T_SIZE, 0, "64K",
     "HERD_MAX_HEADER_BYTES", NULL, NULL, NULL, F(max_header_bytes), NOCOUNT,
     1024, 16777216.0, "largest request header block accepted"},
    {"router", "client_timeout", CONFIG_T_DURATION, 0, "600",
     "HERD_CLIENT_TIMEOUT", NULL, NULL, NULL, F(client_timeout), NOCOUNT, 0.001,
     DMAX, "idle time after which a client connection is closed"},
    {"router", "default_num_parallel", CONFIG_T_COUNT, 0, "0",
     "HERD_DEFAULT_NUM_PARALLEL", NULL, NULL, NULL, F(default_num_parallel),
     NOCOUNT, 0, 1024,
     "parallel slots per node:model when the node does not say; "
     "0 = derive from memory"},
    {"router", "poll_interval", CONFIG_T_DURATION, 0, "5", "HERD_POLL_INTERVAL",
     NULL, NULL, NULL, F(poll_interval), NOCOUNT, 0.001, DMAX,
     "period of polling agentless nodes"},
    {"router", "trace_queue_max", CONFIG_T_COUNT, 0, "10000",
     "HERD_TRACE_QUEUE_MAX", NULL, NULL, NULL, F(trace_queue_max), NOCOUNT, 1,
     1000000, "traces waiting for the storage thread; more are dropped"},
    {"router", "max_retries", CONFIG_T_COUNT, 0, "2", "FLEET_MAX_RETRIES",
     NULL, NULL, NULL, F(max_retries), NOCOUNT, 0, 16,
     "further nodes tried when one fails before its first byte"},
    {"router", "queue_wait", CONFIG_T_DURATION, 0, "30", "HERD_QUEUE_WAIT",
     NULL, NULL, NULL, F(queue_wait), NOCOUNT, 0, DMAX,
     "longest wait for a free slot before 503"},
    {"router", "queue_max", CONFIG_T_COUNT, 0, "1000", "HERD_QUEUE_MAX", NULL,
     NULL, NULL, F(queue_max), NOCOUNT, 0, 1000000,
     "requests that may wait for a slot; more get 503 at once"},
    {"router", "upstream_timeout", CONFIG_T_DURATION, 0, "600",
     "HERD_UPSTREAM_TIMEOUT", NULL, NULL, NULL, F(upstream_timeout), NOCOUNT,
     0.001, DMAX, "silence from a node after which its request fails"},
    {"router", "connect_timeout", CONFIG_T_DURATION, 0, "10",
     "HERD_CONNECT_TIMEOUT", NULL, NULL, NULL, F(connect_timeout), NOCOUNT,
     0.001, DMAX, "time a node gets to accept a connection"},
    {"router", "drain_timeout", CONFIG_T_DURATION, 0, "30",
     "HERD_DRAIN_TIMEOUT", NULL, NULL, NULL, F(drain_timeout), NOCOUNT, 0,
     DMAX, "time running requests get to finish on SIGTERM"},
    {"router", "node_backoff", CONFIG_T_DURATION, 0, "5", "HERD_NODE_BACKOFF",
     NULL, NULL, NULL, F(node_backoff), NOCOUNT, 0, DMAX,
     "time a node that refused, reset or timed out is skipped"},
    {"router", "dashboard_dir", CONFIG_T_PATH, CONFIG_K_OPTIONAL, NULL,
     "HERD_DASHBOARD_DIR", "dashboard-dir", NULL, "DIR", F(dashboard_dir),
     NOCOUNT, 0, 0,
     "the dashboard's files; unset = installed copy, else source tree"},
    {"router", "vram_fallback", CONFIG_T_BOOL, 0, "true", "FLEET_VRAM_FALLBACK",
     NULL, NULL, NULL, F(vram_fallback), NOCOUNT, 0, 0,
     "serve a loaded model of the same category when none asked for can"},
    {"router", "auto_pull", CONFIG_T_BOOL, 0, "true", "FLEET_AUTO_PULL", NULL,
     NULL, NULL, F(auto_pull), NOCOUNT, 0, 0,
     "pull a model no node has onto the node with most free memory"},
    {"router", "auto_pull_timeout", CONFIG_T_DURATION, 0, "300",
     "FLEET_AUTO_PULL_TIMEOUT", NULL, NULL, NULL, F(auto_pull_timeout),
     NOCOUNT, 0.001, DMAX, "longest time an automatic pull may take"},
    {"router", "context_protection", CONFIG_T_CHOICE, 0, "strip",
     "FLEET_CONTEXT_PROTECTION", NULL, NULL, NULL, F(context_protection),
     NOCOUNT, 0, 0,
     "a num_ctx the loaded context covers: strip, warn or passthrough"},
    {"router", "context_upgrade", CONFIG_T_BOOL, 0, "true",
     "HERD_CONTEXT_UPGRADE", NULL, NULL, NULL, F(context_upgrade), NOCOUNT, 0,
     0, "strip mode: a larger loaded model of the family takes a long num_ctx"},
    {"router", "keep_alive", CONFIG_T_FOREVER, 0, "-1", "HERD_KEEP_ALIVE", NULL,
     NULL, NULL, F(keep_alive), NOCOUNT, 0, DMAX,
     "keep_alive sent when a request has none; -1 = keep loaded"},
    {"router", "thinking_overhead", CONFIG_T_NUMBER, 0, "4.0",
     "FLEET_THINKING_OVERHEAD", NULL, NULL, NULL, F(thinking_overhead), NOCOUNT,
     1, 1000, "num_predict factor for thinking models"},
    {"router", "thinking_min_predict", CONFIG_T_COUNT, 0, "1024",
     "FLEET_THINKING_MIN_PREDICT", NULL, NULL, NULL, F(thinking_min_predict),
     NOCOUNT, 0, 1000000000, "least num_predict for thinking models"},
    {"router", "image_fetch_max_bytes", CONFIG_T_SIZE, 0, "20M",
     "HERD_IMAGE_FETCH_MAX_BYTES", NULL, NULL, NULL, F(image_fetch_max_bytes),
     NOCOUNT, 1024, 1073741824.0,
     "largest image downloaded for an OpenAI image URL"},
    {"router", "image_fetch_timeout", CONFIG_T_DURATION, 0, "10",
     "HERD_IMAGE_FETCH_TIMEOUT", NULL, NULL, NULL, F(image_fetch_timeout),
     NOCOUNT, 0.001, DMAX, "time the image URLs of one request may take"},
    {"router", "image_fetch_ca_file", CONFIG_T_PATH, CONFIG_K_OPTIONAL, NULL,
     "HERD_IMAGE_FETCH_CA_FILE", NULL, NULL, "FILE", F(image_fetch_ca_file),
     NOCOUNT, 0, 0,
     "PEM certificates trusted for https image URLs besides the system's"},
    {"router", "stale_timeout", CONFIG_T_DURATION, 0, "600",
     "FLEET_STALE_TIMEOUT", NULL, NULL, NULL, F(stale_timeout), NOCOUNT, 0.001,
     DMAX, "a slot held this long without bytes flowing is freed"},
    {"router", "prewarm", CONFIG_T_BOOL, 0, "true", "HERD_PREWARM", NULL, NULL,
     NULL, F(prewarm), NOCOUNT, 0, 0,
     "load a model whose requests keep waiting on the runner-up node"},
    {"router", "prewarm_interval", CONFIG_T_DURATION, 0, "5",
     "FLEET_REBALANCE_INTERVAL", NULL, NULL, NULL, F(prewarm_interval), NOCOUNT,
     0.01, DMAX, "time between two pre-warm looks at the queue"},
    {"router", "prewarm_threshold", CONFIG_T_COUNT, 0, "3",
     "FLEET_PRE_WARM_THRESHOLD", NULL, NULL, NULL, F(prewarm_threshold),
     NOCOUNT, 1, 1000000, "waiting requests that make a model's queue deep"},
    {"router", "prewarm_looks", CONFIG_T_COUNT, 0, "2", "HERD_PREWARM_LOOKS",
     NULL, NULL, NULL, F(prewarm_looks), NOCOUNT, 1, 1000,
     "consecutive deep looks before a pre-warm"},
    {"router", "prewarm_cooldown", CONFIG_T_DURATION, 0, "300",
     "HERD_PREWARM_COOLDOWN", NULL, NULL, NULL, F(prewarm_cooldown), NOCOUNT, 0,
     DMAX, "time before the same node and model are pre-warmed again"},
    {"router", "plugin_dir", CONFIG_T_PATH, CONFIG_K_REPEAT, NULL, NULL,
     "plugin-dir", "plugin-dir", "DIR", F(plugin_dirs), F(plugin_dir_count), 0,
     0, "extra plugin directory, searched first (repeatable)"},

    /* [security] */
    {"security", "node_token", CONFIG_T_STRING,
     CONFIG_K_SECRET | CONFIG_K_OPTIONAL, NULL, "HERD_NODE_TOKEN", NULL, NULL,
     NULL, F(node_token), NOCOUNT, 0, 0,
     "bearer token heartbeats must carry; unset = none needed"},
    {"security", "admin_token", CONFIG_T_STRING,
     CONFIG_K_SECRET | CONFIG_K_OPTIONAL, NULL, "HERD_ADMIN_TOKEN", NULL, NULL,
     NULL, F(admin_token), NOCOUNT, 0, 0,
     "bearer token for admin actions; unset = loopback only"},
    {"security", "api_key", CONFIG_T_STRING, CONFIG_K_SECRET | CONFIG_K_REPEAT,
     NULL, NULL, NULL, NULL, NULL, F(api_keys), F(api_key_count), 0, 0,
     "client API key (repeatable); none = open"},
    {"security", "cors_origins", CONFIG_T_ORIGINS, CONFIG_K_OPTIONAL, NULL,
     "HERD_CORS_ORIGINS", NULL, NULL, NULL, F(cors_origins), NOCOUNT, 0, 0,
     "more origins browsers may call from (comma-separated; * = any)"},

    /* [agent] */
    {"agent", "node_id", CONFIG_T_NODE_ID, 0, NULL, "FLEET_NODE_NODE_ID", NULL,
     "node-id", "ID", F(agent_node_id), NOCOUNT, 0, 0,
     "name of this node"},
    {"agent", "ollama_host", CONFIG_T_URL, 0, "http://localhost:11434",
     "FLEET_NODE_OLLAMA_HOST", NULL, "ollama-host", "URL", F(agent_ollama_host),
     NOCOUNT, 0, 0, "the local Ollama server"},
    {"agent", "router_url", CONFIG_T_URL, CONFIG_K_OPTIONAL, NULL,
     "FLEET_NODE_ROUTER_URL", NULL, "router-url", "URL", F(agent_router_url),
     NOCOUNT, 0, 0, "the router; unset = discover it"},
    {"agent", "heartbeat_interval", CONFIG_T_DURATION, 0, "5",
     "FLEET_NODE_HEARTBEAT_INTERVAL", NULL, "heartbeat-interval", "SECONDS",
     F(agent_heartbeat_interval), NOCOUNT, 0.001, DMAX, "period of heartbeats"},
    {"agent", "learn_capacity", CONFIG_T_BOOL, 0, "false",
     "FLEET_NODE_ENABLE_CAPACITY_LEARNING", NULL, "learn-capacity", "BOOL",
     F(agent_learn_capacity), NOCOUNT, 0, 0, "learn this node's capacity"},
    {"agent", "num_parallel", CONFIG_T_COUNT, 0, "0", "OLLAMA_NUM_PARALLEL",
     NULL, "num-parallel", "N", F(agent_num_parallel), NOCOUNT, 0, 1024,
     "parallel slots Ollama runs per model; 0 = unknown"},
    {"agent", "data_dir", CONFIG_T_PATH, 0, "~/.fleet-manager",
     "FLEET_NODE_DATA_DIR", NULL, "data-dir", "DIR", F(agent_data_dir), NOCOUNT,
     0, 0, "the agent's state (capacity learner)"},
    {"agent", "log_level", CONFIG_T_LEVEL, 0, "info", "HERD_AGENT_LOG_LEVEL",
     NULL, "log-level", "LEVEL", F(agent_log_level), NOCOUNT, 0, 0,
     "error, warning, info or debug"},
    {"agent", "capacity_bootstrap", CONFIG_T_DURATION, 0, "168h",
     "HERD_AGENT_CAPACITY_BOOTSTRAP", NULL, "capacity-bootstrap", "SECONDS",
     F(agent_capacity_bootstrap), NOCOUNT, 0, DMAX,
     "learning time before the learner's advice is used"},
    {"agent", "capacity_seed", CONFIG_T_PATH, CONFIG_K_OPTIONAL, NULL,
     "HERD_AGENT_CAPACITY_SEED", NULL, "capacity-seed", "FILE",
     F(agent_capacity_seed), NOCOUNT, 0, 0,
     "learner state to start from when this node has none"},
};

const size_t config_key_count = sizeof config_keys / sizeof config_keys[0];

/* The word lists of the CONFIG_T_CHOICE keys. */
static const struct {
    const char *section, *name;
    const char *const *words;
} schema_choices[] = {
    {"router", "context_protection", schema_context_protection},
};

const char *const *
config_key_choices(const struct config_key *k)
{
    for (size_t i = 0; i < sizeof schema_choices / sizeof schema_choices[0];
         i++)
        if (strcmp(schema_choices[i].section, k->section) == 0 &&
            strcmp(schema_choices[i].name, k->name) == 0)
            return schema_choices[i].words;
    return NULL;
}

int
config_key_find(const char *section, const char *name)
{
    for (size_t i = 0; i < config_key_count; i++)
        if (strcmp(config_keys[i].section, section) == 0 &&
            strcmp(config_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Edit distance where swapping two neighbours counts as one edit (optimal
 * string alignment); words longer than 63 never match. */
static size_t
schema_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d[64][64];

    if (la > 63 || lb > 63)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned char)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned char)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1u < best)
                best = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < best)
                best = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
                best = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)best;
        }
    return d[la][lb];
}

const char *
config_suggest(const char *word, const char *const *candidates, size_t count)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    /* a third of the word may be wrong, at least one edit, at most three */
    size_t limit = strlen(word) / 3;

    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    for (size_t i = 0; i < count; i++) {
        size_t d = schema_distance(word, candidates[i]);
        if (d <= limit && d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}
