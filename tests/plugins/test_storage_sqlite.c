/* storage/sqlite through the real plugin loader: bad configuration is
 * refused with a clear message, a database of the reference is migrated
 * in place, a newer or broken file is refused, traces of every status land
 * in request_traces so that the documented queries work unchanged, the
 * analytics queries answer in the reference's shapes, and retention
 * removes old rows under an injected clock. */
#include "autoconfig.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "test_storage_host.h"

static char tmpdir[256];
static struct fake_host host;

static const struct loaded_plugin *
only(struct plugin_set *set)
{
    return plugin_set_get(set, plugin_set_count(set) - 1);
}

static void
sql(const char *db, const char *stmt)
{
    sqlite3 *h;
    sqlite3_open(db, &h);
    char *msg = NULL;
    if (sqlite3_exec(h, stmt, NULL, NULL, &msg) != SQLITE_OK)
        diag("sql failed: %s", msg);
    sqlite3_free(msg);
    sqlite3_close(h);
}

/* First column of the first row as text ("" when none). */
static void
sql_text(const char *db, const char *stmt, char *out, size_t len)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    out[0] = '\0';
    sqlite3_open(db, &h);
    if (sqlite3_prepare_v2(h, stmt, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            size_t used = 0;
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const char *v = (const char *)sqlite3_column_text(st, i);
                used += (size_t)snprintf(out + used, len - used, "%s%s",
                                         i ? "|" : "", v ? v : "NULL");
                if (used >= len)
                    break;
            }
        }
        sqlite3_finalize(st);
    } else {
        snprintf(out, len, "prepare failed: %s", sqlite3_errmsg(h));
    }
    sqlite3_close(h);
}

struct sink {
    char *buf;
    size_t len;
};

static void
sink_emit(void *arg, const char *bytes, size_t len)
{
    struct sink *s = arg;
    s->buf = realloc(s->buf, s->len + len + 1);
    memcpy(s->buf + s->len, bytes, len);
    s->len += len;
    s->buf[s->len] = '\0';
}

static json_object *
query(const struct loaded_plugin *p, const char *name, const char *params,
      int *rc)
{
    struct sink s = {0};
    char err[256] = "";
    *rc = p->desc.storage.query(p->ctx, name, params, sink_emit, &s, err,
                                sizeof err);
    if (*rc != 0 && *rc != HERD_DECLINED)
        diag("query %s: %s", name, err);
    json_object *o = s.buf ? json_tokener_parse(s.buf) : NULL;
    free(s.buf);
    return o;
}

static json_object *
at(json_object *o, const char *k)
{
    json_object *v = NULL;
    json_object_object_get_ex(o, k, &v);
    return v;
}

static void
test_config(void)
{
    char err[512], db[300];
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    snprintf(db, sizeof db, "%s/c.db", tmpdir);
    is_int(storage_host_load(set, "sqlite", 0, err, sizeof err,
                             "retention_days", "ninety", NULL),
           -EINVAL, "retention_days must be a number");
    like(err, "retention_days", "the message names the key");
    is_int(storage_host_load(set, "sqlite", 0, err, sizeof err,
                             "retention_days", "-1", NULL),
           -EINVAL, "negative retention refused");
    is_int(storage_host_load(set, "sqlite", 0, err, sizeof err, "colour", "red",
                             NULL),
           -ENOENT, "unknown key refused");
    like(err, "test.ini:2", "with file:line");
    ok(storage_host_load(set, "sqlite", 1, err, sizeof err, NULL) != 0,
       "no path: start refuses");
    like(err, "no path", "and says so");
    plugin_set_free(set);

    /* a file that is not a database */
    FILE *f = fopen(db, "w");
    fputs("this is not an sqlite database, not at all, definitely not", f);
    fclose(f);
    set = plugin_set_new(&host.table, NULL, 0);
    ok(storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL) !=
           0,
       "a non-database file is refused");
    like(err, db, "the message names the file (%s)", err);
    plugin_set_free(set);

    /* a database from a newer herd */
    unlink(db);
    sql(db, "PRAGMA user_version = 99");
    set = plugin_set_new(&host.table, NULL, 0);
    ok(storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL) !=
           0,
       "a newer schema is refused");
    like(err, "newer", "and says why (%s)", err);
    plugin_set_free(set);
}

