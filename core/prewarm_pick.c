/* The runner-up of a pre-warm: see prewarm_pick.h. */
#include "autoconfig.h"

#include "prewarm_pick.h"

#include <math.h>

double
prewarm_room_gb(const struct prewarm_node *n)
{
    double room = n->total_gb;
    if (n->ceiling_gb > 0 && n->ceiling_gb < room)
        room = n->ceiling_gb;
    return room;
}

const char *
prewarm_unfit(const struct prewarm_node *n, double model_gb)
{
    if (!n->usable)
        return "not online, or draining, disabled or backed off";
    if (n->candidate)
        return "the scorer offers it already";
    if (n->loaded)
        return "has the model loaded already";
    if (!n->on_disk)
        return "does not have the model";
    if (n->cooling)
        return "pre-warmed recently (cooldown)";
    if (n->running > 0)
        return "runs requests (its models are not idle)";
    /* without figures (an agentless node) nothing tells it would fit */
    if (n->total_gb <= 0)
        return "reports no memory figures";
    if (!(model_gb > 0) || model_gb > prewarm_room_gb(n))
        return "the model is larger than its memory";
    return NULL;
}

/* 1 when a is a better runner-up than b. */
static int
prewarm_better(const struct prewarm_node *a, const struct prewarm_node *b)
{
    if (a->free_gb != b->free_gb)
        return a->free_gb > b->free_gb;
    if (isnan(a->p75_ms) || isnan(b->p75_ms))
        return !isnan(a->p75_ms) && isnan(b->p75_ms);
    return a->p75_ms < b->p75_ms;
}

long
prewarm_pick(const struct prewarm_node *nodes, size_t count, double model_gb)
{
    long best = -1;
    for (size_t i = 0; i < count; i++) {
        if (prewarm_unfit(&nodes[i], model_gb))
            continue;
        if (best < 0 || prewarm_better(&nodes[i], &nodes[best]))
            best = (long)i;
    }
    return best;
}
