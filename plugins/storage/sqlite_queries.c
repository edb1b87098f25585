/* Analytics answers of the sqlite plugin (the "query" callback). Each
 * named query reads its validated parameters from a JSON object and hands
 * back one JSON value; the shapes are those of the reference's dashboard
 * APIs, documented in doc/storage.md. Rows are bounded by
 * SQLITE_STORE_MAX_ROWS. Runs on the storage thread. */
#include "autoconfig.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

#define Q_LIMIT " LIMIT 10000"

/* Final rows: a retried attempt is not a request of its own. */
#define Q_FINAL "status != 'retried'"
#define Q_DAY "CAST(timestamp / 86400 AS INTEGER) * 86400"
#define Q_TAGS_OF(t)                                                           \
    "json_each(CASE WHEN json_valid(" t ".tags) AND json_type(" t              \
    ".tags) = 'array' THEN " t ".tags ELSE '[]' END)"

static const char sqlite_queries_traces_sql[] =
    "SELECT id, request_id, model, original_model, node_id, score,"
    " scores_breakdown, status, latency_ms, time_to_first_token_ms,"
    " prompt_tokens, completion_tokens, retry_count, fallback_used,"
    " excluded_nodes, client_ip, original_format, error_message, timestamp,"
    " tags, endpoint, http_status, bytes_out, queue_wait_ms, load_ms,"
    " cold_load FROM request_traces ORDER BY timestamp DESC, id DESC LIMIT ?1";

static const char sqlite_queries_usage_sql[] =
    "SELECT node_id, model, " Q_DAY " AS day_bucket,"
    " SUM(" Q_FINAL ") AS request_count,"
    " SUM(status = 'completed') AS completed_count,"
    " SUM(status = 'failed') AS failed_count,"
    " AVG(CASE WHEN status = 'completed' THEN latency_ms END)"
    "  AS avg_latency_ms,"
    " AVG(CASE WHEN status = 'completed' THEN time_to_first_token_ms END)"
    "  AS avg_ttft_ms,"
    " COALESCE(SUM(prompt_tokens), 0) AS total_prompt_tokens,"
    " COALESCE(SUM(completion_tokens), 0) AS total_completion_tokens,"
    " SUM(status = 'retried') AS total_retries,"
    " SUM(fallback_used != 0 AND " Q_FINAL ") AS total_fallbacks,"
    " COALESCE(SUM(cold_load = 1), 0) AS cold_load_count,"
    " SUM(status = 'client_disconnected') AS client_disconnected_count,"
    " SUM(status = 'incomplete') AS incomplete_count"
    " FROM request_traces WHERE timestamp >= ?1"
    " GROUP BY node_id, model, day_bucket"
    " ORDER BY day_bucket, node_id, model" Q_LIMIT;

static const char sqlite_queries_trends_sql[] =
    "SELECT CAST(timestamp / 3600 AS INTEGER) * 3600 AS hour_bucket,"
    " COUNT(*) AS request_count, AVG(latency_ms) AS avg_latency_ms,"
    " COALESCE(SUM(prompt_tokens), 0) AS total_prompt_tokens,"
    " COALESCE(SUM(completion_tokens), 0) AS total_completion_tokens"
    " FROM request_traces WHERE status = 'completed' AND timestamp >= ?1"
    " GROUP BY hour_bucket ORDER BY hour_bucket" Q_LIMIT;

static const char sqlite_queries_models_daily_sql[] =
    "SELECT model AS model_name, " Q_DAY " AS day_bucket,"
    " COUNT(*) AS request_count, AVG(latency_ms) AS avg_latency_ms,"
    " COALESCE(SUM(prompt_tokens), 0) AS total_prompt_tokens,"
    " COALESCE(SUM(completion_tokens), 0) AS total_completion_tokens"
    " FROM request_traces WHERE status = 'completed' AND timestamp >= ?1"
    " GROUP BY model, day_bucket ORDER BY day_bucket, model" Q_LIMIT;

