/* Validation of a whole INI file: sections, keys, values, duplicates.
 * config_ini_parse only records what inih found; this file judges it, in
 * file order, so the first problem in the file is the one reported. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"

struct file_record {
    char *section;
    char *key; /* NULL: a section header */
    char *value;
    int line;
};

struct file_records {
    struct file_record *items;
    size_t count, cap;
};

static const char *const file_kinds[] = {"scoring", "discovery", "storage"};

static int
file_record_add(void *user, const char *section, const char *key,
                const char *value, int line, char *err, size_t errlen)
{
    struct file_records *recs = user;
    struct file_record *r;

    if (recs->count == recs->cap) {
        size_t cap = recs->cap ? recs->cap * 2 : 32;
        void *p = realloc(recs->items, cap * sizeof *recs->items);
        if (!p)
            goto nomem;
        recs->items = p;
        recs->cap = cap;
    }
    r = &recs->items[recs->count];
    r->section = strdup(section);
    r->key = key ? strdup(key) : NULL;
    r->value = value ? strdup(value) : NULL;
    r->line = line;
    if (!r->section || (key && !r->key) || (value && !r->value)) {
        free(r->section);
        free(r->key);
        free(r->value);
        goto nomem;
    }
    recs->count++;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

static void
file_records_free(struct file_records *recs)
{
    for (size_t i = 0; i < recs->count; i++) {
        free(recs->items[i].section);
        free(recs->items[i].key);
        free(recs->items[i].value);
    }
    free(recs->items);
}

static int
file_is_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

static void
file_unknown_section(const char *path, int line, const char *section, char *err,
                     size_t errlen)
{
    static const char *const heads[] = {"router", "security", "agent",
                                        "node",   "scoring",  "discovery",
                                        "storage"};
    static const char *const shown[] = {
        "[router]",       "[security]",       "[agent]",       "[node.ID]",
        "[scoring.NAME]", "[discovery.NAME]", "[storage.NAME]"};
    char head[64];
    const char *hint;
    size_t i;

    snprintf(head, sizeof head, "%.*s", (int)strcspn(section, "."), section);
    hint = config_suggest(head, heads, sizeof heads / sizeof heads[0]);
    for (i = 0; hint && heads[i] != hint; i++)
        ;
    snprintf(err, errlen,
             "%s:%d: unknown section [%s]%s%s%s (known: [router], "
             "[security], [agent], [node.ID], [scoring.NAME], "
             "[discovery.NAME], [storage.NAME])",
             path, line, section, hint ? " (did you mean " : "",
             hint ? shown[i] : "", hint ? "?)" : "");
}

/* The plugin section of sec, created on its first header. */
static int
file_plugin_section(struct config_file *f, const char *path, int line,
                    const char *section, size_t *out, char *err, size_t errlen)
{
    const char *dot1 = strchr(section, '.');
    const char *name = dot1 + 1;
    const char *dot2 = strchr(name, '.');
    size_t kl = (size_t)(dot1 - section);
    size_t nl = dot2 ? (size_t)(dot2 - name) : strlen(name);
    const char *inst = dot2 ? dot2 + 1 : NULL;
    struct config_plugin_section *p;

    if (!file_is_name(name, nl) ||
        (inst && !file_is_name(inst, strlen(inst)))) {
        snprintf(err, errlen,
                 "%s:%d: bad section name [%s]: expected [%.*s.NAME] or "
                 "[%.*s.NAME.INSTANCE] with NAME and INSTANCE made of "
                 "a-z, 0-9 and _",
                 path, line, section, (int)kl, section, (int)kl, section);
        return -EINVAL;
    }
    for (size_t i = 0; i < f->plugin_count; i++) {
        p = &f->plugins[i];
        if (strlen(p->kind) == kl && strncmp(p->kind, section, kl) == 0 &&
            strlen(p->name) == nl && strncmp(p->name, name, nl) == 0 &&
            ((!inst && !p->instance) ||
             (inst && p->instance && strcmp(inst, p->instance) == 0))) {
            *out = i;
            return 0;
        }
    }
    p = realloc(f->plugins, (f->plugin_count + 1) * sizeof *p);
    if (!p)
        return -ENOMEM;
    f->plugins = p;
    p = &f->plugins[f->plugin_count];
    memset(p, 0, sizeof *p);
    p->kind = strndup(section, kl);
    p->name = strndup(name, nl);
    p->instance = inst ? strdup(inst) : NULL;
    p->file = strdup(path);
    p->line = line;
    p->enabled = 1;
    p->weight = 1.0;
    f->plugin_count++;
    if (!p->kind || !p->name || (inst && !p->instance) || !p->file)
        return -ENOMEM;
    *out = f->plugin_count - 1;
    return 0;
}

static int
file_node_section(struct config_file *f, const char *path, int line,
                  const char *section, size_t *out, char *err, size_t errlen)
{
    const char *id = section + 5;
    size_t n = strlen(id);
    struct config_node *nd;

    if (n == 0 || strspn(id, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
        snprintf(err, errlen,
                 "%s:%d: bad section name [%s]: expected [node.ID] with ID "
                 "made of A-Z, a-z, 0-9, '.', '_' and '-'",
                 path, line, section);
        return -EINVAL;
    }
    for (size_t i = 0; i < f->node_count; i++)
        if (strcmp(f->nodes[i].id, id) == 0) {
            *out = i;
            return 0;
        }
    nd = realloc(f->nodes, (f->node_count + 1) * sizeof *nd);
    if (!nd)
        return -ENOMEM;
    f->nodes = nd;
    nd = &f->nodes[f->node_count];
    memset(nd, 0, sizeof *nd);
    nd->id = strdup(id);
    nd->file = strdup(path);
    nd->line = line;
    nd->enabled = 1;
    if (!nd->id || !nd->file) {
        free(nd->id);
        free(nd->file);
        return -ENOMEM;
    }
    *out = f->node_count++;
    return 0;
}

enum file_kind { FILE_MAIN, FILE_NODE, FILE_PLUGIN };

/* Classifies a section name; for [node.*] and plugin sections also finds
 * or creates what it configures. */
static int
file_section(struct config_file *f, const char *path, int line,
             const char *section, enum file_kind *kind, size_t *idx, char *err,
             size_t errlen)
{
    if (strcmp(section, "router") == 0 || strcmp(section, "security") == 0 ||
        strcmp(section, "agent") == 0) {
        *kind = FILE_MAIN;
        return 0;
    }
    if (strncmp(section, "node.", 5) == 0) {
        *kind = FILE_NODE;
        return file_node_section(f, path, line, section, idx, err, errlen);
    }
    for (size_t i = 0; i < 3; i++) {
        size_t kl = strlen(file_kinds[i]);
        if (strncmp(section, file_kinds[i], kl) != 0)
            continue;
        if (section[kl] == '.') {
            *kind = FILE_PLUGIN;
            return file_plugin_section(f, path, line, section, idx, err,
                                       errlen);
        }
        if (section[kl] == '\0') {
            snprintf(err, errlen,
                     "%s:%d: section [%s] needs a plugin name: [%s.NAME]", path,
                     line, section, section);
            return -EINVAL;
        }
    }
    if (strcmp(section, "node") == 0) {
        snprintf(err, errlen, "%s:%d: section [node] needs an id: [node.ID]",
                 path, line);
        return -EINVAL;
    }
    file_unknown_section(path, line, section, err, errlen);
    return -EINVAL;
}

static int
file_main_key(struct config_file *f, int *seen, const char *path,
              const struct file_record *r, const struct config_env *env,
              char *err, size_t errlen)
{
    int k = config_key_find(r->section, r->key);
    char where[4096 + 16], why[CONFIG_ERR_MAX];
    const struct config_key *key;

    if (k < 0) {
        const char *names[64];
        size_t n = 0;
        const char *hint;
        for (size_t i = 0; i < config_key_count && n < 64; i++)
            if (strcmp(config_keys[i].section, r->section) == 0)
                names[n++] = config_keys[i].name;
        hint = config_suggest(r->key, names, n);
        snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]%s%s%s", path,
                 r->line, r->key, r->section, hint ? " (did you mean '" : "",
                 hint ? hint : "", hint ? "'?)" : "");
        return -EINVAL;
    }
    key = &config_keys[k];
    if (!(key->flags & CONFIG_K_REPEAT)) {
        if (seen[k]) {
            snprintf(err, errlen,
                     "%s:%d: duplicate key '%s' in [%s] (first set at line "
                     "%d)",
                     path, r->line, r->key, r->section, seen[k]);
            return -EINVAL;
        }
        seen[k] = r->line;
    }
    /* validate now, even when the command line will override it */
    {
        union {
            char *s;
            int i;
            double d;
            size_t z;
        } tmp = {0};
        int rc = config_value_parse(key, r->value, env, &tmp, why, sizeof why);
        if (rc == 0 && config_type_is_text(key->type))
            free(tmp.s);
        if (rc < 0) {
            snprintf(err, errlen, "%s:%d: %s: %s", path, r->line, r->key, why);
            return rc;
        }
    }
    snprintf(where, sizeof where, "%s:%d", path, r->line);
    return config_layer_add(&f->settings, k, r->value, CONFIG_SRC_FILE, where);
}

