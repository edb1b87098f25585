/* dashboard_assets: which files are kept, their types and ETags, and each
 * refusal (no index.html, missing directory, too large, too many). */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashboard_assets.h"
#include "tap.h"

static char test_dir[] = "/tmp/herd-dash-XXXXXX";

static void
put(const char *name, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        diag("cannot write %s", path);
        exit(99);
    }
    fclose(f);
}

static void
put_text(const char *name, const char *text)
{
    put(name, text, strlen(text));
}

static void
clean(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    if (system(cmd) != 0)
        diag("could not remove %s", test_dir);
}

int
main(void)
{
    struct dashboard_assets *a = NULL;
    char err[512], path[512];

    if (!mkdtemp(test_dir)) {
        printf("Bail out! mkdtemp failed\n");
        return 99;
    }
    atexit(clean);

    is_str(dashboard_asset_type("index.html"), "text/html; charset=utf-8",
           "html type");
    is_str(dashboard_asset_type("app.js"), "text/javascript; charset=utf-8",
           "js type");
    is_str(dashboard_asset_type("style.css"), "text/css; charset=utf-8",
           "css type");
    is_str(dashboard_asset_type("icon.svg"), "image/svg+xml", "svg type");
    ok(dashboard_asset_type("README") == NULL, "no extension: not served");
    ok(dashboard_asset_type("run.sh") == NULL, "unknown extension: not served");
    ok(dashboard_asset_type(".js") == NULL, "a bare extension: not served");

    /* missing directory */
    snprintf(path, sizeof path, "%s/none", test_dir);
    is_int(dashboard_assets_load(path, &a, err, sizeof err), -ENOENT,
           "a missing directory is -ENOENT");
    ok(strstr(err, path) != NULL, "and err names it (%s)", err);
    ok(a == NULL, "and nothing is returned");

    /* no index.html */
    put_text("app.js", "console.log(1);\n");
    is_int(dashboard_assets_load(test_dir, &a, err, sizeof err), -ENOENT,
           "a directory without index.html is -ENOENT");
    ok(strstr(err, "no index.html") != NULL, "and err says so (%s)", err);

    /* what is kept */
    put_text("index.html", "<!DOCTYPE html><title>t</title>\n");
    put_text("copy.js", "console.log(1);\n");
    put_text("NOTES", "no extension\n");
    put_text(".hidden.js", "hidden\n");
    put_text("bad name.js", "a space\n");
    put("empty.css", "", 0);
    snprintf(path, sizeof path, "%s/dir.css", test_dir);
    mkdir(path, 0700);
    is_int(dashboard_assets_load(test_dir, &a, err, sizeof err), 0,
           "a directory with index.html loads");
    ok(a && a->count == 4, "index.html, app.js, copy.js, empty.css kept (%zu)",
       a ? a->count : 0);
    const struct dashboard_asset *js = dashboard_assets_find(a, "app.js");
    ok(js && js->len == 16 && memcmp(js->data, "console.log(1);\n", 16) == 0,
       "app.js content is in memory");
    is_str(js ? js->type : NULL, "text/javascript; charset=utf-8",
           "with its type");
    ok(js && strlen(js->etag) == 18 && js->etag[0] == '"' &&
           js->etag[17] == '"',
       "a quoted 16-digit ETag (%s)", js ? js->etag : "");
    const struct dashboard_asset *copy = dashboard_assets_find(a, "copy.js");
    const struct dashboard_asset *idx = dashboard_assets_find(a, "index.html");
    ok(js && copy && strcmp(js->etag, copy->etag) == 0,
       "the same content has the same ETag");
    ok(js && idx && strcmp(js->etag, idx->etag) != 0,
       "other content, another ETag");
    const struct dashboard_asset *empty = dashboard_assets_find(a, "empty.css");
    ok(empty && empty->len == 0, "an empty file is served empty");
    ok(dashboard_assets_find(a, "NOTES") == NULL, "NOTES is not kept");
    ok(dashboard_assets_find(a, ".hidden.js") == NULL, "hidden files are not");
    ok(dashboard_assets_find(a, "bad name.js") == NULL,
       "names with other characters are not");
    ok(dashboard_assets_find(a, "dir.css") == NULL, "directories are not");
    ok(dashboard_assets_find(a, "../index.html") == NULL,
       "a path is not a name");
    dashboard_assets_free(a);
    a = NULL;
    dashboard_assets_free(NULL);

    /* too large */
    size_t big = DASHBOARD_MAX_FILE_BYTES + 1;
    char *buf = calloc(1, big);
    put("big.js", buf, big);
    free(buf);
    is_int(dashboard_assets_load(test_dir, &a, err, sizeof err), -EFBIG,
           "a file over 2 MiB is -EFBIG");
    ok(strstr(err, "big.js: too large") != NULL, "err names it (%s)", err);
    ok(a == NULL, "nothing is returned");
    snprintf(path, sizeof path, "%s/big.js", test_dir);
    unlink(path);

    /* too many */
    for (int i = 0; i < DASHBOARD_MAX_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%02d.txt", i);
        put_text(name, "x");
    }
    is_int(dashboard_assets_load(test_dir, &a, err, sizeof err), -EFBIG,
           "more than 64 files is -EFBIG");
    ok(strstr(err, "more than 64 files") != NULL, "err says so (%s)", err);
    return done_testing();
}
