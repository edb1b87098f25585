/* storage/sqlite: request traces in latency.db, one row per attempt, in the
 * reference's table so its documented queries keep working. Batches are
 * one transaction each; old rows are pruned hourly (retention_days). All
 * of it runs on the host's storage thread except start(), which opens and
 * migrates the file before the router serves anything. */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_int.h"
#include "storage_config.h"

#define SQLITE_STORE_PRUNE_EVERY_S 3600.0
#define SQLITE_STORE_DEFAULT_RETENTION 90

struct sqlite_store {
    const struct herd_host *host;
    char *path;
    long retention_days; /* 0 = keep everything */
    double clock_offset; /* test hook: HERD_STORAGE_CLOCK_OFFSET seconds */
    sqlite3 *db;
    sqlite3_stmt *insert;
    double last_prune; /* 0 = not yet */
};

static const char sqlite_store_insert_sql[] =
    "INSERT INTO request_traces (request_id, model, original_model, node_id,"
    " score, scores_breakdown, status, latency_ms, time_to_first_token_ms,"
    " prompt_tokens, completion_tokens, retry_count, fallback_used,"
    " excluded_nodes, client_ip, original_format, error_message, timestamp,"
    " tags, endpoint, http_status, bytes_out, queue_wait_ms, load_ms,"
    " cold_load)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";

static double
sqlite_store_now(const struct sqlite_store *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9 + s->clock_offset;
}

static int
sqlite_store_init(const struct herd_host *host, void **out)
{
    struct sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->host = host;
    s->retention_days = SQLITE_STORE_DEFAULT_RETENTION;
    s->clock_offset = storage_config_clock_offset();
    *out = s;
    return HERD_OK;
}

static void
sqlite_store_destroy(void *ctx)
{
    struct sqlite_store *s = ctx;
    sqlite3_finalize(s->insert);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        s->host->log(s->host->host_data, HERD_LOG_ERR, "closing %s: %s",
                     s->path, sqlite3_errmsg(s->db));
    free(s->path);
    free(s);
}

static int
sqlite_store_config(void *ctx, const char *key, const char *value, char *err,
                    size_t errlen)
{
    struct sqlite_store *s = ctx;
    if (strcmp(key, "path") == 0)
        return storage_config_path(&s->path, value, 0, err, errlen);
    if (strcmp(key, "retention_days") == 0)
        return storage_config_days(key, value, "keep forever",
                                   &s->retention_days, err, errlen);
    snprintf(err, errlen, "unknown key \"%s\"", key);
    return -ENOENT;
}

