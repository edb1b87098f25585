/* Slots per node:model and the holding queue. A few hundred keys at most
 * (nodes x models), so a linear table is enough. */
#include "autoconfig.h"

#include "admission.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct admission_key {
    char *node, *model;
    unsigned in_flight, slots, max_in_flight;
    uint64_t completed, failed;
};

/* Requests for a model turned away by the holding queue. */
struct admission_model {
    char *model;
    uint64_t rejected;
};

struct admission_waiter {
    struct admission_waiter *next, *prev;
    char *model;
    double arrival; /* the queue's order */
    double deadline;
    admission_retry_fn retry;
    admission_expire_fn expire;
    void *arg;
};

struct admission {
    struct admission_key *keys;
    size_t key_count, key_cap;
    struct admission_model *models;
    size_t model_count, model_cap;
    uint64_t rejected;
    struct admission_waiter *head, *tail;
    size_t waiting, max_waiting;
    double wait_s;
    int kicking, rekick;
    /* the models whose waiters a kick pass skips from here on (borrowed
     * from their waiters, which stay queued for the pass) */
    const char **held;
    size_t held_count, held_cap;
};

struct admission *
admission_new(size_t max_waiting, double wait_s)
{
    struct admission *a = calloc(1, sizeof *a);
    if (a)
        admission_configure(a, max_waiting, wait_s);
    return a;
}

/* Every deadline is the queue's wait (and a pull's time) from the
 * waiter's arrival, less what it spent elsewhere: moving each by the
 * change gives it the new wait in all, and a request that waits again
 * keeps its bound over all its waits. */
void
admission_configure(struct admission *a, size_t max_waiting, double wait_s)
{
    double shift = wait_s - a->wait_s;
    for (struct admission_waiter *w = a->head; w && shift != 0; w = w->next)
        w->deadline += shift;
    a->max_waiting = max_waiting;
    a->wait_s = wait_s;
}

static void
admission_unlink(struct admission *a, struct admission_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        a->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        a->tail = w->prev;
    a->waiting--;
    free(w->model);
    free(w);
}

void
admission_free(struct admission *a)
{
    if (!a)
        return;
    while (a->head)
        admission_unlink(a, a->head);
    for (size_t i = 0; i < a->key_count; i++) {
        free(a->keys[i].node);
        free(a->keys[i].model);
    }
    free(a->keys);
    for (size_t i = 0; i < a->model_count; i++)
        free(a->models[i].model);
    free(a->models);
    free(a->held);
    free(a);
}

static struct admission_key *
admission_find(const struct admission *a, const char *node, const char *model)
{
    for (size_t i = 0; i < a->key_count; i++)
        if (strcmp(a->keys[i].node, node) == 0 &&
            strcmp(a->keys[i].model, model) == 0)
            return &a->keys[i];
    return NULL;
}

static struct admission_key *
admission_get(struct admission *a, const char *node, const char *model)
{
    struct admission_key *k = admission_find(a, node, model);
    if (k)
        return k;
    if (a->key_count == a->key_cap) {
        size_t cap = a->key_cap ? a->key_cap * 2 : 16;
        struct admission_key *keys = realloc(a->keys, cap * sizeof *keys);
        if (!keys)
            return NULL;
        a->keys = keys;
        a->key_cap = cap;
    }
    k = &a->keys[a->key_count];
    memset(k, 0, sizeof *k);
    k->node = strdup(node);
    k->model = strdup(model);
    if (!k->node || !k->model) {
        free(k->node);
        free(k->model);
        return NULL;
    }
    a->key_count++;
    return k;
}

int
admission_acquire(struct admission *a, const char *node, const char *model,
                  unsigned slots)
{
    struct admission_key *k = admission_get(a, node, model);
    if (!k)
        return -ENOMEM;
    k->slots = slots ? slots : 1;
    if (k->in_flight >= k->slots)
        return -EBUSY;
    k->in_flight++;
    if (k->in_flight > k->max_in_flight)
        k->max_in_flight = k->in_flight;
    return 0;
}

