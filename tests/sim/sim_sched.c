/* The scheduler: runners (loaded models), memory, eviction, keep_alive,
 * parallel slots and the FIFO queues, modelled on Ollama's (ollama-api.md
 * §5). One pending queue is served one request at a time; a model that is
 * loaded with the right context skips it and waits only for a slot. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sched_pump(struct sim_server *s);

static int64_t
sched_scaled(struct sim_server *s, double seconds)
{
    return (int64_t)(seconds * s->cfg.time_scale * 1e9);
}

uint64_t
sched_memory_used(struct sim_server *s)
{
    uint64_t used = 0;
    for (struct sim_model *m = s->models; m; m = m->next)
        if (m->runner)
            used += m->runner->size_bytes;
    return used;
}

int
sched_loaded_count(struct sim_server *s)
{
    int n = 0;
    for (struct sim_model *m = s->models; m; m = m->next)
        n += m->runner != NULL;
    return n;
}

static void
sched_unload_runner(struct sim_server *s, struct sim_runner *r)
{
    log_info("sched", "unloading %s", r->model->name);
    r->model->runner = NULL;
    for (int i = 0; i < r->nslots; i++)
        free(r->slots[i].last_prompt);
    free(r->slots);
    event_free(r->timer);
    if (s->loading == r)
        s->loading = NULL;
    free(r);
}

/* The runner has no requests left: unload it or start its idle timer. */
static void
sched_went_idle(struct sim_server *s, struct sim_runner *r)
{
    int64_t now = sim_wall_ns();
    if (r->expire || r->keep_alive_ns == 0) {
        if (r->evicting)
            r->model->st.evictions++;
        else
            r->model->st.unloads++;
        sched_unload_runner(s, r);
        return;
    }
    if (r->keep_alive_ns < 0) {
        r->expires_wall_ns = SIM_FOREVER;
        return;
    }
    r->expires_wall_ns = now + r->keep_alive_ns;
    struct timeval tv = sim_tv(r->keep_alive_ns);
    evtimer_add(r->timer, &tv);
}

static void
sched_take_slot(struct sim_server *s, struct sim_runner *r, struct sim_job *job)
{
    for (int i = 0; i < r->nslots; i++) {
        if (r->slots[i].job)
            continue;
        r->slots[i].job = job;
        job->slot = i;
        job->waiting_slot = 0;
        job->running = 1;
        r->active++;
        if ((uint64_t)r->active > r->model->st.max_concurrent)
            r->model->st.max_concurrent = (uint64_t)r->active;
        job->t_assigned = sim_mono_ns();
        job_ready(job);
        return;
    }
    job->waiting_slot = 1;
    s->nslot_waiting++;
    TAILQ_INSERT_TAIL(&r->slot_wait, job, link);
}

static void
sched_attach(struct sim_server *s, struct sim_runner *r, struct sim_job *job)
{
    r->refs++;
    evtimer_del(r->timer);
    job->runner = r;
    if (job->has_keep_alive)
        r->keep_alive_ns = job->keep_alive_ns;
    if (job->kind == SIM_JOB_LOAD) {
        job->running = 1;
        job->t_assigned = sim_mono_ns();
        job_ready(job);
        return;
    }
    sched_take_slot(s, r, job);
}

static int
sched_effective_ctx(struct sim_server *s, struct sim_job *job)
{
    int ctx = job->num_ctx > 0 ? job->num_ctx : s->cfg.default_ctx;
    if (ctx > job->model->context_length)
        ctx = job->model->context_length;
    return ctx < 4 ? 4 : ctx;
}

static int
sched_usable(struct sim_server *s, struct sim_runner *r, struct sim_job *job)
{
    return r && r->state == SIM_RUNNER_READY && !r->expire &&
           r->num_ctx == sched_effective_ctx(s, job);
}

static int
sched_queue_full(struct sim_server *s)
{
    return s->npending + s->nslot_waiting >= s->cfg.max_queue;
}

int
sched_submit(struct sim_server *s, struct sim_job *job)
{
    struct sim_runner *r = job->model->runner;
    if ((double)job->model->size_bytes > s->cfg.memory_gb * SIM_GIB)
        return -E2BIG;
    if (sched_usable(s, r, job)) {
        int free_slot = job->kind == SIM_JOB_LOAD || r->active < r->nslots;
        if (!free_slot && sched_queue_full(s))
            return -EBUSY;
        sched_attach(s, r, job);
        return 0;
    }
    if (sched_queue_full(s))
        return -EBUSY;
    job->queued = 1;
    s->npending++;
    TAILQ_INSERT_TAIL(&s->pending, job, link);
    sched_pump(s);
    return 0;
}

static void sched_timer_cb(evutil_socket_t fd, short what, void *arg);

static void
sched_start_load(struct sim_server *s, struct sim_job *job, int reload)
{
    struct sim_model *m = job->model;
    struct sim_runner *r = calloc(1, sizeof *r);
    r->model = m;
    r->state = SIM_RUNNER_LOADING;
    r->num_ctx = sched_effective_ctx(s, job);
    r->keep_alive_ns =
        job->has_keep_alive ? job->keep_alive_ns : s->cfg.keep_alive_ns;
    r->nslots = (m->caps & SIM_CAP_EMBEDDING) ? 1
                : m->num_parallel             ? m->num_parallel
                                              : s->cfg.num_parallel;
    r->slots = calloc((size_t)r->nslots, sizeof *r->slots);
    TAILQ_INIT(&r->slot_wait);
    r->size_bytes = m->size_bytes;
    r->expire = 0;
    r->expires_wall_ns =
        r->keep_alive_ns < 0 ? SIM_FOREVER : sim_wall_ns() + r->keep_alive_ns;
    r->srv = s;
    /* One timer: while loading it ends the load, afterwards it is the
     * keep_alive expiry. */
    r->timer = evtimer_new(s->base, sched_timer_cb, r);
    m->runner = r;
    s->loading = r;
    if (reload)
        m->st.reloads++;
    else
        m->st.loads++;
    double secs = (double)m->size_bytes / SIM_GIB / s->cfg.load_gb_per_sec;
    log_info("sched", "loading %s (num_ctx %d, %.2f s)", m->name, r->num_ctx,
             secs * s->cfg.time_scale);
    struct timeval tv = sim_tv(sched_scaled(s, secs));
    evtimer_add(r->timer, &tv);
}

