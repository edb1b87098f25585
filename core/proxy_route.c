/* Sends a request to a node with a free slot, or holds it in the queue
 * (pulling its model first when no node has it), and answers it when
 * neither can be; the callbacks of the holding queue. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <errno.h>
#include <stdio.h>

#include "admission.h"
#include "autopull.h"
#include "registry.h"
#include "router.h"

static void
proxy_route_models_list(const struct proxy_req *q, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < q->model_count && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s'%s'", i ? ", " : "",
                                q->models[i]);
}

static enum admission_retry proxy_route_retry_cb(void *arg);
static void proxy_route_expire_cb(void *arg);

/* Answers a request that cannot be routed (proxy_select < 0). */
static void
proxy_route_unroutable(struct proxy_req *q, int rc)
{
    if (rc == -ENOENT) {
        char list[1200];
        const char *why = NULL;
        proxy_route_models_list(q, list, sizeof list);
        proxy_trace(q, "failed", "model not found");
        if (q->p->set.auto_pull &&
            autopull_state(q->p->ap, q->ri.model, router_now(), &why) ==
                AUTOPULL_FAILED)
            proxy_reply_error(q, 404,
                              "model(s) %s not found on any node; pulling "
                              "%s failed: %s",
                              list, q->ri.model, why);
        else
            proxy_reply_error(q, 404,
                              "model(s) %s not found on any node; pull it "
                              "with 'ollama pull' on a node or POST "
                              "/api/pull",
                              list);
        return;
    }
    proxy_trace(q, "failed", "no node left");
    proxy_reply_error(q, q->last_status ? q->last_status : 502,
                      "no available node for %s after excluding %zu "
                      "failed node(s); last error: %s",
                      q->ri.model, q->excluded_count, q->last_error);
}

/* The usable node with the most free memory (0 when not reported), for
 * an auto-pull; NULL when none. */
static const struct registry_node *
proxy_route_pull_node(struct proxy *p)
{
    const struct registry_node *best = NULL;
    double best_free = -1;
    for (size_t i = 0; i < registry_count(p->r->registry); i++) {
        const struct registry_node *n = registry_at(p->r->registry, i);
        double f = n->snap.has_memory ? n->snap.memory_available_gb : 0;
        if (!registry_node_usable(n) || f <= best_free)
            continue;
        best = n;
        best_free = f;
    }
    return best;
}

/* Puts q in the holding queue, in its place by arrival. Its limit is
 * queue_wait (plus extra s) for all its time there: a request whose node
 * failed it after it had waited comes back with what is left of the
 * limit, not a fresh one, so no request waits longer than queue_wait in
 * all. (The time on that node does not count: upstream_timeout and
 * max_retries bound it, and it was no wait for a slot.) A reload that
 * changes queue_wait moves the deadline by the change (see
 * admission_configure). Returns 0, or -ENOSPC / -ENOMEM as
 * admission_wait_until. */
static int
proxy_route_wait(struct proxy_req *q, double extra)
{
    struct proxy *p = q->p;
    double now = router_now();
    double left = admission_wait_limit(p->adm) + extra - q->waited;
    q->wait_extra = extra;
    int rc = admission_wait_until(
        p->adm, q->ri.model, q->t_start, now + (left > 0 ? left : 0),
        proxy_route_retry_cb, proxy_route_expire_cb, q, &q->waiter);
    if (rc == 0)
        q->t_queued = now;
    return rc;
}

/* q leaves the holding queue (the admission unlinks it): its wait counts
 * toward its limit should it wait again. */
static void
proxy_route_left_queue(struct proxy_req *q)
{
    q->waiter = NULL;
    q->waited += router_now() - q->t_queued;
}

/* No node has the model: pull it (once per model at a time) and wait for
 * it. Returns 2 when the request waits, 0 when no pull is possible (the
 * caller answers 404), -1 when answered here (503). */