static const char sqlite_queries_models_summary_sql[] =
    "SELECT model AS model_name, COUNT(*) AS total_requests,"
    " AVG(latency_ms) AS avg_latency_ms, MIN(latency_ms) AS min_latency_ms,"
    " MAX(latency_ms) AS max_latency_ms,"
    " COALESCE(SUM(prompt_tokens), 0) AS total_prompt_tokens,"
    " COALESCE(SUM(completion_tokens), 0) AS total_completion_tokens,"
    " MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen"
    " FROM request_traces WHERE status = 'completed' AND timestamp >= ?1"
    " GROUP BY model ORDER BY total_requests DESC, model" Q_LIMIT;

static const char sqlite_queries_overview_sql[] =
    "SELECT COUNT(*) AS total_requests,"
    " COALESCE(SUM(prompt_tokens), 0) AS total_prompt_tokens,"
    " COALESCE(SUM(completion_tokens), 0) AS total_completion_tokens,"
    " COALESCE(SUM(prompt_tokens), 0) + COALESCE(SUM(completion_tokens), 0)"
    "  AS total_tokens,"
    " COUNT(DISTINCT model) AS models_count"
    " FROM request_traces WHERE status = 'completed'";

#define Q_TAG_COLUMNS                                                          \
    "SELECT j.value AS tag, SUM(t." Q_FINAL ") AS request_count,"              \
    " SUM(t.status = 'completed') AS completed_count,"                         \
    " SUM(t.status = 'failed') AS failed_count,"                               \
    " AVG(CASE WHEN t.status = 'completed' THEN t.latency_ms END)"             \
    "  AS avg_latency_ms,"                                                     \
    " AVG(CASE WHEN t.status = 'completed' THEN t.time_to_first_token_ms"      \
    "  END) AS avg_ttft_ms,"                                                   \
    " COALESCE(SUM(t.prompt_tokens), 0) AS total_prompt_tokens,"               \
    " COALESCE(SUM(t.completion_tokens), 0) AS total_completion_tokens"        \
    " FROM request_traces t, " Q_TAGS_OF("t") " j"

static const char sqlite_queries_tags_sql[] =
    Q_TAG_COLUMNS " WHERE t.tags IS NOT NULL AND t.timestamp >= ?1"
                  " GROUP BY j.value ORDER BY request_count DESC, tag" Q_LIMIT;

static const char sqlite_queries_tags_all_sql[] =
    Q_TAG_COLUMNS " WHERE t.tags IS NOT NULL"
                  " GROUP BY j.value ORDER BY request_count DESC, tag" Q_LIMIT;

static const char sqlite_queries_tags_daily_sql[] =
    "SELECT j.value AS tag,"
    " CAST(t.timestamp / 86400 AS INTEGER) * 86400 AS day_bucket,"
    " SUM(t." Q_FINAL ") AS request_count,"
    " AVG(CASE WHEN t.status = 'completed' THEN t.latency_ms END)"
    "  AS avg_latency_ms,"
    " COALESCE(SUM(t.prompt_tokens), 0) + COALESCE(SUM(t.completion_tokens),"
    " 0) AS total_tokens"
    " FROM request_traces t, " Q_TAGS_OF(
        "t") " j WHERE t.tags IS NOT NULL"
             " AND t.timestamp >= ?1 GROUP BY j.value, day_bucket"
             " ORDER BY day_bucket, tag" Q_LIMIT;

/* The newest `window` completed latencies per node:model, newest first. */
static const char sqlite_queries_latency_sql[] =
    "SELECT node_id, model, latency_ms FROM ("
    " SELECT node_id, model, latency_ms, ROW_NUMBER() OVER ("
    "  PARTITION BY node_id, model ORDER BY timestamp DESC, id DESC) AS rn"
    " FROM request_traces WHERE status = 'completed' AND node_id != ''"
    " AND latency_ms IS NOT NULL) WHERE rn <= ?1"
    " ORDER BY node_id, model, rn";

#define QUERIES_LATENCY_MAX_PAIRS 4096

