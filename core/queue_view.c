/* GET /fleet/queue and Retry-After from the admission's figures. */
#include "autoconfig.h"

#include "queue_view.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "latency.h"
#include "registry.h"

/* A node's slots count toward a wait only while it takes requests: an
 * offline, draining or disabled node frees no slot for anyone. */
static int
queue_view_usable(const struct queue_view *v, const char *node)
{
    const struct registry_node *n = registry_find(v->reg, node);
    return n && registry_node_usable(n);
}

/* Slots and p75 history of the usable node:model entries, of one model
 * (model non-NULL) or of all. */
struct queue_view_sum {
    uint64_t slots;
    double p75_sum;
    size_t p75_count;
};

static void
queue_view_add(const struct queue_view *v, const char *model,
               struct queue_view_sum *sum)
{
    sum->slots = 0;
    sum->p75_sum = 0;
    sum->p75_count = 0;
    for (size_t i = 0; i < admission_key_count(v->adm); i++) {
        struct admission_key_stats st;
        admission_key_at(v->adm, i, &st);
        if ((model && strcmp(st.model, model) != 0) ||
            !queue_view_usable(v, st.node))
            continue;
        sum->slots += st.slots;
        double p75 = latency_p75_ms(v->lat, st.node, st.model);
        if (!isnan(p75)) {
            sum->p75_sum += p75;
            sum->p75_count++;
        }
    }
}

/* Reference §7.3: the waiting requests share the slots, each taking the
 * typical (p75) time. */
static double
queue_view_estimate(const struct queue_view_sum *sum, size_t pending)
{
    if (sum->p75_count == 0 || sum->slots == 0)
        return NAN;
    return (double)pending * (sum->p75_sum / (double)sum->p75_count) /
           (double)sum->slots;
}

/* The wait of a request with pending requests for model before it (ms),
 * over the model's entries; NaN when none has history. */
static double
queue_view_model_wait_ms(const struct queue_view *v, const char *model,
                         size_t pending)
{
    struct queue_view_sum sum;
    queue_view_add(v, model, &sum);
    return queue_view_estimate(&sum, pending);
}

unsigned
queue_view_clamp_retry_after(double s)
{
    if (!(s > QUEUE_VIEW_RETRY_AFTER_MIN))
        return QUEUE_VIEW_RETRY_AFTER_MIN;
    if (s >= QUEUE_VIEW_RETRY_AFTER_MAX)
        return QUEUE_VIEW_RETRY_AFTER_MAX;
    return (unsigned)ceil(s);
}

unsigned
queue_view_retry_after(const struct queue_view *v, const char *model)
{
    /* the client comes back behind everyone waiting for the model now */
    double ms = queue_view_model_wait_ms(
        v, model, admission_waiting_model(v->adm, model) + 1);
    if (isnan(ms))
        return QUEUE_VIEW_RETRY_AFTER_UNKNOWN;
    return queue_view_clamp_retry_after(ms / 1e3);
}

static json_object *
queue_view_int(uint64_t n)
{
    return json_object_new_int64((int64_t)n);
}

static json_object *
queue_view_ms(double ms)
{
    return isnan(ms) ? NULL : json_object_new_double(ms);
}

/* One entry per node:model: its slots and what ran there. Waiting
 * requests have no node yet, so they are counted per model. */
static json_object *
queue_view_entries(const struct queue_view *v, uint64_t *in_flight,
                   uint64_t *completed, uint64_t *failed)
{
    json_object *qs = json_object_new_object();
    for (size_t i = 0; i < admission_key_count(v->adm); i++) {
        struct admission_key_stats st;
        char key[600];
        admission_key_at(v->adm, i, &st);
        json_object *k = json_object_new_object();
        json_object_object_add(k, "node_id", json_object_new_string(st.node));
        json_object_object_add(k, "model", json_object_new_string(st.model));
        json_object_object_add(
            k, "pending",
            queue_view_int(admission_waiting_model(v->adm, st.model)));
        json_object_object_add(k, "in_flight", queue_view_int(st.in_flight));
        json_object_object_add(k, "concurrency", queue_view_int(st.slots));
        json_object_object_add(k, "max_in_flight",
                               queue_view_int(st.max_in_flight));
        json_object_object_add(k, "completed", queue_view_int(st.completed));
        json_object_object_add(k, "failed", queue_view_int(st.failed));
        snprintf(key, sizeof key, "%s:%s", st.node, st.model);
        json_object_object_add(qs, key, k);
        *in_flight += st.in_flight;
        *completed += st.completed;
        *failed += st.failed;
    }
    return qs;
}

/* One entry per model: its holding queue, its usable slots, the requests
 * the queue turned away. */
static json_object *
queue_view_models(const struct queue_view *v)
{
    const char *names[ADMISSION_MAX_MODELS];
    size_t n = admission_models(v->adm, names, ADMISSION_MAX_MODELS);
    json_object *ms = json_object_new_object();
    for (size_t i = 0; i < n; i++) {
        struct queue_view_sum sum;
        uint64_t in_flight = 0;
        size_t pending = admission_waiting_model(v->adm, names[i]);
        queue_view_add(v, names[i], &sum);
        for (size_t k = 0; k < admission_key_count(v->adm); k++) {
            struct admission_key_stats st;
            admission_key_at(v->adm, k, &st);
            if (strcmp(st.model, names[i]) == 0)
                in_flight += st.in_flight;
        }
        json_object *m = json_object_new_object();
        json_object_object_add(m, "pending", queue_view_int(pending));
        json_object_object_add(m, "in_flight", queue_view_int(in_flight));
        json_object_object_add(m, "concurrency", queue_view_int(sum.slots));
        json_object_object_add(
            m, "rejected",
            queue_view_int(admission_rejected(v->adm, names[i])));
        json_object_object_add(
            m, "estimated_wait_ms",
            queue_view_ms(pending ? queue_view_estimate(&sum, pending) : NAN));
        json_object_object_add(ms, names[i], m);
    }
    return ms;
}

json_object *
queue_view_json(const struct queue_view *v)
{
    json_object *o = json_object_new_object();
    uint64_t in_flight = 0, completed = 0, failed = 0;
    json_object *qs = queue_view_entries(v, &in_flight, &completed, &failed);
    size_t pending = admission_waiting(v->adm);
    struct queue_view_sum sum;
    queue_view_add(v, NULL, &sum);
    json_object_object_add(o, "queue_depth",
                           queue_view_int(pending + in_flight));
    json_object_object_add(o, "pending", queue_view_int(pending));
    json_object_object_add(o, "in_flight", queue_view_int(in_flight));
    json_object_object_add(o, "completed", queue_view_int(completed));
    json_object_object_add(o, "failed", queue_view_int(failed));
    json_object_object_add(o, "rejected",
                           queue_view_int(admission_rejected_total(v->adm)));
    /* nothing waiting, or no history: null */
    json_object_object_add(
        o, "estimated_wait_ms",
        queue_view_ms(pending ? queue_view_estimate(&sum, pending) : NAN));
    size_t online = 0;
    for (size_t i = 0; i < registry_count(v->reg); i++)
        if (registry_at(v->reg, i)->status == HERD_NODE_ONLINE)
            online++;
    json_object_object_add(o, "nodes_online", queue_view_int(online));
    json_object_object_add(o, "draining", json_object_new_boolean(v->draining));
    json_object_object_add(o, "queues", qs);
    json_object_object_add(o, "models", queue_view_models(v));
    return o;
}
