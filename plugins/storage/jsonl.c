/* storage/jsonl: every trace as one JSON line in logs/herd.jsonl, the file
 * the router's and the agent's loggers write too. All three follow the
 * rotation protocol of common/jsonl_rotate.h: rotated at UTC midnight to
 * herd.jsonl.YYYY-MM-DD under a lock file, each day once, keep_days kept.
 * A trace line is a log record too (ts, level, program, component, msg)
 * followed by the trace's own fields, so tools reading the log see one
 * shape. Runs on the host's storage thread (write, flush). */
#include "autoconfig.h"

#include <errno.h>
#include <herd/plugin.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/jsonl_rotate.h"
#include "storage_config.h"

struct jsonl_store {
    const struct herd_host *host;
    char *path;
    long keep_days;
    double clock_offset; /* test hook: HERD_STORAGE_CLOCK_OFFSET seconds */
    struct jsonl_file file;
    char *buf; /* one line being assembled */
    size_t cap;
};

static time_t
jsonl_store_now(const struct jsonl_store *s)
{
    return time(NULL) + (time_t)s->clock_offset;
}

static int
jsonl_store_init(const struct herd_host *host, void **out)
{
    struct jsonl_store *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->host = host;
    s->keep_days = JSONL_ROTATE_KEEP_DAYS;
    jsonl_file_init(&s->file);
    s->clock_offset = storage_config_clock_offset();
    *out = s;
    return HERD_OK;
}

static void
jsonl_store_destroy(void *ctx)
{
    struct jsonl_store *s = ctx;
    jsonl_file_close(&s->file);
    free(s->path);
    free(s->buf);
    free(s);
}

static int
jsonl_store_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    struct jsonl_store *s = ctx;
    /* file.path keeps room for the ".YYYY-MM-DD" of a rotated name */
    if (strcmp(key, "path") == 0)
        return storage_config_path(&s->path, value, sizeof s->file.path - 17,
                                   err, errlen);
    if (strcmp(key, "keep_days") == 0)
        return storage_config_days(key, value, "keep every file", &s->keep_days,
                                   err, errlen);
    snprintf(err, errlen, "unknown key \"%s\"", key);
    return -ENOENT;
}

static int
jsonl_store_start(void *ctx, char *err, size_t errlen)
{
    struct jsonl_store *s = ctx;
    if (!s->path) {
        snprintf(err, errlen, "no path configured for the JSONL file");
        return -EINVAL;
    }
    s->file.keep_days = (int)s->keep_days;
    int rc = jsonl_file_open(&s->file, s->path);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open %s: %s", s->path, strerror(-rc));
        return rc;
    }
    return HERD_OK;
}

static int
jsonl_store_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The log-record head of a trace line: "{"ts":...,"msg":...,". */
static int
jsonl_store_head(const struct herd_trace *t, char *out, size_t len)
{
    char stamp[40], msg[512];
    double ts = isfinite(t->timestamp) ? t->timestamp : 0;
    time_t sec = (time_t)ts;
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03dZ",
             (int)((ts - (double)sec) * 1000) % 1000);
    snprintf(msg, sizeof msg, "%s %s on %s in %.0f ms",
             t->status ? t->status : "?", t->model ? t->model : "?",
             t->node_id && *t->node_id ? t->node_id : "no node",
             isfinite(t->latency_ms) ? t->latency_ms : 0.0);
    json_object *m = json_object_new_string(msg);
    int w = snprintf(
        out, len,
        "{\"ts\":\"%s\",\"level\":\"info\",\"program\":\"herd\","
        "\"component\":\"trace\",\"msg\":%s,",
        stamp,
        json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(m);
    return w > 0 && (size_t)w < len ? w : -1;
}

static int
jsonl_store_write(void *ctx, const struct herd_trace *const *traces, size_t n,
                  char *err, size_t errlen)
{
    struct jsonl_store *s = ctx;
    char head[1024];
    int fd = jsonl_file_prepare(&s->file, jsonl_store_now(s));
    if (fd < 0) {
        snprintf(err, errlen, "%s is not open", s->path);
        return -EIO;
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *json = traces[i]->json;
        if (!json || json[0] != '{')
            continue;
        int hlen = jsonl_store_head(traces[i], head, sizeof head);
        if (hlen < 0)
            continue;
        /* the trace object's members follow the head's */
        const char *body = json + 1;
        while (*body == ' ')
            body++;
        size_t blen = strlen(body);
        if (*body == '}') /* an empty object: close the head instead */
            hlen--;
        size_t len = (size_t)hlen + blen + 1;
        if (used + len > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < used + len)
                cap *= 2;
            char *b = realloc(s->buf, cap);
            if (!b) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
            }
            s->buf = b;
            s->cap = cap;
        }
        memcpy(s->buf + used, head, (size_t)hlen);
        memcpy(s->buf + used + hlen, body, blen);
        s->buf[used + len - 1] = '\n';
        used += len;
    }
    /* The batch, whole lines only, in one append: lines of other writers
     * never land inside it. */
    int rc = used ? jsonl_store_write_all(fd, s->buf, used) : 0;
    if (rc != 0) {
        snprintf(err, errlen, "writing %s: %s", s->path, strerror(-rc));
        return rc;
    }
    return HERD_OK;
}

static int
jsonl_store_flush(void *ctx)
{
    struct jsonl_store *s = ctx;
    /* Rotate at midnight even when no trace arrives. */
    int fd = jsonl_file_prepare(&s->file, jsonl_store_now(s));
    if (fd >= 0)
        fdatasync(fd);
    return HERD_OK;
}

static const char *const jsonl_store_keys[] = {"path", "keep_days", NULL};

static const struct herd_storage_plugin jsonl_store_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_storage_plugin),
            .kind = HERD_KIND_STORAGE,
            .name = "jsonl",
            .version = "1.0",
            .description = "traces as JSON lines in logs/herd.jsonl, "
                           "rotated daily",
            .config_keys = jsonl_store_keys,
            .init = jsonl_store_init,
            .config = jsonl_store_config,
            .start = jsonl_store_start,
            .destroy = jsonl_store_destroy,
        },
    .write = jsonl_store_write,
    .flush = jsonl_store_flush,
};

HERD_PLUGIN_DEFINE(jsonl_store_plugin)