static int
file_node_key(struct config_node *nd, const char *path,
              const struct file_record *r, char *err, size_t errlen)
{
    int *lines[] = {&nd->num_parallel_line, &nd->enabled_line};
    static const char *const keys[] = {"num_parallel", "enabled"};
    char why[CONFIG_ERR_MAX];
    int which = strcmp(r->key, "num_parallel") == 0 ? 0
                : strcmp(r->key, "enabled") == 0    ? 1
                                                    : -1;
    int rc;

    if (which < 0) {
        const char *hint = config_suggest(r->key, keys, 2);
        snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]%s%s%s", path,
                 r->line, r->key, r->section, hint ? " (did you mean '" : "",
                 hint ? hint : "", hint ? "'?)" : "");
        return -EINVAL;
    }
    if (*lines[which]) {
        snprintf(err, errlen,
                 "%s:%d: duplicate key '%s' in [%s] (first set at line %d)",
                 path, r->line, r->key, r->section, *lines[which]);
        return -EINVAL;
    }
    *lines[which] = r->line;
    rc = which == 0
             ? config_parse_int(r->value, 0, 1024, &nd->num_parallel, why,
                                sizeof why)
             : config_parse_bool(r->value, &nd->enabled, why, sizeof why);
    if (rc < 0)
        snprintf(err, errlen, "%s:%d: %s: %s", path, r->line, r->key, why);
    return rc;
}

