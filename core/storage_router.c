/* The router's side of storage: storage sections get their default file
 * under the data directory, the trace writer and the latency history are
 * created once the plugins have started and go before the plugins do,
 * and /fleet/status shows the writer's counters. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "latency.h"
#include "plugin_loader.h"
#include "router.h"
#include "storage_router.h"
#include "traces.h"

static const char *storage_router_comp = "storage";

/* The file a storage plugin uses when its section names none. */
static const struct {
    const char *name;
    const char *file; /* relative to the data directory */
} storage_router_defaults[] = {
    {"sqlite", "latency.db"},
    {"jsonl", "logs/herd.jsonl"},
};

static int
storage_router_default_path(const struct router *r, const char *name, char *out,
                            size_t len)
{
    /* The configuration has expanded "~" in data_dir already. */
    const char *d = r->boot->data_dir;
    for (size_t i = 0;
         i < sizeof storage_router_defaults / sizeof storage_router_defaults[0];
         i++) {
        if (strcmp(storage_router_defaults[i].name, name) != 0)
            continue;
        int n = snprintf(out, len, "%s/%s", d, storage_router_defaults[i].file);
        return n > 0 && (size_t)n < len ? 1 : -ENAMETOOLONG;
    }
    return 0;
}

static int
storage_router_load_with_path(struct router *r,
                              const struct config_plugin_section *sec,
                              char *err, size_t errlen)
{
    char path[4200];
    for (size_t i = 0; i < sec->entry_count; i++)
        if (strcmp(sec->entries[i].key, "path") == 0)
            return plugin_set_load(r->plugins, sec, err, errlen);
    int has = storage_router_default_path(r, sec->name, path, sizeof path);
    if (has < 0) {
        snprintf(err, errlen, "[storage.%s]: data directory path too long",
                 sec->name);
        return has;
    }
    if (has == 0)
        return plugin_set_load(r->plugins, sec, err, errlen);
    struct config_plugin_section with = *sec;
    struct config_entry *entries =
        calloc(sec->entry_count + 1, sizeof *entries);
    if (!entries) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (sec->entry_count)
        memcpy(entries, sec->entries, sec->entry_count * sizeof *entries);
    entries[sec->entry_count].key = (char *)"path";
    entries[sec->entry_count].value = path;
    with.entries = entries;
    with.entry_count = sec->entry_count + 1;
    int rc = plugin_set_load(r->plugins, &with, err, errlen);
    free(entries);
    return rc;
}

int
router_storage_start(struct router *r)
{
    char err[256];
    r->latency = latency_new();
    if (!r->latency) {
        log_err(storage_router_comp, "out of memory");
        return -ENOMEM;
    }
    r->traces = traces_new(r->base, r->plugins, r->latency,
                           r->boot->trace_queue_max, err, sizeof err);
    if (!r->traces) {
        log_err(storage_router_comp, "cannot start the trace writer: %s", err);
        return -ENOMEM;
    }
    struct traces_stats st;
    traces_get_stats(r->traces, &st);
    if (st.backends == 0)
        log_warn(storage_router_comp,
                 "no storage plugin loaded: traces are counted, not kept");
    return 0;
}

void
router_storage_stop(struct router *r)
{
    traces_free(r->traces);
    r->traces = NULL;
    latency_free(r->latency);
    r->latency = NULL;
}

json_object *
router_storage_status(struct router *r)
{
    struct traces_stats st;
    traces_get_stats(r->traces, &st);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "queued",
                           json_object_new_int64((int64_t)st.queued));
    json_object_object_add(o, "queue_max",
                           json_object_new_int64((int64_t)st.queue_max));
    json_object_object_add(o, "submitted",
                           json_object_new_int64((int64_t)st.submitted));
    json_object_object_add(o, "written",
                           json_object_new_int64((int64_t)st.written));
    json_object_object_add(o, "dropped",
                           json_object_new_int64((int64_t)st.dropped));
    json_object_object_add(o, "write_errors",
                           json_object_new_int64((int64_t)st.failed));
    json_object *names = json_object_new_array();
    size_t n = r->plugins ? plugin_set_count(r->plugins) : 0;
    for (size_t i = 0; i < n; i++) {
        const struct loaded_plugin *p = plugin_set_get(r->plugins, i);
        if (p->kind == HERD_KIND_STORAGE)
            json_object_array_add(names, json_object_new_string(p->name));
    }
    json_object_object_add(o, "backends", names);
    return o;
}

int
router_storage_load(struct router *r, const struct config_plugin_section *sec,
                    char *err, size_t errlen)
{
    int rc = storage_router_load_with_path(r, sec, err, errlen);
    if (rc == -ENOENT && sec->builtin) {
        /* built without it (./configure --disable-storage-NAME) */
        log_info(storage_router_comp,
                 "default storage/%s is not installed; running without it",
                 sec->name);
        return 0;
    }
    return rc;
}
