/* Latency history per node:model: a ring of the newest samples and its
 * p75, recomputed when the ring changes so that scoring reads a number. */
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
    double ring[LATENCY_WINDOW]; /* ring[(head - 1) % n] is the newest */
    size_t head, count;
    double p75;
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
    p->p75 = NAN;
    p->next = l->buckets[b];
    l->buckets[b] = p;
    l->pairs++;
    return p;
}

static int
latency_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void
latency_recompute(struct latency_pair *p)
{
    double sorted[LATENCY_WINDOW];
    if (p->count == 0) {
        p->p75 = NAN;
        return;
    }
    memcpy(sorted, p->ring, p->count * sizeof sorted[0]);
    qsort(sorted, p->count, sizeof sorted[0], latency_cmp);
    size_t i = (size_t)floor((double)p->count * 0.75);
    if (i >= p->count)
        i = p->count - 1;
    p->p75 = sorted[i];
}

static void
latency_push(struct latency_pair *p, double ms)
{
    p->ring[p->head] = ms;
    p->head = (p->head + 1) % LATENCY_WINDOW;
    if (p->count < LATENCY_WINDOW)
        p->count++;
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
    latency_recompute(p);
}

double
latency_p75_ms(struct latency *l, const char *node, const char *model)
{
    if (!l || !node || !model)
        return NAN;
    struct latency_pair *p = latency_find(l, node, model, 0);
    return p ? p->p75 : NAN;
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
    latency_recompute(p);
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
