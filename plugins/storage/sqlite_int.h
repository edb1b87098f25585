/* Internals of the sqlite storage plugin, shared by its three files:
 * sqlite.c (descriptor, configuration, writing, retention),
 * sqlite_schema.c (schema and migrations), sqlite_queries.c (analytics). */
#ifndef HERD_PLUGINS_STORAGE_SQLITE_INT_H
#define HERD_PLUGINS_STORAGE_SQLITE_INT_H

#include <herd/plugin.h>
#include <sqlite3.h>
#include <stddef.h>

/* PRAGMA user_version this build writes and reads. */
#define SQLITE_STORE_SCHEMA 2

/* Rows any analytics answer may hold. */
#define SQLITE_STORE_MAX_ROWS 10000

/* Opens path (creating it), sets WAL and busy_timeout, and brings the
 * schema to SQLITE_STORE_SCHEMA. Returns 0 or -errno with err filled. */
int sqlite_schema_open(const char *path, sqlite3 **out, char *err,
                       size_t errlen);

/* Answers the analytics query name with params_json through emit.
 * Returns HERD_OK, HERD_DECLINED (unknown name) or -errno. */
int sqlite_queries_run(sqlite3 *db, const char *name, const char *params_json,
                       herd_emit_fn emit, void *sink, char *err, size_t errlen);

#endif
