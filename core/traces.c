/* The trace writer: a bounded queue filled on the loop thread and drained
 * by one storage thread, which hands batches to every storage plugin and
 * runs analytics queries. Answers come back to the loop through a pipe, so
 * the event base needs no locking of its own. */
#include "autoconfig.h"

#include "traces.h"
#include "common/mono_clock.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json_scan.h"
#include "common/json_text.h"
#include "common/log.h"
#include "latency.h"
#include "plugin_loader.h"
#include "score_breakdown.h"

#define TRACES_BATCH 512
#define TRACES_QUERIES_MAX 32
#define TRACES_ANSWER_MAX (16u << 20)
#define TRACES_FLUSH_IDLE_S 1
#define TRACES_MAINTAIN_S 60
#define TRACES_DROP_LOG_S 10.0
/* A trace waits this long for others, so a transaction carries many. */
#define TRACES_LINGER_NS (20 * 1000 * 1000L)

static const char *traces_comp = "traces";

/* One queued trace: the struct, its scores and all its strings in one
 * allocation (data: the points, the name pointers, then the text). */
struct traces_item {
    struct herd_trace t;
    size_t score_count;
    double score_total;
    const double *score_points;
    const char **score_names;
    char *breakdown; /* the storage thread's text of the scores */
    _Alignas(max_align_t) char data[];
};

struct traces_job {
    struct traces_job *next;
    char *name;
    char *params;
    traces_query_cb cb;
    void *arg;
    int rc;
    char *out;
    size_t len, cap;
    int overflow;
    char err[256];
};

struct traces {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct traces_item **ring;
    size_t cap, head, count;
    struct traces_job *jobs, **jobs_tail;
    size_t job_count;
    struct traces_job *done, **done_tail;
    int stopping;
    int idle; /* the storage thread waits for work: wake it */
    uint64_t submitted, written, dropped, failed;

    pthread_t thread;
    int thread_started;
    int wake[2]; /* storage thread -> loop: answers are ready */
    struct event *answer_ev;

    const struct loaded_plugin **backends;
    size_t backend_count;
    struct latency *latency;
    double last_drop_log;
    double last_fail_log; /* storage thread only */
    uint64_t failed_at_log;
    uint64_t dropped_at_log;
};

static size_t
traces_slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copies s into *cursor and returns the copy (NULL stays NULL). */
static const char *
traces_put(char **cursor, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = *cursor;
    memcpy(d, s, n);
    *cursor += n;
    return d;
}

static struct traces_item *
traces_copy(const struct herd_trace *t, const struct traces_scores *sc)
{
    size_t ns = sc && !t->scores_breakdown ? sc->count : 0;
    size_t head = ns * (sizeof(double) + sizeof(char *));
    size_t n = head;
    for (size_t k = 0; k < ns; k++)
        n += traces_slen(sc->names[k]);
    n += traces_slen(t->request_id) + traces_slen(t->model) +
         traces_slen(t->original_model) + traces_slen(t->node_id) +
         traces_slen(t->scores_breakdown) + traces_slen(t->status) +
         traces_slen(t->excluded_nodes) + traces_slen(t->client_ip) +
         traces_slen(t->original_format) + traces_slen(t->error_message) +
         traces_slen(t->tags) + traces_slen(t->endpoint) + traces_slen(t->json);
    struct traces_item *it = malloc(sizeof *it + n);
    if (!it)
        return NULL;
    char *c = it->data + head;
    /* Only the fields this host knows: a shorter caller struct is not
     * expected (the caller is the router itself), so copy whole. */
    it->t = *t;
    it->score_count = ns;
    it->score_total = ns ? sc->total : 0;
    it->breakdown = NULL;
    /* doubles first: data is aligned for them, and pointers after them */
    double *points = (double *)(void *)it->data;
    const char **names = (const char **)(void *)(points + ns);
    for (size_t k = 0; k < ns; k++) {
        points[k] = sc->points[k];
        names[k] = traces_put(&c, sc->names[k]);
    }
    it->score_points = points;
    it->score_names = names;
    it->t.size = sizeof it->t;
    it->t.request_id = traces_put(&c, t->request_id);
    it->t.model = traces_put(&c, t->model);
    it->t.original_model = traces_put(&c, t->original_model);
    it->t.node_id = traces_put(&c, t->node_id);
    it->t.scores_breakdown = traces_put(&c, t->scores_breakdown);
    it->t.status = traces_put(&c, t->status);
    it->t.excluded_nodes = traces_put(&c, t->excluded_nodes);
    it->t.client_ip = traces_put(&c, t->client_ip);
    it->t.original_format = traces_put(&c, t->original_format);
    it->t.error_message = traces_put(&c, t->error_message);
    it->t.tags = traces_put(&c, t->tags);
    it->t.endpoint = traces_put(&c, t->endpoint);
    it->t.json = traces_put(&c, t->json);
    return it;
}

