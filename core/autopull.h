/* Auto-pull: a request for a model that no node has starts a pull of it
 * on one node, and the request waits for the model to appear. One pull
 * per model at a time, a bounded number at once, each bounded in time;
 * the outcome is remembered for a while so that waiting requests (and
 * new ones) learn it instead of pulling again. The table is the router's
 * one list of running pulls: /api/pull and the dashboard's pull claim
 * their model in it too, so that no two pulls of a model run at once and
 * requests wait for a pull under way whoever started it. Loop thread
 * only. */
#ifndef HERD_CORE_AUTOPULL_H
#define HERD_CORE_AUTOPULL_H

#include <event2/event.h>
#include <stddef.h>

#define AUTOPULL_MAX_ACTIVE 4
#define AUTOPULL_REMEMBER_S 60.0

struct autopull;
struct registry;
struct upstream_pool;

enum autopull_state {
    AUTOPULL_NONE,    /* never pulled, or forgotten */
    AUTOPULL_PULLING, /* under way */
    AUTOPULL_DONE,    /* pulled within AUTOPULL_REMEMBER_S, and a node
                         still lists it */
    AUTOPULL_FAILED   /* failed within AUTOPULL_REMEMBER_S */
};

/* done runs on the loop after every pull that ends (claimed ones too,
 * and cancelled ones as failed), with its model, node and whether it
 * succeeded. reg
 * tells whether a pulled model is still there (a deletion forgets the
 * success). */
typedef void (*autopull_done_fn)(void *arg, const char *model,
                                 const char *node, int ok);
struct autopull *autopull_new(struct event_base *base,
                              struct upstream_pool *pool,
                              const struct registry *reg, double timeout_s,
                              autopull_done_fn done, void *arg);
void autopull_free(struct autopull *ap);
/* For the pulls started from now on: a running pull keeps the bound it
 * started with, which the requests waiting for it had added to their
 * own wait (and a longer one would outlast them). */
void autopull_set_timeout(struct autopull *ap, double timeout_s);

/* Starts pulling model on node (its Ollama at url), bounded by the
 * timeout. Returns 0, -EBUSY when AUTOPULL_MAX_ACTIVE auto-pulls are
 * under way (or the table is all running pulls), -EALREADY when this
 * model is being pulled, -ENOMEM, or -EINVAL (bad URL). */
int autopull_start(struct autopull *ap, const char *model, const char *node,
                   const char *url, double now);

/* A pull that the caller runs itself (/api/pull, the dashboard) takes
 * model's place in the table until autopull_end. Returns 0, -EALREADY
 * when model is being pulled, or -EBUSY when the table is all running
 * pulls. */
int autopull_claim(struct autopull *ap, const char *model, const char *node);

/* The claimed pull of model ended: AUTOPULL_DONE, AUTOPULL_FAILED (why
 * is remembered as for an auto-pull), or AUTOPULL_NONE when it was
 * cancelled (nothing to remember). No-op for a model not claimed. */
void autopull_end(struct autopull *ap, const char *model,
                  enum autopull_state outcome, const char *why);

/* What is known of model at now; on AUTOPULL_FAILED, why (may be NULL). */
enum autopull_state autopull_state(struct autopull *ap, const char *model,
                                   double now, const char **why);

#endif
