/* Node registry. A small array in first-report order: fleets are tens of
 * nodes, the cap keeps it bounded, and linear lookups stay cheap. */
#include "autoconfig.h"

#include "registry.h"

#include <errno.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

struct registry_node_cfg {
    char *id;
    int num_parallel;
    int enabled;
};

struct registry {
    struct registry_settings settings;
    struct registry_node **nodes;
    size_t count, cap;
    struct registry_node_cfg *cfg;
    size_t cfg_count;
};

static const char *registry_comp = "registry";

struct registry *
registry_new(const struct registry_settings *settings)
{
    struct registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    registry_set_settings(reg, settings);
    return reg;
}

void
registry_set_settings(struct registry *reg,
                      const struct registry_settings *settings)
{
    reg->settings = *settings;
    if (reg->settings.max_nodes == 0)
        reg->settings.max_nodes = REGISTRY_DEFAULT_MAX_NODES;
}

static void
registry_unloaded_clear(struct registry_node *n)
{
    for (size_t i = 0; i < n->unloaded_count; i++)
        free(n->unloaded[i].name);
    free(n->unloaded);
    n->unloaded = NULL;
    n->unloaded_count = 0;
}

static void
registry_node_free(struct registry_node *n)
{
    if (!n)
        return;
    free(n->id);
    free(n->url);
    free(n->source);
    heartbeat_free(&n->snap);
    json_object_put(n->payload);
    registry_unloaded_clear(n);
    free(n);
}

static void
registry_cfg_clear(struct registry *reg)
{
    for (size_t i = 0; i < reg->cfg_count; i++)
        free(reg->cfg[i].id);
    free(reg->cfg);
    reg->cfg = NULL;
    reg->cfg_count = 0;
}

void
registry_free(struct registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->count; i++)
        registry_node_free(reg->nodes[i]);
    free(reg->nodes);
    registry_cfg_clear(reg);
    free(reg);
}

static void
registry_apply_cfg(const struct registry *reg, struct registry_node *n)
{
    n->cfg_num_parallel = 0;
    n->cfg_enabled = 1;
    for (size_t i = 0; i < reg->cfg_count; i++) {
        if (strcmp(reg->cfg[i].id, n->id) == 0) {
            n->cfg_num_parallel = reg->cfg[i].num_parallel;
            n->cfg_enabled = reg->cfg[i].enabled;
            return;
        }
    }
}

int
registry_set_node_config(struct registry *reg, const struct config_node *nodes,
                         size_t count)
{
    struct registry_node_cfg *cfg = NULL;
    if (count > 0) {
        cfg = calloc(count, sizeof *cfg);
        if (!cfg)
            return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        cfg[i].id = strdup(nodes[i].id ? nodes[i].id : "");
        cfg[i].num_parallel = nodes[i].num_parallel;
        cfg[i].enabled = nodes[i].enabled;
        if (!cfg[i].id) {
            for (size_t j = 0; j < i; j++)
                free(cfg[j].id);
            free(cfg);
            return -ENOMEM;
        }
    }
    registry_cfg_clear(reg);
    reg->cfg = cfg;
    reg->cfg_count = count;
    for (size_t i = 0; i < reg->count; i++)
        registry_apply_cfg(reg, reg->nodes[i]);
    return 0;
}

static ssize_t
registry_index(const struct registry *reg, const char *id)
{
    for (size_t i = 0; i < reg->count; i++)
        if (strcmp(reg->nodes[i]->id, id) == 0)
            return (ssize_t)i;
    return -1;
}

const struct registry_node *
registry_find(const struct registry *reg, const char *id)
{
    ssize_t i = registry_index(reg, id);
    return i < 0 ? NULL : reg->nodes[i];
}

size_t
registry_count(const struct registry *reg)
{
    return reg->count;
}

const struct registry_node *
registry_at(const struct registry *reg, size_t i)
{
    return i < reg->count ? reg->nodes[i] : NULL;
}

const char *
registry_status_name(enum herd_node_status status)
{
    switch (status) {
    case HERD_NODE_ONLINE:
        return "online";
    case HERD_NODE_DEGRADED:
        return "degraded";
    default:
        return "offline";
    }
}

unsigned
registry_node_num_parallel(const struct registry_node *n)
{
    if (n->cfg_num_parallel > 0)
        return (unsigned)n->cfg_num_parallel;
    return n->snap.num_parallel;
}

int
registry_node_usable(const struct registry_node *n)
{
    return n->status != HERD_NODE_OFFLINE && !n->draining && n->cfg_enabled;
}

int
registry_node_lists(const struct registry_node *n, const char *model)
{
    for (size_t i = 0; i < n->snap.loaded_count; i++)
        if (n->snap.loaded[i].name &&
            strcmp(n->snap.loaded[i].name, model) == 0)
            return 1;
    for (size_t i = 0; i < n->snap.available_count; i++)
        if (n->snap.available[i].name &&
            strcmp(n->snap.available[i].name, model) == 0)
            return 1;
    return 0;
}

