/* The plugin loader against the plugins of tests/abi: one correct plugin
 * and one per refusal. Each refusal is checked by its return code and its
 * message; lifecycle calls are counted through a fake host's log. */
#include "autoconfig.h"

#include "plugin_loader.h"
#include "tap.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_MAX_LINES 256

/* This host's ABI as the loader prints it ("1.1"), and the minor after. */
static char abi_now[16], abi_next[16];

/* fmt with its one %s replaced by abi_now, in one of four buffers that
 * rotate, so that a call may use two. */
static const char *
at_abi(const char *fmt)
{
    static char bufs[4][256];
    static unsigned next;
    char *b = bufs[next++ % 4];
    const char *at = strstr(fmt, "%s");
    if (at)
        snprintf(b, sizeof bufs[0], "%.*s%s%s", (int)(at - fmt), fmt, abi_now,
                 at + 2);
    else
        snprintf(b, sizeof bufs[0], "%s", fmt);
    return b;
}

static struct {
    char lines[FAKE_MAX_LINES][256];
    size_t n;
} fake_rec;

static void fake_log(void *host_data, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
fake_log(void *host_data, int level, const char *fmt, ...)
{
    va_list ap;
    if (host_data != &fake_rec || fake_rec.n == FAKE_MAX_LINES)
        return;
    va_start(ap, fmt);
    vsnprintf(fake_rec.lines[fake_rec.n++], sizeof fake_rec.lines[0], fmt, ap);
    va_end(ap);
}

static const struct herd_host fake_host = {
    .abi_version = HERD_ABI_VERSION,
    .size = sizeof(struct herd_host),
    .features = HERD_HOST_F_EVENT_BASE | HERD_HOST_F_NODE_REPORT,
    .role = HERD_ROLE_ROUTER,
    .host_data = &fake_rec,
    .log = fake_log,
};

/* How many recorded lines equal line exactly. */
static int
fake_count(const char *line)
{
    int n = 0;
    for (size_t i = 0; i < fake_rec.n; i++)
        if (strcmp(fake_rec.lines[i], line) == 0)
            n++;
    return n;
}

/* Index of the first recorded line equal to line, -1 if none. */
static int
fake_index(const char *line)
{
    for (size_t i = 0; i < fake_rec.n; i++)
        if (strcmp(fake_rec.lines[i], line) == 0)
            return (int)i;
    return -1;
}

static struct config_entry
entry(const char *key, const char *value, int line)
{
    struct config_entry e = {(char *)key, (char *)value, (char *)"test.ini",
                             line};
    return e;
}

static int
load(struct plugin_set *set, const char *kind, const char *name,
     const char *instance, struct config_entry *e, size_t n, char *err,
     size_t errlen)
{
    struct config_plugin_section sec = {
        .kind = (char *)kind,
        .name = (char *)name,
        .instance = (char *)instance,
        .enabled = 1,
        .weight = 0.5,
        .entries = e,
        .entry_count = n,
        .file = (char *)"test.ini",
        .line = 1,
    };
    err[0] = '\0';
    return plugin_set_load(set, &sec, err, errlen);
}

/* One refusal: return code and two fragments of the message. */
static void
refused(struct plugin_set *set, const char *kind, const char *name,
        struct config_entry *e, size_t n, int want_rc, const char *want1,
        const char *want2)
{
    char err[1024];
    size_t before = plugin_set_count(set);
    int rc = load(set, kind, name, NULL, e, n, err, sizeof err);
    is_int(rc, want_rc, "%s/%s refused with %s", kind, name,
           strerror(-want_rc));
    like(err, want1, "%s/%s: message says \"%s\"", kind, name, want1);
    like(err, want2, "%s/%s: message says \"%s\"", kind, name, want2);
    is_int(plugin_set_count(set), before, "%s/%s: nothing stays loaded", kind,
           name);
}

static void
test_refusals(const char *abi)
{
    char err[1024], file[600];
    struct plugin_set *set = plugin_set_new(&fake_host, NULL, 0);
    ok(set != NULL, "plugin set created");
    if (!set)
        return;

    refused(set, "scoring", "absent", NULL, 0, -ENOENT,
            "[scoring.absent]: scoring plugin \"absent\" not found", abi);
    refused(set, "scoring", "absent", NULL, 0, -ENOENT, "not found",
            HERD_PKGLIBDIR);
    snprintf(file, sizeof file, "%s/no_entry.la: ", abi);
    refused(set, "scoring", "no_entry", NULL, 0, -ENOEXEC, file,
            "not a herd plugin: no herd_plugin_entry");
    refused(set, "scoring", "null_entry", NULL, 0, -ENOEXEC, "null_entry.la",
            "herd_plugin_entry returned NULL");
    snprintf(file, sizeof file, "%s/bad_major.la: ", abi);
    refused(set, "scoring", "bad_major", NULL, 0, -EPROTO, file,
            at_abi("built for ABI 2.0, this herd speaks %s"));
    char newer[128];
    snprintf(newer, sizeof newer, "built for ABI %s, newer than this herd's %s",
             abi_next, abi_now);
    refused(set, "scoring", "newer_minor", NULL, 0, -EPROTO, "newer_minor.la",
            newer);
    refused(set, "scoring", "short_size", NULL, 0, -EPROTO, "short_size.la",
            "bytes of a 1.0 scoring descriptor");
    refused(set, "scoring", "wrong_kind", NULL, 0, -EINVAL, "wrong_kind.la",
            "is a storage plugin, [scoring.wrong_kind] needs a scoring "
            "plugin");
    refused(set, "scoring", "name_mismatch", NULL, 0, -EINVAL,
            "name_mismatch.la",
            "declares the name \"renamed\" but its file is "
            "\"name_mismatch\"");
    refused(set, "scoring", "reserved_set", NULL, 0, -EPROTO, "reserved_set.la",
            "reserved0 is 7, must be 0");
    refused(set, "scoring", "missing_score", NULL, 0, -EINVAL,
            "missing_score.la", "has no score callback");
    refused(set, "scoring", "missing_destroy", NULL, 0, -EINVAL,
            "missing_destroy.la", "has no destroy callback");
    refused(set, "scoring", "needs_feature", NULL, 0, -ENOTSUP,
            "needs_feature.la",
            "requires host features this host lacks: router_url, bit 40");

    struct config_entry e1[] = {entry("window", "30", 4)};
    refused(set, "scoring", "no_config", e1, 1, -EINVAL,
            "has no config callback", "sets window (test.ini:4)");
    struct config_entry e2[] = {entry("window", "30", 6),
                                entry("windwo", "30", 7)};
    refused(set, "scoring", "unknown_key", e2, 2, -ENOENT,
            "test.ini:7: unknown key \"windwo\" in [scoring.unknown_key]",
            "accepts: window");
    refused(set, "scorer", "good", NULL, 0, -EINVAL,
            "unknown plugin kind \"scorer\"", "[scorer.good]");
    refused(set, "scoring", "../abi/good", NULL, 0, -EINVAL,
            "plugin name \"../abi/good\"", "[a-z0-9_]+");
    is_int(fake_count("init"), 0, "no refused plugin got to init()");

    /* fail_init: init() ran, failed, and destroy() must not run. */
    fake_rec.n = 0;
    refused(set, "scoring", "fail_init", NULL, 0, -ENODEV, "fail_init.la",
            "init failed for [scoring.fail_init]");
    is_int(fake_count("scoring/fail_init: init failing"), 1,
           "fail_init: init() called once, logged with its prefix");
    is_int(fake_count("scoring/fail_init: destroy"), 0,
           "fail_init: destroy() not called");

    /* fail_config: the plugin's own reason, at the entry's file:line. */
    fake_rec.n = 0;
    struct config_entry e3[] = {entry("window", "-3", 3)};
    refused(set, "scoring", "fail_config", e3, 1, -EINVAL,
            "test.ini:3: [scoring.fail_config] window = -3",
            "window must be a positive number, not \"-3\"");
    is_int(fake_count("scoring/fail_config: init"), 1, "fail_config: init");
    is_int(fake_count("scoring/fail_config: destroy"), 1,
           "fail_config: destroy() called exactly once");

    /* fail_start: loads, then start() fails; destroy() once, set shrinks. */
    fake_rec.n = 0;
    is_int(load(set, "scoring", "fail_start", NULL, NULL, 0, err, sizeof err),
           0, "fail_start loads");
    is_int(plugin_set_count(set), 1, "one instance loaded");
    is_int(plugin_set_start(set, err, sizeof err), -EIO,
           "start of fail_start refused with EIO");
    like(err, "fail_start.la: start failed for [scoring.fail_start]",
         "fail_start: message names file and section");
    like(err, "cannot open /nonexistent/fail_start.db",
         "fail_start: message carries the plugin's reason");
    is_int(fake_count("scoring/fail_start: destroy"), 1,
           "fail_start: destroy() called exactly once");
    is_int(plugin_set_count(set), 0, "fail_start left the set");
    plugin_set_free(set);
    is_int(fake_count("scoring/fail_start: destroy"), 1,
           "fail_start: not destroyed again by plugin_set_free");
}

static void
test_lifecycle(const char *abi)
{
    char err[1024];
    struct plugin_set *set = plugin_set_new(&fake_host, NULL, 0);
    ok(set != NULL, "second plugin set");
    if (!set)
        return;
    fake_rec.n = 0;

    struct config_entry a[] = {entry("label", "a", 10),
                               entry("bias", "2.5", 11)};
    struct config_entry b[] = {entry("label", "b", 14)};
    struct config_entry bad[] = {entry("bias", "lots", 17)};
    struct config_entry w[] = {entry("window", "30", 20)};
    is_int(load(set, "scoring", "good", NULL, a, 2, err, sizeof err), 0,
           "[scoring.good] loads");
    is_int(load(set, "scoring", "good", "b", b, 1, err, sizeof err), 0,
           "[scoring.good.b]: a second instance of the same plugin");
    is_int(load(set, "scoring", "good", "c", bad, 1, err, sizeof err), -EINVAL,
           "[scoring.good.c] with a bad bias is refused");
    like(err,
         "test.ini:17: [scoring.good.c] bias = lots: bias must be a "
         "number, not \"lots\"",
         "bad bias: the plugin's message at file:line");
    is_int(fake_count("scoring/good.c: destroy -"), 1,
           "bad bias: destroy() once");
    is_int(load(set, "storage", "wrong_kind", NULL, NULL, 0, err, sizeof err),
           0, "wrong_kind loads as the storage plugin it is");
    is_int(load(set, "scoring", "no_config", NULL, NULL, 0, err, sizeof err), 0,
           "no_config loads when its section sets no key");
    is_int(load(set, "scoring", "fail_config", NULL, w, 1, err, sizeof err), 0,
           "fail_config loads with a valid window");

    struct config_plugin_section off = {
        .kind = (char *)"scoring", .name = (char *)"good", .enabled = 0};
    is_int(plugin_set_load(set, &off, err, sizeof err), 0,
           "a disabled section loads nothing");
    is_int(plugin_set_count(set), 5, "five instances loaded");

    const struct loaded_plugin *lp = plugin_set_get(set, 0);
    ok(lp && lp->kind == HERD_KIND_SCORING, "first instance is scoring");
    is_str(lp ? lp->name : NULL, "good", "its name");
    ok(lp && lp->instance == NULL, "no instance name for [scoring.good]");
    char want[600];
    snprintf(want, sizeof want, "%s/good.la", abi);
    is_str(lp ? lp->path : NULL, want, "path is the .la in tests/abi");
    is_double(lp ? lp->weight : 0, 0.5, 1e-9, "weight copied");
    is_int(lp ? lp->abi_version : 0, HERD_ABI_VERSION, "ABI version kept");
    double points = 0;
    ok(lp && lp->desc.scoring.score &&
           lp->desc.scoring.score(lp->ctx, NULL, &points) == HERD_OK,
       "score() callable through the copied descriptor");
    is_double(points, 2.5, 1e-9, "score reflects config bias = 2.5");
    lp = plugin_set_get(set, 1);
    is_str(lp ? lp->instance : NULL, "b", "second instance is named b");
    ok(plugin_set_get(set, 5) == NULL, "get past the end is NULL");
    lp = plugin_set_get(set, 2);
    ok(lp && lp->kind == HERD_KIND_STORAGE && lp->desc.storage.write,
       "storage descriptor copied with write()");

    is_int(fake_count("scoring/good: config label=a"), 1,
           "config reached instance a, prefixed scoring/good");
    is_int(fake_count("scoring/good.b: config label=b"), 1,
           "config reached instance b, prefixed scoring/good.b");
    is_int(plugin_set_start(set, err, sizeof err), 0, "all start");
    is_int(fake_count("scoring/good: start a"), 1, "a started once");
    is_int(fake_count("scoring/good.b: start b"), 1, "b started once");
    is_int(plugin_set_start(set, err, sizeof err), 0, "start again is a no-op");
    is_int(fake_count("scoring/good: start a"), 1, "a not started twice");
    ok(plugin_set_get(set, 0)->started, "started flag set");

    plugin_set_free(set);
    int da = fake_index("scoring/good: destroy a");
    int db = fake_index("scoring/good.b: destroy b");
    ok(da >= 0 && db >= 0 && db < da, "destroy in reverse order (b, then a)");
    is_int(fake_count("scoring/good: destroy a"), 1, "a destroyed once");
    is_int(fake_count("storage/wrong_kind: destroy") +
               fake_count("scoring/no_config: destroy") +
               fake_count("scoring/fail_config: destroy"),
           3, "every other instance destroyed once");
    plugin_set_free(NULL);
    ok(1, "plugin_set_free(NULL) is harmless");
}

/* A plugin built against an older minor loads, and keeps its version. */
static void
test_older_minor(void)
{
    char err[1024];
    struct plugin_set *set = plugin_set_new(&fake_host, NULL, 0);
    is_int(load(set, "scoring", "older_minor", NULL, NULL, 0, err, sizeof err),
           0, "older_minor (built for ABI 1.0) loads on a %s host (%s)",
           abi_now, err);
    const struct loaded_plugin *lp = plugin_set_get(set, 0);
    is_int(lp ? lp->abi_version : 0, HERD_ABI_MAJOR << 16,
           "its ABI version is kept as 1.0");
    ok(lp && lp->desc.scoring.score, "its score() is there");
    plugin_set_free(set);
}

/* --plugin-dir is searched before HERD_PLUGIN_PATH; empty entries of the
 * variable are skipped. */
static void
test_search(const char *abi)
{
    char err[1024], env[600];
    char *dirs[] = {(char *)abi};

    unsetenv("HERD_PLUGIN_PATH");
    struct plugin_set *set = plugin_set_new(&fake_host, dirs, 1);
    is_int(load(set, "scoring", "good", NULL, NULL, 0, err, sizeof err), 0,
           "found through --plugin-dir alone");
    plugin_set_free(set);

    set = plugin_set_new(&fake_host, NULL, 0);
    is_int(load(set, "scoring", "good", NULL, NULL, 0, err, sizeof err),
           -ENOENT, "not found without the search directory");
    plugin_set_free(set);

    snprintf(env, sizeof env, "::/nonexistent:%s:", abi);
    setenv("HERD_PLUGIN_PATH", env, 1);
    set = plugin_set_new(&fake_host, NULL, 0);
    is_int(load(set, "scoring", "good", NULL, NULL, 0, err, sizeof err), 0,
           "found through HERD_PLUGIN_PATH with empty entries");
    plugin_set_free(set);

    setenv("HERD_PLUGIN_PATH", abi, 1);
    char *dirs2[] = {(char *)"/nonexistent-a", (char *)"/nonexistent-b"};
    set = plugin_set_new(&fake_host, dirs2, 2);
    load(set, "scoring", "absent", NULL, NULL, 0, err, sizeof err);
    like(err, "/nonexistent-a, /nonexistent-b, ",
         "not found lists --plugin-dir first, in order");
    char *at = strstr(err, "/nonexistent-b, ");
    ok(at && strstr(at, abi) && strstr(strstr(at, abi), HERD_PKGLIBDIR),
       "then HERD_PLUGIN_PATH, then the installed directory");
    plugin_set_free(set);
}

/* The row of out whose path column is path, with runs of spaces squeezed
 * to one, into row; "" when there is none. */
static void
list_row(const char *out, const char *path, char *row, size_t len)
{
    row[0] = '\0';
    for (const char *l = out; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        size_t plen = strlen(path);
        if (n > plen && l[n - plen - 1] == ' ' &&
            strncmp(l + n - plen, path, plen) == 0) {
            size_t o = 0;
            for (size_t i = 0; i < n && o + 1 < len; i++)
                if (l[i] != ' ' || (o > 0 && row[o - 1] != ' '))
                    row[o++] = l[i];
            row[o] = '\0';
            return;
        }
        l = nl ? nl + 1 : NULL;
    }
}

static void
list_is(const char *out, const char *abi, const char *file, const char *want)
{
    char path[600], row[1024], full[1200];
    snprintf(path, sizeof path, "%s/%s", abi, file);
    snprintf(full, sizeof full, "%s %s", want, path);
    list_row(out, path, row, sizeof row);
    is_str(row, full, "--list-plugins row of %s", file);
}

static void
test_list(const char *abi)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        ok(0, "open_memstream");
        return;
    }
    fake_rec.n = 0;
    plugin_list(&fake_host, NULL, 0, out);
    fclose(out);

    char head[1024];
    snprintf(head, sizeof head, "%.*s", (int)strcspn(buf, "\n"), buf);
    char squeezed[64];
    size_t o = 0;
    for (size_t i = 0; head[i] && o + 1 < sizeof squeezed; i++)
        if (head[i] != ' ' || (o > 0 && squeezed[o - 1] != ' '))
            squeezed[o++] = head[i];
    squeezed[o] = '\0';
    is_str(squeezed, "KIND NAME ABI STATUS PATH", "list starts with a header");

    char newer[256];
    list_is(buf, abi, "good.la", at_abi("scoring good %s ok"));
    list_is(buf, abi, "fail_init.la", at_abi("scoring fail_init %s ok"));
    list_is(buf, abi, "wrong_kind.la", at_abi("storage wrong_kind %s ok"));
    list_is(buf, abi, "older_minor.la", "scoring older_minor 1.0 ok");
    list_is(buf, abi, "bad_major.la",
            at_abi("- bad_major 2.0 refused: built for ABI 2.0, this herd "
                   "speaks %s"));
    snprintf(newer, sizeof newer,
             "scoring newer_minor %s refused: built for ABI %s, newer than "
             "this herd's %s (upgrade herd or rebuild the plugin)",
             abi_next, abi_next, abi_now);
    list_is(buf, abi, "newer_minor.la", newer);
    list_is(buf, abi, "no_entry.la",
            "- no_entry - refused: not a herd plugin: no herd_plugin_entry");
    list_is(buf, abi, "name_mismatch.la",
            at_abi("scoring renamed %s refused: declares the name "
                   "\"renamed\" but its file is \"name_mismatch\""));
    list_is(buf, abi, "missing_score.la",
            at_abi("scoring missing_score %s refused: has no score callback, "
                   "which a scoring plugin must have"));
    ok(strstr(buf, ".so\n") == NULL, "no .so listed beside its .la");
    int rows = 0;
    for (const char *l = strchr(buf, '\n'); l && l[1]; l = strchr(l + 1, '\n'))
        rows++;
    is_int(rows, 18, "one row per test plugin, each listed once");
    is_int((int)fake_rec.n, 0, "no plugin code ran while listing");
    free(buf);

    /* Without a host table: no features, same checks. */
    buf = NULL;
    out = open_memstream(&buf, &len);
    if (!out) {
        ok(0, "open_memstream");
        return;
    }
    plugin_list(NULL, NULL, 0, out);
    fclose(out);
    list_is(buf, abi, "good.la", at_abi("scoring good %s ok"));
    list_is(buf, abi, "needs_feature.la",
            at_abi("scoring needs_feature %s refused: requires host features "
                   "this host lacks: router_url, bit 40"));
    free(buf);
}

