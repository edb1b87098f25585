/* What the holding queue and the slots look like from outside: the body
 * of GET /fleet/queue. Reads the admission, the registry and the latency
 * history; changes nothing. Loop thread only. */
#ifndef HERD_CORE_QUEUE_VIEW_H
#define HERD_CORE_QUEUE_VIEW_H

#include <json-c/json.h>
#include <stddef.h>

struct admission;
struct latency;
struct registry;

struct queue_view {
    const struct admission *adm;
    const struct registry *reg;
    struct latency *lat; /* may be NULL: no history */
    int draining;
};

/* The counts of GET /fleet/queue (see doc/api.md), without the parts the
 * caller adds (prewarm, timestamp). */
json_object *queue_view_json(const struct queue_view *v);

#endif
