/* The ABI checks a plugin file must pass before any of its code runs
 * (beyond herd_plugin_entry itself, which only returns a pointer). */
#include "autoconfig.h"

#include "plugin_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* End of a member: the 1.0 size of a descriptor is measured through its
 * last 1.0 member, so members appended in 1.x never raise the floor. */
#define CHECK_END_OF(type, member)                                             \
    (offsetof(type, member) + sizeof(((type *)0)->member))

static const struct {
    uint32_t kind;
    const char *name;
    size_t size_1_0;   /* shortest descriptor the loader accepts */
    size_t size_local; /* what this host knows of the kind */
} check_kinds[] = {
    {HERD_KIND_SCORING, "scoring",
     CHECK_END_OF(struct herd_scoring_plugin, observe),
     sizeof(struct herd_scoring_plugin)},
    {HERD_KIND_DISCOVERY, "discovery",
     CHECK_END_OF(struct herd_discovery_plugin, refresh),
     sizeof(struct herd_discovery_plugin)},
    {HERD_KIND_STORAGE, "storage",
     CHECK_END_OF(struct herd_storage_plugin, query),
     sizeof(struct herd_storage_plugin)},
};

static const struct {
    uint64_t bit;
    const char *name;
} check_features[] = {
    {HERD_HOST_F_EVENT_BASE, "event_base"},
    {HERD_HOST_F_NODE_REPORT, "node_report"},
    {HERD_HOST_F_ROUTER_URL, "router_url"},
};

#define CHECK_NKINDS (sizeof check_kinds / sizeof check_kinds[0])

static int check_fail(int rc, char *reason, size_t len, const char *fmt, ...)
    HERD_PRINTF(4, 5);

