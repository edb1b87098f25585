/* storage/jsonl through the real plugin loader, with an injected clock
 * (HERD_STORAGE_CLOCK_OFFSET): traces become JSON lines; at UTC midnight
 * the file is renamed to herd.jsonl.YYYY-MM-DD once, whoever comes first;
 * every writer -- other plugin instances and the logger of
 * common/log.c -- follows the rotation; old days are pruned after
 * keep_days. */
#include "autoconfig.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tap.h"
#include "test_storage_host.h"

static char tmpdir[256];
static char path[400];
static struct fake_host host;

static void
day_name(long day, char *buf, size_t len)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

static int
exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Lines of file containing needle. */
static int
grep_count(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    char line[8192];
    int n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* The line of file holding needle, parsed (NULL when none or not JSON). */
static json_object *
line_json(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    char line[8192];
    json_object *o = NULL;
    if (!f)
        return NULL;
    while (!o && fgets(line, sizeof line, f))
        if (strstr(line, needle))
            o = json_tokener_parse(line);
    fclose(f);
    return o;
}

static const char *
member(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static struct plugin_set *
open_instance(const char *offset, const char *keep_days)
{
    char err[512];
    setenv("HERD_STORAGE_CLOCK_OFFSET", offset, 1);
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    int rc = keep_days
                 ? storage_host_load(set, "jsonl", 1, err, sizeof err, "path",
                                     path, "keep_days", keep_days, NULL)
                 : storage_host_load(set, "jsonl", 1, err, sizeof err, "path",
                                     path, NULL);
    unsetenv("HERD_STORAGE_CLOCK_OFFSET");
    if (rc != 0) {
        diag("jsonl did not load: %s", err);
        plugin_set_free(set);
        return NULL;
    }
    return set;
}

static int
write_one(struct plugin_set *set, const char *id)
{
    char err[256], json[256];
    const struct loaded_plugin *p = plugin_set_get(set, 0);
    struct herd_trace t =
        storage_host_trace(id, "completed", "n", "m", 5, (double)time(NULL));
    snprintf(json, sizeof json, "{\"event\":\"trace\",\"request_id\":\"%s\"}",
             id);
    t.json = json;
    const struct herd_trace *batch[] = {&t};
    return p->desc.storage.write(p->ctx, batch, 1, err, sizeof err);
}

static void
test_config(void)
{
    char err[512];
    struct plugin_set *set = plugin_set_new(&host.table, NULL, 0);
    is_int(storage_host_load(set, "jsonl", 0, err, sizeof err, "keep_days",
                             "1.5", NULL),
           -EINVAL, "keep_days must be whole");
    like(err, "keep_days", "the message names the key");
    is_int(
        storage_host_load(set, "jsonl", 0, err, sizeof err, "path", "", NULL),
        -EINVAL, "empty path refused");
    ok(storage_host_load(set, "jsonl", 1, err, sizeof err, "path",
                         "/nonexistent-dir/x/herd.jsonl", NULL) != 0,
       "an unwritable path fails at start");
    like(err, "/nonexistent-dir/x/herd.jsonl", "naming the file");
    plugin_set_free(set);
}

static void
test_rotation(void)
{
    char today[16], rotated[450], old[450], recent[450], other[450];
    long day = (long)(time(NULL) / 86400);
    day_name(day, today, sizeof today);
    snprintf(rotated, sizeof rotated, "%s.%s", path, today);

    /* pruning candidates: one far too old, one recent, one not a date */
    char oldname[16], recentname[16];
    day_name(day - 400, oldname, sizeof oldname);
    day_name(day - 5, recentname, sizeof recentname);
    snprintf(old, sizeof old, "%s.%s", path, oldname);
    snprintf(recent, sizeof recent, "%s.%s", path, recentname);
    snprintf(other, sizeof other, "%s.notes", path);
    struct plugin_set *a = open_instance("0", NULL);
    ok(a != NULL, "instance A (today) loads");
    is_int(log_open_jsonl(path), 0, "the logger writes the same file");
    log_info("test", "logged-before-midnight");
    is_int(write_one(a, "a-before"), 0, "A writes");
    is_int(grep_count(path, "\"request_id\":\"a-before\""), 1,
           "the trace is one JSON line");
    is_int(grep_count(path, "logged-before-midnight"), 1,
           "beside the log line");
    json_object *rec = line_json(path, "a-before");
    ok(rec != NULL, "the trace line is JSON");
    is_str(member(rec, "component"), "trace",
           "a log record of component "
           "trace");
    is_str(member(rec, "msg"), "completed m on n in 5 ms", "with a message");
    ok(strlen(member(rec, "ts")) == 24 && member(rec, "ts")[10] == 'T' &&
           member(rec, "ts")[23] == 'Z',
       "and an ISO time in UTC");
    is_str(member(rec, "event"), "trace", "then the trace's own fields");
    json_object_put(rec);
    ok(!exists(rotated), "no rotation within the day");
    /* made after today's check: only the next day's check prunes them */
    fclose(fopen(old, "w"));
    fclose(fopen(recent, "w"));
    fclose(fopen(other, "w"));

    /* B lives one day later: its first write rotates today's file */
    struct plugin_set *b = open_instance("86400", "30");
    ok(b != NULL, "instance B (tomorrow) loads");
    is_int(write_one(b, "b-after"), 0, "B writes");
    ok(exists(rotated), "rotated to herd.jsonl.%s", today);
    is_int(grep_count(rotated, "a-before"), 1, "A's line in the old day");
    is_int(grep_count(rotated, "logged-before-midnight"), 1,
           "the log line too");
    is_int(grep_count(path, "b-after"), 1, "B's line in the new file");
    is_int(grep_count(path, "a-before"), 0, "and nothing older");
    ok(!exists(old), "a day older than keep_days is pruned");
    ok(exists(recent), "a recent day is kept");
    ok(exists(other), "unrelated files are left alone");

    /* C, also tomorrow: the day is rotated already, never twice */
    struct plugin_set *c = open_instance("86400", NULL);
    is_int(write_one(c, "c-after"), 0, "C writes");
    is_int(grep_count(path, "b-after") + grep_count(path, "c-after"), 2,
           "C appends to the new file: no second rotation");
    is_int(grep_count(rotated, "c-after"), 0, "the rotated day is intact");

    /* A and the logger follow the rename */
    is_int(write_one(a, "a-follows"), 0, "A writes again");
    is_int(grep_count(path, "a-follows"), 1, "A re-opened the new file");
    log_info("test", "logged-after-rotation");
    is_int(grep_count(path, "logged-after-rotation"), 1,
           "the logger re-opened the new file");
    is_int(grep_count(rotated, "logged-after-rotation"), 0,
           "and wrote nothing into the old day");

    /* flush() rotates with no trace at all */
    plugin_set_free(c);
    struct plugin_set *d = open_instance("172800", NULL);
    const struct loaded_plugin *p = plugin_set_get(d, 0);
    p->desc.storage.flush(p->ctx);
    char next[16], rotated2[450];
    day_name(day + 1, next, sizeof next);
    snprintf(rotated2, sizeof rotated2, "%s.%s", path, next);
    /* the new file's mtime is today (real clock): it goes to today's name,
     * which is taken, so it stays -- one rotation per day */
    ok(!exists(rotated2), "no file is named after a day it does not hold");
    ok(exists(path), "the live file stays when its day was rotated");
    plugin_set_free(d);

    log_open_jsonl(NULL);
    plugin_set_free(a);
    plugin_set_free(b);
}

int
main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/herd-test-jsonl-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    snprintf(path, sizeof path, "%s/herd.jsonl", tmpdir);
    storage_host_init(&host);
    test_config();
    test_rotation();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        diag("could not remove %s", tmpdir);
    return done_testing();
}
