/* Reads the dashboard's files into memory once (dashboard_assets.h). */
#include "autoconfig.h"

#include "dashboard_assets.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} dashboard_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *
dashboard_asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return NULL;
    for (size_t i = 0; i < sizeof dashboard_types / sizeof dashboard_types[0];
         i++)
        if (strcmp(dot, dashboard_types[i].ext) == 0)
            return dashboard_types[i].type;
    return NULL;
}

/* Names a request could ask for: nothing hidden, no separators. */
static int
dashboard_assets_name_ok(const char *name)
{
    if (!*name || *name == '.' || strlen(name) > 128)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* FNV-1a: the ETag changes whenever the content does. */
static void
dashboard_assets_etag(struct dashboard_asset *a)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < a->len; i++) {
        h ^= (unsigned char)a->data[i];
        h *= UINT64_C(1099511628211);
    }
    snprintf(a->etag, sizeof a->etag, "\"%016" PRIx64 "\"", h);
}

/* Reads dir/name into a. Returns 0, 1 when it is not a regular file (to be
 * skipped), or a negative errno with err set. */
static int
dashboard_assets_read(const char *dir, const char *name, size_t budget,
                      struct dashboard_asset *a, char *err, size_t errlen)
{
    char path[4096];
    struct stat st;
    int rc = 0;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -ENAMETOOLONG;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = 1;
        goto out;
    }
    if ((uintmax_t)st.st_size > DASHBOARD_MAX_FILE_BYTES ||
        (size_t)st.st_size > budget) {
        snprintf(err, errlen,
                 "%s: too large (%jd bytes; at most %u per file, %u in all)",
                 path, (intmax_t)st.st_size, DASHBOARD_MAX_FILE_BYTES,
                 DASHBOARD_MAX_TOTAL_BYTES);
        rc = -EFBIG;
        goto out;
    }
    a->len = (size_t)st.st_size;
    a->data = malloc(a->len ? a->len : 1);
    a->name = strdup(name);
    if (!a->data || !a->name) {
        snprintf(err, errlen, "out of memory reading %s", path);
        rc = -ENOMEM;
        goto out;
    }
    for (size_t got = 0; got < a->len;) {
        ssize_t n = read(fd, a->data + got, a->len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", path,
                     n < 0 ? strerror(errno) : "file shrank while read");
            rc = -EIO;
            goto out;
        }
        got += (size_t)n;
    }
    a->type = dashboard_asset_type(name);
    dashboard_assets_etag(a);
out:
    close(fd);
    return rc;
}

static void
dashboard_asset_clear(struct dashboard_asset *a)
{
    free(a->name);
    free(a->data);
    memset(a, 0, sizeof *a);
}

int
dashboard_assets_load(const char *dir, struct dashboard_assets **out, char *err,
                      size_t errlen)
{
    struct dashboard_assets *set = calloc(1, sizeof *set);
    size_t total = 0;
    int rc = 0;
    struct dirent *de;

    *out = NULL;
    if (!set || !(set->dir = strdup(dir)) ||
        !(set->items = calloc(DASHBOARD_MAX_FILES, sizeof *set->items))) {
        snprintf(err, errlen, "out of memory");
        dashboard_assets_free(set);
        return -ENOMEM;
    }
    DIR *d = opendir(dir);
    if (!d) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        dashboard_assets_free(set);
        return rc;
    }
    while ((de = readdir(d)) != NULL) {
        if (!dashboard_assets_name_ok(de->d_name) ||
            !dashboard_asset_type(de->d_name))
            continue;
        if (set->count == DASHBOARD_MAX_FILES) {
            snprintf(err, errlen, "%s: more than %d files to serve", dir,
                     DASHBOARD_MAX_FILES);
            rc = -EFBIG;
            break;
        }
        struct dashboard_asset *a = &set->items[set->count];
        rc = dashboard_assets_read(
            dir, de->d_name, DASHBOARD_MAX_TOTAL_BYTES - total, a, err, errlen);
        if (rc < 0) {
            dashboard_asset_clear(a);
            break;
        }
        if (rc == 1) { /* a directory or device with a servable name */
            dashboard_asset_clear(a);
            rc = 0;
            continue;
        }
        total += a->len;
        set->count++;
    }
    closedir(d);
    if (rc == 0 && !dashboard_assets_find(set, "index.html")) {
        snprintf(err, errlen, "%s: no index.html", dir);
        rc = -ENOENT;
    }
    if (rc != 0) {
        dashboard_assets_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

const struct dashboard_asset *
dashboard_assets_find(const struct dashboard_assets *a, const char *name)
{
    if (!a)
        return NULL;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].name, name) == 0)
            return &a->items[i];
    return NULL;
}

void
dashboard_assets_free(struct dashboard_assets *a)
{
    if (!a)
        return;
    for (size_t i = 0; a->items && i < a->count; i++)
        dashboard_asset_clear(&a->items[i]);
    free(a->items);
    free(a->dir);
    free(a);
}
