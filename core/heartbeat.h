/* Heartbeat payloads: parse and validate the JSON a node agent POSTs to
 * /heartbeat (or a discovery plugin hands to node_report) into a snapshot.
 *
 * The reference agent's payload is accepted as is; our additions are
 * optional: num_parallel (top level and per loaded model), agentless (a
 * report built by the router from Ollama's own API, without cpu/memory),
 * ollama_version, and models_available entries that are full Ollama
 * /api/tags objects instead of bare names. Unknown members are ignored here
 * and kept by the registry in the raw payload. */
#ifndef HERD_CORE_HEARTBEAT_H
#define HERD_CORE_HEARTBEAT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include <herd/plugin.h> /* enum herd_pressure */

#define HEARTBEAT_MAX_STRING 256
#define HEARTBEAT_MAX_LOADED 256
#define HEARTBEAT_MAX_AVAILABLE 4096
/* A model's size in GB: a pebibyte is far beyond any model, and keeps
 * size_gb * 2^30 within the int64 that /api/tags and /api/ps report. */
#define HEARTBEAT_MAX_MODEL_GB 1048576

struct hb_loaded {
    char *name;
    double size_gb;
    char *parameter_size; /* NULL when not reported */
    char *quantization;   /* NULL when not reported */
    uint32_t context_length;
    uint32_t num_parallel; /* 0 = not reported */
    json_object *raw;      /* the entry as received (a reference) */
};

struct hb_available {
    char *name;
    json_object *raw; /* the entry when it was an object, else NULL */
};

struct hb_snapshot {
    char *node_id;
    int draining;
    int agentless;

    int has_cpu;
    uint32_t cores_physical;
    double cpu_utilization_pct;

    int has_memory;
    double memory_total_gb;
    double memory_used_gb;
    double memory_available_gb;
    enum herd_pressure pressure;

    char *thermal_state;  /* NULL when not reported */
    double temperature_c; /* NaN when unknown */

    int has_disk;
    double disk_total_gb, disk_used_gb, disk_available_gb;

    int has_capacity;
    char *capacity_mode; /* NULL when not reported */
    double capacity_ceiling_gb;
    double availability_score;

    struct hb_loaded *loaded;
    size_t loaded_count;
    struct hb_available *available;
    size_t available_count;
    uint32_t requests_active;

    char *ollama_host;    /* NULL when not reported */
    char *lan_ip;         /* NULL when not reported */
    char *chip;           /* NULL when not reported */
    char *arch;           /* NULL when not reported */
    char *agent_version;  /* NULL when not reported */
    char *ollama_version; /* NULL when not reported */
    double memory_bandwidth_gbps;
    uint32_t num_parallel; /* 0 = not reported */
};

/* Validates payload (borrowed) and fills *out. Returns 0, or -EINVAL with
 * the offending field named in err ("memory.total_gb must be a number");
 * *out is then left zeroed. The snapshot keeps references into payload
 * (released by heartbeat_free). */
int heartbeat_parse(json_object *payload, struct hb_snapshot *out, char *err,
                    size_t errlen);

/* Parses text of len bytes (at most limit) as one JSON object and then as
 * a heartbeat. On success *payload_out holds a new reference to the parsed
 * object. Returns 0 or -EINVAL/-E2BIG with the reason in err. */
int heartbeat_parse_text(const char *text, size_t len, size_t limit,
                         json_object **payload_out, struct hb_snapshot *out,
                         char *err, size_t errlen);

void heartbeat_free(struct hb_snapshot *s);
/* Frees what one loaded entry owns (not the entry itself). */
void heartbeat_loaded_clear(struct hb_loaded *l);

/* The Ollama base URL the router uses for a node (the reference's rule):
 * a loopback or unknown peer means the node runs beside the router, so
 * http://localhost:<port of ollama_host>; else lan_ip when set and not
 * 127.0.0.1; else ollama_host as sent. Agentless reports were reached at
 * ollama_host by the router itself, which is then used verbatim. Writes
 * into buf; returns 0 or -EINVAL when no URL can be derived. */
int heartbeat_node_url(const struct hb_snapshot *s, const char *peer_addr,
                       char *buf, size_t buflen);

#endif