/* The reference's table before its tags migration, with one row. */
static void
test_migrate(void)
{
    char err[512], db[300], got[512];
    snprintf(db, sizeof db, "%s/ref.db", tmpdir);
    sql(db, "CREATE TABLE request_traces (id INTEGER PRIMARY KEY "
            "AUTOINCREMENT, request_id TEXT NOT NULL, model TEXT NOT NULL, "
            "original_model TEXT NOT NULL, node_id TEXT NOT NULL, score "
            "REAL, scores_breakdown TEXT, status TEXT NOT NULL, latency_ms "
            "REAL, time_to_first_token_ms REAL, prompt_tokens INTEGER, "
            "completion_tokens INTEGER, retry_count INTEGER DEFAULT 0, "
            "fallback_used INTEGER DEFAULT 0, excluded_nodes TEXT, client_ip "
            "TEXT, original_format TEXT, error_message TEXT, timestamp REAL "
            "NOT NULL);"
            "INSERT INTO request_traces (request_id, model, original_model, "
            "node_id, score, status, latency_ms, timestamp) VALUES ('old', "
            "'llama3:8b', 'llama3:8b', 'mac', 12.5, 'completed', 900, "
            "strftime('%s','now'));");
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    is_int(
        storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL),
        0, "a reference database opens (%s)", err);
    plugin_set_free(set);
    sql_text(db, "PRAGMA user_version", got, sizeof got);
    is_str(got, "2", "schema version recorded");
    sql_text(db,
             "SELECT request_id, score, tags, endpoint, http_status, "
             "bytes_out, queue_wait_ms, load_ms, cold_load "
             "FROM request_traces",
             got, sizeof got);
    is_str(got, "old|12.5|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
           "old row kept, new columns added");
    sql_text(db, "PRAGMA journal_mode", got, sizeof got);
    is_str(got, "wal", "WAL mode");
    sql_text(db,
             "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
             "tbl_name = 'request_traces' AND name LIKE 'idx_traces_%'",
             got, sizeof got);
    is_str(got, "5", "the reference's five indexes");
    /* a second start changes nothing */
    set = plugin_set_new(&host.table, NULL, 0);
    is_int(
        storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL),
        0, "opens again");
    plugin_set_free(set);
    sql_text(db, "SELECT count(*) FROM request_traces", got, sizeof got);
    is_str(got, "1", "still one row");
}

/* A database of herd's schema 1 (before load_ms and cold_load), with a
 * row: migrated to 2 in place, and written to afterwards. */
static void
test_migrate_1_to_2(void)
{
    char err[512], db[300], got[512];
    snprintf(db, sizeof db, "%s/v1.db", tmpdir);
    sql(db, "CREATE TABLE request_traces (id INTEGER PRIMARY KEY "
            "AUTOINCREMENT, request_id TEXT NOT NULL, model TEXT NOT NULL, "
            "original_model TEXT NOT NULL, node_id TEXT NOT NULL, score "
            "REAL, scores_breakdown TEXT, status TEXT NOT NULL, latency_ms "
            "REAL, time_to_first_token_ms REAL, prompt_tokens INTEGER, "
            "completion_tokens INTEGER, retry_count INTEGER DEFAULT 0, "
            "fallback_used INTEGER DEFAULT 0, excluded_nodes TEXT, client_ip "
            "TEXT, original_format TEXT, error_message TEXT, timestamp REAL "
            "NOT NULL, tags TEXT, endpoint TEXT, http_status INTEGER, "
            "bytes_out INTEGER, queue_wait_ms REAL);"
            "INSERT INTO request_traces (request_id, model, original_model, "
            "node_id, status, timestamp, endpoint, queue_wait_ms) VALUES "
            "('v1', 'qwen3:8b', 'qwen3:8b', 'gpu1', 'completed', "
            "strftime('%s','now'), '/api/chat', 3.5);"
            "PRAGMA user_version = 1;");
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    is_int(
        storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL),
        0, "a schema 1 database opens (%s)", err);
    const struct loaded_plugin *p = only(set);
    struct herd_trace t = storage_host_trace(
        "v2", "completed", "gpu1", "qwen3:8b", 900, (double)time(NULL));
    t.load_ms = 2500;
    t.cold_load = 1;
    const struct herd_trace *batch[] = {&t};
    is_int(p->desc.storage.write(p->ctx, batch, 1, err, sizeof err), 0,
           "a trace written after the migration");
    plugin_set_free(set);
    sql_text(db, "PRAGMA user_version", got, sizeof got);
    is_str(got, "2", "schema 1 -> 2");
    sql_text(db,
             "SELECT group_concat(request_id || ':' || queue_wait_ms || ':' || "
             "ifnull(load_ms, 'NULL') || ':' || ifnull(cold_load, 'NULL'), "
             "',') FROM (SELECT * FROM request_traces ORDER BY id)",
             got, sizeof got);
    is_str(got, "v1:3.5:NULL:NULL,v2:1.5:2500.0:1",
           "the old row keeps its values (NULL in the new columns), the new "
           "row fills them");
}