void
admission_release(struct admission *a, const char *node, const char *model,
                  enum admission_outcome outcome)
{
    struct admission_key *k = admission_find(a, node, model);
    if (!k || k->in_flight == 0)
        return;
    k->in_flight--;
    if (outcome == ADMISSION_COMPLETED)
        k->completed++;
    else if (outcome == ADMISSION_FAILED)
        k->failed++;
}

static struct admission_model *
admission_model_find(const struct admission *a, const char *model)
{
    for (size_t i = 0; i < a->model_count; i++)
        if (strcmp(a->models[i].model, model) == 0)
            return &a->models[i];
    return NULL;
}

void
admission_count_rejected(struct admission *a, const char *model)
{
    a->rejected++;
    struct admission_model *m = admission_model_find(a, model);
    if (!m && a->model_count < ADMISSION_MAX_MODELS) {
        if (a->model_count == a->model_cap) {
            size_t cap = a->model_cap ? a->model_cap * 2 : 16;
            struct admission_model *ms = realloc(a->models, cap * sizeof *ms);
            if (!ms)
                return;
            a->models = ms;
            a->model_cap = cap;
        }
        char *name = strdup(model);
        if (!name)
            return;
        m = &a->models[a->model_count++];
        m->model = name;
        m->rejected = 0;
    }
    if (m)
        m->rejected++;
}

uint64_t
admission_rejected(const struct admission *a, const char *model)
{
    const struct admission_model *m = admission_model_find(a, model);
    return m ? m->rejected : 0;
}

uint64_t
admission_rejected_total(const struct admission *a)
{
    return a->rejected;
}

unsigned
admission_in_flight(const struct admission *a, const char *node,
                    const char *model)
{
    const struct admission_key *k = admission_find(a, node, model);
    return k ? k->in_flight : 0;
}

unsigned
admission_node_in_flight(const struct admission *a, const char *node)
{
    unsigned n = 0;
    for (size_t i = 0; i < a->key_count; i++)
        if (strcmp(a->keys[i].node, node) == 0)
            n += a->keys[i].in_flight;
    return n;
}

int
admission_wait_until(struct admission *a, const char *model, double arrival,
                     double deadline, admission_retry_fn retry,
                     admission_expire_fn expire, void *arg,
                     struct admission_waiter **out)
{
    if (a->waiting >= a->max_waiting)
        return -ENOSPC;
    struct admission_waiter *w = calloc(1, sizeof *w);
    if (!w || !(w->model = strdup(model))) {
        free(w);
        return -ENOMEM;
    }
    w->arrival = arrival;
    w->deadline = deadline;
    w->retry = retry;
    w->expire = expire;
    w->arg = arg;
    /* by arrival: a request that waits again (its node failed it) goes
     * before those that came after it */
    struct admission_waiter *after = a->tail;
    while (after && after->arrival > arrival)
        after = after->prev;
    w->prev = after;
    w->next = after ? after->next : a->head;
    if (w->next)
        w->next->prev = w;
    else
        a->tail = w;
    if (after)
        after->next = w;
    else
        a->head = w;
    a->waiting++;
    *out = w;
    return 0;
}

int
admission_wait(struct admission *a, const char *model, double now,
               admission_retry_fn retry, admission_expire_fn expire, void *arg,
               struct admission_waiter **out)
{
    return admission_wait_until(a, model, now, now + a->wait_s, retry, expire,
                                arg, out);
}

void
admission_cancel(struct admission *a, struct admission_waiter *w)
{
    if (w)
        admission_unlink(a, w);
}

static int
admission_is_held(const struct admission *a, const char *model)
{
    for (size_t i = 0; i < a->held_count; i++)
        if (strcmp(a->held[i], model) == 0)
            return 1;
    return 0;
}

/* From here on in this pass, model's waiters are skipped. Without memory
 * for the list they are asked anyway: slower, never wrong. */
static void
admission_hold(struct admission *a, const char *model)
{
    if (a->held_count == a->held_cap) {
        size_t cap = a->held_cap ? a->held_cap * 2 : 8;
        const char **held = realloc(a->held, cap * sizeof *held);
        if (!held)
            return;
        a->held = held;
        a->held_cap = cap;
    }
    a->held[a->held_count++] = model;
}

