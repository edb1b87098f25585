/* The dashboard's static files, read into memory once at start so that
 * serving them never touches the disk on the loop.
 *
 * Only regular files directly inside the directory, with a name of
 * [A-Za-z0-9._-] not starting with a dot and an extension the dashboard
 * serves (html, js, css, svg, png, ico, json, txt), are kept; the lookup is
 * by exact name, so no request path ever reaches the file system. */
#ifndef HERD_CORE_DASHBOARD_ASSETS_H
#define HERD_CORE_DASHBOARD_ASSETS_H

#include <stddef.h>

/* Bounds: the dashboard is a few small files. */
#define DASHBOARD_MAX_FILES 64
#define DASHBOARD_MAX_FILE_BYTES (2u << 20)
#define DASHBOARD_MAX_TOTAL_BYTES (8u << 20)

struct dashboard_asset {
    char *name;       /* "app.js" */
    const char *type; /* Content-Type, static */
    char *data;
    size_t len;
    char etag[20]; /* strong validator from the content: "0123abcd..." */
};

struct dashboard_assets {
    char *dir; /* where they were read from */
    struct dashboard_asset *items;
    size_t count;
};

/* The Content-Type served for name, or NULL when its extension is not one
 * the dashboard serves. */
const char *dashboard_asset_type(const char *name);

/* Reads every servable file of dir. It must hold index.html. Returns 0
 * and *out (free with dashboard_assets_free), or -ENOENT, -ENOTDIR,
 * -EFBIG (over a bound above), -ENOMEM, -EIO with the file and the reason
 * in err. */
int dashboard_assets_load(const char *dir, struct dashboard_assets **out,
                          char *err, size_t errlen);

/* The file called name, or NULL. */
const struct dashboard_asset *
dashboard_assets_find(const struct dashboard_assets *a, const char *name);

/* NULL-safe. */
void dashboard_assets_free(struct dashboard_assets *a);

#endif
