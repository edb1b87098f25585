/* Internals of the configuration loader, shared by core/config*.c only.
 *
 * The loader works in layers: the command line, the environment and the
 * INI file each become a list of settings (key, text, where it came from);
 * config.c then picks, key by key, the highest layer that has one, parses
 * it into struct herd_config and remembers its origin for --print-config. */
#ifndef HERD_CORE_CONFIG_IMPL_H
#define HERD_CORE_CONFIG_IMPL_H

#include <stddef.h>

#include "config.h"

enum config_type {
    CONFIG_T_STRING,   /* free text, may be empty only when optional */
    CONFIG_T_HOST,     /* listen address: name, IPv4 or IPv6 literal */
    CONFIG_T_PATH,     /* directory; a leading ~ is expanded from $HOME */
    CONFIG_T_URL,      /* http://host[:port][/path] */
    CONFIG_T_NODE_ID,  /* [A-Za-z0-9._-]+ */
    CONFIG_T_ORIGINS,  /* browser origins, comma-separated (cors_origin.h) */
    CONFIG_T_PORT,     /* 1-65535 */
    CONFIG_T_COUNT,    /* whole number within min..max */
    CONFIG_T_LEVEL,    /* error|warning|info|debug */
    CONFIG_T_BOOL,     /* true/false/yes/no/on/off/1/0 */
    CONFIG_T_DURATION, /* seconds, suffix s/m/h */
    CONFIG_T_SIZE,     /* bytes, suffix K/M/G (powers of 1024) */
    CONFIG_T_NUMBER,   /* decimal number within min..max (double) */
    CONFIG_T_CHOICE,   /* one word of choices; stored as its index (int) */
    CONFIG_T_FOREVER   /* -1 (forever) or a Go duration: 90, 5m, 1h30m
                          (double seconds, -1 = forever) */
};

/* Types stored as char * (the others are int, double or size_t). */
static inline int
config_type_is_text(enum config_type t)
{
    return t == CONFIG_T_STRING || t == CONFIG_T_HOST || t == CONFIG_T_PATH ||
           t == CONFIG_T_URL || t == CONFIG_T_NODE_ID || t == CONFIG_T_ORIGINS;
}

#define CONFIG_K_REPEAT 0x1u   /* may appear many times; values add up */
#define CONFIG_K_SECRET 0x2u   /* printed as *** */
#define CONFIG_K_OPTIONAL 0x4u /* may be unset (empty value = unset) */

/* One key of [router], [security] or [agent]. */
struct config_key {
    const char *section;
    const char *name;
    enum config_type type;
    unsigned flags;
    const char *def;        /* default as INI text; NULL = unset/computed */
    const char *env;        /* environment variable, NULL = none */
    const char *opt_router; /* long option of herd, NULL = none */
    const char *opt_agent;  /* long option of herd-node, NULL = none */
    const char *meta;       /* option argument name in --help */
    size_t offset;          /* field in struct herd_config */
    size_t count_offset;    /* CONFIG_K_REPEAT: its size_t count */
    double min, max;        /* numeric types */
    const char *help;       /* one line for --help */
};

extern const struct config_key config_keys[];
extern const size_t config_key_count;

/* The words a CONFIG_T_CHOICE key takes, NULL-terminated, in the order
 * of the values stored; NULL for other keys. */
const char *const *config_key_choices(const struct config_key *k);

/* Index of section/name in config_keys, or -1. */
int config_key_find(const char *section, const char *name);

/* The candidate closest to word (small edit distance), or NULL. */
const char *config_suggest(const char *word, const char *const *candidates,
                           size_t count);

/* Where one setting came from. where: "--port", "FLEET_PORT",
 * "/etc/herd/herd.ini:12"; NULL for a default. */
struct config_origin {
    enum config_source src;
    char *where;
};

struct config_setting {
    int key; /* index in config_keys */
    char *value;
    struct config_origin origin;
};

struct config_layer {
    struct config_setting *items;
    size_t count, cap;
};

int config_layer_add(struct config_layer *layer, int key, const char *value,
                     enum config_source src, const char *where);
void config_layer_free(struct config_layer *layer);

/* The environment as read by the first load, replayed by config_reload. */
struct config_env {
    char **names;
    char **values; /* NULL = unset */
    size_t count;
};

int config_env_capture(struct config_env *env);
int config_env_copy(struct config_env *dst, const struct config_env *src);
const char *config_env_get(const struct config_env *env, const char *name);
void config_env_free(struct config_env *env);
/* Adds the schema's variables that are set to layer. */
int config_env_settings(const struct config_env *env,
                        struct config_layer *layer, char *err, size_t errlen);

/* The command line, parsed but not yet applied. */
struct config_cli {
    enum config_action action;
    char *config_file; /* --config */
    struct config_layer settings;
};

int config_cli_parse(struct config_cli *cli, enum config_program program,
                     int argc, char *const *argv, char *err, size_t errlen);
void config_cli_free(struct config_cli *cli);

/* The INI file, read and validated whole. */
struct config_file {
    struct config_layer settings; /* [router] [security] [agent] */
    struct config_plugin_section *plugins;
    size_t plugin_count;
    struct config_node *nodes;
    size_t node_count;
};

/* Reads and validates path. Errors are "path:line: reason". */
int config_file_read(struct config_file *file, const char *path,
                     const struct config_env *env, char *err, size_t errlen);
void config_file_free(struct config_file *file);
void config_plugins_free(struct config_plugin_section *plugins, size_t count);
void config_nodes_free(struct config_node *nodes, size_t count);

/* Line-level INI reading (config_ini.c): calls back once per section
 * header (key == NULL) and once per key = value, with its line. */
typedef int (*config_ini_fn)(void *user, const char *section, const char *key,
                             const char *value, int line, char *err,
                             size_t errlen);
int config_ini_parse(const char *path, config_ini_fn fn, void *user, char *err,
                     size_t errlen);

/* Longest line the INI reader accepts (inih's INI_MAX_LINE less \r\n\0). */
size_t config_ini_line_max(void);

/* Value parsing (config_value.c). Each returns 0, or -EINVAL with a
 * reason such as "'abc' is not a whole number" in err. */
int config_value_parse(const struct config_key *k, const char *text,
                       const struct config_env *env, void *field, char *err,
                       size_t errlen);
int config_parse_bool(const char *text, int *out, char *err, size_t errlen);
int config_parse_double(const char *text, double min, double max, double *out,
                        char *err, size_t errlen);
int config_parse_int(const char *text, double min, double max, int *out,
                     char *err, size_t errlen);
/* Writes the INI text of a parsed value (field points into the config). */
void config_value_format(const struct config_key *k, const void *field,
                         char *buf, size_t len);
void config_format_double(double v, char *buf, size_t len);

/* Private part of struct herd_config. */
struct config_provenance {
    enum config_program program;
    int argc;
    char **argv;
    struct config_env env;
    /* per key: one origin, or one per value of a repeatable key */
    struct config_origin **origins;
    size_t *origin_counts;
};

#endif