/* Whether the shared object of tests/abi/NAME.la is mapped right now. */
static int
is_mapped(const char *abi, const char *name)
{
    char so[600];
    snprintf(so, sizeof so, "%s/.libs/%s.so", abi, name);
    void *h = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

/* Files are closed on free, or kept open with HERD_KEEP_PLUGINS=1. Last:
 * keeping also leaves libltdl initialised. */
static void
test_keep(const char *abi)
{
    char err[1024];
    struct plugin_set *set = plugin_set_new(&fake_host, NULL, 0);
    is_int(load(set, "scoring", "good", NULL, NULL, 0, err, sizeof err), 0,
           "good loads");
    ok(is_mapped(abi, "good"), "good.so is mapped while loaded");
    plugin_set_free(set);
    ok(!is_mapped(abi, "good"), "good.so is unmapped after plugin_set_free");

    setenv("HERD_KEEP_PLUGINS", "1", 1);
    fake_rec.n = 0;
    set = plugin_set_new(&fake_host, NULL, 0);
    is_int(load(set, "scoring", "good", NULL, NULL, 0, err, sizeof err), 0,
           "good loads with HERD_KEEP_PLUGINS=1");
    plugin_set_free(set);
    is_int(fake_count("scoring/good: destroy -"), 1,
           "HERD_KEEP_PLUGINS=1: destroy() still called");
    ok(is_mapped(abi, "good"), "HERD_KEEP_PLUGINS=1: good.so stays mapped");
    unsetenv("HERD_KEEP_PLUGINS");
}

int
main(void)
{
    const char *top = getenv("top_builddir");
    char abi[512];
    snprintf(abi, sizeof abi, "%s/tests/abi", top ? top : ".");
    setenv("HERD_PLUGIN_PATH", abi, 1);
    snprintf(abi_now, sizeof abi_now, "%u.%u", HERD_ABI_MAJOR, HERD_ABI_MINOR);
    snprintf(abi_next, sizeof abi_next, "%u.%u", HERD_ABI_MAJOR,
             HERD_ABI_MINOR + 1u);

    test_refusals(abi);
    test_lifecycle(abi);
    test_older_minor();
    test_list(abi);
    test_search(abi);
    test_keep(abi);
    return done_testing();
}
