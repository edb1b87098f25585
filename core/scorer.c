/* The scorer: elimination, composition of the signals, ranking and the
 * tie-break. See scorer.h. */
#include "autoconfig.h"

#include "scorer.h"
#include "common/mono_clock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "model_size.h"
#include "plugin_loader.h"

/* Nodes remembered for the tie-break; the oldest is forgotten beyond. */
#define SCORER_MAX_CHOSEN 4096
/* Seconds between two over-budget lines of one signal. */
#define SCORER_BUDGET_LOG_EVERY 60.0

struct scorer_signal {
    const struct loaded_plugin *plugin;
    char name[SCORER_NAME_MAX];
    double weight;
    double last_log; /* monotonic s of the last over-budget line */
};

struct scorer_chosen {
    char *id;
    double when;
};

struct scorer_rank_item {
    double total;
    double last_chosen;
    size_t order; /* registry order */
    size_t view;
};

/* Per-request working memory, grown as the fleet grows and reused. */
struct scorer_scratch {
    struct herd_node_view *views;
    struct herd_request_view *requests;
    size_t *reg_index; /* registry index of each view */
    size_t view_cap;
    struct herd_loaded_model *loaded;
    size_t loaded_cap;
    const char **available;
    size_t available_cap;
    struct herd_unloaded_model *unloaded;
    size_t unloaded_cap;
    double *figures; /* for medians */
    size_t figures_cap;
    struct scorer_rank_item *items;
    size_t items_cap;
    double *matrix; /* signal points of each view */
    size_t matrix_cap;
    char *keep; /* per registry node: passed the core elimination */
    size_t keep_cap;
    char *vetoed; /* per view: eliminated by a filter */
};

struct scorer {
    struct scorer_signal signals[SCORER_MAX_SIGNALS];
    size_t signal_count;
    double budget_us;
    struct scorer_chosen *chosen;
    size_t chosen_count;
    struct scorer_scratch scratch;
};

static const char *scorer_comp = "scorer";

int
scorer_set_plugins(struct scorer *s, const struct plugin_set *set)
{
    struct scorer_signal next[SCORER_MAX_SIGNALS];
    size_t count = 0;
    size_t n = set ? plugin_set_count(set) : 0;

    for (size_t i = 0; i < n; i++) {
        const struct loaded_plugin *p = plugin_set_get(set, i);
        if (p->kind != HERD_KIND_SCORING)
            continue;
        if (count == SCORER_MAX_SIGNALS) {
            log_err(scorer_comp, "more than %d scoring plugins",
                    SCORER_MAX_SIGNALS);
            return -E2BIG;
        }
        struct scorer_signal *sig = &next[count++];
        memset(sig, 0, sizeof *sig);
        sig->plugin = p;
        sig->weight = p->weight;
        sig->last_log = -INFINITY;
        snprintf(sig->name, sizeof sig->name, "%s%s%s", p->name,
                 p->instance ? "." : "", p->instance ? p->instance : "");
    }
    memcpy(s->signals, next, count * sizeof next[0]);
    s->signal_count = count;
    return 0;
}

