/* config_load and config_reload: the command line, the environment and
 * the INI file are read and checked whole, then merged key by key
 * (command line > environment > file > default) into a fresh struct
 * herd_config. Any error leaves the struct zeroed. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_impl.h"

#define CONFIG_SYSTEM_FILE "/etc/herd/herd.ini"

int
config_layer_add(struct config_layer *layer, int key, const char *value,
                 enum config_source src, const char *where)
{
    struct config_setting *s;

    if (layer->count == layer->cap) {
        size_t cap = layer->cap ? layer->cap * 2 : 16;
        s = realloc(layer->items, cap * sizeof *s);
        if (!s)
            return -ENOMEM;
        layer->items = s;
        layer->cap = cap;
    }
    s = &layer->items[layer->count];
    s->key = key;
    s->value = strdup(value);
    s->origin.src = src;
    s->origin.where = where ? strdup(where) : NULL;
    if (!s->value || (where && !s->origin.where)) {
        free(s->value);
        free(s->origin.where);
        return -ENOMEM;
    }
    layer->count++;
    return 0;
}

void
config_layer_free(struct config_layer *layer)
{
    for (size_t i = 0; i < layer->count; i++) {
        free(layer->items[i].value);
        free(layer->items[i].origin.where);
    }
    free(layer->items);
    memset(layer, 0, sizeof *layer);
}

/* "option --port: ", "FLEET_PORT: ", "FILE:LINE: port: ", "port: " */
static void
config_prefix(const struct config_key *k, const struct config_origin *o,
              char *buf, size_t len)
{
    switch (o->src) {
    case CONFIG_SRC_CLI:
        snprintf(buf, len, "option %s: ", o->where);
        break;
    case CONFIG_SRC_ENV:
        snprintf(buf, len, "%s: ", o->where);
        break;
    case CONFIG_SRC_FILE:
        snprintf(buf, len, "%s: %s: ", o->where, k->name);
        break;
    default:
        snprintf(buf, len, "default %s: ", k->name);
        break;
    }
}

/* Parses one value into field, or fills err with where it came from. */
static int
config_parse_setting(const struct config_key *k, const char *text,
                     const struct config_origin *o,
                     const struct config_env *env, void *field, char *err,
                     size_t errlen)
{
    char why[CONFIG_ERR_MAX], prefix[CONFIG_ERR_MAX];
    int rc = config_value_parse(k, text, env, field, why, sizeof why);

    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    else if (rc < 0) {
        config_prefix(k, o, prefix, sizeof prefix);
        snprintf(err, errlen, "%s%s", prefix, why);
    }
    return rc;
}

/* Every command-line and environment value is checked, also those that a
 * later option overrides. */
static int
config_check_layer(const struct config_layer *layer,
                   const struct config_env *env, char *err, size_t errlen)
{
    for (size_t i = 0; i < layer->count; i++) {
        const struct config_setting *s = &layer->items[i];
        const struct config_key *k = &config_keys[s->key];
        union {
            char *s;
            int i;
            double d;
            size_t z;
        } tmp = {0};
        int rc = config_parse_setting(k, s->value, &s->origin, env, &tmp, err,
                                      errlen);
        if (rc < 0)
            return rc;
        if (config_type_is_text(k->type))
            free(tmp.s);
    }
    return 0;
}

/* The short host name, made a valid node id. */
static int
config_default_node_id(char **out)
{
    char host[256] = "";

    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[strcspn(host, ".")] = '\0';
    host[63] = '\0';
    for (char *p = host; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_-",
                    *p))
            *p = '-';
    if (!host[0])
        snprintf(host, sizeof host, "localhost");
    *out = strdup(host);
    return *out ? 0 : -ENOMEM;
}

static int
config_origin_add(struct config_provenance *prov, size_t k,
                  const struct config_origin *o)
{
    struct config_origin *a;
    size_t n = prov->origin_counts[k];

    a = realloc(prov->origins[k], (n + 1) * sizeof *a);
    if (!a)
        return -ENOMEM;
    prov->origins[k] = a;
    a[n].src = o->src;
    a[n].where = o->where ? strdup(o->where) : NULL;
    if (o->where && !a[n].where)
        return -ENOMEM;
    prov->origin_counts[k]++;
    return 0;
}

/* The winning setting of a single-valued key in one layer (the last). */
static const struct config_setting *
config_layer_last(const struct config_layer *layer, size_t k)
{
    const struct config_setting *found = NULL;

    for (size_t i = 0; layer && i < layer->count; i++)
        if (layer->items[i].key == (int)k)
            found = &layer->items[i];
    return found;
}