static void
sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_runner *r = arg;
    struct sim_server *s = r->srv;
    if (r->state == SIM_RUNNER_LOADING) {
        r->state = SIM_RUNNER_READY;
        s->loading = NULL;
        struct sim_model *m = r->model;
        uint64_t gone = m->st.unloads + m->st.evictions;
        log_info("sched", "loaded %s", m->name);
        sched_pump(s);
        /* The pump may have unloaded it again (a request for another
         * num_ctx); the counters tell without touching freed memory. */
        if (m->st.unloads + m->st.evictions == gone && r->refs == 0)
            sched_went_idle(s, r);
    } else {
        r->model->st.unloads++;
        sched_unload_runner(s, r);
    }
    sched_pump(s);
}

/* The idle runner to evict: shortest keep_alive first, forever last. */
static struct sim_runner *
sched_victim(struct sim_server *s, int idle_only)
{
    struct sim_runner *best = NULL;
    for (struct sim_model *m = s->models; m; m = m->next) {
        struct sim_runner *r = m->runner;
        if (!r || r->state != SIM_RUNNER_READY || (idle_only && r->refs))
            continue;
        uint64_t ka =
            r->keep_alive_ns < 0 ? UINT64_MAX : (uint64_t)r->keep_alive_ns;
        uint64_t bka = !best ? UINT64_MAX
                       : best->keep_alive_ns < 0
                           ? UINT64_MAX
                           : (uint64_t)best->keep_alive_ns;
        if (!best || ka < bka ||
            (ka == bka && strcmp(m->name, best->model->name) < 0))
            best = r;
    }
    return best;
}

static void
sched_pump(struct sim_server *s)
{
    struct sim_job *job;
    while ((job = TAILQ_FIRST(&s->pending))) {
        if (s->loading)
            return; /* one load at a time; the queue waits */
        struct sim_model *m = job->model;
        struct sim_runner *r = m->runner;
        if (sched_usable(s, r, job)) {
            TAILQ_REMOVE(&s->pending, job, link);
            s->npending--;
            job->queued = 0;
            sched_attach(s, r, job);
            continue;
        }
        int reload = 0;
        if (r) {
            /* Loaded with other runner options, or marked for unload:
             * unload once its requests are done, then load again. */
            r->expire = 1;
            if (r->refs > 0)
                return;
            r->model->st.unloads++;
            sched_unload_runner(s, r);
            reload = 1;
        }
        uint64_t need = m->size_bytes;
        uint64_t total = (uint64_t)(s->cfg.memory_gb * SIM_GIB);
        while (sched_loaded_count(s) >= s->cfg.max_loaded ||
               sched_memory_used(s) + need > total) {
            struct sim_runner *v = sched_victim(s, 1);
            if (!v) {
                v = sched_victim(s, 0);
                if (v) /* unloads when its requests finish */
                    v->expire = v->evicting = 1;
                return;
            }
            log_info("sched", "evicting %s for %s", v->model->name, m->name);
            v->model->st.evictions++;
            sched_unload_runner(s, v);
        }
        sched_start_load(s, job, reload);
        return;
    }
}

void
sched_release(struct sim_server *s, struct sim_job *job)
{
    struct sim_runner *r = job->runner;
    if (job->queued) {
        TAILQ_REMOVE(&s->pending, job, link);
        s->npending--;
        job->queued = 0;
        sched_pump(s);
        return;
    }
    if (!r)
        return;
    job->runner = NULL;
    if (job->waiting_slot) {
        TAILQ_REMOVE(&r->slot_wait, job, link);
        s->nslot_waiting--;
        job->waiting_slot = 0;
    } else if (job->running && job->kind != SIM_JOB_LOAD) {
        struct sim_slot *slot = &r->slots[job->slot];
        slot->job = NULL;
        r->active--;
        struct sim_job *next = TAILQ_FIRST(&r->slot_wait);
        if (next) {
            TAILQ_REMOVE(&r->slot_wait, next, link);
            s->nslot_waiting--;
            sched_take_slot(s, r, next);
        }
    }
    job->running = 0;
    r->refs--;
    if (r->refs == 0 && r->state == SIM_RUNNER_READY)
        sched_went_idle(s, r);
    sched_pump(s);
}

void
sched_unload(struct sim_server *s, struct sim_model *m)
{
    struct sim_runner *r = m->runner;
    if (!r)
        return;
    r->expire = 1;
    r->expires_wall_ns = sim_wall_ns();
    if (r->refs == 0 && r->state == SIM_RUNNER_READY) {
        m->st.unloads++;
        sched_unload_runner(s, r);
    }
    sched_pump(s);
}

void
sched_shutdown(struct sim_server *s)
{
    for (struct sim_model *m = s->models; m; m = m->next)
        if (m->runner)
            sched_unload_runner(s, m->runner);
}