static void
test_write_and_query(void)
{
    char err[512], db[300], got[1024];
    double now = (double)time(NULL);
    snprintf(db, sizeof db, "%s/traces.db", tmpdir);
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    is_int(
        storage_host_load(set, "sqlite", 1, err, sizeof err, "path", db, NULL),
        0, "loads (%s)", err);
    const struct loaded_plugin *p = only(set);

    struct herd_trace t[8];
    t[0] = storage_host_trace("a", "completed", "gpu1", "qwen3:8b", 1000,
                              now - 50);
    t[0].tags = "[\"app:chat\",\"team:x\"]";
    t[0].load_ms = 2500;
    t[0].cold_load = 1;
    t[1] =
        storage_host_trace("b", "retried", "gpu2", "qwen3:8b", 300, now - 40);
    t[1].error_message = "ConnectError: connection refused";
    t[1].tags = "[\"app:chat\"]";
    t[2] = storage_host_trace("b", "completed", "gpu1", "qwen3:8b", 3000,
                              now - 39);
    t[2].retry_count = 1;
    t[2].completion_tokens = 40;
    t[2].tags = "[\"app:chat\"]";
    t[3] = storage_host_trace("c", "failed", "gpu2", "llama3:8b", 10, now - 30);
    t[3].http_status = 502;
    t[3].prompt_tokens = -1;
    t[3].completion_tokens = -1;
    t[4] = storage_host_trace("d", "client_disconnected", "gpu1", "qwen3:8b",
                              50, now - 20);
    t[5] =
        storage_host_trace("e", "incomplete", "gpu1", "qwen3:8b", 60, now - 10);
    t[6] = storage_host_trace("f", "rejected", NULL, "nope:1b", 0, now - 5);
    t[6].http_status = 404;
    t[6].score = NAN;
    t[6].ttft_ms = NAN;
    t[7] =
        storage_host_trace("g", "completed", "gpu2", "llama3:8b", 500, now - 1);
    t[7].original_model = "llama3:70b";
    t[7].fallback_used = 1;
    t[7].endpoint = "/v1/embeddings";
    const struct herd_trace *batch[8];
    for (int i = 0; i < 8; i++)
        batch[i] = &t[i];
    is_int(p->desc.storage.write(p->ctx, batch, 8, err, sizeof err), 0,
           "a batch of 8 written");

    /* the reference's documented queries, unchanged */
    sql_text(db,
             "SELECT request_id, model, node_id, score, scores_breakdown "
             "FROM request_traces ORDER BY timestamp DESC LIMIT 1",
             got, sizeof got);
    is_str(got, "g|llama3:8b|gpu2|42.5|{\"thermal\":50,\"total\":42.5}",
           "latest routing decision");
    sql_text(db,
             "SELECT node_id, model, COUNT(*) AS requests, "
             "ROUND(AVG(latency_ms)) AS avg_ms, "
             "ROUND(AVG(completion_tokens)) AS avg_tokens, "
             "ROUND(AVG(completion_tokens) * 1000.0 / AVG(latency_ms), 2) "
             "AS tok_per_sec FROM request_traces WHERE status = 'completed' "
             "GROUP BY node_id, model ORDER BY node_id, model",
             got, sizeof got);
    is_str(got, "gpu1|qwen3:8b|2|2000.0|30.0|15.0",
           "tokens per second per node and model");
    sql_text(db,
             "SELECT group_concat(status, ',') FROM (SELECT status FROM "
             "request_traces ORDER BY timestamp)",
             got, sizeof got);
    is_str(got,
           "completed,retried,completed,failed,client_disconnected,"
           "incomplete,rejected,completed",
           "every status stored as given");
    sql_text(db,
             "SELECT node_id, client_ip, score IS NULL, prompt_tokens IS "
             "NULL FROM request_traces WHERE request_id = 'f'",
             got, sizeof got);
    is_str(got, "|127.0.0.1|1|0", "never-dispatched row: node '', client_ip");
    sql_text(db,
             "SELECT endpoint, fallback_used, original_model FROM "
             "request_traces WHERE request_id = 'g'",
             got, sizeof got);
    is_str(got, "/v1/embeddings|1|llama3:70b", "embeddings and fallback");
    sql_text(db,
             "SELECT group_concat(request_id || ':' || ifnull(load_ms, 'NULL') "
             "|| ':' || cold_load, ',') FROM (SELECT * FROM request_traces "
             "WHERE request_id IN ('a', 'g') ORDER BY id)",
             got, sizeof got);
    is_str(got, "a:2500.0:1,g:NULL:0",
           "load_ms (NULL when unknown), cold_load");

    int rc;
    json_object *o = query(p, "traces", "{\"limit\":2}", &rc);
    is_int(rc, 0, "traces query");
    json_object *rows = at(o, "traces");
    is_int((long)json_object_array_length(rows), 2, "limit respected");
    json_object *r0 = json_object_array_get_idx(rows, 0);
    is_str(json_object_get_string(at(r0, "request_id")), "g", "newest first");
    ok(json_object_is_type(at(r0, "fallback_used"), json_type_boolean),
       "fallback_used is a boolean");
    ok(json_object_is_type(at(r0, "scores_breakdown"), json_type_object),
       "breakdown decoded");
    ok(json_object_is_type(at(r0, "excluded_nodes"), json_type_array),
       "excluded_nodes decoded");
    ok(json_object_is_type(at(r0, "cold_load"), json_type_boolean) &&
           !json_object_get_boolean(at(r0, "cold_load")),
       "cold_load is a boolean");
    ok(json_object_object_get_ex(r0, "load_ms", NULL) && !at(r0, "load_ms"),
       "load_ms null when unknown");
    json_object_put(o);

    char params[128];
    snprintf(params, sizeof params, "{\"days\":7,\"since\":%.0f}",
             now - 7 * 86400);
    o = query(p, "usage", params, &rc);
    is_int(json_object_get_int(at(o, "days")), 7, "usage echoes days");
    rows = at(o, "data");
    int found = 0;
    for (size_t i = 0; i < json_object_array_length(rows); i++) {
        json_object *r = json_object_array_get_idx(rows, i);
        if (strcmp(json_object_get_string(at(r, "node_id")), "gpu1") ||
            strcmp(json_object_get_string(at(r, "model")), "qwen3:8b"))
            continue;
        found = 1;
        /* a, b(completed), d, e: the retried attempt ran on gpu2 */
        is_int(json_object_get_int(at(r, "request_count")), 4,
               "gpu1 qwen3: four requests");
        is_int(json_object_get_int(at(r, "completed_count")), 2,
               "two completed");
        is_int(json_object_get_int(at(r, "cold_load_count")), 1,
               "one cold load (a)");
        is_int(json_object_get_int(at(r, "client_disconnected_count")), 1,
               "one client disconnect (d)");
        is_int(json_object_get_int(at(r, "incomplete_count")), 1,
               "one incomplete stream (e)");
        is_double(json_object_get_double(at(r, "avg_latency_ms")), 2000, 1e-6,
                  "average over completed");
        ok(json_object_get_int64(at(r, "day_bucket")) % 86400 == 0,
           "day bucket is a UTC day");
    }
    ok(found, "usage row for gpu1 qwen3:8b");
    json_object_put(o);

    o = query(p, "tags", params, &rc);
    rows = at(o, "data");
    json_object *first = json_object_array_get_idx(rows, 0);
    is_str(json_object_get_string(at(first, "tag")), "app:chat",
           "busiest tag first");
    is_int(json_object_get_int(at(first, "request_count")), 2,
           "a retried attempt is not a request");
    is_int((long)json_object_array_length(at(o, "summary")), 2,
           "all-time summary per tag");
    json_object_put(o);

    o = query(p, "tags_daily", params, &rc);
    is_int((long)json_object_array_length(at(o, "data")), 2,
           "tags per day: two tags today");
    json_object_put(o);

    snprintf(params, sizeof params, "{\"hours\":72,\"since\":%.0f}",
             now - 72 * 3600);
    o = query(p, "trends", params, &rc);
    rows = at(o, "data");
    int completed = 0;
    for (size_t i = 0; i < json_object_array_length(rows); i++)
        completed += json_object_get_int(
            at(json_object_array_get_idx(rows, i), "request_count"));
    is_int(completed, 3, "trends count completed requests");
    json_object_put(o);

    snprintf(params, sizeof params, "{\"days\":7,\"since\":%.0f}",
             now - 7 * 86400);
    o = query(p, "models", params, &rc);
    ok(at(o, "daily") && at(o, "summary"), "models: daily and summary");
    json_object_put(o);

    o = query(p, "overview", "{}", &rc);
    is_int(json_object_get_int(at(o, "total_requests")), 3,
           "overview: completed requests");
    is_int(json_object_get_int(at(o, "models_count")), 2, "two models");
    json_object_put(o);

    o = query(p, "latency", "{\"window\":500}", &rc);
    is_int((long)json_object_array_length(o), 2, "latency: two pairs");
    json_object_put(o);

    o = query(p, "no_such", "{}", &rc);
    is_int(rc, HERD_DECLINED, "unknown query declined");
    ok(o == NULL, "and nothing emitted");
    plugin_set_free(set);
}

