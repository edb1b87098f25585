/* The proxy itself: its parts (admission, upstream pool, auto-pull, image
 * fetcher, pre-warm, timers) made, configured and freed, and what it shows
 * the router (the load for the scorer, the holding queue). A request's
 * life starts in proxy_req.c; proxy_impl.h lists the other files. */
#include "autoconfig.h"

#include "proxy.h"
#include "proxy_impl.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/time.h>

#include "admission.h"
#include "autopull.h"
#include "common/log.h"
#include "image_fetch.h"
#include "latency.h"
#include "prewarm.h"
#include "proxy_slots.h"
#include "queue_view.h"
#include "registry.h"
#include "router.h"
#include "upstream.h"

#define PROXY_TICK_S 0.25
#define PROXY_IDLE_CONNS 32

void
proxy_view(const struct proxy *p, struct queue_view *v)
{
    v->adm = p->adm;
    v->reg = p->r->registry;
    v->lat = p->r->latency;
    v->draining = p->draining;
}

/* A pull ended: waiting requests look again. */
static void
proxy_pull_done(void *arg, const char *model, const char *node, int ok)
{
    struct proxy *p = arg;
    /* routable now, not only once the node next reports */
    if (ok)
        registry_note_pulled(p->r->registry, node, model);
    proxy_kick_soon(p);
}

struct upstream_pool *
proxy_pool(struct proxy *p)
{
    return p->pool;
}

struct autopull *
proxy_autopull(struct proxy *p)
{
    return p->ap;
}

unsigned
proxy_in_flight(const struct proxy *p)
{
    return p->live;
}

/* The scorer's view of load: slots and requests per node:model from
 * admission, p75 from the latency history. */
static void
proxy_load_get(void *arg, const char *node, const char *model,
               struct herd_node_view *fill)
{
    struct proxy *p = arg;
    fill->in_flight = admission_in_flight(p->adm, node, model);
    fill->queue_depth =
        fill->in_flight + (uint32_t)admission_waiting_model(p->adm, model);
    fill->slots = proxy_slots(registry_find(p->r->registry, node), model,
                              p->set.default_num_parallel);
    if (p->r->latency)
        fill->p75_latency_ms = latency_p75_ms(p->r->latency, node, model);
}

/* A load ended: the next heartbeat may show the model there. */
static void
proxy_prewarm_ended(void *arg)
{
    proxy_kick(arg);
}

static void
proxy_prewarm_settings(const struct proxy_settings *s,
                       struct prewarm_settings *ps)
{
    ps->enabled = s->prewarm;
    ps->interval = s->prewarm_interval;
    ps->threshold = s->prewarm_threshold;
    ps->looks = s->prewarm_looks;
    ps->cooldown = s->prewarm_cooldown;
    ps->keep_alive = s->keep_alive;
}

void
proxy_configure(struct proxy *p, const struct proxy_settings *s)
{
    struct prewarm_settings ps;
    static const char *const modes[] = {"strip", "warn", "passthrough"};
    if (s->context_protection != p->set.context_protection &&
        s->context_protection >= 0 && s->context_protection < 3)
        log_info(proxy_comp, "context_protection is %s now",
                 modes[s->context_protection]);
    p->set = *s;
    proxy_drain_retime(p);
    if (p->adm)
        admission_configure(p->adm, s->queue_max, s->queue_wait);
    if (p->pool)
        upstream_pool_set_timeout(p->pool, s->upstream_timeout,
                                  s->connect_timeout);
    if (p->ap)
        autopull_set_timeout(p->ap, s->auto_pull_timeout);
    if (p->reaper)
        proxy_reaper_arm(p);
    proxy_prewarm_settings(s, &ps);
    if (p->pw)
        prewarm_configure(p->pw, &ps);
    char err[300];
    if (p->images && image_fetcher_set_ca_file(
                         p->images, s->image_fetch_ca_file, err, sizeof err))
        log_err(proxy_comp, "%s; https image URLs keep the old trust", err);
    /* a lower queue_wait leaves waits overdue: they end now, not at the
     * next tick */
    if (p->tick)
        event_active(p->tick, EV_TIMEOUT, 1);
    proxy_kick(p); /* slots or nodes may have been added */
}

struct proxy *
proxy_new(struct router *r, const struct proxy_settings *s)
{
    struct proxy *p = calloc(1, sizeof *p);
    struct prewarm_settings ps;
    struct prewarm_hooks ph = {proxy_backed_off, proxy_prewarm_ended, NULL};
    if (!p)
        return NULL;
    p->r = r;
    p->set = *s;
    p->adm = admission_new(s->queue_max, s->queue_wait);
    p->pool = upstream_pool_new(r->base, PROXY_IDLE_CONNS, s->upstream_timeout,
                                s->connect_timeout);
    if (p->pool)
        p->ap = autopull_new(r->base, p->pool, r->registry,
                             s->auto_pull_timeout,
                             proxy_pull_done, p);
    p->images = image_fetcher_new(r->base);
    char err[300];
    if (p->images && image_fetcher_set_ca_file(
                         p->images, s->image_fetch_ca_file, err, sizeof err)) {
        log_err(proxy_comp, "%s", err);
        image_fetcher_free(p->images);
        p->images = NULL;
    }
    proxy_prewarm_settings(s, &ps);
    ph.arg = p;
    if (p->adm && p->pool)
        p->pw = prewarm_new(r, p->adm, p->pool, &ps, &ph);
    p->tick = event_new(r->base, -1, EV_PERSIST, proxy_tick_cb, p);
    p->kick = event_new(r->base, -1, 0, proxy_kick_cb, p);
    p->drain_timer = evtimer_new(r->base, proxy_drain_timeout_cb, p);
    p->reaper = event_new(r->base, -1, EV_PERSIST, proxy_reaper_cb, p);
    struct timeval tv = {0, (suseconds_t)(PROXY_TICK_S * 1e6)};
    if (!p->adm || !p->pool || !p->ap || !p->pw || !p->images || !p->reaper ||
        !p->tick || !p->kick || !p->drain_timer ||
        event_add(p->tick, &tv) != 0) {
        proxy_free(p);
        return NULL;
    }
    proxy_reaper_arm(p);
    r->load.arg = p;
    r->load.get = proxy_load_get;
    return p;
}

void
proxy_free(struct proxy *p)
{
    if (!p)
        return;
    proxy_cut(p);
    if (p->tick)
        event_free(p->tick);
    if (p->kick)
        event_free(p->kick);
    if (p->drain_timer)
        event_free(p->drain_timer);
    if (p->reaper)
        event_free(p->reaper);
    prewarm_free(p->pw); /* cancels its calls before the pool goes */
    admission_free(p->adm);
    autopull_free(p->ap);
    upstream_pool_free(p->pool);
    image_fetcher_free(p->images);
    proxy_req_free_spares(p);
    if (p->r->load.arg == p) {
        p->r->load.get = NULL;
        p->r->load.arg = NULL;
    }
    free(p);
}

json_object *
proxy_queue_json(const struct proxy *p)
{
    struct queue_view v;
    struct timeval tv;
    proxy_view(p, &v);
    json_object *o = queue_view_json(&v);
    json_object_object_add(o, "prewarm", prewarm_json(p->pw));
    gettimeofday(&tv, NULL);
    json_object_object_add(
        o, "timestamp",
        json_object_new_double((double)tv.tv_sec + tv.tv_usec / 1e6));
    return o;
}