static int
proxy_route_autopull(struct proxy_req *q)
{
    struct proxy *p = q->p;
    double now = router_now();
    enum autopull_state st = autopull_state(p->ap, q->ri.model, now, NULL);
    if (st == AUTOPULL_FAILED)
        return 0;
    if (st == AUTOPULL_NONE) {
        const struct registry_node *n = proxy_route_pull_node(p);
        if (!n)
            return 0;
        int rc = autopull_start(p->ap, q->ri.model, n->id, n->url, now);
        if (rc != 0 && rc != -EALREADY)
            return 0;
    }
    if (proxy_route_wait(q, p->set.auto_pull_timeout) != 0) {
        proxy_reject(q, "holding queue full",
                     "%s is being pulled and the holding queue is full; "
                     "try again shortly",
                     q->ri.model);
        return -1;
    }
    return 2;
}

/* Sends the request to a node with a free slot, or holds it. Returns 1
 * when sent (the attempt owns the request now; it may already have ended
 * and been freed), 0 when it waits, -1 when it was answered with an
 * error and the caller must free it. */
int
proxy_route(struct proxy_req *q)
{
    struct proxy *p = q->p;
    struct proxy_pick pk;
    /* Others wait for this model: it takes its place among them (a slot
     * freed in this loop pass is theirs, the kick comes after it) and the
     * kick serves the queue in order. */
    int behind =
        !p->draining && admission_waiting_model(p->adm, q->ri.model) > 0;
    int rc = behind ? 0 : proxy_select(q, &pk);
    if (rc == 1) {
        proxy_dispatch(q, &pk);
        return 1;
    }
    if (rc == -ENOENT && p->set.auto_pull && !p->draining) {
        int w = proxy_route_autopull(q);
        if (w == 2)
            return 0; /* waits for the pull */
        if (w < 0)
            return -1;
    }
    if (rc < 0) {
        proxy_route_unroutable(q, rc);
        return -1;
    }
    if (p->draining) {
        proxy_trace(q, "rejected", "draining");
        proxy_reply_error(q, 503, "the router is shutting down");
        return -1;
    }
    if (proxy_route_wait(q, 0) != 0) {
        proxy_reject(q, "holding queue full",
                     "every node that can serve %s is busy and the "
                     "holding queue is full; try again shortly",
                     q->ri.model);
        return -1;
    }
    if (behind)
        proxy_kick(p); /* a slot may be free for the queue's head */
    return 0;
}

/* A slot freed or a heartbeat landed: another try for a waiting request.
 * A request that still cannot go holds back the younger ones for its
 * model when they would be refused alike: when its model's nodes are all
 * busy and it asks no more than any request for the model does (no tags,
 * no nodes excluded because they failed it). */
static enum admission_retry
proxy_route_retry_cb(void *arg)
{
    struct proxy_req *q = arg;
    struct proxy_pick pk;
    int rc = proxy_select(q, &pk);
    if (rc == 0)
        return q->busy_primary && q->ri.tag_count == 0 && q->excluded_count == 0
                   ? ADMISSION_RETRY_WAIT
                   : ADMISSION_RETRY_WAIT_ALONE;
    if (rc == -ENOENT && q->p->set.auto_pull) {
        /* pulled (or being pulled) but not reported by the node yet */
        enum autopull_state st =
            autopull_state(q->p->ap, q->ri.model, router_now(), NULL);
        if (st == AUTOPULL_PULLING || st == AUTOPULL_DONE)
            return ADMISSION_RETRY_WAIT_ALONE;
    }
    proxy_route_left_queue(q); /* the admission unlinks it when we return */
    if (rc == 1) {
        proxy_dispatch(q, &pk);
    } else {
        proxy_route_unroutable(q, rc);
        proxy_free_req(q);
    }
    return ADMISSION_RETRY_DONE;
}

static void
proxy_route_expire_cb(void *arg)
{
    struct proxy_req *q = arg;
    struct proxy_pick pk;
    proxy_route_left_queue(q); /* the admission has unlinked it */
    if (q->p->draining) {
        proxy_reject(q, "draining", "the router is shutting down");
    } else if (proxy_expiry_fallback(q, &pk)) {
        proxy_dispatch(q, &pk);
        return;
    } else {
        /* the limit it had: queue_wait now (a reload moved its deadline
         * with it), and a pull's time when it waited for one */
        proxy_reject(q, "waited too long",
                     "no node could take %s within %g s; try again shortly",
                     q->ri.model,
                     admission_wait_limit(q->p->adm) + q->wait_extra);
    }
    proxy_free_req(q);
}