static int
sqlite_store_start(void *ctx, char *err, size_t errlen)
{
    struct sqlite_store *s = ctx;
    if (!s->path) {
        snprintf(err, errlen, "no path configured for latency.db");
        return -EINVAL;
    }
    int rc = sqlite_schema_open(s->path, &s->db, err, errlen);
    if (rc != 0)
        return rc;
    if (sqlite3_prepare_v3(s->db, sqlite_store_insert_sql, -1,
                           SQLITE_PREPARE_PERSISTENT, &s->insert,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -EIO;
    }
    return HERD_OK;
}

static void
sqlite_store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void
sqlite_store_bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void
sqlite_store_bind_count(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int
sqlite_store_insert(struct sqlite_store *s, const struct herd_trace *t)
{
    sqlite3_stmt *st = s->insert;
    const char *model = t->model ? t->model : "";
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, t->request_id ? t->request_id : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->original_model ? t->original_model : model, -1,
                      SQLITE_STATIC);
    /* NOT NULL in the reference: a request never dispatched has "". */
    sqlite3_bind_text(st, 4, t->node_id ? t->node_id : "", -1, SQLITE_STATIC);
    sqlite_store_bind_real(st, 5, t->score);
    sqlite_store_bind_text(st, 6, t->scores_breakdown);
    sqlite3_bind_text(st, 7, t->status ? t->status : "", -1, SQLITE_STATIC);
    sqlite_store_bind_real(st, 8, t->latency_ms);
    sqlite_store_bind_real(st, 9, t->ttft_ms);
    sqlite_store_bind_count(st, 10, t->prompt_tokens);
    sqlite_store_bind_count(st, 11, t->completion_tokens);
    sqlite3_bind_int64(st, 12, t->retry_count);
    sqlite3_bind_int(st, 13, t->fallback_used ? 1 : 0);
    sqlite_store_bind_text(st, 14, t->excluded_nodes);
    sqlite3_bind_text(st, 15, t->client_ip ? t->client_ip : "", -1,
                      SQLITE_STATIC);
    sqlite_store_bind_text(st, 16, t->original_format);
    sqlite_store_bind_text(st, 17, t->error_message);
    sqlite3_bind_double(st, 18, t->timestamp);
    sqlite_store_bind_text(st, 19, t->tags);
    sqlite_store_bind_text(st, 20, t->endpoint);
    if (t->http_status > 0)
        sqlite3_bind_int(st, 21, t->http_status);
    else
        sqlite3_bind_null(st, 21);
    sqlite_store_bind_count(st, 22, t->bytes_out);
    sqlite_store_bind_real(st, 23, t->queue_wait_ms);
    sqlite_store_bind_real(st, 24, t->load_ms);
    sqlite3_bind_int(st, 25, t->cold_load ? 1 : 0);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Deletes rows older than retention_days, at most once an hour. */
static void
sqlite_store_prune(struct sqlite_store *s)
{
    double now = sqlite_store_now(s);
    if (s->retention_days == 0 ||
        (s->last_prune != 0 &&
         now - s->last_prune < SQLITE_STORE_PRUNE_EVERY_S))
        return;
    s->last_prune = now;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM request_traces WHERE timestamp < ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        s->host->log(s->host->host_data, HERD_LOG_ERR, "retention: %s",
                     sqlite3_errmsg(s->db));
        return;
    }
    sqlite3_bind_double(st, 1, now - (double)s->retention_days * 86400.0);
    if (sqlite3_step(st) != SQLITE_DONE)
        s->host->log(s->host->host_data, HERD_LOG_ERR, "retention: %s",
                     sqlite3_errmsg(s->db));
    else if (sqlite3_changes(s->db) > 0)
        s->host->log(s->host->host_data, HERD_LOG_INFO,
                     "retention: removed %d traces older than %ld days",
                     sqlite3_changes(s->db), s->retention_days);
    sqlite3_finalize(st);
}

static int
sqlite_store_write(void *ctx, const struct herd_trace *const *traces, size_t n,
                   char *err, size_t errlen)
{
    struct sqlite_store *s = ctx;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "begin: %s", sqlite3_errmsg(s->db));
        return -EIO;
    }
    for (size_t i = 0; i < n; i++) {
        if (sqlite_store_insert(s, traces[i]) != 0) {
            snprintf(err, errlen, "insert: %s", sqlite3_errmsg(s->db));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "commit: %s", sqlite3_errmsg(s->db));
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -EIO;
    }
    sqlite_store_prune(s);
    return HERD_OK;
}

static int
sqlite_store_flush(void *ctx)
{
    struct sqlite_store *s = ctx;
    sqlite_store_prune(s);
    /* Fold the WAL back when nobody reads, so it does not grow. */
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                              NULL);
    return HERD_OK;
}

static int
sqlite_store_query(void *ctx, const char *name, const char *params_json,
                   herd_emit_fn emit, void *sink, char *err, size_t errlen)
{
    struct sqlite_store *s = ctx;
    return sqlite_queries_run(s->db, name, params_json, emit, sink, err,
                              errlen);
}

static const char *const sqlite_store_keys[] = {"path", "retention_days", NULL};

static const struct herd_storage_plugin sqlite_store_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_storage_plugin),
            .kind = HERD_KIND_STORAGE,
            .name = "sqlite",
            .version = "1.0",
            .description = "request traces in latency.db (SQLite, WAL)",
            .config_keys = sqlite_store_keys,
            .init = sqlite_store_init,
            .config = sqlite_store_config,
            .start = sqlite_store_start,
            .destroy = sqlite_store_destroy,
        },
    .write = sqlite_store_write,
    .flush = sqlite_store_flush,
    .query = sqlite_store_query,
};

HERD_PLUGIN_DEFINE(sqlite_store_plugin)