static int
file_plugin_key(struct config_plugin_section *p, const char *path,
                const struct file_record *r, char *err, size_t errlen)
{
    int *lines[] = {&p->enabled_line, &p->weight_line};
    char why[CONFIG_ERR_MAX];
    struct config_entry *e;
    int which = strcmp(r->key, "enabled") == 0  ? 0
                : strcmp(r->key, "weight") == 0 ? 1
                                                : -1;
    int rc;

    if (which == 1 && strcmp(p->kind, "scoring") != 0) {
        snprintf(err, errlen,
                 "%s:%d: 'weight' is only meaningful in [scoring.*] "
                 "sections, not in [%s]",
                 path, r->line, r->section);
        return -EINVAL;
    }
    if (which >= 0) {
        if (*lines[which]) {
            snprintf(err, errlen,
                     "%s:%d: duplicate key '%s' in [%s] (first set at line "
                     "%d)",
                     path, r->line, r->key, r->section, *lines[which]);
            return -EINVAL;
        }
        *lines[which] = r->line;
        rc = which == 0
                 ? config_parse_bool(r->value, &p->enabled, why, sizeof why)
                 : config_parse_double(r->value, 0, 1e6, &p->weight, why,
                                       sizeof why);
        if (rc < 0)
            snprintf(err, errlen, "%s:%d: %s: %s", path, r->line, r->key, why);
        return rc;
    }
    /* everything else is the plugin's, repeated keys included */
    e = realloc(p->entries, (p->entry_count + 1) * sizeof *e);
    if (!e)
        return -ENOMEM;
    p->entries = e;
    e = &p->entries[p->entry_count];
    e->key = strdup(r->key);
    e->value = strdup(r->value);
    e->file = strdup(path);
    e->line = r->line;
    p->entry_count++;
    if (!e->key || !e->value || !e->file)
        return -ENOMEM;
    return 0;
}