struct scorer *
scorer_new(const struct plugin_set *set)
{
    struct scorer *s = calloc(1, sizeof *s);
    if (!s) {
        log_err(scorer_comp, "out of memory");
        return NULL;
    }
    s->budget_us = SCORER_DEFAULT_BUDGET_US;
    if (scorer_set_plugins(s, set) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void
scorer_free(struct scorer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->chosen_count; i++)
        free(s->chosen[i].id);
    free(s->chosen);
    free(s->scratch.views);
    free(s->scratch.requests);
    free(s->scratch.reg_index);
    free(s->scratch.loaded);
    free(s->scratch.available);
    free(s->scratch.unloaded);
    free(s->scratch.figures);
    free(s->scratch.vetoed);
    free(s->scratch.items);
    free(s->scratch.matrix);
    free(s->scratch.keep);
    free(s);
}

void
scorer_set_budget_us(struct scorer *s, double us)
{
    s->budget_us = us;
}

/* Grows *buf to hold n elements of size sz. */
static int
scorer_reserve(void *bufp, size_t *cap, size_t n, size_t sz)
{
    void **buf = bufp;
    if (n <= *cap)
        return 0;
    size_t want = *cap ? *cap : 16;
    while (want < n)
        want *= 2;
    void *p = realloc(*buf, want * sz);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = want;
    return 0;
}

static int
scorer_reserve_views(struct scorer_scratch *sc, size_t n)
{
    size_t cap = sc->view_cap;
    if (n <= cap)
        return 0;
    size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
    if (scorer_reserve(&sc->views, &c1, n, sizeof *sc->views) ||
        scorer_reserve(&sc->requests, &c2, n, sizeof *sc->requests) ||
        scorer_reserve(&sc->reg_index, &c3, n, sizeof *sc->reg_index) ||
        scorer_reserve(&sc->vetoed, &c4, n, sizeof *sc->vetoed))
        return -ENOMEM;
    sc->view_cap = c1;
    return 0;
}

/* Names mostly differ in their first letter: test it before the call. */
static inline int
scorer_same(const char *a, const char *b)
{
    return a && a[0] == b[0] && strcmp(a, b) == 0;
}

static int
scorer_has_model(const struct registry_node *n, const char *model, int *hot)
{
    *hot = 0;
    for (size_t i = 0; i < n->snap.loaded_count; i++)
        if (scorer_same(n->snap.loaded[i].name, model)) {
            *hot = 1;
            return 1;
        }
    for (size_t i = 0; i < n->snap.available_count; i++)
        if (scorer_same(n->snap.available[i].name, model))
            return 1;
    return 0;
}

static int
scorer_is_excluded(const struct route_request *req, const char *id)
{
    if (!req->excluded_nodes)
        return 0;
    for (const char *const *e = req->excluded_nodes; *e; e++)
        if (strcmp(*e, id) == 0)
            return 1;
    return 0;
}

/* Core elimination; returns the reason or NULL to keep the node. */
static const char *
scorer_core_reason(const struct registry_node *n,
                   const struct route_request *req, int *has, int *hot)
{
    *has = scorer_has_model(n, req->model, hot);
    if (scorer_is_excluded(req, n->id))
        return "excluded after a failed attempt";
    if (n->draining)
        return "draining";
    if (n->status == HERD_NODE_OFFLINE)
        return "offline";
    if (!n->cfg_enabled)
        return "disabled by [node.ID]";
    if (!n->snap.has_memory && !n->snap.agentless &&
        n->snap.loaded_count == 0 && n->snap.available_count == 0)
        return "no state yet";
    if (!*has)
        return "model not on node";
    return NULL;
}

/* The k-th smallest of v[0..n-1] (reordered in place), by quickselect:
 * linear on average, where a sort would be n log n per request. */
static double
scorer_select(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* Median of v[0..n-1] (reordered); the mean of the middle two for an even
 * count; 0 when n is 0. */
static double
scorer_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    double upper = scorer_select(v, n, n / 2);
    if (n % 2)
        return upper;
    /* after the select, everything below n/2 is <= upper */
    double lower = v[0];
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lower)
            lower = v[i];
    return (lower + upper) / 2.0;
}

static int
scorer_fleet(struct scorer *s, const struct registry *reg,
             struct herd_fleet_view *fleet)
{
    size_t count = registry_count(reg), nbw = 0, nmem = 0, online = 0;
    struct scorer_scratch *sc = &s->scratch;
    if (scorer_reserve(&sc->figures, &sc->figures_cap, 2 * count + 1,
                       sizeof *sc->figures))
        return -ENOMEM;
    double *bw = sc->figures, *mem = sc->figures + count;
    for (size_t i = 0; i < count; i++) {
        const struct registry_node *n = registry_at(reg, i);
        if (n->status == HERD_NODE_OFFLINE)
            continue;
        online++;
        if (n->snap.memory_bandwidth_gbps > 0)
            bw[nbw++] = n->snap.memory_bandwidth_gbps;
        if (n->snap.has_memory && n->snap.memory_total_gb > 0)
            mem[nmem++] = n->snap.memory_total_gb;
    }
    memset(fleet, 0, sizeof *fleet);
    fleet->size = sizeof *fleet;
    fleet->node_count = online;
    fleet->median_bandwidth_gbps = scorer_median(bw, nbw);
    fleet->median_memory_gb = scorer_median(mem, nmem);
    return 0;
}