/* Retention under an injected clock: 85 days ahead, 90 days kept, so a
 * row 10 days old becomes 95 days old and goes; a fresh one stays. */
static void
test_retention(void)
{
    char err[512], db[300], got[256];
    double now = (double)time(NULL);
    snprintf(db, sizeof db, "%s/ret.db", tmpdir);
    for (int round = 0; round < 3; round++) {
        setenv("HERD_STORAGE_CLOCK_OFFSET",
               round == 0   ? "0"
               : round == 1 ? "0"
                            : "7344000",
               1);
        struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
        int rc = round == 1 ? storage_host_load(set, "sqlite", 1, err,
                                                sizeof err, "path", db,
                                                "retention_days", "0", NULL)
                            : storage_host_load(set, "sqlite", 1, err,
                                                sizeof err, "path", db, NULL);
        is_int(rc, 0, "round %d loads", round);
        const struct loaded_plugin *p = only(set);
        if (round == 0) {
            struct herd_trace a =
                storage_host_trace("fresh", "completed", "n", "m", 1, now);
            struct herd_trace b = storage_host_trace("old", "completed", "n",
                                                     "m", 1, now - 10 * 86400);
            const struct herd_trace *batch[] = {&a, &b};
            p->desc.storage.write(p->ctx, batch, 2, err, sizeof err);
        } else {
            p->desc.storage.flush(p->ctx);
        }
        plugin_set_free(set);
        sql_text(db, "SELECT group_concat(request_id) FROM request_traces", got,
                 sizeof got);
        if (round == 0)
            is_str(got, "fresh,old", "both rows inside 90 days");
        else if (round == 1)
            is_str(got, "fresh,old", "retention_days = 0 keeps everything");
        else
            is_str(got, "fresh", "85 days later the 10-day-old row is gone");
    }
    unsetenv("HERD_STORAGE_CLOCK_OFFSET");
}

int
main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/herd-test-sqlite-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    storage_host_init(&host);
    test_config();
    test_migrate();
    test_migrate_1_to_2();
    test_write_and_query();
    test_retention();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return done_testing();
}
