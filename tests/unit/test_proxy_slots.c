/* Slots per node:model, in the order proxy_slots.h gives: [node.ID]
 * num_parallel, the heartbeat's, the loaded model's own, [router]
 * default_num_parallel, then free memory (2 GB per request beside the
 * model, 1 to 8, under the capacity ceiling when there is one), else 1. */
#include "autoconfig.h"

#include "proxy_slots.h"
#include "tap.h"

#include <string.h>

static struct hb_loaded loaded;

/* A node with 21 GB free, qwen3:8b (5 GB) loaded, nothing else said. */
static struct registry_node
node(void)
{
    struct registry_node n;
    memset(&n, 0, sizeof n);
    memset(&loaded, 0, sizeof loaded);
    loaded.name = "qwen3:8b";
    loaded.size_gb = 5;
    n.snap.loaded = &loaded;
    n.snap.loaded_count = 1;
    n.snap.has_memory = 1;
    n.snap.memory_available_gb = 21;
    n.cfg_enabled = 1;
    return n;
}

int
main(void)
{
    struct registry_node n = node();
    is_int((int)proxy_slots(NULL, "qwen3:8b", 4), 1, "no node: 1");

    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 8,
           "from memory: (21 - 5) / 2 = 8 for the loaded model");
    is_int((int)proxy_slots(&n, "other:1b", 0), 8,
           "a model not loaded: 21 / 2, capped at 8");
    n.snap.memory_available_gb = 9;
    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 2, "(9 - 5) / 2 = 2");
    n.snap.memory_available_gb = 6;
    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 1, "under 2 GB of headroom: 1");
    n.snap.memory_available_gb = 4;
    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 1,
           "the model larger than what is free: 1");
    n.snap.memory_available_gb = 21;
    n.snap.has_capacity = 1;
    n.snap.capacity_ceiling_gb = 11;
    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 3,
           "the capacity ceiling (11 GB) below free memory bounds it: 3");
    n.snap.has_capacity = 0;
    n.snap.has_memory = 0;
    is_int((int)proxy_slots(&n, "qwen3:8b", 0), 1, "no memory reported: 1");

    n = node();
    is_int((int)proxy_slots(&n, "qwen3:8b", 3), 3,
           "[router] default_num_parallel beats memory");
    loaded.num_parallel = 5;
    is_int((int)proxy_slots(&n, "qwen3:8b", 3), 5,
           "the loaded model's own num_parallel beats the default");
    is_int((int)proxy_slots(&n, "other:1b", 3), 3,
           "which is that model's alone");
    n.snap.num_parallel = 4;
    is_int((int)proxy_slots(&n, "qwen3:8b", 3), 4,
           "the heartbeat's num_parallel beats the model's");
    n.cfg_num_parallel = 2;
    is_int((int)proxy_slots(&n, "qwen3:8b", 3), 2,
           "[node.ID] num_parallel beats everything");
    return done_testing();
}