/* Fills the view of node n; its arrays come from the scratch buffers,
 * which the caller has reserved. */
static void
scorer_fill_view(struct scorer *s, const struct registry_node *n,
                 struct herd_node_view *v, size_t *lo, size_t *ao, size_t *uo,
                 double now)
{
    struct scorer_scratch *sc = &s->scratch;
    const struct hb_snapshot *snap = &n->snap;

    memset(v, 0, sizeof *v);
    v->size = sizeof *v;
    v->id = n->id;
    v->url = n->url ? n->url : "";
    v->status = n->status;
    v->pressure = snap->pressure;
    v->memory_total_gb = snap->memory_total_gb;
    v->memory_available_gb = snap->memory_available_gb;
    v->memory_bandwidth_gbps = snap->memory_bandwidth_gbps;
    v->cores_physical = snap->cores_physical;
    v->cpu_utilization_pct = snap->cpu_utilization_pct;
    v->temperature_c = snap->temperature_c;
    v->chip = snap->chip ? snap->chip : "";
    v->has_capacity = (uint32_t)snap->has_capacity;
    v->capacity_mode = snap->capacity_mode ? snap->capacity_mode : "";
    v->capacity_ceiling_gb = snap->capacity_ceiling_gb;
    v->availability_score = snap->availability_score;

    v->loaded = sc->loaded + *lo;
    for (size_t i = 0; i < snap->loaded_count; i++) {
        struct herd_loaded_model *m = &sc->loaded[(*lo)++];
        m->size = sizeof *m;
        m->name = snap->loaded[i].name ? snap->loaded[i].name : "";
        m->size_gb = snap->loaded[i].size_gb;
        m->context_length = snap->loaded[i].context_length;
        m->num_parallel = snap->loaded[i].num_parallel;
    }
    v->loaded_count = snap->loaded_count;
    v->available = sc->available + *ao;
    for (size_t i = 0; i < snap->available_count; i++)
        sc->available[(*ao)++] =
            snap->available[i].name ? snap->available[i].name : "";
    sc->available[(*ao)++] = NULL;
    v->available_count = snap->available_count;
    v->unloaded = sc->unloaded + *uo;
    for (size_t i = 0; i < n->unloaded_count; i++) {
        struct herd_unloaded_model *u = &sc->unloaded[(*uo)++];
        u->size = sizeof *u;
        u->name = n->unloaded[i].name;
        u->seconds_ago = now - n->unloaded[i].when;
    }
    v->unloaded_count = n->unloaded_count;
    v->p75_latency_ms = NAN;
}

static double
scorer_last_chosen(const struct scorer *s, const char *id)
{
    for (size_t i = 0; i < s->chosen_count; i++)
        if (strcmp(s->chosen[i].id, id) == 0)
            return s->chosen[i].when;
    return -INFINITY;
}

void
scorer_note_chosen(struct scorer *s, const char *node_id, double now)
{
    size_t oldest = 0;
    for (size_t i = 0; i < s->chosen_count; i++) {
        if (strcmp(s->chosen[i].id, node_id) == 0) {
            s->chosen[i].when = now;
            return;
        }
        if (s->chosen[i].when < s->chosen[oldest].when)
            oldest = i;
    }
    char *id = strdup(node_id);
    if (!id)
        return; /* the tie-break only loses a hint */
    if (s->chosen_count == SCORER_MAX_CHOSEN) {
        free(s->chosen[oldest].id);
        s->chosen[oldest].id = id;
        s->chosen[oldest].when = now;
        return;
    }
    if (!s->chosen || (s->chosen_count & (s->chosen_count - 1)) == 0) {
        size_t cap = s->chosen_count ? s->chosen_count * 2 : 8;
        struct scorer_chosen *c = realloc(s->chosen, cap * sizeof *c);
        if (!c) {
            free(id);
            return;
        }
        s->chosen = c;
    }
    s->chosen[s->chosen_count].id = id;
    s->chosen[s->chosen_count].when = now;
    s->chosen_count++;
}

