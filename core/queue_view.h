/* What the holding queue and the slots look like from outside: the body
 * of GET /fleet/queue, and the Retry-After of a 503 from the queue, both
 * from the same wait estimate. Reads the admission, the registry and the
 * latency history; changes nothing. Loop thread only. */
#ifndef HERD_CORE_QUEUE_VIEW_H
#define HERD_CORE_QUEUE_VIEW_H

#include <json-c/json.h>
#include <stddef.h>

struct admission;
struct latency;
struct registry;

#define QUEUE_VIEW_RETRY_AFTER_MIN 1
#define QUEUE_VIEW_RETRY_AFTER_MAX 60
/* when nothing is known about the wait */
#define QUEUE_VIEW_RETRY_AFTER_UNKNOWN 5

struct queue_view {
    const struct admission *adm;
    const struct registry *reg;
    struct latency *lat; /* may be NULL: no history */
    int draining;
};

/* Seconds a client turned away from model's queue should wait before it
 * asks again: the wait of one more request behind those waiting, rounded
 * up, within [QUEUE_VIEW_RETRY_AFTER_MIN, _MAX];
 * QUEUE_VIEW_RETRY_AFTER_UNKNOWN when the model has no history. */
unsigned queue_view_retry_after(const struct queue_view *v, const char *model);

/* Retry-After for a wait of s seconds: rounded up, within the bounds. */
unsigned queue_view_clamp_retry_after(double s);

/* The counts of GET /fleet/queue (see doc/api.md), without the parts the
 * caller adds (prewarm, timestamp). */
json_object *queue_view_json(const struct queue_view *v);

#endif
