/* Auto-pull: a request for a model that no node has starts a pull of it
 * on one node, and the request waits for the model to appear. One pull
 * per model at a time, a bounded number at once, each bounded in time;
 * the outcome is remembered for a while so that waiting requests (and
 * new ones) learn it instead of pulling again. Loop thread only. */
#ifndef HERD_CORE_AUTOPULL_H
#define HERD_CORE_AUTOPULL_H

#include <event2/event.h>
#include <stddef.h>

#define AUTOPULL_MAX_ACTIVE 4
#define AUTOPULL_REMEMBER_S 60.0

struct autopull;
struct upstream_pool;

enum autopull_state {
    AUTOPULL_NONE,    /* never pulled, or forgotten */
    AUTOPULL_PULLING, /* under way */
    AUTOPULL_DONE,    /* pulled within AUTOPULL_REMEMBER_S */
    AUTOPULL_FAILED   /* failed within AUTOPULL_REMEMBER_S */
};

/* done runs on the loop after every pull that ends, with its model, node
 * and whether it succeeded. */
typedef void (*autopull_done_fn)(void *arg, const char *model,
                                 const char *node, int ok);
struct autopull *autopull_new(struct event_base *base,
                              struct upstream_pool *pool, double timeout_s,
                              autopull_done_fn done, void *arg);
void autopull_free(struct autopull *ap);
void autopull_set_timeout(struct autopull *ap, double timeout_s);

/* Starts pulling model on node (its Ollama at url). Returns 0, -EBUSY
 * when AUTOPULL_MAX_ACTIVE are under way, -EALREADY when this model is
 * being pulled, -ENOMEM, or -EINVAL (bad URL). */
int autopull_start(struct autopull *ap, const char *model, const char *node,
                   const char *url, double now);

/* What is known of model at now; on AUTOPULL_FAILED, why (may be NULL). */
enum autopull_state autopull_state(struct autopull *ap, const char *model,
                                   double now, const char **why);

#endif
