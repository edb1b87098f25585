/* discovery/mdns through the real plugin loader with fake hosts, against
 * the private avahi-daemon that tests/integration/mdns_plugin.sh starts
 * (the daemons are started and stopped by the commands it passes).
 *
 *   test_mdns keys                  bad keys and values, no daemon needed
 *   test_mdns live                  publish, browse, resolve, collisions,
 *                                   preference, a router leaving and moving
 *   test_mdns absent START          no daemon: a warning, no crash; START
 *                                   (a shell command) brings the daemons up
 *                                   and the plugin publishes by itself
 *   test_mdns restart STOP START    the daemon goes away and comes back:
 *                                   the service is published again
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fake_host.h"
#include "tap.h"

/* A host of either role; an agent's also records the routers it is told
 * about. */
struct fake {
    struct fake_host host; /* first: host_data points at both */
    char events[4096];     /* "found URL\n" and "lost URL\n", in order */
    char current[256];     /* the latest router_found, "" after router_lost */
};

static void
fake_event(struct fake *f, const char *what, const char *url)
{
    size_t used = strlen(f->events);
    snprintf(f->events + used, sizeof f->events - used, "%s %s\n", what, url);
}

static int
fake_found(void *hd, const char *url)
{
    struct fake *f = hd;
    fake_event(f, "found", url);
    snprintf(f->current, sizeof f->current, "%s", url);
    return HERD_OK;
}

static int
fake_lost(void *hd, const char *url)
{
    struct fake *f = hd;
    fake_event(f, "lost", url);
    if (strcmp(f->current, url) == 0)
        f->current[0] = '\0';
    return HERD_OK;
}

static void
fake_init(struct fake *f, struct event_base *base, int role)
{
    memset(f, 0, sizeof *f);
    fake_host_init(&f->host, (uint32_t)role, base);
    f->host.echo_logs = getenv("TEST_MDNS_VERBOSE") != NULL;
    if (role == HERD_ROLE_AGENT) {
        f->host.table.features |= HERD_HOST_F_ROUTER_URL;
        f->host.table.router_found = fake_found;
        f->host.table.router_lost = fake_lost;
    }
}

/* Loads [discovery.mdns] with key/value pairs (NULL-ended) and starts it.
 * Returns the first error; *out gets the set on success. */
static int
load(struct fake *f, struct plugin_set **out, char *err, size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    int rc =
        fake_host_vopen(&f->host, out, "discovery", "mdns", 1, err, errlen, ap);
    va_end(ap);
    return rc;
}

/* ---- waiting on the loop, bounded ---- */

static double
now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Runs the loop until strstr(*hay, needle) or seconds pass. */
static int
wait_for(struct event_base *base, const char *hay, const char *needle,
         double seconds)
{
    struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, base);
    struct timeval tv = {0, 20000};
    double end = now() + seconds;
    int found;
    event_add(tick, &tv);
    while (!(found = strstr(hay, needle) != NULL) && now() < end)
        event_base_dispatch(base);
    event_free(tick);
    return found;
}

/* Runs the loop for seconds, whatever happens. */
static void
run_for(struct event_base *base, double seconds)
{
    wait_for(base, "", "never: this needle is not in the empty string",
             seconds);
}

/* ---- scenarios ---- */

