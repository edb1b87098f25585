/* A fake herd_host for the plugin tests: the table a plugin is given, the
 * lines it logs kept in memory, and one configuration section loaded
 * through the real plugin loader. A test that answers more of the table
 * (node_report, router_found, ...) embeds struct fake_host as the first
 * member of its own struct, so host_data leads to both. Header-only: each
 * test is one translation unit. */
#ifndef HERD_TESTS_FAKE_HOST_H
#define HERD_TESTS_FAKE_HOST_H

#include <errno.h>
#include <herd/plugin.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "plugin_loader.h"
#include "tap.h"

#define FAKE_HOST_MAX_KEYS 16

struct fake_host {
    struct herd_host table;
    struct event_base *base; /* NULL: the table offers no event loop */
    int echo_logs;           /* also show each log line as a TAP comment */
    char logs[16384];        /* every line logged, each ended by '\n' */
};

static inline void fake_host_log(void *hd, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static inline void
fake_host_log(void *hd, int level, const char *fmt, ...)
{
    struct fake_host *h = hd;
    size_t start = strlen(h->logs);
    va_list ap;
    (void)level;
    va_start(ap, fmt);
    vsnprintf(h->logs + start, sizeof h->logs - start, fmt, ap);
    va_end(ap);
    size_t used = strlen(h->logs);
    if (used < sizeof h->logs - 1)
        strcat(h->logs, "\n");
    if (h->echo_logs)
        diag("log: %.*s", (int)(used - start), h->logs + start);
}

static inline struct event_base *
fake_host_event_base(void *hd)
{
    return ((struct fake_host *)hd)->base;
}

/* A host of role (HERD_ROLE_*) whose table offers log, and the event loop
 * when base is not NULL. */
static inline void
fake_host_init(struct fake_host *h, uint32_t role, struct event_base *base)
{
    memset(h, 0, sizeof *h);
    h->base = base;
    h->table.abi_version = HERD_ABI_VERSION;
    h->table.size = sizeof h->table;
    h->table.role = role;
    h->table.host_data = h;
    h->table.log = fake_host_log;
    if (base) {
        h->table.event_base = fake_host_event_base;
        h->table.features = HERD_HOST_F_EVENT_BASE;
    }
}

/* How many times needle stands in text: h->logs, or what a test records
 * from the other callbacks. */
static inline int
fake_host_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Loads [kind.name] into set with the key/value pairs of pairs (const
 * char *, NULL-ended, at most FAKE_HOST_MAX_KEYS), as from test.ini, and
 * starts the set when start is set. Returns the loader's code, err filled
 * on failure. */
static inline int
fake_host_vload(struct plugin_set *set, const char *kind, const char *name,
                int start, char *err, size_t errlen, va_list pairs)
{
    struct config_entry entries[FAKE_HOST_MAX_KEYS];
    struct config_plugin_section sec;
    size_t n = 0;

    memset(&sec, 0, sizeof sec);
    for (const char *k;
         n < FAKE_HOST_MAX_KEYS && (k = va_arg(pairs, const char *));) {
        entries[n].key = (char *)k;
        entries[n].value = va_arg(pairs, char *);
        entries[n].file = (char *)"test.ini";
        entries[n].line = (int)n + 2;
        n++;
    }
    sec.kind = (char *)kind;
    sec.name = (char *)name;
    sec.enabled = 1;
    sec.weight = 1;
    sec.entries = entries;
    sec.entry_count = n;
    sec.file = (char *)"test.ini";
    sec.line = 1;
    err[0] = '\0';
    int rc = plugin_set_load(set, &sec, err, errlen);
    if (rc == 0 && start)
        rc = plugin_set_start(set, err, errlen);
    return rc;
}

/* fake_host_vload into a new set of h's. On success *out gets the set
 * (when out is not NULL; the set is freed otherwise), on failure the set
 * is freed and the loader's code returned. */
static inline int
fake_host_vopen(struct fake_host *h, struct plugin_set **out, const char *kind,
                const char *name, int start, char *err, size_t errlen,
                va_list pairs)
{
    struct plugin_set *set = plugin_set_new(&h->table, NULL, 0);
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = fake_host_vload(set, kind, name, start, err, errlen, pairs);
    if (out && rc == 0)
        *out = set;
    else
        plugin_set_free(set);
    return rc;
}

#endif
