/* Admission: slots are never exceeded, released slots are reused, the
 * holding queue is FIFO per model, bounded, and expires on time; a kick
 * asks one waiter per model whose nodes are busy, not the whole queue. */
#include "autoconfig.h"

#include "admission.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

struct waiter {
    struct admission *a;
    const char *node;
    int id, served, expired;
    int *order;
    int *order_len;
};

static enum admission_retry
waiter_retry(void *arg)
{
    struct waiter *w = arg;
    if (admission_acquire(w->a, w->node, "m", 2) != 0)
        return ADMISSION_RETRY_WAIT;
    w->served = 1;
    w->order[(*w->order_len)++] = w->id;
    return ADMISSION_RETRY_DONE;
}

static void
waiter_expire(void *arg)
{
    struct waiter *w = arg;
    w->expired = 1;
}

static enum admission_retry
never_retry(void *arg)
{
    (void)arg;
    return ADMISSION_RETRY_WAIT;
}

static void
never_expire(void *arg)
{
    (void)arg;
}

/* The distinct models waited for, oldest waiter first, bounded by max. */
static void
test_waiting_models(void)
{
    struct admission *a = admission_new(10, 30);
    struct admission_waiter *h;
    const char *names[3];
    const char *order[] = {"b", "a", "b", "c", "a"};
    is_int((int)admission_waiting_models(a, names, 3), 0, "nothing waits");
    for (size_t i = 0; i < 5; i++)
        admission_wait(a, order[i], 0, never_retry, never_expire, NULL, &h);
    size_t n = admission_waiting_models(a, names, 3);
    ok(n == 3 && strcmp(names[0], "b") == 0 && strcmp(names[1], "a") == 0 &&
           strcmp(names[2], "c") == 0,
       "three models, each once, oldest first");
    is_int((int)admission_waiting_models(a, names, 2), 2, "at most max");
    admission_free(a);
}

/* The order the kick serves: arrival, so a request that waits again
 * (retried after its node failed it) goes before later ones. */
static char served[8];
static size_t served_n;

static enum admission_retry
note_retry(void *arg)
{
    served[served_n++] = *(const char *)arg;
    return ADMISSION_RETRY_DONE;
}

static void
test_arrival_order(void)
{
    struct admission *a = admission_new(10, 30);
    struct admission_waiter *h;
    static const char b = 'b', c = 'c', r = 'r', z = 'z';
    admission_wait(a, "m", 10, note_retry, never_expire, (void *)&b, &h);
    admission_wait(a, "m", 20, note_retry, never_expire, (void *)&c, &h);
    admission_wait_until(a, "m", 5, 40, note_retry, never_expire, (void *)&r,
                         &h);
    admission_wait_until(a, "m", 30, 60, note_retry, never_expire, (void *)&z,
                         &h);
    admission_kick(a);
    served[served_n] = '\0';
    is_str(served, "rbcz",
           "the kick serves by arrival, not by when each "
           "joined the queue");
    admission_free(a);
}

/* A waiter that counts its retries and answers as told. */
struct counted {
    enum admission_retry answer;
    unsigned calls;
};

static enum admission_retry
counted_retry(void *arg)
{
    struct counted *c = arg;
    c->calls++;
    return c->answer;
}

static unsigned
counted_calls(struct counted *c, size_t n)
{
    unsigned calls = 0;
    for (size_t i = 0; i < n; i++)
        calls += c[i].calls;
    return calls;
}

/* A deep queue costs one retry per busy model and kick, not one per
 * waiter: the younger waiters of a model whose nodes are all busy would
 * be refused alike, and must not overtake the older one anyway. */
static void
test_kick_cost(void)
{
    enum { N = 1000 };
    static struct counted c[N];
    struct admission *a = admission_new(N, 30);
    struct admission_waiter *h;
    for (size_t i = 0; i < N; i++) {
        c[i].answer = ADMISSION_RETRY_WAIT;
        admission_wait(a, i % 2 ? "b" : "a", (double)i, counted_retry,
                       never_expire, &c[i], &h);
    }
    admission_kick(a);
    is_int((int)counted_calls(c, N), 2,
           "1000 waiters for two busy models: 2 retries in a kick, not 1000");
    ok(c[0].calls == 1 && c[1].calls == 1,
       "the oldest waiter of each model is the one asked");
    admission_kick(a);
    is_int((int)counted_calls(c, N), 4, "and 2 more in the next kick");

    /* A refusal of its own (nodes that failed it, tags) holds nobody
     * back: the next waiter of that model is asked too. */
    memset(c, 0, sizeof c);
    c[0].answer = ADMISSION_RETRY_WAIT_ALONE;
    c[2].answer = ADMISSION_RETRY_WAIT_ALONE;
    for (size_t i = 1; i < N; i++)
        if (i != 2)
            c[i].answer = ADMISSION_RETRY_WAIT;
    admission_kick(a);
    ok(c[0].calls == 1 && c[2].calls == 1 && c[4].calls == 1 && c[6].calls == 0,
       "model a: waiters 0 and 2 wait alone, 4 waits for busy nodes, 6 is "
       "not asked");
    is_int((int)counted_calls(c, N), 4, "4 retries in all (a: 3, b: 1)");

    /* Once the oldest of a model is served, the next one is asked. */
    memset(c, 0, sizeof c);
    c[0].answer = ADMISSION_RETRY_DONE;
    for (size_t i = 1; i < N; i++)
        c[i].answer = ADMISSION_RETRY_WAIT;
    admission_kick(a);
    ok(c[0].calls == 1 && c[2].calls == 1 && c[4].calls == 0,
       "the oldest of a leaves; the next one of a is asked, and waits");
    is_int((int)admission_waiting(a), N - 1, "one left the queue");
    admission_free(a);
}

