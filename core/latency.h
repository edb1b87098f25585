/* Latency history: p75 of the newest completed requests per node:model,
 * kept in memory for the scoring signals (wait time). Fed by the trace
 * writer as completed traces are submitted, and preloaded at start from
 * storage with one query. Loop thread only. */
#ifndef HERD_CORE_LATENCY_H
#define HERD_CORE_LATENCY_H

#include <stddef.h>

/* Samples kept per node:model (the reference's window). */
#define LATENCY_WINDOW 500
/* Pairs tracked; past this, new pairs are not recorded. */
#define LATENCY_MAX_PAIRS 4096

struct latency;

struct latency *latency_new(void);
void latency_free(struct latency *l);

/* Adds one completed request's latency (ms, finite, >= 0). */
void latency_observe(struct latency *l, const char *node, const char *model,
                     double ms);

/* p75 of the newest samples of node:model in ms: of n samples sorted
 * ascending, element floor(n * 0.75). NaN when there are none or l is
 * NULL. */
double latency_p75_ms(struct latency *l, const char *node, const char *model);

/* Loads history older than what was observed since start: json is the
 * "latency" query's answer, [{"node_id","model","latencies":[ms, ...
 * newest first]}, ...]. Returns the number of pairs loaded or -EINVAL. */
int latency_preload(struct latency *l, const char *json, size_t len);

#endif