static int
sqlite_queries_is_json_column(const char *name)
{
    return strcmp(name, "scores_breakdown") == 0 ||
           strcmp(name, "excluded_nodes") == 0 || strcmp(name, "tags") == 0;
}

static json_object *
sqlite_queries_value(sqlite3_stmt *st, int i)
{
    const char *name = sqlite3_column_name(st, i);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        if (strcmp(name, "fallback_used") == 0 ||
            strcmp(name, "cold_load") == 0)
            return json_object_new_boolean(sqlite3_column_int(st, i) != 0);
        return json_object_new_int64(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_object_new_double(sqlite3_column_double(st, i));
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_column_text(st, i);
        if (sqlite_queries_is_json_column(name)) {
            json_object *v = json_tokener_parse(s);
            if (v)
                return v;
        }
        return json_object_new_string(s);
    }
    default:
        return NULL;
    }
}

static int
sqlite_queries_fail(sqlite3 *db, char *err, size_t errlen)
{
    snprintf(err, errlen, "query failed: %s", sqlite3_errmsg(db));
    return -EIO;
}

/* Runs sql with ?1 bound to bind and returns its rows as an array of
 * objects keyed by column name (NULL on failure, err filled). */
static json_object *
sqlite_queries_rows(sqlite3 *db, const char *sql, int has_bind, double bind,
                    char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite_queries_fail(db, err, errlen);
        return NULL;
    }
    if (has_bind)
        sqlite3_bind_double(st, 1, bind);
    json_object *arr = json_object_new_array();
    int rc, cols = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_object *row = json_object_new_object();
        for (int i = 0; i < cols; i++)
            json_object_object_add(row, sqlite3_column_name(st, i),
                                   sqlite_queries_value(st, i));
        json_object_array_add(arr, row);
        if (json_object_array_length(arr) >= SQLITE_STORE_MAX_ROWS)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite_queries_fail(db, err, errlen);
        json_object_put(arr);
        arr = NULL;
    }
    sqlite3_finalize(st);
    return arr;
}

static int
sqlite_queries_emit(json_object *o, herd_emit_fn emit, void *sink)
{
    size_t len;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    emit(sink, s, len);
    json_object_put(o);
    return HERD_OK;
}

/* A numeric parameter; def when absent. */
static double
sqlite_queries_param(json_object *params, const char *key, double def)
{
    json_object *v;
    if (params && json_object_object_get_ex(params, key, &v) &&
        (json_object_is_type(v, json_type_int) ||
         json_object_is_type(v, json_type_double)))
        return json_object_get_double(v);
    return def;
}

/* {"<key>": params[key], member: rows, ...}: the reference's envelope. */
static json_object *
sqlite_queries_envelope(json_object *params, const char *key)
{
    json_object *o = json_object_new_object();
    json_object_object_add(
        o, key,
        json_object_new_int64((int64_t)sqlite_queries_param(params, key, 0)));
    return o;
}

static int
sqlite_queries_add_rows(json_object *o, const char *member, sqlite3 *db,
                        const char *sql, int has_bind, double bind, char *err,
                        size_t errlen)
{
    json_object *rows =
        sqlite_queries_rows(db, sql, has_bind, bind, err, errlen);
    if (!rows)
        return -EIO;
    json_object_object_add(o, member, rows);
    return 0;
}