static int
scorer_cmp_total(const void *a, const void *b)
{
    const struct scorer_rank_item *x = a, *y = b;
    if (x->total > y->total)
        return -1;
    if (x->total < y->total)
        return 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int
scorer_cmp_tie(const void *a, const void *b)
{
    const struct scorer_rank_item *x = a, *y = b;
    if (x->last_chosen < y->last_chosen)
        return -1;
    if (x->last_chosen > y->last_chosen)
        return 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Totals within SCORER_TIE_EPSILON of the first of a run are a tie: the
 * run is ordered by when each node was last chosen, oldest first. */
static void
scorer_break_ties(const struct scorer *s, struct scorer_rank_item *items,
                  size_t n, const struct herd_node_view *views)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && items[i].total - items[j].total <= SCORER_TIE_EPSILON)
            j++;
        if (j - i > 1) {
            for (size_t k = i; k < j; k++)
                items[k].last_chosen =
                    scorer_last_chosen(s, views[items[k].view].id);
            qsort(items + i, j - i, sizeof *items, scorer_cmp_tie);
        }
        i = j;
    }
}

static void
scorer_check_budget(struct scorer *s, struct scorer_signal *sig, double us,
                    double now)
{
    if (s->budget_us <= 0 || us <= s->budget_us ||
        now - sig->last_log < SCORER_BUDGET_LOG_EVERY)
        return;
    sig->last_log = now;
    log_warn(scorer_comp,
             "signal %s took %.0f us for one request (budget %.0f us)",
             sig->name, us, s->budget_us);
}

/* A result is one block, so one malloc and one free per request: an array
 * or a string apiece cost a call each, among the dearest on the request
 * path (glibc's calloc never takes the tcache). The block is sized before
 * the ranking for the worst case: every registry node ends up in the
 * result exactly once, eliminated (by its first core reason, else by the
 * first filter to veto it, as a veto hides the node from the filters
 * after) or ranked. Hence registry-count slots for each (all may go either
 * way) and text for every node's id and URL. The eliminations come first:
 * the block is r->eliminated. */
struct scorer_block {
    size_t candidates; /* offsets in the block */
    size_t points;
    size_t signals;
    size_t model;
    size_t text; /* node ids and URLs */
    size_t size;
};

/* The parts of a result written as the ranking goes. */
struct scorer_fill {
    double *points; /* of candidate r: points + r * signal_count */
    char *text;     /* the next free byte for a node id or URL */
};

/* Appends n elements of size sz and alignment al to a block being laid
 * out in *size; returns their offset. */
static size_t
scorer_block_add(size_t *size, size_t n, size_t sz, size_t al)
{
    size_t at = (*size + al - 1) / al * al;
    *size = at + n * sz;
    return at;
}

/* Room for the id and the URL of every node of reg, each with its NUL. */
static size_t
scorer_block_text(const struct registry *reg)
{
    size_t count = registry_count(reg), text = 0;
    for (size_t i = 0; i < count; i++) {
        const struct registry_node *n = registry_at(reg, i);
        text += strlen(n->id) + (n->url ? strlen(n->url) : 0) + 2;
    }
    return text;
}

static void
scorer_block_layout(struct scorer_block *b, const struct registry *reg,
                    size_t signal_count, size_t model_len)
{
    size_t count = registry_count(reg);
    size_t size = count * sizeof(struct route_elimination);
    b->candidates =
        scorer_block_add(&size, count, sizeof(struct route_candidate),
                         _Alignof(struct route_candidate));
    b->points = scorer_block_add(&size, count * signal_count, sizeof(double),
                                 _Alignof(double));
    b->signals = scorer_block_add(&size, signal_count, SCORER_NAME_MAX, 1);
    b->model = scorer_block_add(&size, model_len + 1, 1, 1);
    b->text = scorer_block_add(&size, scorer_block_text(reg), 1, 1);
    b->size = size;
}

/* Allocates out's block (malloc: every byte read is written first) and
 * writes what is known before the ranking: the model and the signals. */
