/* Trace recording: the loop thread submits one record per request attempt;
 * one storage thread hands them, in batches, to every loaded storage plugin
 * (write()), and runs the analytics queries (query()) off the loop.
 *
 * The queue between the two is bounded (trace_queue_max records). When it
 * is full, because a disk stalls or a plugin is slow, further traces are
 * dropped and counted; submitting never blocks and never waits for disk.
 *
 * Lifecycle in the router (core/router.c): traces_new() after the plugins
 * are loaded and started, traces_free() before plugin_set_free() (it
 * writes what is queued, flushes, and joins the thread). */
#ifndef HERD_CORE_TRACES_H
#define HERD_CORE_TRACES_H

#include <herd/plugin.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct latency;
struct plugin_set;

/* Default of [router] trace_queue_max. */
#define TRACES_DEFAULT_QUEUE_MAX 10000

/* Statuses a trace may carry (herd_trace.status). */
#define TRACE_STATUS_COMPLETED "completed"
#define TRACE_STATUS_FAILED "failed"
#define TRACE_STATUS_RETRIED "retried"
#define TRACE_STATUS_CLIENT_DISCONNECTED "client_disconnected"
#define TRACE_STATUS_INCOMPLETE "incomplete"
#define TRACE_STATUS_REJECTED "rejected"

struct traces;

struct traces_stats {
    uint64_t submitted; /* accepted into the queue since start */
    uint64_t written;   /* handed to the plugins */
    uint64_t dropped;   /* refused: queue full */
    uint64_t failed;    /* batches a plugin's write() reported failing */
    size_t queued;      /* waiting now */
    size_t queue_max;
    size_t backends; /* storage plugins in use */
};

/* Creates the writer over every storage plugin of plugins (borrowed; must
 * outlive the result) and starts the storage thread. base: the loop that
 * receives query answers. latency (may be NULL) is fed each completed
 * trace and preloaded from the first plugin that answers the "latency"
 * query. Returns NULL with the reason in err. A set without storage
 * plugins is valid: traces are then counted and discarded. */
struct traces *traces_new(struct event_base *base, struct plugin_set *plugins,
                          struct latency *latency, size_t queue_max, char *err,
                          size_t errlen);

/* Copies t (every string; t->json may be NULL: it is then built) into the
 * queue. Loop thread; never blocks. Returns 0, -ENOSPC when the queue is
 * full (the trace is dropped and counted), -EINVAL for a trace without
 * request_id or status, -ENOMEM. NULL-safe on traces (returns -ENOSPC
 * without counting). */
int traces_submit(struct traces *traces, const struct herd_trace *t);

/* The points behind a trace's score, one per signal in composition order,
 * and their total. */
struct traces_scores {
    const char *const *names;
    const double *points;
    size_t count;
    double total;
};

/* traces_submit, with t's scores_breakdown given as numbers (scores may
 * be NULL; a text in t->scores_breakdown wins): the storage thread writes
 * the text, which the loop would spend more on than copying numbers. */
int traces_submit_scored(struct traces *traces, const struct herd_trace *t,
                         const struct traces_scores *scores);

void traces_get_stats(struct traces *traces, struct traces_stats *out);

/* Called on the loop thread with the answer of traces_query(): rc is 0
 * with the JSON text in text/len (valid for the call), HERD_DECLINED when
 * no plugin answers that query, or -errno with a message in err. */
typedef void (*traces_query_cb)(void *arg, int rc, const char *text, size_t len,
                                const char *err);

/* Runs the named query (see doc/storage.md) with params_json on the
 * storage thread, asking each plugin in load order until one answers.
 * cb runs later on the loop thread, exactly once, unless traces_free()
 * comes first (then never). Returns 0, -EBUSY when too many queries wait,
 * -ENOMEM. */
int traces_query(struct traces *traces, const char *name,
                 const char *params_json, traces_query_cb cb, void *arg);

/* Writes what is queued, flushes every plugin, stops the thread, and drops
 * unanswered queries without calling back. NULL-safe. */
void traces_free(struct traces *traces);

#endif
