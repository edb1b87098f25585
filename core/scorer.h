/* The scorer: ranks the nodes of the registry for one request.
 *
 * Stage 1 eliminates nodes (core reasons first, in this order: excluded by
 * the caller, offline, draining, disabled by [node.ID], no state yet, model
 * not on node; then each scoring plugin's filter() veto). Stage 2 asks every
 * loaded scoring plugin for its points and adds weight x points. Candidates
 * are sorted by total, descending; totals within SCORER_TIE_EPSILON of each
 * other are a tie, and a tie goes to the node this scorer chose least
 * recently (never chosen counts as longest ago; then registry order), so
 * equal nodes take turns instead of the first registered node taking all.
 *
 * Loop thread only. The scorer borrows the plugin set; the caller keeps it
 * alive while the scorer exists and swaps both on SIGHUP. */
#ifndef HERD_CORE_SCORER_H
#define HERD_CORE_SCORER_H

#include <json-c/json.h>
#include <stddef.h>

#include <herd/plugin.h>

#include "registry.h"

#define SCORER_TIE_EPSILON 1e-9
/* Longest signal name kept, and most signals a scorer composes. */
#define SCORER_NAME_MAX 64
#define SCORER_MAX_SIGNALS 32
#define SCORER_REASON_MAX 160
/* A plugin slower than this per request is logged (rate-limited). */
#define SCORER_DEFAULT_BUDGET_US 50.0

struct plugin_set;
struct scorer;

/* The request to route; every pointer borrowed for the call. */
struct route_request {
    const char *model;    /* normalised (request_normalise_model) */
    const char *endpoint; /* "/api/chat", "/v1/embeddings", ... */
    uint32_t estimated_tokens;
    uint32_t num_ctx; /* 0 = not set */
    uint32_t image_count;
    const char *format;                /* "ollama" or "openai" */
    const char *const *tags;           /* NULL-terminated, may be NULL */
    const char *const *excluded_nodes; /* retries; NULL-terminated or NULL */
};

/* Per-request load of one node:model, supplied by the admission queue and
 * the latency history. get() fills queue_depth, in_flight, slots and
 * p75_latency_ms of *fill (already zeroed, p75 NaN) and nothing else. A NULL
 * provider (or NULL get) leaves zeros and NaN. */
struct scorer_load_provider {
    void *arg;
    void (*get)(void *arg, const char *node_id, const char *model,
                struct herd_node_view *fill);
};

struct route_candidate {
    char *node;     /* node id */
    char *url;      /* its Ollama base URL */
    double total;   /* sum of weight x points */
    double *points; /* [signal_count], weighted points of each signal */
    int hot;        /* model loaded on the node */
    int loaded_ctx; /* context_length of the loaded model, 0 = unknown */
};

struct route_elimination {
    char *node;
    char reason[SCORER_REASON_MAX];
};

struct route_result {
    char *model;
    uint32_t estimated_tokens;
    double model_size_gb;
    /* signal names in composition order (plugin name, or name.instance) */
    char (*signals)[SCORER_NAME_MAX];
    size_t signal_count;
    struct route_candidate *candidates; /* ranked, best first */
    size_t candidate_count;
    /* core reasons in registry order, then the filters' vetoes */
    struct route_elimination *eliminated;
    size_t eliminated_count;
    /* the model is loaded or on disk on at least one known node (even one
     * eliminated); tells 404 (nowhere) from 503 (nowhere usable) */
    int model_known;
    double elapsed_us; /* time spent in scorer_rank */
};

/* Creates a scorer from the scoring plugins of set (borrowed; other kinds
 * are ignored). Returns NULL when memory runs out or set holds more than
 * SCORER_MAX_SIGNALS scoring instances (logged). */
struct scorer *scorer_new(const struct plugin_set *set);

/* Replaces the plugin set (SIGHUP) and keeps the tie-break memory. Returns 0
 * or -E2BIG (too many signals; the old set stays). */
int scorer_set_plugins(struct scorer *s, const struct plugin_set *set);

void scorer_free(struct scorer *s);

/* Per-plugin time budget in microseconds for one request (0 = no check). */
void scorer_set_budget_us(struct scorer *s, double us);

/* Ranks the registry's nodes for req at monotonic time now. out is filled
 * (zeroed first) and must be released with route_result_free, on success
 * and on failure. Allocation is bounded by the registry size and the signal
 * count. Returns 0 (maybe with no candidates) or -ENOMEM. */
int scorer_rank(struct scorer *s, const struct registry *reg,
                const struct route_request *req,
                const struct scorer_load_provider *load, double now,
                struct route_result *out);

/* The dispatcher chose node_id at now: remembered for the tie-break. */
void scorer_note_chosen(struct scorer *s, const char *node_id, double now);

/* Frees the result's one block, which every pointer of r points into, and
 * zeroes *r; a zeroed result may be freed. */
void route_result_free(struct route_result *r);

/* The winner (first ranked candidate) or NULL. */
const struct route_candidate *route_result_winner(const struct route_result *r);

/* The trace's scores_breakdown of candidate i: an object keyed by signal
 * name with its weighted points, plus "total". New reference, or NULL when
 * i is out of range or memory runs out. */
json_object *route_result_breakdown(const struct route_result *r, size_t i);

/* Points the first n (at most SCORER_MAX_SIGNALS) entries of names at the
 * result's signal names, in composition order; returns n. */
size_t route_result_signal_names(const struct route_result *r,
                                 const char *names[SCORER_MAX_SIGNALS]);

/* The whole explanation as /fleet/route answers it: model,
 * estimated_tokens, candidates, eliminated, winner (null when none). */
json_object *route_result_to_json(const struct route_result *r);

#endif