static int
file_validate(struct config_file *f, const char *path,
              const struct file_records *recs, const struct config_env *env,
              char *err, size_t errlen)
{
    int *seen = calloc(config_key_count, sizeof *seen);
    int rc = 0;

    if (!seen)
        rc = -ENOMEM;
    for (size_t i = 0; i < recs->count && rc == 0; i++) {
        const struct file_record *r = &recs->items[i];
        enum file_kind kind;
        size_t idx = 0;

        if (!r->key && !*r->section) {
            snprintf(err, errlen, "%s:%d: empty section name []", path,
                     r->line);
            rc = -EINVAL;
            break;
        }
        if (!*r->section) {
            snprintf(err, errlen,
                     "%s:%d: key '%s' is outside any section (start the "
                     "file with a [section] line)",
                     path, r->line, r->key);
            rc = -EINVAL;
            break;
        }
        rc = file_section(f, path, r->line, r->section, &kind, &idx, err,
                          errlen);
        if (rc < 0 || !r->key)
            continue;
        if (!*r->key) {
            snprintf(err, errlen, "%s:%d: empty key name in [%s]", path,
                     r->line, r->section);
            rc = -EINVAL;
            break;
        }
        if (kind == FILE_MAIN) {
            rc = file_main_key(f, seen, path, r, env, err, errlen);
            continue;
        }
        if (kind == FILE_NODE)
            rc = file_node_key(&f->nodes[idx], path, r, err, errlen);
        else
            rc = file_plugin_key(&f->plugins[idx], path, r, err, errlen);
    }
    free(seen);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

int
config_file_read(struct config_file *f, const char *path,
                 const struct config_env *env, char *err, size_t errlen)
{
    struct file_records recs = {0};
    int rc;

    memset(f, 0, sizeof *f);
    rc = config_ini_parse(path, file_record_add, &recs, err, errlen);
    if (rc == 0)
        rc = file_validate(f, path, &recs, env, err, errlen);
    file_records_free(&recs);
    if (rc < 0)
        config_file_free(f);
    return rc;
}

void
config_plugins_free(struct config_plugin_section *plugins, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct config_plugin_section *p = &plugins[i];
        for (size_t j = 0; j < p->entry_count; j++) {
            free(p->entries[j].key);
            free(p->entries[j].value);
            free(p->entries[j].file);
        }
        free(p->entries);
        free(p->kind);
        free(p->name);
        free(p->instance);
        free(p->file);
    }
    free(plugins);
}

void
config_nodes_free(struct config_node *nodes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(nodes[i].id);
        free(nodes[i].file);
    }
    free(nodes);
}

void
config_file_free(struct config_file *f)
{
    config_layer_free(&f->settings);
    config_plugins_free(f->plugins, f->plugin_count);
    config_nodes_free(f->nodes, f->node_count);
    memset(f, 0, sizeof *f);
}
