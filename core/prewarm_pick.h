/* The runner-up of a pre-warm: which node should load a model whose
 * requests keep waiting. A pure choice over a snapshot of the fleet, so
 * it can be tested without a loop, a registry or a node.
 *
 * A request never evicts another model (memory_fit vetoes a cold load
 * that does not fit the memory free now), so the node worth loading the
 * model on is one the scorer does not offer: it has the model on disk,
 * could hold it once its idle models are unloaded, and runs nothing of
 * ours, so whatever it unloads is idle. */
#ifndef HERD_CORE_PREWARM_PICK_H
#define HERD_CORE_PREWARM_PICK_H

#include <stddef.h>

/* What the choice needs to know of one node, for one model. */
struct prewarm_node {
    const char *id;
    int usable;        /* online, not draining, enabled, not backed off */
    int on_disk;       /* the model is among its available models */
    int loaded;        /* the model is loaded there already */
    int candidate;     /* the scorer offers it for the model now */
    int cooling;       /* this node:model was pre-warmed within the cooldown */
    unsigned running;  /* requests of ours running there */
    double total_gb;   /* memory total; 0 = not reported */
    double ceiling_gb; /* the capacity learner's ceiling; 0 = none */
    double free_gb;    /* memory available now */
    double p75_ms;     /* the model's typical time there; NaN = no history */
};

/* Why node n cannot take a pre-warm of a model of model_gb, or NULL when
 * it can. */
const char *prewarm_unfit(const struct prewarm_node *n, double model_gb);

/* The memory the node could give the model once its idle models are
 * unloaded: its total, capped by the learner's ceiling. */
double prewarm_room_gb(const struct prewarm_node *n);

/* The index of the best fit node (most free memory, then the fastest
 * history, then the first), or -1 when none fits. */
long prewarm_pick(const struct prewarm_node *nodes, size_t count,
                  double model_gb);

#endif