static int
scorer_result_alloc(const struct scorer *s, const struct registry *reg,
                    const char *model, struct route_result *out,
                    struct scorer_fill *f)
{
    size_t ns = s->signal_count, model_len = strlen(model);
    struct scorer_block b;
    scorer_block_layout(&b, reg, ns, model_len);
    char *block = malloc(b.size);
    if (!block)
        return -ENOMEM;
    out->eliminated = (struct route_elimination *)block;
    out->candidates = (struct route_candidate *)(block + b.candidates);
    out->signals = (char(*)[SCORER_NAME_MAX])(block + b.signals);
    out->model = memcpy(block + b.model, model, model_len + 1);
    for (size_t k = 0; k < ns; k++)
        memcpy(out->signals[k], s->signals[k].name, SCORER_NAME_MAX);
    out->signal_count = ns;
    f->points = (double *)(block + b.points);
    f->text = block + b.text;
    return 0;
}

/* Copies str into the result's text; returns the copy. */
static char *
scorer_fill_text(struct scorer_fill *f, const char *str)
{
    size_t len = strlen(str) + 1;
    char *copy = memcpy(f->text, str, len);
    f->text += len;
    return copy;
}

/* signal: the vetoing signal's name, NULL for a core reason. The block
 * has a slot for every node (scorer_block). */
static void
scorer_add_elimination(struct route_result *out, struct scorer_fill *f,
                       const char *id, const char *signal, const char *reason)
{
    struct route_elimination *e = &out->eliminated[out->eliminated_count++];
    e->node = scorer_fill_text(f, id);
    snprintf(e->reason, sizeof e->reason, "%s%s%s", signal ? signal : "",
             signal ? ": " : "", reason);
}

/* Vetoes of the filters, signal by signal. */
static void
scorer_filter(struct scorer *s, struct route_result *out, struct scorer_fill *f,
              size_t nviews, const struct herd_fleet_view *fleet)
{
    struct scorer_scratch *sc = &s->scratch;
    char reason[SCORER_REASON_MAX];

    for (size_t k = 0; k < s->signal_count; k++) {
        const struct loaded_plugin *p = s->signals[k].plugin;
        if (!p->desc.scoring.filter)
            continue;
        for (size_t i = 0; i < nviews; i++) {
            if (sc->vetoed[i])
                continue;
            struct herd_candidate c = {sizeof c, &sc->requests[i],
                                       &sc->views[i], fleet};
            reason[0] = '\0';
            if (p->desc.scoring.filter(p->ctx, &c, reason, sizeof reason) !=
                HERD_FILTER_VETO)
                continue;
            sc->vetoed[i] = 1;
            reason[sizeof reason - 1] = '\0';
            scorer_add_elimination(out, f, sc->views[i].id, s->signals[k].name,
                                   reason[0] ? reason : "vetoed");
        }
    }
}

/* Points of every signal for every kept view, into a matrix of
 * nviews x signal_count (weighted). */
static void
scorer_score(struct scorer *s, size_t nviews,
             const struct herd_fleet_view *fleet, double *matrix, double now)
{
    struct scorer_scratch *sc = &s->scratch;
    size_t ns = s->signal_count;

    /* one clock read between two signals times both (a read costs
     * about as much as a simple signal) */
    double t0 = mono_clock_s();
    for (size_t k = 0; k < ns; k++) {
        struct scorer_signal *sig = &s->signals[k];
        const struct loaded_plugin *p = sig->plugin;
        for (size_t i = 0; i < nviews; i++) {
            double pts = 0;
            if (sc->vetoed[i])
                continue;
            struct herd_candidate c = {sizeof c, &sc->requests[i],
                                       &sc->views[i], fleet};
            if (p->desc.scoring.score(p->ctx, &c, &pts) != HERD_OK ||
                !isfinite(pts))
                pts = 0;
            matrix[i * ns + k] = sig->weight * pts;
        }
        double t1 = mono_clock_s();
        scorer_check_budget(s, sig, (t1 - t0) * 1e6, now);
        t0 = t1;
    }
}