static void
traces_log_drops(struct traces *tr)
{
    double now = mono_clock_s();
    if (tr->last_drop_log != 0 && now - tr->last_drop_log < TRACES_DROP_LOG_S)
        return;
    pthread_mutex_lock(&tr->mu);
    uint64_t dropped = tr->dropped;
    size_t cap = tr->cap;
    pthread_mutex_unlock(&tr->mu);
    tr->last_drop_log = now;
    log_warn(traces_comp,
             "trace queue full (%zu waiting): %llu traces dropped since "
             "start, %llu since the last warning",
             cap, (unsigned long long)dropped,
             (unsigned long long)(dropped - tr->dropped_at_log));
    tr->dropped_at_log = dropped;
}

int
traces_submit(struct traces *tr, const struct herd_trace *t)
{
    return traces_submit_scored(tr, t, NULL);
}

int
traces_submit_scored(struct traces *tr, const struct herd_trace *t,
                     const struct traces_scores *scores)
{
    if (!tr)
        return -ENOSPC;
    if (!t || !t->request_id || !t->status)
        return -EINVAL;
    if (tr->latency && t->node_id && t->model &&
        strcmp(t->status, TRACE_STATUS_COMPLETED) == 0)
        latency_observe(tr->latency, t->node_id, t->model, t->latency_ms);

    pthread_mutex_lock(&tr->mu);
    int full = tr->count >= tr->cap;
    if (full)
        tr->dropped++;
    pthread_mutex_unlock(&tr->mu);
    if (full) {
        traces_log_drops(tr);
        return -ENOSPC;
    }
    /* Copy outside the lock: the writer never waits on an allocation. */
    struct traces_item *it = traces_copy(t, scores);
    if (!it)
        return -ENOMEM;
    pthread_mutex_lock(&tr->mu);
    if (tr->count >= tr->cap) {
        tr->dropped++;
        pthread_mutex_unlock(&tr->mu);
        free(it);
        traces_log_drops(tr);
        return -ENOSPC;
    }
    tr->ring[(tr->head + tr->count) % tr->cap] = it;
    tr->count++;
    tr->submitted++;
    /* While the thread lingers over a batch it is not woken per trace. */
    if (tr->idle || tr->count >= TRACES_BATCH)
        pthread_cond_signal(&tr->cv);
    pthread_mutex_unlock(&tr->mu);
    return 0;
}

void
traces_get_stats(struct traces *tr, struct traces_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!tr)
        return;
    pthread_mutex_lock(&tr->mu);
    out->submitted = tr->submitted;
    out->written = tr->written;
    out->dropped = tr->dropped;
    out->failed = tr->failed;
    out->queued = tr->count;
    out->queue_max = tr->cap;
    out->backends = tr->backend_count;
    pthread_mutex_unlock(&tr->mu);
}

/* ---- storage thread ---------------------------------------------------- */

/* One member of the record: ,"key": then the value's writer. */
static void
traces_key(struct json_text *t, const char *key)
{
    json_text_put(t, t->len > 1 ? ",\"" : "\"", t->len > 1 ? 2 : 1);
    json_text_put(t, key, strlen(key));
    json_text_put(t, "\":", 2);
}