/* A waiter refused because its model's nodes are all busy means the
 * younger ones for that model would be refused too: asking them cost a
 * ranking each (a deep queue made every kick as dear as the queue is
 * long), and one that got through would overtake the older one. */
void
admission_kick(struct admission *a)
{
    if (a->kicking) {
        a->rekick = 1;
        return;
    }
    a->kicking = 1;
    do {
        a->rekick = 0;
        a->held_count = 0;
        /* Waiters that arrive during the pass are behind the tail seen at
         * its start and wait for the next pass. */
        struct admission_waiter *w = a->head, *last = a->tail;
        while (w) {
            struct admission_waiter *next = w->next;
            int end = (w == last);
            if (!admission_is_held(a, w->model)) {
                enum admission_retry r = w->retry(w->arg);
                if (r == ADMISSION_RETRY_DONE)
                    admission_unlink(a, w);
                else if (r == ADMISSION_RETRY_WAIT)
                    admission_hold(a, w->model);
            }
            if (end)
                break;
            w = next;
        }
    } while (a->rekick);
    a->held_count = 0;
    a->kicking = 0;
}

void
admission_expire(struct admission *a, double now)
{
    struct admission_waiter *w = a->head;
    while (w) {
        struct admission_waiter *next = w->next;
        if (w->deadline <= now) {
            admission_expire_fn fn = w->expire;
            void *arg = w->arg;
            admission_unlink(a, w);
            fn(arg);
            /* the callback may have cancelled others: restart */
            next = a->head;
        }
        w = next;
    }
}

double
admission_next_deadline(const struct admission *a)
{
    double d = -1;
    for (const struct admission_waiter *w = a->head; w; w = w->next)
        if (d < 0 || w->deadline < d)
            d = w->deadline;
    return d;
}

size_t
admission_waiting(const struct admission *a)
{
    return a->waiting;
}

size_t
admission_waiting_model(const struct admission *a, const char *model)
{
    size_t n = 0;
    for (const struct admission_waiter *w = a->head; w; w = w->next)
        if (strcmp(w->model, model) == 0)
            n++;
    return n;
}

size_t
admission_waiting_model_before(const struct admission *a, const char *model,
                               double arrival)
{
    size_t n = 0;
    for (const struct admission_waiter *w = a->head; w && w->arrival < arrival;
         w = w->next)
        if (strcmp(w->model, model) == 0)
            n++;
    return n;
}

double
admission_wait_limit(const struct admission *a)
{
    return a->wait_s;
}

/* Adds name to out[0..*n) unless it is there; 0 when out is full. */
static int
admission_name_add(const char **out, size_t *n, size_t max, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i], name) == 0)
            return 1;
    if (*n == max)
        return 0;
    out[(*n)++] = name;
    return 1;
}

size_t
admission_waiting_models(const struct admission *a, const char **out,
                         size_t max)
{
    size_t n = 0;
    for (const struct admission_waiter *w = a->head; w; w = w->next)
        if (!admission_name_add(out, &n, max, w->model))
            break;
    return n;
}

size_t
admission_models(const struct admission *a, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->key_count; i++)
        if (!admission_name_add(out, &n, max, a->keys[i].model))
            return n;
    for (const struct admission_waiter *w = a->head; w; w = w->next)
        if (!admission_name_add(out, &n, max, w->model))
            return n;
    for (size_t i = 0; i < a->model_count; i++)
        if (!admission_name_add(out, &n, max, a->models[i].model))
            return n;
    return n;
}

size_t
admission_key_count(const struct admission *a)
{
    return a->key_count;
}

void
admission_key_at(const struct admission *a, size_t i,
                 struct admission_key_stats *out)
{
    const struct admission_key *k = &a->keys[i];
    out->node = k->node;
    out->model = k->model;
    out->in_flight = k->in_flight;
    out->slots = k->slots;
    out->max_in_flight = k->max_in_flight;
    out->completed = k->completed;
    out->failed = k->failed;
}