/* Requests turned away are counted per model (they have no node), and
 * the models listed are those with entries, waiters or rejections. */
static void
test_rejected(void)
{
    struct admission *a = admission_new(10, 30);
    struct admission_waiter *h;
    const char *names[8];
    admission_acquire(a, "n1", "m1", 1);
    admission_wait(a, "m2", 1, never_retry, never_expire, NULL, &h);
    admission_count_rejected(a, "m3");
    admission_count_rejected(a, "m3");
    admission_count_rejected(a, "m1");
    is_int((int)admission_rejected(a, "m3"), 2, "m3: two rejected");
    is_int((int)admission_rejected(a, "m1"), 1, "m1: one");
    is_int((int)admission_rejected(a, "m2"), 0, "m2: none");
    is_int((int)admission_rejected_total(a), 3, "three in all");
    size_t n = admission_models(a, names, 8);
    ok(n == 3 && strcmp(names[0], "m1") == 0 && strcmp(names[1], "m2") == 0 &&
           strcmp(names[2], "m3") == 0,
       "models: with an entry, waiting, rejected; each once");
    is_int((int)admission_models(a, names, 2), 2, "at most max");
    admission_free(a);
}

/* Waiters for a model that arrived before a given time. */
static void
test_waiting_before(void)
{
    struct admission *a = admission_new(10, 30);
    struct admission_waiter *h;
    admission_wait(a, "m", 10, never_retry, never_expire, NULL, &h);
    admission_wait(a, "x", 15, never_retry, never_expire, NULL, &h);
    admission_wait(a, "m", 20, never_retry, never_expire, NULL, &h);
    is_int((int)admission_waiting_model_before(a, "m", 10), 0,
           "none before the first");
    is_int((int)admission_waiting_model_before(a, "m", 20), 1, "one before 20");
    is_int((int)admission_waiting_model_before(a, "m", 21), 2, "two before 21");
    is_int((int)admission_waiting_model_before(a, "x", 21), 1,
           "other models apart");
    admission_free(a);
}

int
main(void)
{
    test_waiting_models();
    test_arrival_order();
    test_kick_cost();
    test_rejected();
    test_waiting_before();

    struct admission *a = admission_new(3, 30);
    struct admission_waiter *h;

    is_int(admission_acquire(a, "n1", "m", 2), 0, "first slot");
    is_int(admission_acquire(a, "n1", "m", 2), 0, "second slot");
    is_int(admission_acquire(a, "n1", "m", 2), -EBUSY, "no third slot");
    is_int(admission_acquire(a, "n2", "m", 2), 0, "another node is apart");
    is_int(admission_acquire(a, "n1", "other", 0), 0,
           "another model is apart; 0 slots means 1");
    is_int(admission_acquire(a, "n1", "other", 0), -EBUSY, "and only 1");
    is_int((int)admission_in_flight(a, "n1", "m"), 2, "in flight counted");
    is_int((int)admission_node_in_flight(a, "n1"), 3, "per node too");
    admission_release(a, "n1", "m", ADMISSION_COMPLETED);
    is_int(admission_acquire(a, "n1", "m", 2), 0, "a freed slot is reused");
    admission_release(a, "n1", "nothing", ADMISSION_FAILED);
    admission_release(a, "n2", "m", ADMISSION_FAILED);
    admission_release(a, "n2", "m", ADMISSION_FAILED);
    is_int((int)admission_in_flight(a, "n2", "m"), 0,
           "release never goes below zero");

    /* n1:m is full; three waiters queue, a fourth is refused. */
    int order[8], len = 0;
    struct waiter w[4];
    for (int i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].a = a;
        w[i].node = "n1";
        w[i].id = i;
        w[i].order = order;
        w[i].order_len = &len;
    }
    for (int i = 0; i < 3; i++)
        is_int(admission_wait(a, "m", 100.0 + i, waiter_retry, waiter_expire,
                              &w[i], &h),
               0, "waiter %d queued", i);
    is_int(admission_wait(a, "m", 103, waiter_retry, waiter_expire, &w[3], &h),
           -ENOSPC, "the fourth finds the queue full");
    is_int((int)admission_waiting_model(a, "m"), 3, "three wait for m");
    admission_kick(a);
    is_int(len, 0, "nobody served while full");
    admission_release(a, "n1", "m", ADMISSION_COMPLETED);
    admission_kick(a);
    ok(len == 1 && order[0] == 0, "the oldest is served first");
    admission_release(a, "n1", "m", ADMISSION_COMPLETED);
    admission_kick(a);
    ok(len == 2 && order[1] == 1, "then the next");
    is_int((int)admission_in_flight(a, "n1", "m"), 2, "still at most 2");
    ok(admission_next_deadline(a) == 132.0, "deadline = arrival + wait");
    admission_expire(a, 131.9);
    ok(!w[2].expired, "not expired before its deadline");
    admission_expire(a, 132.0);
    ok(w[2].expired && admission_waiting(a) == 0, "expired at its deadline");
    ok(admission_next_deadline(a) < 0, "no deadline when empty");

    is_int(admission_wait(a, "m", 0, waiter_retry, waiter_expire, &w[3], &h), 0,
           "queued again");
    admission_cancel(a, h);
    is_int((int)admission_waiting(a), 0, "cancel removes without a call");
    ok(!w[3].expired && !w[3].served, "and calls nothing");

    struct admission_key_stats st;
    ok(admission_key_count(a) == 3, "three keys seen");
    admission_key_at(a, 0, &st);
    ok(strcmp(st.node, "n1") == 0 && st.max_in_flight == 2 &&
           st.completed == 3 && st.slots == 2,
       "statistics of n1:m");
    admission_free(a);
    return done_testing();
}
