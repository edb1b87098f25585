/* Slots per node:model. */
#include "autoconfig.h"

#include "proxy_slots.h"

#include <math.h>
#include <string.h>

unsigned
proxy_slots(const struct registry_node *n, const char *model,
            int default_num_parallel)
{
    const struct hb_loaded *l = NULL;
    if (!n)
        return 1;
    unsigned s = registry_node_num_parallel(n);
    if (s)
        return s;
    for (size_t i = 0; i < n->snap.loaded_count; i++)
        if (n->snap.loaded[i].name &&
            strcmp(n->snap.loaded[i].name, model) == 0)
            l = &n->snap.loaded[i];
    if (l && l->num_parallel)
        return l->num_parallel;
    if (default_num_parallel > 0)
        return (unsigned)default_num_parallel;
    if (!n->snap.has_memory)
        return 1;
    double avail = n->snap.memory_available_gb;
    if (n->snap.has_capacity && n->snap.capacity_ceiling_gb > 0 &&
        n->snap.capacity_ceiling_gb < avail)
        avail = n->snap.capacity_ceiling_gb;
    double headroom = avail - (l ? l->size_gb : 0);
    if (!(headroom > 0))
        return 1;
    double k = floor(headroom / 2.0);
    return k < 1 ? 1 : k > 8 ? 8 : (unsigned)k;
}