const char *
registry_model_spelling(const struct registry *reg, const char *name)
{
    const char *other = NULL;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const struct hb_snapshot *s = &registry_at(reg, i)->snap;
        for (size_t j = 0; j < s->loaded_count + s->available_count; j++) {
            const char *listed = j < s->loaded_count
                                     ? s->loaded[j].name
                                     : s->available[j - s->loaded_count].name;
            if (!listed)
                continue;
            if (strcmp(listed, name) == 0)
                return NULL;
            if (!other && strcasecmp(listed, name) == 0)
                other = listed;
        }
    }
    return other;
}

int
registry_note_pulled(struct registry *reg, const char *id, const char *model)
{
    ssize_t idx = registry_index(reg, id);
    if (idx < 0)
        return -ENOENT;
    if (registry_node_lists(reg->nodes[idx], model))
        return 0;
    struct hb_snapshot *s = &reg->nodes[idx]->snap;
    if (s->available_count >= HEARTBEAT_MAX_AVAILABLE)
        return -ENOSPC;
    struct hb_available *a =
        realloc(s->available, (s->available_count + 1) * sizeof *a);
    if (!a)
        return -ENOMEM;
    s->available = a;
    if (!(a[s->available_count].name = strdup(model)))
        return -ENOMEM;
    a[s->available_count++].raw = NULL;
    return 0;
}

static int
registry_snap_has_loaded(const struct hb_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->loaded_count; i++)
        if (strcmp(s->loaded[i].name, name) == 0)
            return 1;
    return 0;
}

static void
registry_unloaded_drop(struct registry_node *n, size_t i)
{
    free(n->unloaded[i].name);
    memmove(&n->unloaded[i], &n->unloaded[i + 1],
            (n->unloaded_count - i - 1) * sizeof n->unloaded[0]);
    n->unloaded_count--;
}

static void
registry_unloaded_add(struct registry_node *n, const char *name, double now)
{
    for (size_t i = 0; i < n->unloaded_count; i++)
        if (strcmp(n->unloaded[i].name, name) == 0)
            registry_unloaded_drop(n, i--);
    if (n->unloaded_count == REGISTRY_MAX_UNLOADED)
        registry_unloaded_drop(n, 0); /* the oldest */
    if (!n->unloaded) {
        n->unloaded = calloc(REGISTRY_MAX_UNLOADED, sizeof *n->unloaded);
        if (!n->unloaded)
            return;
    }
    char *copy = strdup(name);
    if (!copy)
        return;
    n->unloaded[n->unloaded_count].name = copy;
    n->unloaded[n->unloaded_count].when = now;
    n->unloaded_count++;
}

/* A model loaded last time and absent now was unloaded; a model loaded
 * now is hot, not warm; entries older than the memory window expire. */
static void
registry_track_unloads(const struct registry *reg, struct registry_node *n,
                       const struct hb_snapshot *next, double now)
{
    for (size_t i = 0; i < n->snap.loaded_count; i++) {
        const char *name = n->snap.loaded[i].name;
        if (!registry_snap_has_loaded(next, name))
            registry_unloaded_add(n, name, now);
    }
    for (size_t i = 0; i < n->unloaded_count; i++) {
        const struct registry_unloaded *u = &n->unloaded[i];
        if (registry_snap_has_loaded(next, u->name) ||
            now - u->when > reg->settings.unloaded_memory)
            registry_unloaded_drop(n, i--);
    }
}

/* Takes model (any case) off n's loaded list; remember: keep it as
 * recently unloaded (warm). */
static void
registry_drop_loaded(struct registry_node *n, const char *model, int remember,
                     double now)
{
    struct hb_snapshot *s = &n->snap;
    for (size_t i = 0; i < s->loaded_count; i++) {
        struct hb_loaded *l = &s->loaded[i];
        if (!l->name || strcasecmp(l->name, model) != 0)
            continue;
        if (remember)
            registry_unloaded_add(n, l->name, now);
        heartbeat_loaded_clear(l);
        memmove(l, l + 1, (s->loaded_count - i - 1) * sizeof *l);
        s->loaded_count--;
        i--;
    }
}

int
registry_note_unloaded(struct registry *reg, const char *id,
                       const char *model, double now)
{
    ssize_t idx = registry_index(reg, id);
    if (idx < 0)
        return -ENOENT;
    registry_drop_loaded(reg->nodes[idx], model, 1, now);
    return 0;
}

int
registry_note_deleted(struct registry *reg, const char *id, const char *model)
{
    ssize_t idx = registry_index(reg, id);
    if (idx < 0)
        return -ENOENT;
    struct registry_node *n = reg->nodes[idx];
    struct hb_snapshot *s = &n->snap;
    registry_drop_loaded(n, model, 0, 0);
    for (size_t i = 0; i < s->available_count; i++) {
        struct hb_available *a = &s->available[i];
        if (!a->name || strcasecmp(a->name, model) != 0)
            continue;
        free(a->name);
        json_object_put(a->raw);
        memmove(a, a + 1, (s->available_count - i - 1) * sizeof *a);
        s->available_count--;
        i--;
    }
    /* gone from disk, so not warm either */
    for (size_t i = 0; i < n->unloaded_count; i++)
        if (strcasecmp(n->unloaded[i].name, model) == 0)
            registry_unloaded_drop(n, i--);
    return 0;
}

