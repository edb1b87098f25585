/* --print-config: the effective configuration as an INI file that
 * config_load reads back, each value followed by where it came from. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "config_impl.h"

/* Writes "key = value  ; comment", or the comment on a line of its own
 * first when the whole would be longer than the reader accepts. */
static void
print_line(FILE *out, const char *key, const char *value, const char *comment)
{
    size_t len = strlen(key) + 3 + strlen(value) + 4 + strlen(comment);

    if (len > config_ini_line_max()) {
        fprintf(out, "; %s\n%s = %s\n", comment, key, value);
        return;
    }
    fprintf(out, "%s = %s  ; %s\n", key, value, comment);
}

static void
print_origin(const struct config_origin *o, char *buf, size_t len)
{
    if (!o || o->src == CONFIG_SRC_DEFAULT)
        snprintf(buf, len, "default");
    else
        snprintf(buf, len, "from %s", o->where);
}

static void
print_key(const struct herd_config *cfg, size_t k, FILE *out)
{
    const struct config_key *key = &config_keys[k];
    const struct config_provenance *prov = cfg->provenance;
    const void *field = (const char *)cfg + key->offset;
    char value[1024], comment[4200];

    if (key->flags & CONFIG_K_REPEAT) {
        char *const *list = *(char *const *const *)field;
        size_t n = *(const size_t *)((const char *)cfg + key->count_offset);
        if (n == 0)
            fprintf(out, "; %s: none  ; default\n", key->name);
        for (size_t i = 0; i < n; i++) {
            const struct config_origin *o = prov && i < prov->origin_counts[k]
                                                ? &prov->origins[k][i]
                                                : NULL;
            print_origin(o, comment, sizeof comment);
            print_line(out, key->name,
                       (key->flags & CONFIG_K_SECRET) ? "***" : list[i],
                       comment);
        }
        return;
    }
    config_value_format(key, field, value, sizeof value);
    if ((key->flags & CONFIG_K_SECRET) && value[0])
        snprintf(value, sizeof value, "***");
    print_origin(prov && prov->origin_counts[k] ? &prov->origins[k][0] : NULL,
                 comment, sizeof comment);
    if (!value[0])
        strncat(comment, ", not set", sizeof comment - strlen(comment) - 1);
    print_line(out, key->name, value, comment);
}

/* "from FILE:LINE" for a host key of a node or plugin section. */
static void
print_file_origin(const char *file, int line, char *buf, size_t len)
{
    if (file && line > 0)
        snprintf(buf, len, "from %s:%d", file, line);
    else
        snprintf(buf, len, "default");
}

static void
print_node(const struct config_node *n, FILE *out)
{
    char comment[4200], v[32];

    fprintf(out, "\n[node.%s]\n", n->id);
    snprintf(v, sizeof v, "%d", n->num_parallel);
    print_file_origin(n->file, n->num_parallel_line, comment, sizeof comment);
    print_line(out, "num_parallel", v, comment);
    print_file_origin(n->file, n->enabled_line, comment, sizeof comment);
    print_line(out, "enabled", n->enabled ? "true" : "false", comment);
}

static void
print_plugin(const struct config_plugin_section *p, FILE *out)
{
    char comment[4200], w[32];

    fprintf(out, "\n[%s.%s%s%s]\n", p->kind, p->name, p->instance ? "." : "",
            p->instance ? p->instance : "");
    print_file_origin(p->file, p->enabled_line, comment, sizeof comment);
    print_line(out, "enabled", p->enabled ? "true" : "false", comment);
    if (strcmp(p->kind, "scoring") == 0) {
        config_format_double(p->weight, w, sizeof w);
        print_file_origin(p->file, p->weight_line, comment, sizeof comment);
        print_line(out, "weight", w, comment);
    }
    for (size_t i = 0; i < p->entry_count; i++) {
        const struct config_entry *e = &p->entries[i];
        print_file_origin(e->file, e->line, comment, sizeof comment);
        print_line(out, e->key, e->value, comment);
    }
}

void
config_print(const struct herd_config *cfg, FILE *out)
{
    const char *section = NULL;

    fprintf(out,
            "# Effective configuration, as --print-config shows it.\n"
            "# Each value is followed by its source; secrets show as ***.\n"
            "# Configuration file: %s\n",
            cfg->config_file ? cfg->config_file : "none");
    for (size_t k = 0; k < config_key_count; k++) {
        if (!section || strcmp(section, config_keys[k].section) != 0) {
            section = config_keys[k].section;
            fprintf(out, "\n[%s]\n", section);
        }
        print_key(cfg, k, out);
    }
    for (size_t i = 0; i < cfg->node_count; i++)
        print_node(&cfg->nodes[i], out);
    for (size_t i = 0; i < cfg->plugin_count; i++)
        print_plugin(&cfg->plugins[i], out);
}