static int
config_apply_list(struct herd_config *cfg, size_t k,
                  const struct config_layer *const *layers, size_t nlayers,
                  char *err, size_t errlen)
{
    const struct config_key *key = &config_keys[k];
    struct config_provenance *prov = cfg->provenance;
    char ***list = (char ***)((char *)cfg + key->offset);
    size_t *count = (size_t *)((char *)cfg + key->count_offset);

    for (size_t l = 0; l < nlayers; l++)
        for (size_t i = 0; layers[l] && i < layers[l]->count; i++) {
            const struct config_setting *s = &layers[l]->items[i];
            char *value = NULL, **grown;
            int rc;
            if (s->key != (int)k)
                continue;
            rc = config_parse_setting(key, s->value, &s->origin, &prov->env,
                                      &value, err, errlen);
            if (rc < 0)
                return rc;
            grown = realloc(*list, (*count + 1) * sizeof *grown);
            if (!grown) {
                free(value);
                return -ENOMEM;
            }
            *list = grown;
            grown[(*count)++] = value;
            if (config_origin_add(prov, k, &s->origin) < 0)
                return -ENOMEM;
        }
    return 0;
}

static int
config_apply(struct herd_config *cfg, const struct config_layer *cli,
             const struct config_layer *env, const struct config_layer *file,
             char *err, size_t errlen)
{
    struct config_provenance *prov = cfg->provenance;

    for (size_t k = 0; k < config_key_count; k++) {
        const struct config_key *key = &config_keys[k];
        const struct config_setting *s = NULL;
        struct config_origin def = {CONFIG_SRC_DEFAULT, NULL};
        void *field = (char *)cfg + key->offset;
        int rc;

        if (key->flags & CONFIG_K_REPEAT) {
            /* values add up: command line first, they are searched first */
            const struct config_layer *layers[] = {cli, env, file};
            rc = config_apply_list(cfg, k, layers, 3, err, errlen);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!(s = config_layer_last(cli, k)) &&
            !(s = config_layer_last(env, k)))
            s = config_layer_last(file, k);
        if (s)
            rc = config_parse_setting(key, s->value, &s->origin, &prov->env,
                                      field, err, errlen);
        else if (key->def)
            rc = config_parse_setting(key, key->def, &def, &prov->env, field,
                                      err, errlen);
        else if (key->type == CONFIG_T_NODE_ID)
            rc = config_default_node_id(field);
        else
            rc = 0; /* optional, unset */
        if (rc < 0)
            return rc;
        rc = config_origin_add(prov, k, s ? &s->origin : &def);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static const struct config_origin *
config_origin_of(const struct herd_config *cfg, const char *section,
                 const char *name)
{
    int k = config_key_find(section, name);
    return cfg->provenance->origins[k];
}

static void
config_describe(const struct config_origin *o, char *buf, size_t len)
{
    if (o->src == CONFIG_SRC_DEFAULT)
        snprintf(buf, len, "default");
    else
        snprintf(buf, len, "from %s", o->where);
}

/* Relations between keys that each look fine alone. */
static int
config_check_relations(const struct herd_config *cfg, char *err, size_t errlen)
{
    char a[32], b[32], wa[CONFIG_ERR_MAX / 2], wb[CONFIG_ERR_MAX / 2];

    if (cfg->heartbeat_timeout >= cfg->heartbeat_offline) {
        config_format_double(cfg->heartbeat_timeout, a, sizeof a);
        config_format_double(cfg->heartbeat_offline, b, sizeof b);
        config_describe(config_origin_of(cfg, "router", "heartbeat_timeout"),
                        wa, sizeof wa);
        config_describe(config_origin_of(cfg, "router", "heartbeat_offline"),
                        wb, sizeof wb);
        snprintf(err, errlen,
                 "heartbeat_timeout (%s, %s) must be less than "
                 "heartbeat_offline (%s, %s)",
                 a, wa, b, wb);
        return -EINVAL;
    }
    return 0;
}

/* Which file to read: --config, $HERD_CONFIG (both must exist), else the
 * first of the XDG and system files that exists, else none. */
static int
config_find_file(const struct config_cli *cli, const struct config_env *env,
                 char **out, char *err, size_t errlen)
{
    const char *given = cli->config_file, *what = "option --config";
    const char *xdg = config_env_get(env, "XDG_CONFIG_HOME");
    const char *home = config_env_get(env, "HOME");
    char path[4096];

    *out = NULL;
    if (!given) {
        given = config_env_get(env, "HERD_CONFIG");
        what = "HERD_CONFIG";
        if (given && !*given)
            given = NULL;
    }
    if (given) {
        if (access(given, R_OK) < 0) {
            snprintf(err, errlen, "%s: cannot read '%s': %s", what, given,
                     strerror(errno));
            return -EINVAL;
        }
        *out = strdup(given);
        return *out ? 0 : -ENOMEM;
    }
    path[0] = '\0';
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/herd/herd.ini", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.config/herd/herd.ini", home);
    if (!path[0] || access(path, F_OK) < 0)
        snprintf(path, sizeof path, "%s", CONFIG_SYSTEM_FILE);
    if (access(path, F_OK) < 0)
        return 0;
    *out = strdup(path);
    return *out ? 0 : -ENOMEM;
}

static int
config_build(struct herd_config *cfg, enum config_program program, int argc,
             char *const *argv, struct config_env *env, int reload,
             const char *reload_file, char *err, size_t errlen)
{
    struct config_cli cli = {0};
    struct config_file file = {0};
    struct config_layer envl = {0};
    struct config_provenance *prov;
    char *path = NULL;
    int rc;

    memset(cfg, 0, sizeof *cfg);
    prov = calloc(1, sizeof *prov);
    if (!prov) {
        config_env_free(env);
        return -ENOMEM;
    }
    cfg->provenance = prov;
    prov->program = program;
    prov->env = *env; /* taken */
    memset(env, 0, sizeof *env);
    prov->origins = calloc(config_key_count, sizeof *prov->origins);
    prov->origin_counts = calloc(config_key_count, sizeof *prov->origin_counts);
    prov->argv = calloc((size_t)argc + 1, sizeof *prov->argv);
    if (!prov->origins || !prov->origin_counts || !prov->argv) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < argc; i++) {
        prov->argv[i] = strdup(argv[i]);
        if (!prov->argv[i]) {
            rc = -ENOMEM;
            goto out;
        }
        prov->argc++;
    }

    rc = config_cli_parse(&cli, program, argc, argv, err, errlen);
    if (rc < 0)
        goto out;
    cfg->action = cli.action;
    /* --help and --version must work whatever the file says */
    if (cli.action == CONFIG_ACTION_HELP || cli.action == CONFIG_ACTION_VERSION)
        goto out;

    if (reload) {
        if (reload_file && !(path = strdup(reload_file)))
            rc = -ENOMEM;
    } else
        rc = config_find_file(&cli, &prov->env, &path, err, errlen);
    if (rc == 0 && path)
        rc = config_file_read(&file, path, &prov->env, err, errlen);
    if (rc < 0)
        goto out;
    cfg->config_file = path;
    path = NULL;

    rc = config_env_settings(&prov->env, &envl, err, errlen);
    if (rc == 0)
        rc = config_check_layer(&cli.settings, &prov->env, err, errlen);
    if (rc == 0)
        rc = config_check_layer(&envl, &prov->env, err, errlen);
    if (rc == 0)
        rc = config_apply(cfg, &cli.settings, &envl, &file.settings, err,
                          errlen);
    if (rc == 0)
        rc = config_check_relations(cfg, err, errlen);
    if (rc < 0)
        goto out;

    cfg->plugins = file.plugins;
    cfg->plugin_count = file.plugin_count;
    cfg->nodes = file.nodes;
    cfg->node_count = file.node_count;
    file.plugins = NULL;
    file.plugin_count = 0;
    file.nodes = NULL;
    file.node_count = 0;
    if (program == CONFIG_PROGRAM_ROUTER)
        rc = config_defaults_append(&cfg->plugins, &cfg->plugin_count, err,
                                    errlen);
out:
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    free(path);
    config_cli_free(&cli);
    config_file_free(&file);
    config_layer_free(&envl);
    if (rc < 0)
        config_free(cfg);
    return rc;
}