static void
scorer_emit(struct scorer *s, struct route_result *out, struct scorer_fill *f,
            size_t nviews, const double *matrix)
{
    struct scorer_scratch *sc = &s->scratch;
    size_t ns = s->signal_count, nc = 0;
    struct scorer_rank_item *items = sc->items;
    for (size_t i = 0; i < nviews; i++) {
        if (sc->vetoed[i])
            continue;
        double total = 0;
        for (size_t k = 0; k < ns; k++)
            total += matrix[i * ns + k];
        items[nc].total = total;
        items[nc].order = sc->reg_index[i];
        items[nc].view = i;
        nc++;
    }
    qsort(items, nc, sizeof *items, scorer_cmp_total);
    scorer_break_ties(s, items, nc, sc->views);

    for (size_t r = 0; r < nc; r++) {
        size_t i = items[r].view;
        struct route_candidate *c = &out->candidates[r];
        const struct herd_node_view *v = &sc->views[i];
        c->points = f->points + r * ns;
        memcpy(c->points, matrix + i * ns, ns * sizeof *c->points);
        c->total = items[r].total;
        c->hot = 0;
        c->loaded_ctx = 0;
        for (size_t m = 0; m < v->loaded_count; m++)
            if (scorer_same(v->loaded[m].name, out->model)) {
                c->hot = 1;
                c->loaded_ctx = (int)v->loaded[m].context_length;
                break;
            }
        c->node = scorer_fill_text(f, v->id);
        c->url = scorer_fill_text(f, v->url);
    }
    out->candidate_count = nc;
}

/* Counts what the views of the kept nodes need and reserves it. */
static int
scorer_reserve_models(struct scorer *s, const struct registry *reg,
                      const char *keep)
{
    struct scorer_scratch *sc = &s->scratch;
    size_t count = registry_count(reg), nl = 0, na = 0, nu = 0;
    for (size_t i = 0; i < count; i++) {
        if (!keep[i])
            continue;
        const struct registry_node *n = registry_at(reg, i);
        nl += n->snap.loaded_count;
        na += n->snap.available_count + 1;
        nu += n->unloaded_count;
    }
    if (scorer_reserve(&sc->loaded, &sc->loaded_cap, nl + 1,
                       sizeof *sc->loaded) ||
        scorer_reserve(&sc->available, &sc->available_cap, na + 1,
                       sizeof *sc->available) ||
        scorer_reserve(&sc->unloaded, &sc->unloaded_cap, nu + 1,
                       sizeof *sc->unloaded))
        return -ENOMEM;
    return 0;
}

static void
scorer_load(const struct scorer_load_provider *load, const char *model,
            struct herd_node_view *v)
{
    v->queue_depth = 0;
    v->in_flight = 0;
    v->slots = 0;
    v->p75_latency_ms = NAN;
    if (load && load->get)
        load->get(load->arg, v->id, model, v);
}

int
scorer_rank(struct scorer *s, const struct registry *reg,
            const struct route_request *req,
            const struct scorer_load_provider *load, double now,
            struct route_result *out)
{
    double t0 = mono_clock_s();
    struct scorer_scratch *sc = &s->scratch;
    size_t count = registry_count(reg), nviews = 0;
    struct herd_fleet_view fleet;
    struct scorer_fill fill;
    double *matrix;
    char *keep;
    int rc = -ENOMEM;

    memset(out, 0, sizeof *out);
    out->estimated_tokens = req->estimated_tokens;
    if (scorer_result_alloc(s, reg, req->model, out, &fill) != 0 ||
        scorer_reserve(&sc->keep, &sc->keep_cap, count + 1, 1) != 0 ||
        scorer_reserve(&sc->items, &sc->items_cap, count + 1,
                       sizeof *sc->items) != 0 ||
        scorer_reserve_views(sc, count + 1) != 0 ||
        scorer_fleet(s, reg, &fleet) != 0)
        goto out;
    keep = sc->keep;
    out->model_size_gb = model_size_estimate(reg, req->model);

