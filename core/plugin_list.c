/* herd --list-plugins: every plugin file in the search path, checked as
 * the loader would check it, without running its init(). */
#include "autoconfig.h"

#include "plugin_loader.h"

#include "common/log.h"
#include "plugin_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct list_row {
    char kind[16];
    char name[256];
    char abi[24];
    char *status; /* "ok" or "refused: reason" */
    char *path;
    char *real; /* realpath, to list a file reached twice only once */
};

struct list_rows {
    struct list_row *rows;
    size_t count, cap;
};

static int
list_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
list_seen(const struct list_rows *r, const char *real)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->rows[i].real, real) == 0)
            return 1;
    return 0;
}

static int
list_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Opens path and fills row from what the checks found. */
static void
list_probe(const struct herd_host *host, const char *path, const char *stem,
           struct list_row *row)
{
    char reason[512];
    struct plugin_probe probe;
    int rc = -ENOEXEC;

    memset(&probe, 0, sizeof probe);
    lt_dlhandle h = plugin_check_open(path, reason, sizeof reason);
    if (h) {
        rc =
            plugin_check_descriptor(h, stem, 0, NULL, host ? host->features : 0,
                                    &probe, reason, sizeof reason);
        lt_dlclose(h);
    }
    const char *kind = probe.have_desc ? plugin_kind_name(probe.kind) : NULL;
    snprintf(row->kind, sizeof row->kind, "%s", kind ? kind : "-");
    snprintf(row->name, sizeof row->name, "%s",
             probe.name[0] ? probe.name : stem);
    if (probe.have_desc)
        snprintf(row->abi, sizeof row->abi, "%u.%u",
                 HERD_ABI_VERSION_MAJOR(probe.abi_version),
                 HERD_ABI_VERSION_MINOR(probe.abi_version));
    else
        snprintf(row->abi, sizeof row->abi, "-");
    row->status =
        rc == 0 ? strdup("ok") : plugin_strdupf("refused: %s", reason);
}

static int
list_add(struct list_rows *r, const struct herd_host *host, const char *dir,
         const char *file)
{
    char *path = plugin_strdupf("%s/%s", dir, file);
    char *real = path ? realpath(path, NULL) : NULL;
    if (!real || list_seen(r, real)) {
        free(path);
        free(real);
        return path ? 0 : -ENOMEM;
    }
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        void *rows = realloc(r->rows, cap * sizeof *r->rows);
        if (!rows) {
            free(path);
            free(real);
            return -ENOMEM;
        }
        r->rows = rows;
        r->cap = cap;
    }
    struct list_row *row = &r->rows[r->count++];
    memset(row, 0, sizeof *row);
    row->path = path;
    row->real = real;
    char stem[256];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(file) - 3), file);
    list_probe(host, path, stem, row);
    if (!row->status) {
        free(row->path);
        free(row->real);
        r->count--;
        return -ENOMEM;
    }
    return 0;
}

/* Every regular *.la and *.so in dir, in name order; a .so beside a .la of
 * the same stem is the same plugin (the build tree's copy). */
static void
list_scan_dir(struct list_rows *r, const struct herd_host *host,
              const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!list_has_suffix(de->d_name, ".la") &&
            !list_has_suffix(de->d_name, ".so"))
            continue;
        char *full = plugin_strdupf("%s/%s", dir, de->d_name);
        struct stat st;
        int regular = full && stat(full, &st) == 0 && S_ISREG(st.st_mode);
        free(full);
        if (!regular)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *p = realloc(names, ncap * sizeof *names);
            if (!p)
                break;
            names = p;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, list_cmp);

    for (size_t i = 0; i < n; i++) {
        if (list_has_suffix(names[i], ".so")) {
            char la[NAME_MAX + 1];
            snprintf(la, sizeof la, "%.*s.la", (int)(strlen(names[i]) - 3),
                     names[i]);
            if (bsearch(&(const char *){la}, names, n, sizeof *names, list_cmp))
                continue;
        }
        if (list_add(r, host, dir, names[i]) < 0)
            log_err("plugin", "out of memory listing %s", dir);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void
list_print(const struct list_rows *r, const struct plugin_path *p, FILE *out)
{
    int wk = 4, wn = 4, wa = 3, ws = 6;
    for (size_t i = 0; i < r->count; i++) {
        const struct list_row *row = &r->rows[i];
        int l;
        if ((l = (int)strlen(row->kind)) > wk)
            wk = l;
        if ((l = (int)strlen(row->name)) > wn)
            wn = l;
        if ((l = (int)strlen(row->abi)) > wa)
            wa = l;
        if ((l = (int)strlen(row->status)) > ws)
            ws = l;
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", wk, "KIND", wn, "NAME", wa,
            "ABI", ws, "STATUS", "PATH");
    for (size_t i = 0; i < r->count; i++) {
        const struct list_row *row = &r->rows[i];
        fprintf(out, "%-*s  %-*s  %-*s  %-*s  %s\n", wk, row->kind, wn,
                row->name, wa, row->abi, ws, row->status, row->path);
    }
    if (r->count == 0) {
        char dirs[1024];
        plugin_path_describe(p, dirs, sizeof dirs);
        fprintf(out, "(no plugin files in %s)\n", dirs);
    }
}

void
plugin_list(const struct herd_host *host, char *const *dirs, size_t dir_count,
            FILE *out)
{
    static const char *const kinds[] = {"scoring", "discovery", "storage"};
    struct plugin_path p;
    struct list_rows r = {0};

    if (lt_dlinit() != 0) {
        log_err("plugin", "cannot start libltdl: %s", lt_dlerror());
        return;
    }
    if (plugin_path_init(&p, dirs, dir_count) != 0) {
        log_err("plugin", "out of memory");
        lt_dlexit();
        return;
    }
    for (size_t i = 0; i < p.count; i++) {
        list_scan_dir(&r, host, p.dirs[i]);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            char *sub = plugin_strdupf("%s/%s", p.dirs[i], kinds[k]);
            if (sub)
                list_scan_dir(&r, host, sub);
            free(sub);
        }
    }
    list_print(&r, &p, out);

    for (size_t i = 0; i < r.count; i++) {
        free(r.rows[i].status);
        free(r.rows[i].path);
        free(r.rows[i].real);
    }
    free(r.rows);
    plugin_path_free(&p);
    lt_dlexit();
}