static void
traces_str(struct json_text *t, const char *key, const char *v)
{
    traces_key(t, key);
    json_text_str(t, v);
}

static void
traces_num(struct json_text *t, const char *key, double v)
{
    traces_key(t, key);
    json_text_num(t, v); /* not finite: null */
}

/* A count, null when unknown (negative). */
static void
traces_count(struct json_text *t, const char *key, int64_t v)
{
    traces_key(t, key);
    if (v >= 0)
        json_text_int(t, v);
    else
        json_text_put(t, "null", 4);
}

static void
traces_bool(struct json_text *t, const char *key, int v)
{
    traces_key(t, key);
    json_text_put(t, v ? "true" : "false", v ? 4 : 5);
}

/* JSON text (array/object) stays structured in the record when it is
 * valid JSON, else it goes as a string. */
static void
traces_raw(struct json_text *t, const char *key, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    traces_key(t, key);
    if (text && json_scan_valid(text, n))
        json_text_put(t, text, n);
    else
        json_text_str(t, text);
}

/* The record as one JSON object, for plugins that store whole records;
 * written directly (json-c and its printf of doubles cost this thread
 * more than sqlite's insert). */
static char *
traces_build_json(const struct herd_trace *t)
{
    struct json_text o;
    json_text_init(&o, 1024);
    json_text_put(&o, "{", 1);
    traces_num(&o, "timestamp", t->timestamp);
    traces_str(&o, "event", "trace");
    traces_str(&o, "request_id", t->request_id);
    traces_str(&o, "model", t->model);
    traces_str(&o, "original_model", t->original_model);
    traces_str(&o, "node_id", t->node_id);
    traces_num(&o, "score", t->score);
    traces_raw(&o, "scores_breakdown", t->scores_breakdown);
    traces_str(&o, "status", t->status);
    traces_num(&o, "latency_ms", t->latency_ms);
    traces_num(&o, "time_to_first_token_ms", t->ttft_ms);
    traces_count(&o, "prompt_tokens", t->prompt_tokens);
    traces_count(&o, "completion_tokens", t->completion_tokens);
    traces_key(&o, "retry_count");
    json_text_int(&o, t->retry_count);
    traces_bool(&o, "fallback_used", t->fallback_used != 0);
    traces_raw(&o, "excluded_nodes", t->excluded_nodes);
    traces_str(&o, "client_ip", t->client_ip);
    traces_str(&o, "original_format", t->original_format);
    traces_str(&o, "error_message", t->error_message);
    traces_raw(&o, "tags", t->tags);
    traces_str(&o, "endpoint", t->endpoint);
    traces_key(&o, "http_status");
    json_text_int(&o, t->http_status);
    traces_count(&o, "bytes_out", t->bytes_out);
    traces_num(&o, "queue_wait_ms", t->queue_wait_ms);
    traces_num(&o, "load_ms", t->load_ms);
    traces_bool(&o, "cold_load", t->cold_load != 0);
    json_text_put(&o, "}", 1);
    return json_text_take(&o, NULL);
}

