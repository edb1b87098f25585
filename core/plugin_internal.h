/* Pieces of the plugin loader shared by its files (plugin_*.c); the rest of
 * herd uses plugin_loader.h only. */
#ifndef HERD_CORE_PLUGIN_INTERNAL_H
#define HERD_CORE_PLUGIN_INTERNAL_H

#include <herd/plugin.h>
#include <ltdl.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin_loader.h"

/* plugin_path.c: the search directories, in search order. */
struct plugin_path {
    char **dirs;
    size_t count;
};

/* --plugin-dir entries, then $HERD_PLUGIN_PATH, then HERD_PKGLIBDIR.
 * Returns 0 or -ENOMEM. */
int plugin_path_init(struct plugin_path *p, char *const *dirs,
                     size_t dir_count);
void plugin_path_free(struct plugin_path *p);

/* printf into a fresh malloc'd string; NULL when memory runs out. */
char *plugin_strdupf(const char *fmt, ...) HERD_PRINTF(1, 2);

/* Looks for DIR/KIND/NAME and DIR/NAME (.la, then .so) in each directory.
 * On success *base is the path without extension (what libltdl opens) and
 * *file the file found; both are the caller's to free. -ENOENT when none
 * exists, -ENOMEM. */
int plugin_path_find(const struct plugin_path *p, const char *kind,
                     const char *name, char **base, char **file);

/* "d1, d2, d3" into buf, for the not-found message. */
void plugin_path_describe(const struct plugin_path *p, char *buf, size_t len);

/* plugin_check.c: the ABI checks shared by loading and listing. */
const char *plugin_kind_name(uint32_t kind); /* NULL when unknown */
int plugin_kind_parse(const char *name);     /* 0 when unknown */
int plugin_name_valid(const char *name);     /* [a-z0-9_]+ */

/* What a file declared, kept for --list-plugins even when refused. */
struct plugin_probe {
    int have_desc;                 /* the entry returned a descriptor */
    uint32_t abi_version;          /* valid when have_desc */
    uint32_t kind;                 /* valid when have_desc */
    char name[64];                 /* "" when unknown */
    union loaded_plugin_desc desc; /* zeroed local copy, valid on success */
};

/* Opens file (a path with or without extension) with libltdl's extension
 * search and local symbols. Returns the handle, or NULL with the reason. */
lt_dlhandle plugin_check_open(const char *file, char *reason, size_t len);

/* Runs the descriptor checks in order: entry symbol, entry result, major,
 * minor, size, kind (expect_kind 0 = any), name = stem, reserved0,
 * requires, required callbacks. section ("[scoring.x]") is used in the
 * wrong-kind message. Returns 0, or -errno with the reason (without the
 * path) in reason. */
int plugin_check_descriptor(lt_dlhandle h, const char *stem,
                            uint32_t expect_kind, const char *section,
                            uint64_t host_features, struct plugin_probe *pr,
                            char *reason, size_t len);

/* plugin_host.c: the per-instance copy of the host table. */
struct plugin_host {
    struct herd_host table; /* what init() receives */
    const struct herd_host *real;
    char ident[128]; /* "scoring/name" or "scoring/name.instance" */
};

void plugin_host_init(struct plugin_host *ph, const struct herd_host *real,
                      const char *kind, const char *name, const char *instance);

#endif