static struct registry_node *
registry_add(struct registry *reg, const char *id, double now, char *err,
             size_t errlen)
{
    if (reg->count >= reg->settings.max_nodes) {
        snprintf(err, errlen, "node registry is full (%zu nodes)",
                 reg->settings.max_nodes);
        return NULL;
    }
    if (reg->count == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        struct registry_node **nodes = realloc(reg->nodes, cap * sizeof *nodes);
        if (!nodes)
            goto nomem;
        reg->nodes = nodes;
        reg->cap = cap;
    }
    struct registry_node *n = calloc(1, sizeof *n);
    if (!n || !(n->id = strdup(id))) {
        free(n);
        goto nomem;
    }
    n->first_seen = now;
    n->status = HERD_NODE_OFFLINE;
    registry_apply_cfg(reg, n);
    reg->nodes[reg->count++] = n;
    return n;
nomem:
    snprintf(err, errlen, "out of memory");
    return NULL;
}

static int
registry_set_string(char **field, const char *value)
{
    if (*field && strcmp(*field, value) == 0)
        return 0;
    char *copy = strdup(value);
    if (!copy)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int
registry_report(struct registry *reg, struct hb_snapshot *snap,
                json_object *payload, const char *url, const char *source,
                double now, char *err, size_t errlen)
{
    int r = 0;
    ssize_t idx = registry_index(reg, snap->node_id);
    struct registry_node *n = idx >= 0 ? reg->nodes[idx] : NULL;

    if (snap->draining) {
        if (!n) {
            /* Nothing to take out; the agent is going away anyway. */
            goto done;
        }
        if (n->status != HERD_NODE_OFFLINE || !n->draining)
            log_info(registry_comp, "node %s is draining: out of routing",
                     n->id);
        n->draining = 1;
        if (n->status != HERD_NODE_OFFLINE)
            n->offline_since = now;
        n->status = HERD_NODE_OFFLINE;
        n->last_seen = now;
        goto done;
    }

    if (!n && !(n = registry_add(reg, snap->node_id, now, err, errlen))) {
        r = reg->count >= reg->settings.max_nodes ? -ENOSPC : -ENOMEM;
        goto done;
    }
    if (registry_set_string(&n->url, url) != 0 ||
        registry_set_string(&n->source, source) != 0) {
        snprintf(err, errlen, "out of memory");
        r = -ENOMEM;
        goto done;
    }
    registry_track_unloads(reg, n, snap, now);
    if (n->status != HERD_NODE_ONLINE)
        log_info(registry_comp, "node %s is online at %s (%s)", n->id, n->url,
                 n->source);
    n->status = HERD_NODE_ONLINE;
    n->draining = 0;
    n->missed_heartbeats = 0;
    n->last_seen = now;
    heartbeat_free(&n->snap);
    n->snap = *snap;
    memset(snap, 0, sizeof *snap);
    json_object_put(n->payload);
    n->payload = payload;
    return 0;
done:
    heartbeat_free(snap);
    json_object_put(payload);
    return r;
}

void
registry_tick(struct registry *reg, double now)
{
    const struct registry_settings *s = &reg->settings;
    for (size_t i = 0; i < reg->count; i++) {
        struct registry_node *n = reg->nodes[i];
        double elapsed = now - n->last_seen;
        if (n->status == HERD_NODE_OFFLINE) {
            if (s->forget_after > 0 &&
                now - n->offline_since >= s->forget_after) {
                log_info(registry_comp, "forgetting node %s (offline %.0f s)",
                         n->id, now - n->offline_since);
                registry_node_free(n);
                memmove(&reg->nodes[i], &reg->nodes[i + 1],
                        (reg->count - i - 1) * sizeof reg->nodes[0]);
                reg->count--;
                i--;
            }
            continue;
        }
        if (elapsed > s->heartbeat_offline) {
            n->status = HERD_NODE_OFFLINE;
            n->offline_since = now;
            n->missed_heartbeats++;
            log_warn(registry_comp, "node %s is offline (no report for %.1f s)",
                     n->id, elapsed);
        } else if (elapsed > s->heartbeat_timeout &&
                   n->status != HERD_NODE_DEGRADED) {
            n->status = HERD_NODE_DEGRADED;
            n->missed_heartbeats++;
            log_warn(registry_comp,
                     "node %s is degraded (no report for %.1f s)", n->id,
                     elapsed);
        }
    }
}

int
registry_remove(struct registry *reg, const char *id)
{
    ssize_t i = registry_index(reg, id);
    if (i < 0)
        return -ENOENT;
    log_info(registry_comp, "node %s removed", id);
    registry_node_free(reg->nodes[i]);
    memmove(&reg->nodes[i], &reg->nodes[i + 1],
            (reg->count - (size_t)i - 1) * sizeof reg->nodes[0]);
    reg->count--;
    return 0;
}
