/* The latency.db schema. request_traces keeps the reference's columns,
 * names and types, so its documented queries keep working; herd's own
 * columns come after them. The version lives in PRAGMA user_version:
 * 0 is an empty file or a database of the reference (which never set it),
 * and migrating adds what is missing without touching existing rows. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

static const char sqlite_schema_table[] =
    "CREATE TABLE IF NOT EXISTS request_traces ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " request_id TEXT NOT NULL,"
    " model TEXT NOT NULL,"
    " original_model TEXT NOT NULL,"
    " node_id TEXT NOT NULL,"
    " score REAL,"
    " scores_breakdown TEXT,"
    " status TEXT NOT NULL,"
    " latency_ms REAL,"
    " time_to_first_token_ms REAL,"
    " prompt_tokens INTEGER,"
    " completion_tokens INTEGER,"
    " retry_count INTEGER DEFAULT 0,"
    " fallback_used INTEGER DEFAULT 0,"
    " excluded_nodes TEXT,"
    " client_ip TEXT,"
    " original_format TEXT,"
    " error_message TEXT,"
    " timestamp REAL NOT NULL,"
    " tags TEXT)";

struct sqlite_schema_column {
    const char *name;
    const char *decl;
};

/* Columns added after the reference's table, in order: version 1... */
static const struct sqlite_schema_column sqlite_schema_added_1[] = {
    {"tags", "TEXT"}, /* the reference adds it by migration too */
    {"endpoint", "TEXT"},     {"http_status", "INTEGER"},
    {"bytes_out", "INTEGER"}, {"queue_wait_ms", "REAL"},
};

/* ...and version 2: the cold loads of the health vitals. */
static const struct sqlite_schema_column sqlite_schema_added_2[] = {
    {"load_ms", "REAL"},
    {"cold_load", "INTEGER"},
};

static const char sqlite_schema_indexes[] =
    "CREATE INDEX IF NOT EXISTS idx_traces_request_id"
    " ON request_traces(request_id);"
    "CREATE INDEX IF NOT EXISTS idx_traces_timestamp"
    " ON request_traces(timestamp);"
    "CREATE INDEX IF NOT EXISTS idx_traces_model_ts"
    " ON request_traces(model, timestamp);"
    "CREATE INDEX IF NOT EXISTS idx_traces_node_model"
    " ON request_traces(node_id, model);"
    "CREATE INDEX IF NOT EXISTS idx_traces_tags ON request_traces(tags);";

static int
sqlite_schema_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return -EIO;
}

static int
sqlite_schema_has_column(sqlite3 *db, const char *col, int *has)
{
    sqlite3_stmt *st;
    *has = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA table_info(request_traces)", -1, &st,
                           NULL) != SQLITE_OK)
        return -EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (name && strcmp(name, col) == 0)
            *has = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static int
sqlite_schema_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return -EIO;
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Adds the columns of cols that request_traces lacks. */
static int
sqlite_schema_add_columns(sqlite3 *db, const struct sqlite_schema_column *cols,
                          size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int has;
        char sql[128];
        if (sqlite_schema_has_column(db, cols[i].name, &has))
            return sqlite_schema_fail(db, "reading request_traces", err,
                                      errlen);
        if (has)
            continue;
        snprintf(sql, sizeof sql, "ALTER TABLE request_traces ADD COLUMN %s %s",
                 cols[i].name, cols[i].decl);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return sqlite_schema_fail(db, "adding a column", err, errlen);
    }
    return 0;
}

#define SQLITE_SCHEMA_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Version 0 -> 1: the table, herd's columns, the indexes. */
static int
sqlite_schema_to_1(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, sqlite_schema_table, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_schema_fail(db, "creating request_traces", err, errlen);
    int rc = sqlite_schema_add_columns(
        db, sqlite_schema_added_1, SQLITE_SCHEMA_COUNT(sqlite_schema_added_1),
        err, errlen);
    if (rc != 0)
        return rc;
    if (sqlite3_exec(db, sqlite_schema_indexes, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_schema_fail(db, "creating indexes", err, errlen);
    return 0;
}

/* Version 1 -> 2: load_ms and cold_load; older rows keep NULL there. */
static int
sqlite_schema_to_2(sqlite3 *db, char *err, size_t errlen)
{
    return sqlite_schema_add_columns(db, sqlite_schema_added_2,
                                     SQLITE_SCHEMA_COUNT(sqlite_schema_added_2),
                                     err, errlen);
}

static int
sqlite_schema_migrate(sqlite3 *db, char *err, size_t errlen)
{
    int version, rc;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_schema_fail(db, "locking for migration", err, errlen);
    if (sqlite_schema_version(db, &version) != 0) {
        rc = sqlite_schema_fail(db, "reading user_version", err, errlen);
        goto rollback;
    }
    if (version > SQLITE_STORE_SCHEMA) {
        snprintf(err, errlen,
                 "schema version %d is newer than this herd's (%d); "
                 "use a newer herd or another path",
                 version, SQLITE_STORE_SCHEMA);
        rc = -EPROTO;
        goto rollback;
    }
    if (version < 1 && (rc = sqlite_schema_to_1(db, err, errlen)) != 0)
        goto rollback;
    if (version < 2 && (rc = sqlite_schema_to_2(db, err, errlen)) != 0)
        goto rollback;
    /* Later versions: if (version < 3) ... */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SQLITE_STORE_SCHEMA);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sqlite_schema_fail(db, "committing the migration", err, errlen);
        goto rollback;
    }
    return 0;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int
sqlite_schema_open(const char *path, sqlite3 **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    *out = NULL;
    if (sqlite3_open_v2(path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) !=
        SQLITE_OK) {
        snprintf(err, errlen, "%s: not a usable database: %s", path,
                 msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_close(db);
        return -EIO;
    }
    /* WAL is durable enough with NORMAL; a power cut loses the last
     * batch at most, never the file. */
    sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    int rc = sqlite_schema_migrate(db, err, errlen);
    if (rc != 0) {
        char why[400];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", path, why);
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}
