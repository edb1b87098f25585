/* Auto-pull bookkeeping, the pull calls themselves, and the claims of
 * the pulls others run. */
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
#include "pull_line.h"
#include "registry.h"
#include "upstream.h"

#define AUTOPULL_MAX_KEPT 64

struct autopull_entry {
    struct autopull *ap;
    char model[256];
    char node[256];
    enum autopull_state state;
    int claimed; /* run by its claimer, not by us */
    double when; /* start, then end */
    char why[256];
    int status;
    struct upstream_call *call;
    struct event *timer;
    double timeout_s; /* its bound: the timeout when it started */
    struct pull_line line;
};

struct autopull {
    struct event_base *base;
    struct upstream_pool *pool;
    const struct registry *reg;
    double timeout_s;
    autopull_done_fn done;
    void *arg;
    struct autopull_entry e[AUTOPULL_MAX_KEPT];
};

struct autopull *
autopull_new(struct event_base *base, struct upstream_pool *pool,
             const struct registry *reg, double timeout_s,
             autopull_done_fn done, void *arg)
{
    struct autopull *ap = calloc(1, sizeof *ap);
    if (!ap)
        return NULL;
    ap->base = base;
    ap->pool = pool;
    ap->reg = reg;
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
    pull_line_clear(&e->line);
    e->claimed = 0;
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
    pull_line_feed(&e->line, data);
    evbuffer_drain(data, evbuffer_get_length(data));
}

static void
autopull_on_end(void *arg, int err)
{
    struct autopull_entry *e = arg;
    char why[256], error[200];
    e->call = NULL;
    if (err) {
        autopull_finish(e, 0, strerror(-err));
        return;
    }
    int rc = pull_line_end(&e->line, error, sizeof error);
    if (e->status == 200 && rc == 1) {
        autopull_finish(e, 1, NULL);
        return;
    }
    if (rc < 0)
        snprintf(why, sizeof why, "HTTP %d: %s", e->status, error);
    else
        snprintf(why, sizeof why, "HTTP %d", e->status);
    autopull_finish(e, 0, why);
}

static void
autopull_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct autopull_entry *e = arg;
    char why[64];
    (void)fd;
    (void)what;
    snprintf(why, sizeof why, "no success within %g s", e->timeout_s);
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

/* Whether some node lists model now, per its report or a noted pull. */
static int
autopull_listed(const struct autopull *ap, const char *model)
{
    for (size_t i = 0; i < registry_count(ap->reg); i++)
        if (registry_node_lists(registry_at(ap->reg, i), model))
            return 1;
    return 0;
}

enum autopull_state
autopull_state(struct autopull *ap, const char *model, double now,
               const char **why)
{
    struct autopull_entry *e = autopull_find(ap, model);
    (void)now;
    if (!e)
        return AUTOPULL_NONE;
    /* A success is worth remembering only while the model is there: once
     * deleted (or gone from the node's report) it must be pulled again,
     * not waited for. */
    if ((e->state != AUTOPULL_PULLING &&
         (double)time(NULL) - e->when > AUTOPULL_REMEMBER_S) ||
        (e->state == AUTOPULL_DONE && !autopull_listed(ap, model))) {
        e->state = AUTOPULL_NONE;
        return AUTOPULL_NONE;
    }
    if (why)
        *why = e->why;
    return e->state;
}

/* The entry for a new pull of model: its own past one (so that the
 * model has one entry only), an unused one, or the oldest outcome; NULL
 * when all are running pulls. *auto_active counts the running
 * auto-pulls. */
static struct autopull_entry *
autopull_slot(struct autopull *ap, const char *model, size_t *auto_active)
{
    struct autopull_entry *own = NULL, *unused = NULL, *old = NULL;
    *auto_active = 0;
    for (size_t i = 0; i < AUTOPULL_MAX_KEPT; i++) {
        struct autopull_entry *x = &ap->e[i];
        if (x->state == AUTOPULL_PULLING)
            *auto_active += !x->claimed;
        else if (strcmp(x->model, model) == 0)
            own = x;
        else if (x->state == AUTOPULL_NONE)
            unused = unused ? unused : x;
        else if (!old || x->when < old->when)
            old = x;
    }
    return own ? own : unused ? unused : old;
}

static void
autopull_take(struct autopull *ap, struct autopull_entry *e, const char *model,
              const char *node)
{
    memset(e, 0, sizeof *e);
    e->ap = ap;
    snprintf(e->model, sizeof e->model, "%s", model);
    snprintf(e->node, sizeof e->node, "%s", node);
    e->when = (double)time(NULL);
}

int
autopull_start(struct autopull *ap, const char *model, const char *node,
               const char *url, double now)
{
    size_t active;
    char err[256];
    if (autopull_state(ap, model, now, NULL) == AUTOPULL_PULLING)
        return -EALREADY;
    struct autopull_entry *e = autopull_slot(ap, model, &active);
    if (active >= AUTOPULL_MAX_ACTIVE || !e)
        return -EBUSY;
    autopull_take(ap, e, model, node);
    int ok = pull_line_init(&e->line) == 0;
    e->timer = evtimer_new(ap->base, autopull_timeout_cb, e);
    /* Streamed: a node pulling silently would be cut off by the
     * connection's idle timeout (upstream_timeout) long before
     * auto_pull_timeout; progress lines keep it alive, and the last one
     * says how it ended. */
    json_object *b = json_object_new_object();
    json_object_object_add(b, "model", json_object_new_string(model));
    json_object_object_add(b, "stream", json_object_new_boolean(1));
    const char *text = json_object_to_json_string(b);
    if (ok && e->timer)
        e->call =
            upstream_start(ap->pool, url, EVHTTP_REQ_POST, "/api/pull", text,
                           strlen(text), &autopull_cbs, e, err, sizeof err);
    json_object_put(b);
    if (!e->call) {
        autopull_clear(e);
        e->state = AUTOPULL_NONE;
        return ok && e->timer ? -EINVAL : -ENOMEM;
    }
    struct timeval tv;
    e->timeout_s = ap->timeout_s;
    tv.tv_sec = (time_t)e->timeout_s;
    tv.tv_usec = (suseconds_t)((e->timeout_s - (double)tv.tv_sec) * 1e6);
    evtimer_add(e->timer, &tv);
    e->state = AUTOPULL_PULLING;
    log_info("autopull", "no node has %s: pulling it on %s", model, node);
    return 0;
}

int
autopull_claim(struct autopull *ap, const char *model, const char *node)
{
    size_t active;
    if (autopull_state(ap, model, (double)time(NULL), NULL) == AUTOPULL_PULLING)
        return -EALREADY;
    struct autopull_entry *e = autopull_slot(ap, model, &active);
    if (!e)
        return -EBUSY;
    autopull_take(ap, e, model, node);
    e->claimed = 1;
    e->state = AUTOPULL_PULLING;
    return 0;
}

void
autopull_end(struct autopull *ap, const char *model,
             enum autopull_state outcome, const char *why)
{
    struct autopull_entry *e = autopull_find(ap, model);
    if (!e || !e->claimed || e->state != AUTOPULL_PULLING)
        return;
    if (outcome == AUTOPULL_NONE) {
        /* cancelled: requests waiting for it look again */
        autopull_clear(e);
        e->state = AUTOPULL_NONE;
        ap->done(ap->arg, model, e->node, 0);
        return;
    }
    autopull_finish(e, outcome == AUTOPULL_DONE, why);
}