static int
check_fail(int rc, char *reason, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (len > 0)
        vsnprintf(reason, len, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
plugin_kind_name(uint32_t kind)
{
    for (size_t i = 0; i < CHECK_NKINDS; i++)
        if (check_kinds[i].kind == kind)
            return check_kinds[i].name;
    return NULL;
}

int
plugin_kind_parse(const char *name)
{
    for (size_t i = 0; name && i < CHECK_NKINDS; i++)
        if (strcmp(check_kinds[i].name, name) == 0)
            return (int)check_kinds[i].kind;
    return 0;
}

int
plugin_name_valid(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

lt_dlhandle
plugin_check_open(const char *file, char *reason, size_t len)
{
    lt_dladvise advise;
    lt_dlhandle h = NULL;

    if (lt_dladvise_init(&advise) != 0) {
        check_fail(0, reason, len, "cannot open: %s", lt_dlerror());
        return NULL;
    }
    /* ext: NAME.la in a build tree, NAME.so installed; local: one
     * plugin's symbols never satisfy another's. */
    if (lt_dladvise_ext(&advise) == 0 && lt_dladvise_local(&advise) == 0)
        h = lt_dlopenadvise(file, advise);
    if (!h) {
        const char *e = lt_dlerror();
        check_fail(0, reason, len,
                   "cannot open: %s (ldd on the file shows missing libraries)",
                   e ? e : "unknown error");
    }
    lt_dladvise_destroy(&advise);
    return h;
}

/* Names of the bits of missing, into buf. */
static void
check_describe_features(uint64_t missing, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned bit = 0; bit < 64 && used < len; bit++) {
        uint64_t mask = UINT64_C(1) << bit;
        if (!(missing & mask))
            continue;
        const char *name = NULL;
        for (size_t i = 0; i < sizeof check_features / sizeof check_features[0];
             i++)
            if (check_features[i].bit == mask)
                name = check_features[i].name;
        int n = name ? snprintf(buf + used, len - used, "%s%s",
                                used ? ", " : "", name)
                     : snprintf(buf + used, len - used, "%sbit %u",
                                used ? ", " : "", bit);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int
plugin_check_descriptor(lt_dlhandle h, const char *stem, uint32_t expect_kind,
                        const char *section, uint64_t host_features,
                        struct plugin_probe *pr, char *reason, size_t len)
{
    memset(pr, 0, sizeof *pr);

    void *sym = lt_dlsym(h, HERD_PLUGIN_ENTRY_SYMBOL);
    if (!sym)
        return check_fail(-ENOEXEC, reason, len,
                          "not a herd plugin: no " HERD_PLUGIN_ENTRY_SYMBOL);
    herd_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); /* object to function pointer */
    const struct herd_plugin *d = entry();
    if (!d)
        return check_fail(-ENOEXEC, reason, len,
                          HERD_PLUGIN_ENTRY_SYMBOL " returned NULL");

    /* abi_version and size are the only fields every version shares. */
    pr->have_desc = 1;
    pr->abi_version = d->abi_version;
    unsigned major = HERD_ABI_VERSION_MAJOR(d->abi_version);
    unsigned minor = HERD_ABI_VERSION_MINOR(d->abi_version);
    if (major != HERD_ABI_MAJOR)
        return check_fail(-EPROTO, reason, len,
                          "built for ABI %u.%u, this herd speaks %u.%u", major,
                          minor, HERD_ABI_MAJOR, HERD_ABI_MINOR);
    /* Within a major the common prefix never changes: show what the
     * file declares even when a later check refuses it. */
    if (d->size >= sizeof(struct herd_plugin)) {
        pr->kind = d->kind;
        if (d->name)
            snprintf(pr->name, sizeof pr->name, "%s", d->name);
    }
    if (minor > HERD_ABI_MINOR)
        return check_fail(-EPROTO, reason, len,
                          "built for ABI %u.%u, newer than this herd's %u.%u "
                          "(upgrade herd or rebuild the plugin)",
                          major, minor, HERD_ABI_MAJOR, HERD_ABI_MINOR);
    if (d->size < sizeof(struct herd_plugin))
        return check_fail(-EPROTO, reason, len,
                          "descriptor size %" PRIu32 " is shorter than the "
                          "%zu bytes of struct herd_plugin",
                          d->size, sizeof(struct herd_plugin));

    size_t k = 0;
    while (k < CHECK_NKINDS && check_kinds[k].kind != d->kind)
        k++;
    if (k == CHECK_NKINDS)
        return check_fail(-EINVAL, reason, len, "unknown kind %" PRIu32,
                          d->kind);
    if (d->size < check_kinds[k].size_1_0)
        return check_fail(-EPROTO, reason, len,
                          "descriptor size %" PRIu32 " is shorter than the "
                          "%zu bytes of a 1.0 %s descriptor",
                          d->size, check_kinds[k].size_1_0,
                          check_kinds[k].name);
    if (expect_kind && d->kind != expect_kind)
        return check_fail(
            -EINVAL, reason, len, "is a %s plugin, %s needs a %s plugin",
            check_kinds[k].name, section, plugin_kind_name(expect_kind));
    if (!d->name || strcmp(d->name, stem) != 0)
        return check_fail(-EINVAL, reason, len,
                          "declares the name \"%s\" but its file is \"%s\"",
                          d->name ? d->name : "(null)", stem);
    if (d->reserved0 != 0)
        return check_fail(-EPROTO, reason, len,
                          "reserved0 is %" PRIu32 ", must be 0", d->reserved0);
    uint64_t missing = d->requires & ~host_features;
    if (missing) {
        char names[256];
        check_describe_features(missing, names, sizeof names);
        return check_fail(-ENOTSUP, reason, len,
                          "requires host features this host lacks: %s", names);
    }

    /* Fields the plugin did not know about stay NULL. */
    size_t n = d->size < check_kinds[k].size_local ? d->size
                                                   : check_kinds[k].size_local;
    memcpy(&pr->desc, d, n);

    const char *missing_cb = NULL;
    if (!pr->desc.base.init)
        missing_cb = "init";
    else if (!pr->desc.base.destroy)
        missing_cb = "destroy";
    else if (d->kind == HERD_KIND_SCORING && !pr->desc.scoring.score)
        missing_cb = "score";
    else if (d->kind == HERD_KIND_STORAGE && !pr->desc.storage.write)
        missing_cb = "write";
    if (missing_cb)
        return check_fail(-EINVAL, reason, len,
                          "has no %s callback, which a %s plugin must have",
                          missing_cb, check_kinds[k].name);
    return 0;
}
