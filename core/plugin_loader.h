/* Loads plugins through libltdl and checks them against the ABI of
 * <herd/plugin.h> before any of their code runs.
 *
 * Search order for a plugin KIND/NAME: each --plugin-dir (in order), each
 * entry of HERD_PLUGIN_PATH, then the installed $(pkglibdir)/KIND. In each
 * directory DIR both DIR/KIND/NAME and DIR/NAME are tried, with libltdl's
 * extensions (.la in a build tree, .so installed).
 *
 * Refusals (each names the file and the reason, logged and put in err):
 * no entry symbol, a different major, a newer minor, a size shorter than
 * the 1.0 descriptor of its kind, a wrong kind, a name other than the
 * file's stem, reserved0 not 0, `requires` the host lacks, a missing
 * required callback, a failing init/config/start (then destroy is called
 * exactly once).
 *
 * Return codes of plugin_set_load() and plugin_set_start():
 *   -ENOENT    plugin not found (err lists the directories searched), or a
 *              key outside the plugin's config_keys (err: file:line)
 *   -ENOEXEC   not loadable or not a plugin (dlopen failed, no
 *              herd_plugin_entry, entry returned NULL)
 *   -EPROTO    ABI mismatch: major, newer minor, short size, reserved0
 *   -EINVAL    bad section (kind, name), wrong kind, name mismatch, missing
 *              required callback
 *   -ENOTSUP   the plugin requires a host feature this host lacks
 *   other      what the plugin's init/config/start returned (a positive or
 *              zero failure code from the plugin becomes -EINVAL)
 *
 * Each instance gets its own copy of the host table: its log() prefixes
 * "kind/name: " (or "kind/name.instance: ") and forwards to host->log, the
 * other calls go straight to the host's functions with its host_data. */
#ifndef HERD_CORE_PLUGIN_LOADER_H
#define HERD_CORE_PLUGIN_LOADER_H

#include <herd/plugin.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* One loaded, initialised instance. The descriptor is a zeroed local copy
 * of min(plugin's size, host's size) bytes, so callbacks the plugin did not
 * know about read as NULL. */
struct loaded_plugin {
    enum herd_kind kind;
    char *name;
    char *instance;       /* NULL for [kind.name] */
    char *path;           /* the file that was opened */
    double weight;        /* scoring: INI weight */
    uint32_t abi_version; /* as the plugin declared it */
    union loaded_plugin_desc {
        struct herd_plugin base;
        struct herd_scoring_plugin scoring;
        struct herd_discovery_plugin discovery;
        struct herd_storage_plugin storage;
    } desc;
    void *ctx;
    void *handle; /* lt_dlhandle */
    int started;
};

struct plugin_set;

/* dirs: extra search directories (--plugin-dir), borrowed for the set's
 * life. host: the table handed to every plugin, borrowed likewise.
 * Returns NULL (and logs) when libltdl cannot start or memory runs out. */
struct plugin_set *plugin_set_new(const struct herd_host *host,
                                  char *const *dirs, size_t dir_count);

/* Opens, checks, init()s and config()s the plugin of sec. Plugin keys not
 * in the descriptor's config_keys are refused with the entry's file:line.
 * A section with enabled = 0 loads nothing and returns 0.
 * Returns 0, or -errno with the reason in err (nothing stays loaded). */
int plugin_set_load(struct plugin_set *set,
                    const struct config_plugin_section *sec, char *err,
                    size_t errlen);

/* start()s every loaded plugin in load order. On a failure the failing
 * instance is destroyed and unloaded (it leaves the set), and the error
 * returned; instances after it are not started. */
int plugin_set_start(struct plugin_set *set, char *err, size_t errlen);

size_t plugin_set_count(const struct plugin_set *set);
const struct loaded_plugin *plugin_set_get(const struct plugin_set *set,
                                           size_t i);

/* destroy()s every instance in reverse load order, then closes the
 * files and calls lt_dlexit(). With HERD_KEEP_PLUGINS=1 (for valgrind and
 * LeakSanitizer, so that leaks in a plugin keep their symbols) neither
 * happens: the files stay open until the process exits. NULL-safe. */
void plugin_set_free(struct plugin_set *set);

/* --list-plugins: every plugin file found in the search path, its kind,
 * ABI version and whether it loads (with the refusal when not). Each
 * search directory and its scoring/, discovery/ and storage/
 * subdirectories are scanned for *.la and *.so (a .so is skipped when a .la
 * of the same stem sits beside it). Descriptors are checked as for
 * loading, except for configuration keys; init() is never called. host
 * may be NULL (a host with no features). */
void plugin_list(const struct herd_host *host, char *const *dirs,
                 size_t dir_count, FILE *out);

#endif