static int
sqlite_queries_latency(sqlite3 *db, json_object *params, herd_emit_fn emit,
                       void *sink, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sqlite_queries_latency_sql, -1, &st, NULL) !=
        SQLITE_OK)
        return sqlite_queries_fail(db, err, errlen);
    sqlite3_bind_int64(st, 1,
                       (int64_t)sqlite_queries_param(params, "window", 500));
    json_object *arr = json_object_new_array(), *cur = NULL, *lat = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *node = (const char *)sqlite3_column_text(st, 0);
        const char *model = (const char *)sqlite3_column_text(st, 1);
        if (!node || !model)
            continue;
        json_object *n, *m;
        if (!cur || !json_object_object_get_ex(cur, "node_id", &n) ||
            !json_object_object_get_ex(cur, "model", &m) ||
            strcmp(json_object_get_string(n), node) != 0 ||
            strcmp(json_object_get_string(m), model) != 0) {
            if (json_object_array_length(arr) >= QUERIES_LATENCY_MAX_PAIRS)
                break;
            cur = json_object_new_object();
            lat = json_object_new_array();
            json_object_object_add(cur, "node_id",
                                   json_object_new_string(node));
            json_object_object_add(cur, "model", json_object_new_string(model));
            json_object_object_add(cur, "latencies", lat);
            json_object_array_add(arr, cur);
        }
        json_object_array_add(
            lat, json_object_new_double(sqlite3_column_double(st, 2)));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        json_object_put(arr);
        return sqlite_queries_fail(db, err, errlen);
    }
    sqlite3_finalize(st);
    return sqlite_queries_emit(arr, emit, sink);
}

int
sqlite_queries_run(sqlite3 *db, const char *name, const char *params_json,
                   herd_emit_fn emit, void *sink, char *err, size_t errlen)
{
    json_object *params = params_json ? json_tokener_parse(params_json) : NULL;
    json_object *o = NULL;
    double since = sqlite_queries_param(params, "since", 0);
    int rc = 0;

    if (params && !json_object_is_type(params, json_type_object)) {
        json_object_put(params);
        params = NULL;
    }
    if (strcmp(name, "latency") == 0) {
        rc = sqlite_queries_latency(db, params, emit, sink, err, errlen);
        json_object_put(params);
        return rc;
    }
    if (strcmp(name, "traces") == 0) {
        o = json_object_new_object();
        rc = sqlite_queries_add_rows(
            o, "traces", db, sqlite_queries_traces_sql, 1,
            sqlite_queries_param(params, "limit", 50), err, errlen);
    } else if (strcmp(name, "usage") == 0) {
        o = sqlite_queries_envelope(params, "days");
        rc = sqlite_queries_add_rows(o, "data", db, sqlite_queries_usage_sql, 1,
                                     since, err, errlen);
    } else if (strcmp(name, "trends") == 0) {
        o = sqlite_queries_envelope(params, "hours");
        rc = sqlite_queries_add_rows(o, "data", db, sqlite_queries_trends_sql,
                                     1, since, err, errlen);
    } else if (strcmp(name, "models") == 0) {
        o = sqlite_queries_envelope(params, "days");
        rc = sqlite_queries_add_rows(o, "daily", db,
                                     sqlite_queries_models_daily_sql, 1, since,
                                     err, errlen);
        if (rc == 0)
            rc = sqlite_queries_add_rows(o, "summary", db,
                                         sqlite_queries_models_summary_sql, 1,
                                         since, err, errlen);
    } else if (strcmp(name, "overview") == 0) {
        json_object *rows = sqlite_queries_rows(db, sqlite_queries_overview_sql,
                                                0, 0, err, errlen);
        if (!rows) {
            rc = -EIO;
        } else {
            o = json_object_get(json_object_array_get_idx(rows, 0));
            json_object_put(rows);
        }
    } else if (strcmp(name, "tags") == 0) {
        o = sqlite_queries_envelope(params, "days");
        rc = sqlite_queries_add_rows(o, "data", db, sqlite_queries_tags_sql, 1,
                                     since, err, errlen);
        if (rc == 0)
            rc = sqlite_queries_add_rows(o, "summary", db,
                                         sqlite_queries_tags_all_sql, 0, 0, err,
                                         errlen);
    } else if (strcmp(name, "tags_daily") == 0) {
        o = sqlite_queries_envelope(params, "days");
        rc = sqlite_queries_add_rows(o, "data", db,
                                     sqlite_queries_tags_daily_sql, 1, since,
                                     err, errlen);
    } else {
        json_object_put(params);
        return HERD_DECLINED;
    }
    json_object_put(params);
    if (rc != 0 || !o) {
        json_object_put(o);
        return rc ? rc : -EIO;
    }
    return sqlite_queries_emit(o, emit, sink);
}
