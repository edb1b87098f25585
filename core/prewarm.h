/* Pre-warm (reference §4.5, without its bugs): when requests for a model
 * keep waiting, load the model on the runner-up node (prewarm_pick.h), so
 * the next heartbeat shows it loaded there and the waiting requests find
 * slots on it.
 *
 * A timer looks at the holding queue every interval; a model is deep when
 * at least threshold requests wait for it at looks consecutive looks. The
 * load is a non-streamed POST /api/generate without a prompt and with the
 * router's keep_alive, sent through the upstream pool and bounded in
 * time. At most one load per model runs at a time, at most
 * PREWARM_MAX_LOADS in all, and a node:model is not pre-warmed again
 * within the cooldown. Loop thread only. */
#ifndef HERD_CORE_PREWARM_H
#define HERD_CORE_PREWARM_H

#include <json-c/json.h>
#include <stdint.h>

/* Loads in flight at once, over all models. */
#define PREWARM_MAX_LOADS 4
/* Longest a load may take (the reference's 120 s). */
#define PREWARM_LOAD_TIMEOUT_S 120.0

struct admission;
struct router;
struct upstream_pool;
struct prewarm;

struct prewarm_settings {
    int enabled;
    double interval;    /* s between looks */
    unsigned threshold; /* waiting requests that make a model deep */
    unsigned looks;     /* consecutive deep looks before a load */
    double cooldown;    /* s before the same node:model again */
    double keep_alive;  /* s sent with the load, -1 = forever */
};

/* What the pre-warm asks of the request path. */
struct prewarm_hooks {
    /* 1 when node is in back-off after a failure */
    int (*backed_off)(void *arg, const char *node);
    /* a load ended (either way): waiting requests should look again */
    void (*load_ended)(void *arg);
    void *arg;
};

/* Borrows r, adm and pool; they outlive the pre-warm. Returns NULL when
 * memory runs out. */
struct prewarm *prewarm_new(struct router *r, struct admission *adm,
                            struct upstream_pool *pool,
                            const struct prewarm_settings *s,
                            const struct prewarm_hooks *hooks);
/* Cancels the loads in flight (no hook is called). */
void prewarm_free(struct prewarm *pw);
/* New settings (SIGHUP). */
void prewarm_configure(struct prewarm *pw, const struct prewarm_settings *s);

/* The counters for /fleet/queue: enabled, sent, succeeded, failed,
 * in_flight. New reference, or NULL when memory runs out. */
json_object *prewarm_json(const struct prewarm *pw);

#endif
