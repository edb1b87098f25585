/* Latency history per node:model: a ring of the newest samples (their
 * order of arrival) beside the same samples kept sorted, so that adding
 * one costs two binary searches and a memmove, and p75 is one read --
 * both happen on the loop for every request. */
#include "autoconfig.h"

#include "latency.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LATENCY_BUCKETS 1024

struct latency_pair {
    struct latency_pair *next;
    char *node;
    char *model;
    double ring[LATENCY_WINDOW];   /* ring[(head - 1) % n] is the newest */
    double sorted[LATENCY_WINDOW]; /* the same count samples, ascending */
    size_t head, count;
};

struct latency {
    struct latency_pair *buckets[LATENCY_BUCKETS];
    size_t pairs;
};

struct latency *
latency_new(void)
{
    return calloc(1, sizeof(struct latency));
}

void
latency_free(struct latency *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
        struct latency_pair *p = l->buckets[i], *next;
        for (; p; p = next) {
            next = p->next;
            free(p->node);
            free(p->model);
            free(p);
        }
    }
    free(l);
}

static size_t
latency_hash(const char *node, const char *model)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const char *s = node; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    h = (h ^ 0xff) * 1099511628211u;
    for (const char *s = model; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)(h % LATENCY_BUCKETS);
}

static struct latency_pair *
latency_find(struct latency *l, const char *node, const char *model, int create)
{
    size_t b = latency_hash(node, model);
    for (struct latency_pair *p = l->buckets[b]; p; p = p->next)
        if (strcmp(p->node, node) == 0 && strcmp(p->model, model) == 0)
            return p;
    if (!create || l->pairs >= LATENCY_MAX_PAIRS)
        return NULL;
    struct latency_pair *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->node = strdup(node);
    p->model = strdup(model);
    if (!p->node || !p->model) {
        free(p->node);
        free(p->model);
        free(p);
        return NULL;
    }
    p->next = l->buckets[b];
    l->buckets[b] = p;
    l->pairs++;
    return p;
}

/* First index of sorted[0..n) whose value is >= v. */
static size_t
latency_lower_bound(const double *sorted, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
latency_push(struct latency_pair *p, double ms)
{
    if (p->count == LATENCY_WINDOW) {
        /* the oldest leaves: it sits where the newest goes in the ring */
        double old = p->ring[p->head];
        size_t i = latency_lower_bound(p->sorted, p->count, old);
        memmove(&p->sorted[i], &p->sorted[i + 1],
                (p->count - i - 1) * sizeof p->sorted[0]);
        p->count--;
    }
    size_t i = latency_lower_bound(p->sorted, p->count, ms);
    memmove(&p->sorted[i + 1], &p->sorted[i],
            (p->count - i) * sizeof p->sorted[0]);
    p->sorted[i] = ms;
    p->count++;
    p->ring[p->head] = ms;
    p->head = (p->head + 1) % LATENCY_WINDOW;
}

void
latency_observe(struct latency *l, const char *node, const char *model,
                double ms)
{
    if (!l || !node || !model || !isfinite(ms) || ms < 0)
        return;
    struct latency_pair *p = latency_find(l, node, model, 1);
    if (!p)
        return;
    latency_push(p, ms);
}

double
latency_p75_ms(struct latency *l, const char *node, const char *model)
{
    if (!l || !node || !model)
        return NAN;
    struct latency_pair *p = latency_find(l, node, model, 0);
    if (!p || p->count == 0)
        return NAN;
    /* of n samples ascending, element floor(n * 0.75) (< n for n >= 1) */
    return p->sorted[p->count * 3 / 4];
}

/* Older samples go behind the ones observed since start: rebuild the ring
 * as old (oldest first) then current, keeping the newest WINDOW. */
static void
latency_merge_older(struct latency_pair *p, json_object *arr)
{
    double merged[2 * LATENCY_WINDOW];
    size_t n = 0;
    size_t old = json_object_array_length(arr);
    if (old > LATENCY_WINDOW)
        old = LATENCY_WINDOW;
    for (size_t i = old; i-- > 0;) {
        double v = json_object_get_double(json_object_array_get_idx(arr, i));
        if (isfinite(v) && v >= 0)
            merged[n++] = v;
    }
    size_t start = (p->head + LATENCY_WINDOW - p->count) % LATENCY_WINDOW;
    for (size_t i = 0; i < p->count; i++)
        merged[n++] = p->ring[(start + i) % LATENCY_WINDOW];
    size_t from = n > LATENCY_WINDOW ? n - LATENCY_WINDOW : 0;
    p->head = p->count = 0;
    for (size_t i = from; i < n; i++)
        latency_push(p, merged[i]);
}

int
latency_preload(struct latency *l, const char *json, size_t len)
{
    if (!l || !json)
        return -EINVAL;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return -ENOMEM;
    json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    json_tokener_free(tok);
    if (!root || !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return -EINVAL;
    }
    int loaded = 0;
    for (size_t i = 0; i < json_object_array_length(root); i++) {
        json_object *e = json_object_array_get_idx(root, i), *node, *model,
                    *arr;
        if (!json_object_object_get_ex(e, "node_id", &node) ||
            !json_object_object_get_ex(e, "model", &model) ||
            !json_object_object_get_ex(e, "latencies", &arr) ||
            !json_object_is_type(node, json_type_string) ||
            !json_object_is_type(model, json_type_string) ||
            !json_object_is_type(arr, json_type_array))
            continue;
        struct latency_pair *p = latency_find(l, json_object_get_string(node),
                                              json_object_get_string(model), 1);
        if (!p)
            continue;
        latency_merge_older(p, arr);
        loaded++;
    }
    json_object_put(root);
    return loaded;
}
