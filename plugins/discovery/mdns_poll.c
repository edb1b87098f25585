/* mdns_poll: avahi's AvahiPoll on the host's libevent loop, so avahi-client
 * runs on the loop thread like everything else (Debian ships glue for
 * glib and for avahi's own loops, not for libevent). */
#include <avahi-common/timeval.h>
#include <avahi-common/watch.h>
#include <event2/event.h>
#include <stdlib.h>
#include <sys/time.h>

#include "mdns.h"

struct AvahiWatch {
    struct event_base *base;
    struct event *ev;
    int fd;
    AvahiWatchEvent got; /* what the current callback was woken for */
    AvahiWatchCallback cb;
    void *userdata;
};

struct AvahiTimeout {
    struct event *ev;
    AvahiTimeoutCallback cb;
    void *userdata;
};

static void
mdns_poll_watch_cb(evutil_socket_t fd, short what, void *arg)
{
    AvahiWatch *w = arg;
    AvahiWatchEvent got = 0;
    if (what & EV_READ)
        got |= AVAHI_WATCH_IN;
    if (what & EV_WRITE)
        got |= AVAHI_WATCH_OUT;
    w->got = got;
    /* avahi may free w in the callback: do not touch it afterwards. */
    w->cb(w, fd, got, w->userdata);
}

/* (Re)arms w for the avahi events in want; 0 disarms. */
static int
mdns_poll_watch_arm(AvahiWatch *w, AvahiWatchEvent want)
{
    short what = EV_PERSIST;
    if (w->ev) {
        event_free(w->ev);
        w->ev = NULL;
    }
    if (want & AVAHI_WATCH_IN)
        what |= EV_READ;
    if (want & AVAHI_WATCH_OUT)
        what |= EV_WRITE;
    /* ERR and HUP come with readability under epoll and poll. */
    if (!(what & (EV_READ | EV_WRITE)))
        return 0;
    w->ev = event_new(w->base, w->fd, what, mdns_poll_watch_cb, w);
    if (!w->ev || event_add(w->ev, NULL) != 0)
        return -1;
    return 0;
}

static AvahiWatch *
mdns_poll_watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
                    AvahiWatchCallback cb, void *userdata)
{
    AvahiWatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->base = api->userdata;
    w->fd = fd;
    w->cb = cb;
    w->userdata = userdata;
    if (mdns_poll_watch_arm(w, event) != 0) {
        if (w->ev)
            event_free(w->ev);
        free(w);
        return NULL;
    }
    return w;
}

static void
mdns_poll_watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
    /* The AvahiPoll interface has no way to report a failure here; a
     * failed event_add leaves the watch disarmed, as event 0 would. */
    (void)mdns_poll_watch_arm(w, event);
}

static AvahiWatchEvent
mdns_poll_watch_get_events(AvahiWatch *w)
{
    return w->got;
}

static void
mdns_poll_watch_free(AvahiWatch *w)
{
    if (w->ev)
        event_free(w->ev);
    free(w);
}

static void
mdns_poll_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    AvahiTimeout *t = arg;
    (void)fd;
    (void)what;
    t->cb(t, t->userdata);
}

/* avahi's times are absolute (gettimeofday); libevent's are relative. */
static void
mdns_poll_timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
    event_del(t->ev);
    if (!tv)
        return;
    AvahiUsec usec = -avahi_age(tv); /* microseconds until tv */
    struct timeval rel = {0, 0};
    if (usec > 0) {
        rel.tv_sec = (time_t)(usec / 1000000);
        rel.tv_usec = (suseconds_t)(usec % 1000000);
    }
    event_add(t->ev, &rel);
}

static AvahiTimeout *
mdns_poll_timeout_new(const AvahiPoll *api, const struct timeval *tv,
                      AvahiTimeoutCallback cb, void *userdata)
{
    AvahiTimeout *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cb = cb;
    t->userdata = userdata;
    t->ev = evtimer_new((struct event_base *)api->userdata,
                        mdns_poll_timeout_cb, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    mdns_poll_timeout_arm(t, tv);
    return t;
}

static void
mdns_poll_timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
    mdns_poll_timeout_arm(t, tv);
}

static void
mdns_poll_timeout_free(AvahiTimeout *t)
{
    event_free(t->ev);
    free(t);
}

void
mdns_poll_init(AvahiPoll *api, struct event_base *base)
{
    api->userdata = base;
    api->watch_new = mdns_poll_watch_new;
    api->watch_update = mdns_poll_watch_update;
    api->watch_get_events = mdns_poll_watch_get_events;
    api->watch_free = mdns_poll_watch_free;
    api->timeout_new = mdns_poll_timeout_new;
    api->timeout_update = mdns_poll_timeout_update;
    api->timeout_free = mdns_poll_timeout_free;
}
