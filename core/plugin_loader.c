/* Plugin sets: find, check, init, config, start and destroy plugin
 * instances in the order the configuration lists them. */
#include "autoconfig.h"

#include "plugin_loader.h"

#include "common/log.h"
#include "plugin_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOADER_LOG "plugin"

struct plugin_instance {
    struct loaded_plugin pub; /* first: plugin_set_get hands out &pub */
    struct plugin_host host;
};

struct plugin_set {
    const struct herd_host *host;
    struct plugin_path path;
    struct plugin_instance **items;
    size_t count, cap;
};

static int loader_refuse(int rc, char *err, size_t errlen, const char *fmt, ...)
    HERD_PRINTF(4, 5);

/* Logs the refusal at error level and hands it to the caller. */
static int
loader_refuse(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_err(LOADER_LOG, "%s", msg);
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return rc;
}

static int
loader_keep_open(void)
{
    const char *v = getenv("HERD_KEEP_PLUGINS");
    return v && strcmp(v, "1") == 0;
}

/* Closes the file, except with HERD_KEEP_PLUGINS=1: then it stays open so
 * that valgrind and LeakSanitizer can still name the plugin's functions.
 * (Making it resident would not do: lt_dlexit() then drops its handle and
 * the leak checkers report libltdl's records as lost.) */
static void
loader_close(lt_dlhandle h)
{
    if (h && !loader_keep_open())
        lt_dlclose(h);
}

static void
loader_instance_free(struct plugin_instance *in)
{
    if (!in)
        return;
    loader_close(in->pub.handle);
    free(in->pub.name);
    free(in->pub.instance);
    free(in->pub.path);
    free(in);
}

struct plugin_set *
plugin_set_new(const struct herd_host *host, char *const *dirs,
               size_t dir_count)
{
    if (lt_dlinit() != 0) {
        log_err(LOADER_LOG, "cannot start libltdl: %s", lt_dlerror());
        return NULL;
    }
    struct plugin_set *set = calloc(1, sizeof *set);
    if (!set || plugin_path_init(&set->path, dirs, dir_count) != 0) {
        log_err(LOADER_LOG, "out of memory");
        free(set);
        lt_dlexit();
        return NULL;
    }
    set->host = host;
    return set;
}

static void
loader_section_name(const struct config_plugin_section *sec, char *buf,
                    size_t len)
{
    if (sec->instance)
        snprintf(buf, len, "[%s.%s.%s]", sec->kind, sec->name, sec->instance);
    else
        snprintf(buf, len, "[%s.%s]", sec->kind, sec->name);
}

static const char *
loader_entry_file(const struct config_entry *e)
{
    return e->file ? e->file : "(built-in)";
}

/* Every plugin key of the section must be one of config_keys (NULL
 * accepts any key). */
static int
loader_check_keys(const struct config_plugin_section *sec,
                  const struct herd_plugin *d, const char *section,
                  const char *path, char *err, size_t errlen)
{
    if (!d->config_keys)
        return 0;
    for (size_t i = 0; i < sec->entry_count; i++) {
        const struct config_entry *e = &sec->entries[i];
        size_t k = 0;
        while (d->config_keys[k] && strcmp(d->config_keys[k], e->key) != 0)
            k++;
        if (d->config_keys[k])
            continue;
        char accepted[512] = "";
        size_t used = 0;
        for (k = 0; d->config_keys[k] && used < sizeof accepted; k++) {
            int n = snprintf(accepted + used, sizeof accepted - used, "%s%s",
                             k ? ", " : "", d->config_keys[k]);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        return loader_refuse(-ENOENT, err, errlen,
                             "%s:%d: unknown key \"%s\" in %s; plugin %s "
                             "accepts: %s",
                             loader_entry_file(e), e->line, e->key, section,
                             path, used ? accepted : "(no keys)");
    }
    return 0;
}

static int
loader_append(struct plugin_set *set, struct plugin_instance *in)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        void *items = realloc(set->items, cap * sizeof *set->items);
        if (!items)
            return -ENOMEM;
        set->items = items;
        set->cap = cap;
    }
    set->items[set->count++] = in;
    return 0;
}

