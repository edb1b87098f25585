/* Plugin sections the router has even when the INI file does not name
 * them: the scoring signals, the trace stores and mDNS. A section of
 * the same kind and name in the file (with or without an instance) takes
 * the default's place; `enabled = false` there turns it off. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const struct config_default_plugin config_default_plugins[] = {
    {"scoring", "thermal"},       {"scoring", "memory_fit"},
    {"scoring", "queue_depth"},   {"scoring", "wait_time"},
    {"scoring", "role_affinity"}, {"scoring", "availability_trend"},
    {"scoring", "context_fit"},   {"scoring", "completion_time"},
    {"storage", "sqlite"},        {"storage", "jsonl"},
    {"discovery", "mdns"},
};
const size_t config_default_plugin_count =
    sizeof config_default_plugins / sizeof config_default_plugins[0];

static int
config_defaults_present(const struct config_plugin_section *plugins,
                        size_t count, const struct config_default_plugin *d)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(plugins[i].kind, d->kind) == 0 &&
            strcmp(plugins[i].name, d->name) == 0)
            return 1;
    return 0;
}

int
config_defaults_append(struct config_plugin_section **plugins, size_t *count,
                       char *err, size_t errlen)
{
    size_t missing = 0;
    for (size_t i = 0; i < config_default_plugin_count; i++)
        missing += !config_defaults_present(*plugins, *count,
                                            &config_default_plugins[i]);
    if (!missing)
        return 0;
    struct config_plugin_section *p =
        realloc(*plugins, (*count + missing) * sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    *plugins = p;
    size_t n = *count;
    for (size_t i = 0; i < config_default_plugin_count; i++) {
        const struct config_default_plugin *d = &config_default_plugins[i];
        /* only the file's sections count, not defaults added meanwhile */
        if (config_defaults_present(p, *count, d))
            continue;
        struct config_plugin_section *s = &p[n];
        memset(s, 0, sizeof *s);
        s->kind = strdup(d->kind);
        s->name = strdup(d->name);
        s->enabled = 1;
        s->weight = 1.0;
        s->builtin = 1;
        n++;
        if (!s->kind || !s->name) {
            *count = n;
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    *count = n;
    return 0;
}
