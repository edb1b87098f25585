/* Admission: parallel slots per node:model and the FIFO holding queue.
 *
 * A node:model never holds more requests than its slots: a request takes
 * a slot with admission_acquire before it is sent upstream and gives it
 * back with admission_release when it ends, however it ends. A request
 * that finds no free slot (or no node yet) waits in the holding queue;
 * admission_kick offers the waiters, oldest first, another try whenever
 * a slot frees or a heartbeat lands, and admission_expire ends the waits
 * that ran out. The queue is first come, first served per model: once a
 * waiter finds every node of its model busy, the younger waiters for that
 * model are not asked in that kick. Time is passed in (monotonic seconds)
 * so tests need no clock. Loop thread only; no callback may free the
 * admission or cancel a waiter other than its own. */
#ifndef HERD_CORE_ADMISSION_H
#define HERD_CORE_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

struct admission;
struct admission_waiter;

/* What a waiter's retry found. */
enum admission_retry {
    /* Still no way, and the younger waiters for its model would be
     * refused alike (every node of the model is busy): this kick asks
     * none of them, and none overtakes it. */
    ADMISSION_RETRY_WAIT,
    /* Still no way, for a reason of its own (nodes that failed it, tags):
     * the younger waiters for its model are asked as usual. */
    ADMISSION_RETRY_WAIT_ALONE,
    /* It found its way, or was answered: it leaves the queue. */
    ADMISSION_RETRY_DONE
};

/* Another try for a waiter. It may acquire slots; it must not cancel
 * itself. */
typedef enum admission_retry (*admission_retry_fn)(void *arg);
/* The wait ran out; the waiter has already left the queue. */
typedef void (*admission_expire_fn)(void *arg);

struct admission_key_stats {
    const char *node, *model;
    unsigned in_flight;
    unsigned slots; /* slots at the last acquire */
    unsigned max_in_flight;
    uint64_t completed, failed;
};

enum admission_outcome {
    ADMISSION_COMPLETED,
    ADMISSION_FAILED,
    ADMISSION_REJECTED /* given back unused: counted neither way */
};

struct admission *admission_new(size_t max_waiting, double wait_s);
void admission_free(struct admission *a);
/* A new wait_s applies to the waiters there too: each deadline moves by
 * the change (a lower wait may leave some overdue; the caller runs
 * admission_expire). */
void admission_configure(struct admission *a, size_t max_waiting,
                         double wait_s);

/* Takes one of the slots of node:model. Returns 0, -EBUSY when all slots
 * are taken, -ENOMEM. slots 0 counts as 1. */
int admission_acquire(struct admission *a, const char *node, const char *model,
                      unsigned slots);
/* Gives a slot back. The caller kicks the queue (deferred, not from inside
 * a retry callback). */
void admission_release(struct admission *a, const char *node, const char *model,
                       enum admission_outcome outcome);
/* Counts a request for model that the holding queue turned away with a
 * 503 (full, its wait ran out, a drain). Per model, not per node: such a
 * request has no node. Models past ADMISSION_MAX_MODELS are counted in
 * the total only. */
#define ADMISSION_MAX_MODELS 1024
void admission_count_rejected(struct admission *a, const char *model);
uint64_t admission_rejected(const struct admission *a, const char *model);
uint64_t admission_rejected_total(const struct admission *a);

unsigned admission_in_flight(const struct admission *a, const char *node,
                             const char *model);
unsigned admission_node_in_flight(const struct admission *a, const char *node);

/* Puts a request in the holding queue for at most wait_s. Returns 0,
 * -ENOSPC when max_waiting are already waiting, -ENOMEM. model: what it
 * waits for (statistics only). */
int admission_wait(struct admission *a, const char *model, double now,
                   admission_retry_fn retry, admission_expire_fn expire,
                   void *arg, struct admission_waiter **out);
/* The same with an explicit deadline (monotonic seconds), for waits
 * longer than the queue's own (a model being pulled) or shorter (what is
 * left of it), and the request's arrival, which orders the queue:
 * admission_wait's is now, a request that waits again keeps its own. The
 * deadline is taken to be made of wait_s: admission_configure moves it. */
int admission_wait_until(struct admission *a, const char *model,
                         double arrival, double deadline,
                         admission_retry_fn retry, admission_expire_fn expire,
                         void *arg, struct admission_waiter **out);

/* Takes a waiter out of the queue without calling anything. */
void admission_cancel(struct admission *a, struct admission_waiter *w);

/* Offers the waiters, oldest first, a retry; after an
 * ADMISSION_RETRY_WAIT, the younger waiters for that model are skipped.
 * Re-entrant calls are folded into the running one. */
void admission_kick(struct admission *a);
/* Expires the waiters whose time ran out at now; calls their expire. */
void admission_expire(struct admission *a, double now);
/* Earliest deadline of a waiter, or a negative value when none waits. */
double admission_next_deadline(const struct admission *a);

size_t admission_waiting(const struct admission *a);
size_t admission_waiting_model(const struct admission *a, const char *model);
/* Those of them that arrived before arrival. */
size_t admission_waiting_model_before(const struct admission *a,
                                      const char *model, double arrival);
double admission_wait_limit(const struct admission *a);
/* The distinct models waiters wait for, oldest waiter first, at most max
 * of them into out (borrowed: valid until the queue changes). Returns how
 * many were written. */
size_t admission_waiting_models(const struct admission *a, const char **out,
                                size_t max);

/* Every model that has a node:model entry, waiters or rejections: those
 * of the entries in first-seen order, then the others; at most max into
 * out (borrowed: valid until the queue changes). Returns how many were
 * written. */
size_t admission_models(const struct admission *a, const char **out,
                        size_t max);

/* Statistics of every node:model seen, in first-seen order. */
size_t admission_key_count(const struct admission *a);
void admission_key_at(const struct admission *a, size_t i,
                      struct admission_key_stats *out);

#endif
