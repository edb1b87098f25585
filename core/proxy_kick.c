/* When waiting requests look again: the kick, run as soon as the loop is
 * free after a change that may let one go, and the tick, which expires
 * waits and notices back-offs that ended. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <event2/event.h>

#include "admission.h"
#include "router.h"

void
proxy_kick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct proxy *p = arg;
    (void)fd;
    (void)what;
    admission_kick(p->adm);
}

void
proxy_kick_soon(struct proxy *p)
{
    if (p->kick)
        event_active(p->kick, EV_TIMEOUT, 0);
}

void
proxy_kick(struct proxy *p)
{
    if (p && admission_waiting(p->adm) > 0)
        proxy_kick_soon(p);
}

/* Expires waits. It kicks the queue only when a back-off ended: every
 * other change that may let a waiter go (a slot freed, a heartbeat, a
 * pull, an unload, a reload) kicks it as it happens, and kicking on every
 * tick re-ranked the whole queue four times a second for nothing. */
void
proxy_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct proxy *p = arg;
    double now = router_now();
    (void)fd;
    (void)what;
    admission_expire(p->adm, now);
    if (proxy_backoff_ended(p, p->last_tick, now))
        proxy_kick(p);
    p->last_tick = now;
}