/* init() then config() per entry. On failure after init, destroy() runs
 * exactly once here; the caller frees the instance. */
static int
loader_init_instance(struct plugin_instance *in,
                     const struct config_plugin_section *sec,
                     const char *section, char *err, size_t errlen)
{
    const struct herd_plugin *d = &in->pub.desc.base;
    int rc = d->init(&in->host.table, &in->pub.ctx);
    if (rc != 0) {
        rc = rc < 0 ? rc : -EINVAL;
        return loader_refuse(rc, err, errlen, "%s: init failed for %s: %s",
                             in->pub.path, section, strerror(-rc));
    }
    for (size_t i = 0; i < sec->entry_count; i++) {
        const struct config_entry *e = &sec->entries[i];
        char perr[512] = "";
        rc = d->config(in->pub.ctx, e->key, e->value, perr, sizeof perr);
        if (rc == 0)
            continue;
        rc = rc < 0 ? rc : -EINVAL;
        d->destroy(in->pub.ctx);
        in->pub.ctx = NULL;
        return loader_refuse(
            rc, err, errlen, "%s:%d: %s %s = %s: %s (plugin %s)",
            loader_entry_file(e), e->line, section, e->key, e->value,
            perr[0] ? perr : strerror(-rc), in->pub.path);
    }
    return 0;
}

int
plugin_set_load(struct plugin_set *set, const struct config_plugin_section *sec,
                char *err, size_t errlen)
{
    char section[256], reason[512], dirs[1024];
    char *base = NULL, *file = NULL;
    struct plugin_instance *in = NULL;
    struct plugin_probe probe;
    lt_dlhandle h;
    int rc;

    if (!sec->enabled) {
        log_debug(LOADER_LOG, "[%s.%s] is disabled", sec->kind, sec->name);
        return 0;
    }
    loader_section_name(sec, section, sizeof section);
    int kind = plugin_kind_parse(sec->kind);
    if (!kind)
        return loader_refuse(-EINVAL, err, errlen,
                             "%s: unknown plugin kind \"%s\" (scoring, "
                             "discovery or storage)",
                             section, sec->kind);
    if (!plugin_name_valid(sec->name))
        return loader_refuse(-EINVAL, err, errlen,
                             "%s: plugin name \"%s\" must be [a-z0-9_]+",
                             section, sec->name);

    rc = plugin_path_find(&set->path, sec->kind, sec->name, &base, &file);
    if (rc == -ENOENT && sec->builtin) {
        /* A default the build left out: the caller decides, quietly. */
        snprintf(err, errlen, "%s: %s plugin \"%s\" is not installed", section,
                 sec->kind, sec->name);
        return rc;
    }
    if (rc == -ENOENT) {
        plugin_path_describe(&set->path, dirs, sizeof dirs);
        return loader_refuse(rc, err, errlen,
                             "%s: %s plugin \"%s\" not found (looked for "
                             "%s/%s.{la,so} and %s.{la,so} in: %s)",
                             section, sec->kind, sec->name, sec->kind,
                             sec->name, sec->name, dirs);
    }
    if (rc < 0)
        return loader_refuse(rc, err, errlen, "%s: out of memory", section);

    h = plugin_check_open(base, reason, sizeof reason);
    if (!h) {
        rc = loader_refuse(-ENOEXEC, err, errlen, "%s: %s", file, reason);
        goto out;
    }
    rc = plugin_check_descriptor(h, sec->name, (uint32_t)kind, section,
                                 set->host->features, &probe, reason,
                                 sizeof reason);
    if (rc < 0) {
        rc = loader_refuse(rc, err, errlen, "%s: %s", file, reason);
        goto close;
    }
    if (sec->entry_count > 0 && !probe.desc.base.config) {
        rc = loader_refuse(-EINVAL, err, errlen,
                           "%s: has no config callback, but %s sets "
                           "%s (%s:%d)",
                           file, section, sec->entries[0].key,
                           loader_entry_file(&sec->entries[0]),
                           sec->entries[0].line);
        goto close;
    }
    rc = loader_check_keys(sec, &probe.desc.base, section, file, err, errlen);
    if (rc < 0)
        goto close;

    in = calloc(1, sizeof *in);
    if (!in)
        goto nomem;
    in->pub.handle = h;
    h = NULL; /* the instance owns it from here */
    in->pub.kind = (enum herd_kind)kind;
    in->pub.name = strdup(sec->name);
    in->pub.instance = sec->instance ? strdup(sec->instance) : NULL;
    in->pub.path = file;
    file = NULL;
    in->pub.weight = sec->weight;
    in->pub.abi_version = probe.abi_version;
    in->pub.desc = probe.desc;
    if (!in->pub.name || (sec->instance && !in->pub.instance))
        goto nomem;
    plugin_host_init(&in->host, set->host, sec->kind, sec->name, sec->instance);

    rc = loader_init_instance(in, sec, section, err, errlen);
    if (rc < 0)
        goto out;
    if (loader_append(set, in) < 0) {
        in->pub.desc.base.destroy(in->pub.ctx);
        goto nomem;
    }
    log_info(LOADER_LOG, "%s: loaded %s (plugin version %s, ABI %u.%u)",
             section, in->pub.path,
             in->pub.desc.base.version ? in->pub.desc.base.version : "?",
             HERD_ABI_VERSION_MAJOR(in->pub.abi_version),
             HERD_ABI_VERSION_MINOR(in->pub.abi_version));
    in = NULL;
    rc = 0;
    goto out;

nomem:
    rc = loader_refuse(-ENOMEM, err, errlen, "%s: out of memory", section);
close:
    loader_close(h);
out:
    loader_instance_free(in);
    free(base);
    free(file);
    return rc;
}