    for (size_t i = 0; i < count; i++) {
        const struct registry_node *n = registry_at(reg, i);
        int has, hot;
        const char *why = scorer_core_reason(n, req, &has, &hot);
        keep[i] = 0;
        if (has)
            out->model_known = 1;
        if (why) {
            scorer_add_elimination(out, &fill, n->id, NULL, why);
            continue;
        }
        keep[i] = 1;
    }
    if (scorer_reserve_models(s, reg, keep) != 0)
        goto out;
    size_t lo = 0, ao = 0, uo = 0;
    for (size_t i = 0; i < count; i++) {
        if (!keep[i])
            continue;
        const struct registry_node *n = registry_at(reg, i);
        struct herd_node_view *v = &sc->views[nviews];
        struct herd_request_view *rv = &sc->requests[nviews];
        scorer_fill_view(s, n, v, &lo, &ao, &uo, now);
        scorer_load(load, req->model, v);
        memset(rv, 0, sizeof *rv);
        rv->size = sizeof *rv;
        rv->model = req->model;
        rv->endpoint = req->endpoint ? req->endpoint : "";
        rv->estimated_tokens = req->estimated_tokens;
        rv->num_ctx = req->num_ctx;
        rv->image_count = req->image_count;
        rv->format = req->format ? req->format : "ollama";
        rv->tags = req->tags;
        /* where the model is loaded, its size there is the truth */
        double here = model_size_loaded(n, req->model);
        rv->model_size_gb = here > 0 ? here : out->model_size_gb;
        sc->reg_index[nviews] = i;
        sc->vetoed[nviews] = 0;
        nviews++;
    }
    scorer_filter(s, out, &fill, nviews, &fleet);
    if (scorer_reserve(&sc->matrix, &sc->matrix_cap,
                       nviews * s->signal_count + 1, sizeof *sc->matrix))
        goto out;
    matrix = sc->matrix;
    scorer_score(s, nviews, &fleet, matrix, now);
    scorer_emit(s, out, &fill, nviews, matrix);
    rc = 0;
out:
    out->elapsed_us = (mono_clock_s() - t0) * 1e6;
    if (rc == -ENOMEM)
        log_err(scorer_comp, "out of memory while scoring %s", req->model);
    return rc;
}

void
route_result_free(struct route_result *r)
{
    if (!r)
        return;
    free(r->eliminated); /* the block; every other pointer is into it */
    memset(r, 0, sizeof *r);
}

const struct route_candidate *
route_result_winner(const struct route_result *r)
{
    return r->candidate_count ? &r->candidates[0] : NULL;
}

json_object *
route_result_breakdown(const struct route_result *r, size_t i)
{
    if (i >= r->candidate_count)
        return NULL;
    const struct route_candidate *c = &r->candidates[i];
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    for (size_t k = 0; k < r->signal_count; k++)
        json_object_object_add(o, r->signals[k],
                               json_object_new_double(c->points[k]));
    json_object_object_add(o, "total", json_object_new_double(c->total));
    return o;
}

json_object *
route_result_to_json(const struct route_result *r)
{
    json_object *o = json_object_new_object();
    json_object *cands = json_object_new_array();
    json_object *elim = json_object_new_array();
    if (!o || !cands || !elim) {
        json_object_put(o);
        json_object_put(cands);
        json_object_put(elim);
        return NULL;
    }
    json_object_object_add(o, "model", json_object_new_string(r->model));
    json_object_object_add(o, "estimated_tokens",
                           json_object_new_int64(r->estimated_tokens));
    json_object_object_add(o, "model_size_gb",
                           json_object_new_double(r->model_size_gb));
    for (size_t i = 0; i < r->candidate_count; i++) {
        json_object *c = json_object_new_object();
        json_object *scores = route_result_breakdown(r, i);
        if (scores)
            json_object_object_del(scores, "total");
        json_object_object_add(c, "node",
                               json_object_new_string(r->candidates[i].node));
        json_object_object_add(c, "total",
                               json_object_new_double(r->candidates[i].total));
        json_object_object_add(c, "scores", scores);
        json_object_array_add(cands, c);
    }
    for (size_t i = 0; i < r->eliminated_count; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "node",
                               json_object_new_string(r->eliminated[i].node));
        json_object_object_add(e, "reason",
                               json_object_new_string(r->eliminated[i].reason));
        json_object_array_add(elim, e);
    }
    json_object_object_add(o, "candidates", cands);
    json_object_object_add(o, "eliminated", elim);
    const struct route_candidate *w = route_result_winner(r);
    json_object_object_add(o, "winner",
                           w ? json_object_new_string(w->node) : NULL);
    json_object_object_add(o, "elapsed_us",
                           json_object_new_double(r->elapsed_us));
    return o;
}