static void
test_keys(void)
{
    struct event_base *base = event_base_new();
    struct fake r, a;
    char err[512];
    fake_init(&r, base, HERD_ROLE_ROUTER);
    fake_init(&a, base, HERD_ROLE_AGENT);

    static const struct {
        int role;
        const char *key, *value, *want;
    } bad[] = {
        {HERD_ROLE_ROUTER, "port", "0", "is not a port (1-65535)"},
        {HERD_ROLE_ROUTER, "port", "70000", "is not a port"},
        {HERD_ROLE_ROUTER, "port", "80x", "is not a port"},
        {HERD_ROLE_ROUTER, "token_required", "maybe", "is not a boolean"},
        {HERD_ROLE_ROUTER, "name", "", "is not a service name"},
        {HERD_ROLE_ROUTER, "name",
         "a name far too long for one DNS label, which stops at sixty-three "
         "bytes",
         "is not a service name"},
        {HERD_ROLE_ROUTER, "prefer", "", "is not a service name"},
        {HERD_ROLE_AGENT, "port", "0", "is not a port"},
        {HERD_ROLE_AGENT, "token_required", "2", "is not a boolean"},
        {HERD_ROLE_AGENT, "prefer", "", "is not a service name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fake *f = bad[i].role == HERD_ROLE_ROUTER ? &r : &a;
        int rc = load(f, NULL, err, sizeof err, bad[i].key, bad[i].value, NULL);
        ok(rc == -EINVAL && strstr(err, bad[i].want), "%s: %s = '%s' refused",
           bad[i].role == HERD_ROLE_ROUTER ? "router" : "agent", bad[i].key,
           bad[i].value);
        if (!strstr(err, bad[i].want))
            diag("err: %s", err);
    }
    /* herd and herd-node may share a herd.ini: each takes the other's
     * keys (checked, unused). */
    int rc =
        load(&r, NULL, err, sizeof err, "port", "1", "prefer", "herd x", NULL);
    is_int(rc, 0, "router side accepts prefer (for herd-node)");
    rc = load(&a, NULL, err, sizeof err, "name", "herd x", "port", "1",
              "token_required", "no", NULL);
    is_int(rc, 0, "agent side accepts name, port, token_required: %s", err);
    like(a.host.logs, "name: for the router, not used here", "and says so");
    rc = load(&r, NULL, err, sizeof err, "colour", "blue", NULL);
    ok(rc == -ENOENT && strstr(err, "test.ini:2") && strstr(err, "colour"),
       "unknown key refused with file:line: %s", err);
    rc = load(&r, NULL, err, sizeof err, NULL);
    ok(rc == -EINVAL && strstr(err, "port: not set"),
       "router side without a port cannot start: %s", err);

    struct fake bare;
    fake_init(&bare, base, HERD_ROLE_AGENT);
    bare.host.table.router_lost = NULL;
    rc = load(&bare, NULL, err, sizeof err, NULL);
    ok(rc == -ENOTSUP && strstr(err, "cannot take a router URL"),
       "agent side on a host without router_lost refused: %s", err);
    event_base_free(base);
}

static void
test_live(void)
{
    struct event_base *base = event_base_new();
    struct fake ra, rb, a1, a2;
    struct plugin_set *set_ra = NULL, *set_rb = NULL, *set_a1 = NULL,
                      *set_a2 = NULL;
    char err[512], url_a[64], url_b[64], url_c[64], want[256];
    fake_init(&ra, base, HERD_ROLE_ROUTER);
    fake_init(&rb, base, HERD_ROLE_ROUTER);
    fake_init(&a1, base, HERD_ROLE_AGENT);
    fake_init(&a2, base, HERD_ROLE_AGENT);
    /* Ports are only announced, never connected to. */
    snprintf(url_a, sizeof url_a, "http://127.0.0.1:%d", 21001);
    snprintf(url_b, sizeof url_b, "http://127.0.0.1:%d", 21002);
    snprintf(url_c, sizeof url_c, "http://127.0.0.1:%d", 21003);

    int rc = load(&ra, &set_ra, err, sizeof err, "name", "herd test", "port",
                  "21001", "token_required", "yes", NULL);
    is_int(rc, 0, "router A loads and starts");
    ok(wait_for(base, ra.host.logs,
                "published 'herd test' (_fleet-manager._tcp) "
                "on port 21001",
                5),
       "router A is published within 5 s");

    rc = load(&a1, &set_a1, err, sizeof err, NULL);
    is_int(rc, 0, "agent 1 loads and starts");
    snprintf(want, sizeof want, "found %s\n", url_a);
    ok(wait_for(base, a1.events, want, 5),
       "agent 1 finds router A by browsing and resolving (IPv4)");
    is_str(a1.current, url_a, "agent 1 follows router A");
    like(a1.host.logs, "found router 'herd test' at http://127.0.0.1:21001",
         "agent 1 logs what it found");
    like(a1.host.logs, "(version=" PACKAGE_VERSION ", node_token=required)",
         "the TXT records carry the version and the token requirement");

    /* The same name again on this daemon: a collision. */
    rc = load(&rb, &set_rb, err, sizeof err, "name", "herd test", "port",
              "21002", NULL);
    is_int(rc, 0, "router B with the same name loads and starts");
    ok(wait_for(base, rb.host.logs, "published 'herd test #2'", 5),
       "router B is renamed by avahi_alternative_service_name and published");
    like(rb.host.logs,
         "the name 'herd test' is taken on the network; publishing "
         "as 'herd test #2'",
         "the rename is logged");
    run_for(base, 1.5);
    is_str(a1.current, url_a, "agent 1 stays with the first router it found");
    is_int(fake_host_count(a1.events, "found"), 1, "and announced it once");

    rc = load(&a2, &set_a2, err, sizeof err, "prefer", "herd test #2", NULL);
    is_int(rc, 0, "agent 2 with prefer = 'herd test #2' starts");
    snprintf(want, sizeof want, "found %s\n", url_b);
    ok(wait_for(base, a2.events, want, 5),
       "agent 2 finds the preferred router");
    run_for(base, 0.5);
    is_str(a2.current, url_b, "agent 2 ends with the preferred router");

    /* Router A leaves: agent 1 moves to B, agent 2 does not move. */
    size_t a2_before = strlen(a2.events);
    plugin_set_free(set_ra);
    set_ra = NULL;
    snprintf(want, sizeof want, "lost %s\nfound %s\n", url_a, url_b);
    ok(wait_for(base, a1.events, want, 6),
       "router A leaves: agent 1 hears router_lost(A), router_found(B)");
    is_str(a1.current, url_b, "agent 1 follows router B");
    is_int((int)strlen(a2.events), (int)a2_before,
           "agent 2 (on B) hears nothing");

    /* B leaves too: the agents are told, and keep looking. */
    plugin_set_free(set_rb);
    set_rb = NULL;
    snprintf(want, sizeof want, "lost %s\n", url_b);
    ok(wait_for(base, a1.events, want, 6) && wait_for(base, a2.events, want, 1),
       "router B leaves: both agents hear router_lost(B)");
    is_str(a1.current, "", "agent 1 has no router");
    like(a1.host.logs, "is gone; still looking", "and says it keeps looking");

    /* The router comes back on another port: it moved. */
    fake_init(&ra, base, HERD_ROLE_ROUTER);
    rc = load(&ra, &set_ra, err, sizeof err, "name", "herd test", "port",
              "21003", NULL);
    is_int(rc, 0, "router A starts again on another port");
    snprintf(want, sizeof want, "found %s\n", url_c);
    ok(wait_for(base, a1.events, want, 6) && wait_for(base, a2.events, want, 1),
       "both agents follow it to the new port");
    ok(!strstr(a1.host.logs, "cannot") && !strstr(a2.host.logs, "cannot"),
       "no errors on the agent side");

    plugin_set_free(set_ra);
    plugin_set_free(set_a1);
    plugin_set_free(set_a2);
    event_base_free(base);
}

static void
test_absent(const char *start_cmd)
{
    struct event_base *base = event_base_new();
    struct fake r, a;
    struct plugin_set *set_r = NULL, *set_a = NULL;
    char err[512];
    fake_init(&r, base, HERD_ROLE_ROUTER);
    fake_init(&a, base, HERD_ROLE_AGENT);

    int rc = load(&r, &set_r, err, sizeof err, "name", "herd late", "port",
                  "21004", NULL);
    is_int(rc, 0, "router side starts without avahi-daemon");
    rc = load(&a, &set_a, err, sizeof err, NULL);
    is_int(rc, 0, "agent side starts without avahi-daemon");
    run_for(base, 0.5);
    ok(strstr(r.host.logs, "avahi-daemon") &&
           strstr(r.host.logs, "other discovery works as before"),
       "a clear warning names avahi-daemon");
    diag("%s", r.host.logs);
    is_int(fake_host_count(r.host.logs, "avahi-daemon"), 1, "said once");
    is_str(a.current, "", "the agent has no router yet");

    ok(system(start_cmd) == 0, "avahi-daemon started later");
    /* D-Bus unreachable at start is retried every 5 s. */
    ok(wait_for(base, r.host.logs, "published 'herd late'", 12),
       "the router publishes once the daemon is there");
    ok(wait_for(base, a.events, "found http://127.0.0.1:21004\n", 6),
       "the agent finds it");
    plugin_set_free(set_r);
    plugin_set_free(set_a);
    event_base_free(base);
}

static void
test_restart(const char *stop_cmd, const char *start_cmd)
{
    struct event_base *base = event_base_new();
    struct fake r;
    struct plugin_set *set_r = NULL;
    char err[512];
    fake_init(&r, base, HERD_ROLE_ROUTER);

    int rc = load(&r, &set_r, err, sizeof err, "name", "herd again", "port",
                  "21005", NULL);
    is_int(rc, 0, "router side starts");
    ok(wait_for(base, r.host.logs, "published 'herd again'", 5), "published");
    ok(system(stop_cmd) == 0, "avahi-daemon stopped");
    ok(wait_for(base, r.host.logs, "avahi-daemon went away", 5),
       "the plugin notices and says so");
    ok(system(start_cmd) == 0, "avahi-daemon started again");
    ok(wait_for(base, r.host.logs, "avahi-daemon is running now", 12) &&
           wait_for(base, strstr(r.host.logs, "running now"),
                    "published 'herd again'", 5),
       "and publishes again");
    plugin_set_free(set_r);
    event_base_free(base);
}

int
main(int argc, char **argv)
{
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "keys") == 0)
        test_keys();
    else if (argc == 2 && strcmp(argv[1], "live") == 0)
        test_live();
    else if (argc == 3 && strcmp(argv[1], "absent") == 0)
        test_absent(argv[2]);
    else if (argc == 4 && strcmp(argv[1], "restart") == 0)
        test_restart(argv[2], argv[3]);
    else {
        fprintf(stderr, "usage: test_mdns keys|live|absent START|"
                        "restart STOP START\n");
        return 2;
    }
    return done_testing();
}
