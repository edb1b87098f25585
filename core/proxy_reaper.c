/* The reaper: frees the slots of attempts that hold one while no byte
 * comes from their node. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <event2/event.h>
#include <stdio.h>
#include <sys/time.h>

#include "common/log.h"
#include "relay.h"
#include "router.h"
#include "upstream.h"

/* The safety net: an attempt that holds a slot while no byte has come
 * from its node for stale_timeout (a node that hangs without the
 * connection noticing, a client that stopped reading and so paused the
 * node) is cancelled and its slot freed. Streams whose bytes flow are
 * never touched. Before the client saw anything the request is retried
 * elsewhere, as after a timeout; after, its stream ends with an error. */
static void
proxy_reaper_reap(struct proxy_req *q, double idle)
{
    struct proxy *p = q->p;
    char why[HEARTBEAT_MAX_STRING + 128];
    snprintf(why, sizeof why,
             "no bytes from %s for %.1f s (stale_timeout %g s): reaped",
             q->node, idle, p->set.stale_timeout);
    log_warn(proxy_comp,
             "%s: reaper frees the slot of %s on %s, held %.1f s, the last "
             "%.1f s without bytes%s",
             q->request_id, q->model, q->node, router_now() - q->t_dispatch,
             idle, q->paused ? " (the client stopped reading)" : "");
    p->reaped++;
    upstream_cancel(q->call);
    q->call = NULL;
    relay_end(&q->relay);
    if (!q->req) {
        proxy_free_req(q);
        return;
    }
    if (!q->headers_sent) {
        proxy_attempt_failed(q, why, 1);
        return;
    }
    proxy_fail_midstream(q, why);
}

void
proxy_reaper_cb(evutil_socket_t fd, short what, void *arg)
{
    struct proxy *p = arg;
    (void)fd;
    (void)what;
    /* each reap may free or re-dispatch q (fresh t_active), so look again
     * from the head until nothing is stale */
    for (;;) {
        double now = router_now();
        struct proxy_req *q;
        for (q = p->head; q; q = q->next)
            if (q->call && q->slot_held &&
                now - q->t_active > p->set.stale_timeout)
                break;
        if (!q)
            return;
        proxy_reaper_reap(q, now - q->t_active);
    }
}

/* Sweeps often enough that a stale slot lives at most a quarter longer
 * than stale_timeout, and at least once a minute. */
void
proxy_reaper_arm(struct proxy *p)
{
    double every = p->set.stale_timeout / 4;
    if (every > 60)
        every = 60;
    if (every < 0.05)
        every = 0.05;
    if (every == p->reap_every)
        return;
    p->reap_every = every;
    struct timeval tv = {(time_t)every,
                         (suseconds_t)((every - (double)(time_t)every) * 1e6)};
    event_del(p->reaper);
    event_add(p->reaper, &tv);
}