int
config_load(struct herd_config *cfg, enum config_program program, int argc,
            char *const *argv, char *err, size_t errlen)
{
    struct config_env env;

    if (config_env_capture(&env) < 0) {
        memset(cfg, 0, sizeof *cfg);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return config_build(cfg, program, argc, argv, &env, 0, NULL, err, errlen);
}

int
config_reload(const struct herd_config *current, struct herd_config *out,
              char *err, size_t errlen)
{
    const struct config_provenance *prov = current->provenance;
    struct config_env env;

    memset(out, 0, sizeof *out);
    if (!prov) {
        snprintf(err, errlen, "nothing to reload: no configuration loaded");
        return -EINVAL;
    }
    if (config_env_copy(&env, &prov->env) < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return config_build(out, prov->program, prov->argc, prov->argv, &env, 1,
                        current->config_file, err, errlen);
}

static void
config_free_provenance(struct config_provenance *prov)
{
    if (!prov)
        return;
    for (int i = 0; i < prov->argc; i++)
        free(prov->argv[i]);
    free(prov->argv);
    config_env_free(&prov->env);
    for (size_t k = 0; prov->origins && k < config_key_count; k++) {
        for (size_t i = 0; i < prov->origin_counts[k]; i++)
            free(prov->origins[k][i].where);
        free(prov->origins[k]);
    }
    free(prov->origins);
    free(prov->origin_counts);
    free(prov);
}

void
config_free(struct herd_config *cfg)
{
    if (!cfg)
        return;
    for (size_t k = 0; k < config_key_count; k++) {
        const struct config_key *key = &config_keys[k];
        void *field = (char *)cfg + key->offset;
        if (key->flags & CONFIG_K_REPEAT) {
            char **list = *(char ***)field;
            size_t n = *(size_t *)((char *)cfg + key->count_offset);
            for (size_t i = 0; i < n; i++)
                free(list[i]);
            free(list);
        } else if (config_type_is_text(key->type))
            free(*(char **)field);
    }
    config_plugins_free(cfg->plugins, cfg->plugin_count);
    config_nodes_free(cfg->nodes, cfg->node_count);
    free(cfg->config_file);
    config_free_provenance(cfg->provenance);
    memset(cfg, 0, sizeof *cfg);
}

const struct config_node *
config_find_node(const struct herd_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->node_count; i++)
        if (strcmp(cfg->nodes[i].id, id) == 0)
            return &cfg->nodes[i];
    return NULL;
}