int
plugin_set_start(struct plugin_set *set, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->count; i++) {
        struct plugin_instance *in = set->items[i];
        const struct herd_plugin *d = &in->pub.desc.base;
        if (in->pub.started)
            continue;
        char perr[512] = "";
        int rc = d->start ? d->start(in->pub.ctx, perr, sizeof perr) : 0;
        if (rc == 0) {
            in->pub.started = 1;
            continue;
        }
        rc = rc < 0 ? rc : -EINVAL;
        char section[256];
        if (in->pub.instance)
            snprintf(section, sizeof section, "[%s.%s.%s]",
                     plugin_kind_name(in->pub.kind), in->pub.name,
                     in->pub.instance);
        else
            snprintf(section, sizeof section, "[%s.%s]",
                     plugin_kind_name(in->pub.kind), in->pub.name);
        rc = loader_refuse(rc, err, errlen, "%s: start failed for %s: %s",
                           in->pub.path, section,
                           perr[0] ? perr : strerror(-rc));
        d->destroy(in->pub.ctx);
        memmove(&set->items[i], &set->items[i + 1],
                (set->count - i - 1) * sizeof *set->items);
        set->count--;
        loader_instance_free(in);
        return rc;
    }
    return 0;
}

size_t
plugin_set_count(const struct plugin_set *set)
{
    return set ? set->count : 0;
}

const struct loaded_plugin *
plugin_set_get(const struct plugin_set *set, size_t i)
{
    return set && i < set->count ? &set->items[i]->pub : NULL;
}

void
plugin_set_free(struct plugin_set *set)
{
    if (!set)
        return;
    for (size_t i = set->count; i > 0; i--) {
        struct plugin_instance *in = set->items[i - 1];
        in->pub.desc.base.destroy(in->pub.ctx);
        loader_instance_free(in);
    }
    free(set->items);
    plugin_path_free(&set->path);
    free(set);
    /* Kept files stay listed in libltdl, reachable, until the exit. */
    if (!loader_keep_open())
        lt_dlexit();
}
