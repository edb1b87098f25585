/* Parallel slots of a node:model: how many requests the router lets run
 * there at once. */
#ifndef HERD_CORE_PROXY_SLOTS_H
#define HERD_CORE_PROXY_SLOTS_H

#include "registry.h"

/* [node.ID] or heartbeat num_parallel, else the loaded model's own, else
 * default_num_parallel ([router]), else derived from free memory as the
 * reference does (2 GB of KV cache per request beside the model, 1 to 8),
 * else 1. n may be NULL (1). */
unsigned proxy_slots(const struct registry_node *n, const char *model,
                     int default_num_parallel);

#endif