static void
traces_write_batch(struct traces *tr, struct traces_item **items, size_t n)
{
    const struct herd_trace *view[TRACES_BATCH];
    char *built[TRACES_BATCH];
    uint64_t failed = 0;

    for (size_t i = 0; i < n; i++) {
        built[i] = NULL;
        struct traces_item *it = items[i];
        if (it->score_count && !it->t.scores_breakdown)
            it->t.scores_breakdown = it->breakdown =
                score_breakdown_text(it->score_names, it->score_points,
                                     it->score_count, it->score_total);
        if (!it->t.json) {
            built[i] = traces_build_json(&items[i]->t);
            items[i]->t.json = built[i];
        }
        view[i] = &items[i]->t;
    }
    for (size_t b = 0; b < tr->backend_count; b++) {
        const struct loaded_plugin *p = tr->backends[b];
        char err[512] = "";
        int rc = p->desc.storage.write(p->ctx, view, n, err, sizeof err);
        if (rc < 0) {
            failed++;
            /* A full or broken disk fails every batch: say so every 10 s
             * with the count, not 50 times a second. */
            double now = mono_clock_s();
            if (tr->last_fail_log == 0 ||
                now - tr->last_fail_log >= TRACES_DROP_LOG_S) {
                pthread_mutex_lock(&tr->mu);
                uint64_t total = tr->failed + failed;
                pthread_mutex_unlock(&tr->mu);
                log_err(traces_comp,
                        "storage/%s: write of %zu traces failed: %s (%llu "
                        "failed batches since the last message)",
                        p->name, n, err[0] ? err : strerror(-rc),
                        (unsigned long long)(total - tr->failed_at_log));
                tr->last_fail_log = now;
                tr->failed_at_log = total;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(built[i]);
        free(items[i]->breakdown);
        free(items[i]);
    }
    pthread_mutex_lock(&tr->mu);
    tr->written += n;
    tr->failed += failed;
    pthread_mutex_unlock(&tr->mu);
}

static void
traces_flush_all(struct traces *tr)
{
    for (size_t b = 0; b < tr->backend_count; b++) {
        const struct loaded_plugin *p = tr->backends[b];
        if (p->desc.storage.flush)
            p->desc.storage.flush(p->ctx);
    }
}

static void
traces_emit(void *sink, const char *bytes, size_t len)
{
    struct traces_job *job = sink;
    if (job->overflow || len == 0)
        return;
    if (job->len + len + 1 > TRACES_ANSWER_MAX) {
        job->overflow = 1;
        return;
    }
    if (job->len + len + 1 > job->cap) {
        size_t cap = job->cap ? job->cap : 4096;
        while (cap < job->len + len + 1)
            cap *= 2;
        char *out = realloc(job->out, cap);
        if (!out) {
            job->overflow = 1;
            return;
        }
        job->out = out;
        job->cap = cap;
    }
    memcpy(job->out + job->len, bytes, len);
    job->len += len;
    job->out[job->len] = '\0';
}

static void
traces_run_job(struct traces *tr, struct traces_job *job)
{
    job->rc = HERD_DECLINED;
    for (size_t b = 0; b < tr->backend_count; b++) {
        const struct loaded_plugin *p = tr->backends[b];
        if (!p->desc.storage.query)
            continue;
        job->len = 0;
        job->overflow = 0;
        job->err[0] = '\0';
        int rc =
            p->desc.storage.query(p->ctx, job->name, job->params, traces_emit,
                                  job, job->err, sizeof job->err);
        if (rc == HERD_DECLINED)
            continue;
        job->rc = rc < 0 ? rc : 0;
        if (job->rc == 0 && job->overflow) {
            job->rc = -E2BIG;
            snprintf(job->err, sizeof job->err, "answer larger than %u bytes",
                     TRACES_ANSWER_MAX);
        } else if (job->rc < 0 && !job->err[0]) {
            snprintf(job->err, sizeof job->err, "%s", strerror(-job->rc));
        }
        return;
    }
}

static void
traces_wake_loop(struct traces *tr)
{
    char c = 1;
    /* A full pipe already holds a wake-up; nothing is lost. */
    while (write(tr->wake[1], &c, 1) < 0 && errno == EINTR)
        ;
}

static void *
traces_thread(void *arg)
{
    struct traces *tr = arg;
    struct traces_item *batch[TRACES_BATCH];
    time_t last_maintain = time(NULL);
    int dirty = 0, lingered = 0;

    pthread_mutex_lock(&tr->mu);
    for (;;) {
        if (tr->jobs) {
            struct traces_job *job = tr->jobs;
            tr->jobs = job->next;
            if (!tr->jobs)
                tr->jobs_tail = &tr->jobs;
            tr->job_count--;
            pthread_mutex_unlock(&tr->mu);
            job->next = NULL;
            traces_run_job(tr, job);
            pthread_mutex_lock(&tr->mu);
            *tr->done_tail = job;
            tr->done_tail = &job->next;
            traces_wake_loop(tr);
            continue;
        }
        if (tr->count > 0) {
            if (tr->count < TRACES_BATCH && !tr->stopping && !lingered) {
                /* Let more arrive: one transaction for many traces. */
                lingered = 1;
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += TRACES_LINGER_NS;
                if (until.tv_nsec >= 1000000000L) {
                    until.tv_sec++;
                    until.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&tr->cv, &tr->mu, &until);
                continue;
            }
            lingered = 0;
            size_t n = tr->count < TRACES_BATCH ? tr->count : TRACES_BATCH;
            for (size_t i = 0; i < n; i++) {
                batch[i] = tr->ring[tr->head];
                tr->head = (tr->head + 1) % tr->cap;
            }
            tr->count -= n;
            pthread_mutex_unlock(&tr->mu);
            traces_write_batch(tr, batch, n);
            dirty = 1;
            /* Under steady load the thread is never idle: maintain here. */
            time_t now = time(NULL);
            if (now - last_maintain >= TRACES_MAINTAIN_S) {
                traces_flush_all(tr);
                last_maintain = now;
                dirty = 0;
            }
            pthread_mutex_lock(&tr->mu);
            continue;
        }
        if (tr->stopping)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += TRACES_FLUSH_IDLE_S;
        tr->idle = 1;
        int rc = pthread_cond_timedwait(&tr->cv, &tr->mu, &until);
        tr->idle = 0;
        if (rc != ETIMEDOUT)
            continue;
        /* Idle: make recent writes durable, and let the plugins do their
         * periodic work (retention, rotation) in flush() now and then. */
        time_t now = time(NULL);
        if (dirty || now - last_maintain >= TRACES_MAINTAIN_S) {
            pthread_mutex_unlock(&tr->mu);
            traces_flush_all(tr);
            pthread_mutex_lock(&tr->mu);
            dirty = 0;
            if (now - last_maintain >= TRACES_MAINTAIN_S)
                last_maintain = now;
        }
    }
    pthread_mutex_unlock(&tr->mu);
    traces_flush_all(tr);
    return NULL;
}

/* ---- loop side ---------------------------------------------------------- */

static void
traces_job_free(struct traces_job *job)
{
    free(job->name);
    free(job->params);
    free(job->out);
    free(job);
}

static void
traces_answer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct traces *tr = arg;
    char buf[64];
    (void)what;
    while (read(fd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&tr->mu);
    struct traces_job *list = tr->done;
    tr->done = NULL;
    tr->done_tail = &tr->done;
    pthread_mutex_unlock(&tr->mu);
    while (list) {
        struct traces_job *job = list;
        list = job->next;
        job->cb(job->arg, job->rc, job->out ? job->out : "", job->len,
                job->err);
        traces_job_free(job);
    }
}

int
traces_query(struct traces *tr, const char *name, const char *params_json,
             traces_query_cb cb, void *arg)
{
    if (!tr || !name || !cb)
        return -EINVAL;
    struct traces_job *job = calloc(1, sizeof *job);
    if (!job)
        return -ENOMEM;
    job->name = strdup(name);
    job->params = strdup(params_json ? params_json : "{}");
    job->cb = cb;
    job->arg = arg;
    if (!job->name || !job->params) {
        traces_job_free(job);
        return -ENOMEM;
    }
    pthread_mutex_lock(&tr->mu);
    if (tr->job_count >= TRACES_QUERIES_MAX || tr->stopping) {
        pthread_mutex_unlock(&tr->mu);
        traces_job_free(job);
        return -EBUSY;
    }
    *tr->jobs_tail = job;
    tr->jobs_tail = &job->next;
    tr->job_count++;
    pthread_cond_signal(&tr->cv);
    pthread_mutex_unlock(&tr->mu);
    return 0;
}

static void
traces_preload_cb(void *arg, int rc, const char *text, size_t len,
                  const char *err)
{
    struct traces *tr = arg;
    if (rc == HERD_DECLINED)
        return;
    if (rc != 0) {
        log_warn(traces_comp, "latency history not loaded: %s", err);
        return;
    }
    int n = latency_preload(tr->latency, text, len);
    if (n < 0)
        log_warn(traces_comp, "latency history not loaded: bad answer");
    else if (n > 0)
        log_info(traces_comp,
                 "latency history loaded for %d node:model "
                 "pairs",
                 n);
}

static int
traces_pick_backends(struct traces *tr, struct plugin_set *plugins)
{
    size_t n = plugins ? plugin_set_count(plugins) : 0;
    tr->backends = calloc(n ? n : 1, sizeof *tr->backends);
    if (!tr->backends)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct loaded_plugin *p = plugin_set_get(plugins, i);
        if (p->kind == HERD_KIND_STORAGE && p->desc.storage.write)
            tr->backends[tr->backend_count++] = p;
    }
    return 0;
}

struct traces *
traces_new(struct event_base *base, struct plugin_set *plugins,
           struct latency *latency, size_t queue_max, char *err, size_t errlen)
{
    struct traces *tr = calloc(1, sizeof *tr);
    if (!tr) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    tr->wake[0] = tr->wake[1] = -1;
    pthread_mutex_init(&tr->mu, NULL);
    pthread_cond_init(&tr->cv, NULL);
    tr->jobs_tail = &tr->jobs;
    tr->done_tail = &tr->done;
    tr->latency = latency;
    tr->cap = queue_max ? queue_max : 1;
    tr->ring = calloc(tr->cap, sizeof *tr->ring);
    if (!tr->ring || traces_pick_backends(tr, plugins) != 0) {
        snprintf(err, errlen, "out of memory for a queue of %zu traces",
                 tr->cap);
        goto fail;
    }
    if (pipe(tr->wake) != 0) {
        tr->wake[0] = tr->wake[1] = -1;
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(tr->wake[i], F_SETFL, fcntl(tr->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(tr->wake[i], F_SETFD, FD_CLOEXEC);
    }
    tr->answer_ev = event_new(base, tr->wake[0], EV_READ | EV_PERSIST,
                              traces_answer_cb, tr);
    if (!tr->answer_ev || event_add(tr->answer_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot register the answer event");
        goto fail;
    }
    int rc = pthread_create(&tr->thread, NULL, traces_thread, tr);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the storage thread: %s",
                 strerror(rc));
        goto fail;
    }
    tr->thread_started = 1;
    if (latency && tr->backend_count > 0) {
        char params[64];
        snprintf(params, sizeof params, "{\"window\":%d}", LATENCY_WINDOW);
        traces_query(tr, "latency", params, traces_preload_cb, tr);
    }
    return tr;
fail:
    traces_free(tr);
    return NULL;
}

void
traces_free(struct traces *tr)
{
    if (!tr)
        return;
    if (tr->thread_started) {
        pthread_mutex_lock(&tr->mu);
        tr->stopping = 1;
        /* Unanswered queries are dropped; queued traces are written. */
        struct traces_job *jobs = tr->jobs;
        tr->jobs = NULL;
        tr->jobs_tail = &tr->jobs;
        tr->job_count = 0;
        pthread_cond_signal(&tr->cv);
        pthread_mutex_unlock(&tr->mu);
        pthread_join(tr->thread, NULL);
        while (jobs) {
            struct traces_job *next = jobs->next;
            traces_job_free(jobs);
            jobs = next;
        }
    }
    while (tr->done) {
        struct traces_job *next = tr->done->next;
        traces_job_free(tr->done);
        tr->done = next;
    }
    for (size_t i = 0; i < tr->count; i++)
        free(tr->ring[(tr->head + i) % tr->cap]);
    if (tr->answer_ev)
        event_free(tr->answer_ev);
    if (tr->wake[0] >= 0)
        close(tr->wake[0]);
    if (tr->wake[1] >= 0)
        close(tr->wake[1]);
    if (tr->dropped)
        log_info(traces_comp, "%llu traces were dropped (queue full)",
                 (unsigned long long)tr->dropped);
    free(tr->ring);
    free(tr->backends);
    pthread_cond_destroy(&tr->cv);
    pthread_mutex_destroy(&tr->mu);
    free(tr);
}
