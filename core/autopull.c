/* Auto-pull bookkeeping and the pull calls themselves. */
#include "autoconfig.h"

#include "autopull.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "upstream.h"

#define AUTOPULL_MAX_KEPT 64

struct autopull_entry {
    struct autopull *ap;
    char model[256];
    char node[256];
    enum autopull_state state;
    double when; /* start, then end */
    char why[256];
    int status;
    struct upstream_call *call;
    struct event *timer;
    struct evbuffer *body;
};

struct autopull {
    struct event_base *base;
    struct upstream_pool *pool;
    double timeout_s;
    autopull_done_fn done;
    void *arg;
    struct autopull_entry e[AUTOPULL_MAX_KEPT];
};

struct autopull *
autopull_new(struct event_base *base, struct upstream_pool *pool,
             double timeout_s, autopull_done_fn done, void *arg)
{
    struct autopull *ap = calloc(1, sizeof *ap);
    if (!ap)
        return NULL;
    ap->base = base;
    ap->pool = pool;
    ap->timeout_s = timeout_s;
    ap->done = done;
    ap->arg = arg;
    return ap;
}

void
autopull_set_timeout(struct autopull *ap, double timeout_s)
{
    ap->timeout_s = timeout_s;
}

static void
autopull_clear(struct autopull_entry *e)
{
    if (e->call)
        upstream_cancel(e->call);
    e->call = NULL;
    if (e->timer)
        event_free(e->timer);
    e->timer = NULL;
    if (e->body)
        evbuffer_free(e->body);
    e->body = NULL;
}

void
autopull_free(struct autopull *ap)
{
    if (!ap)
        return;
    for (size_t i = 0; i < AUTOPULL_MAX_KEPT; i++)
        autopull_clear(&ap->e[i]);
    free(ap);
}

/* Ends a pull with its outcome, and tells the router. */
static void
autopull_finish(struct autopull_entry *e, int ok, const char *why)
{
    struct autopull *ap = e->ap;
    e->state = ok ? AUTOPULL_DONE : AUTOPULL_FAILED;
    e->when = (double)time(NULL);
    snprintf(e->why, sizeof e->why, "%s", why ? why : "");
    if (ok)
        log_info("autopull", "pulled %s on %s", e->model, e->node);
    else
        log_warn("autopull", "pulling %s on %s failed: %s", e->model, e->node,
                 e->why);
    autopull_clear(e);
    ap->done(ap->arg, e->model, e->node, ok);
}

static void
autopull_on_head(void *arg, int status, const char *ctype)
{
    struct autopull_entry *e = arg;
    (void)ctype;
    e->status = status;
}

static void
autopull_on_body(void *arg, struct evbuffer *data)
{
    struct autopull_entry *e = arg;
    if (evbuffer_get_length(e->body) < 4096)
        evbuffer_add_buffer(e->body, data);
    else
        evbuffer_drain(data, evbuffer_get_length(data));
}

static void
autopull_on_end(void *arg, int err)
{
    struct autopull_entry *e = arg;
    char why[256];
    e->call = NULL;
    if (err) {
        autopull_finish(e, 0, strerror(-err));
        return;
    }
    /* {"status":"success"} or {"error":"..."}: the last line counts, so
     * a node that streams progress anyway is understood too */
    evbuffer_add(e->body, "", 1);
    char *text = (char *)evbuffer_pullup(e->body, -1);
    char *last = text;
    for (char *c = text; c && *c; c++)
        if (*c == '\n' && c[1] && c[1] != '\n')
            last = c + 1;
    json_object *o = last ? json_tokener_parse(last) : NULL, *v;
    if (e->status == 200 && o && json_object_object_get_ex(o, "status", &v) &&
        strcmp(json_object_get_string(v), "success") == 0) {
        json_object_put(o);
        autopull_finish(e, 1, NULL);
        return;
    }
    if (o && json_object_object_get_ex(o, "error", &v))
        snprintf(why, sizeof why, "HTTP %d: %s", e->status,
                 json_object_get_string(v));
    else
        snprintf(why, sizeof why, "HTTP %d", e->status);
    json_object_put(o);
    autopull_finish(e, 0, why);
}

static void
autopull_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct autopull_entry *e = arg;
    char why[64];
    (void)fd;
    (void)what;
    snprintf(why, sizeof why, "no success within %g s", e->ap->timeout_s);
    autopull_finish(e, 0, why);
}

static const struct upstream_cbs autopull_cbs = {
    autopull_on_head, autopull_on_body, autopull_on_end};

static struct autopull_entry *
autopull_find(struct autopull *ap, const char *model)
{
    for (size_t i = 0; i < AUTOPULL_MAX_KEPT; i++)
        if (ap->e[i].state != AUTOPULL_NONE &&
            strcmp(ap->e[i].model, model) == 0)
            return &ap->e[i];
    return NULL;
}

enum autopull_state
autopull_state(struct autopull *ap, const char *model, double now,
               const char **why)
{
    struct autopull_entry *e = autopull_find(ap, model);
    (void)now;
    if (!e)
        return AUTOPULL_NONE;
    if (e->state != AUTOPULL_PULLING &&
        (double)time(NULL) - e->when > AUTOPULL_REMEMBER_S) {
        e->state = AUTOPULL_NONE;
        return AUTOPULL_NONE;
    }
    if (why)
        *why = e->why;
    return e->state;
}

int
autopull_start(struct autopull *ap, const char *model, const char *node,
               const char *url, double now)
{
    struct autopull_entry *e = NULL, *old = NULL;
    size_t active = 0;
    char err[256];
    if (autopull_state(ap, model, now, NULL) == AUTOPULL_PULLING)
        return -EALREADY;
    for (size_t i = 0; i < AUTOPULL_MAX_KEPT; i++) {
        struct autopull_entry *x = &ap->e[i];
        if (x->state == AUTOPULL_PULLING)
            active++;
        else if (x->state == AUTOPULL_NONE || strcmp(x->model, model) == 0)
            e = e ? e : x;
        else if (!old || x->when < old->when)
            old = x;
    }
    if (active >= AUTOPULL_MAX_ACTIVE)
        return -EBUSY;
    if (!e)
        e = old; /* forget the oldest outcome */
    if (!e)
        return -EBUSY;
    memset(e, 0, sizeof *e);
    e->ap = ap;
    snprintf(e->model, sizeof e->model, "%s", model);
    snprintf(e->node, sizeof e->node, "%s", node);
    e->body = evbuffer_new();
    e->timer = evtimer_new(ap->base, autopull_timeout_cb, e);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "model", json_object_new_string(model));
    json_object_object_add(b, "stream", json_object_new_boolean(0));
    const char *text = json_object_to_json_string(b);
    if (e->body && e->timer)
        e->call =
            upstream_start(ap->pool, url, EVHTTP_REQ_POST, "/api/pull", text,
                           strlen(text), &autopull_cbs, e, err, sizeof err);
    json_object_put(b);
    if (!e->call) {
        autopull_clear(e);
        e->state = AUTOPULL_NONE;
        return e->body && e->timer ? -EINVAL : -ENOMEM;
    }
    struct timeval tv;
    tv.tv_sec = (time_t)ap->timeout_s;
    tv.tv_usec = (suseconds_t)((ap->timeout_s - (double)tv.tv_sec) * 1e6);
    evtimer_add(e->timer, &tv);
    e->state = AUTOPULL_PULLING;
    e->when = (double)time(NULL);
    log_info("autopull", "no node has %s: pulling it on %s", model, node);
    return 0;
}
