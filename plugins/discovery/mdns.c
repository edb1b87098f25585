/* discovery/mdns: the router and its agents find each other by mDNS
 * (avahi-client over D-Bus to the local avahi-daemon).
 *
 * Router side: publishes _fleet-manager._tcp on the router's port (the
 * router passes `port` and `token_required`; the INI may override them)
 * under `name`, renaming on a collision. Agent side: browses for it and
 * tells herd-node where the router is (`prefer` picks one of several).
 *
 * avahi-daemon may be absent at start or go away later: the plugin says so
 * once, keeps the process running (other discovery is unaffected) and
 * picks up when the daemon appears; the client is created with
 * AVAHI_CLIENT_NO_FAIL, and re-created when D-Bus itself was unreachable
 * or the daemon disconnected. */
#include "autoconfig.h"

#include <avahi-common/error.h>
#include <avahi-common/domain.h>
#include <avahi-common/malloc.h>
#include <dlfcn.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mdns.h"

/* How long to wait before trying D-Bus again when it was unreachable. */
#define MDNS_RETRY_SECONDS 5

static const char *const mdns_keys[] = {"name", "port", "token_required",
                                        "prefer", NULL};

static void mdns_client_cb(AvahiClient *c, AvahiClientState state, void *arg);

/* libdbus keeps process-wide state (locks, the bus address) that only
 * dbus_shutdown() frees, and a plugin must not call that: other code in
 * the process may use D-Bus. Unloading libdbus with the plugin would leak
 * that state on every unload, so it stays mapped. */
static void
mdns_pin_libdbus(void)
{
    void *h = dlopen("libdbus-1.so.3", RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
    if (h)
        dlclose(h);
}

static int
mdns_init(const struct herd_host *host, void **out)
{
    mdns_pin_libdbus();
    struct mdns_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return -ENOMEM;
    ctx->host = host;
    ctx->token_required = -1;
    *out = ctx;
    return HERD_OK;
}

/* Drops the client and everything hanging off it. */
static void
mdns_client_drop(struct mdns_ctx *ctx)
{
    mdns_browse_stop(ctx);
    mdns_publish_stop(ctx, 0);
    if (ctx->client)
        avahi_client_free(ctx->client);
    ctx->client = NULL;
}

static void
mdns_destroy(void *arg)
{
    struct mdns_ctx *ctx = arg;
    if (!ctx)
        return;
    mdns_client_drop(ctx);
    if (ctx->retry)
        event_free(ctx->retry);
    free(ctx->name);
    free(ctx->prefer);
    free(ctx);
}

static int
mdns_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(text, no[i]) == 0)
            return *out = 0, 0;
    }
    return -EINVAL;
}

/* A DNS-SD instance name: 1-63 bytes of UTF-8, as avahi checks it. */
static int
mdns_config_name(const char *key, const char *value, char **out, char *err,
                 size_t errlen)
{
    if (!avahi_is_valid_service_name(value) || !*value) {
        snprintf(err, errlen,
                 "%s: '%.80s' is not a service name (1 to 63 bytes)", key,
                 value);
        return -EINVAL;
    }
    char *copy = strdup(value);
    if (!copy)
        return -ENOMEM;
    free(*out);
    *out = copy;
    return HERD_OK;
}

static int
mdns_parse_port(const char *value, int *out, char *err, size_t errlen)
{
    char *end;
    long p = strtol(value, &end, 10);
    if (end == value || *end || p < 1 || p > 65535) {
        snprintf(err, errlen, "port: '%.80s' is not a port (1-65535)", value);
        return -EINVAL;
    }
    *out = (int)p;
    return HERD_OK;
}

static int
mdns_config_bool(const char *key, const char *value, int *out, char *err,
                 size_t errlen)
{
    if (mdns_parse_bool(value, out) == 0)
        return HERD_OK;
    snprintf(err, errlen,
             "%s: '%.80s' is not a boolean (true/false, yes/no, on/off, 1/0)",
             key, value);
    return -EINVAL;
}

static int
mdns_config(void *arg, const char *key, const char *value, char *err,
            size_t errlen)
{
    struct mdns_ctx *ctx = arg;
    int router_side = ctx->host->role == HERD_ROLE_ROUTER;
    int is_router_key = strcmp(key, "name") == 0 || strcmp(key, "port") == 0 ||
                        strcmp(key, "token_required") == 0;

    /* herd and herd-node may share one herd.ini: the other side's keys
     * are checked, then left alone. */
    if ((is_router_key && !router_side) ||
        (strcmp(key, "prefer") == 0 && router_side)) {
        char *ignored = NULL;
        int ignored_int, rc = HERD_OK;
        if (strcmp(key, "port") == 0)
            rc = mdns_parse_port(value, &ignored_int, err, errlen);
        else if (strcmp(key, "token_required") == 0)
            rc = mdns_config_bool(key, value, &ignored_int, err, errlen);
        else
            rc = mdns_config_name(key, value, &ignored, err, errlen);
        free(ignored);
        if (rc == HERD_OK)
            MDNS_LOG(ctx, HERD_LOG_DEBUG, "%s: for the %s, not used here", key,
                     router_side ? "agent" : "router");
        return rc;
    }
    if (strcmp(key, "name") == 0)
        return mdns_config_name(key, value, &ctx->name, err, errlen);
    if (strcmp(key, "prefer") == 0)
        return mdns_config_name(key, value, &ctx->prefer, err, errlen);
    if (strcmp(key, "port") == 0)
        return mdns_parse_port(value, &ctx->port, err, errlen);
    if (strcmp(key, "token_required") == 0)
        return mdns_config_bool(key, value, &ctx->token_required, err, errlen);
    snprintf(err, errlen, "unknown key '%s'", key);
    return -ENOENT;
}

static void mdns_retry_cb(evutil_socket_t fd, short what, void *arg);

static void
mdns_retry_later(struct mdns_ctx *ctx, int seconds)
{
    struct timeval tv = {seconds, 0};
    event_add(ctx->retry, &tv);
}

/* Creates the client; with AVAHI_CLIENT_NO_FAIL this fails only when
 * D-Bus itself cannot be reached, and then it is tried again later. */
static void
mdns_client_connect(struct mdns_ctx *ctx)
{
    int error = 0;
    AvahiClient *c = avahi_client_new(&ctx->poll, AVAHI_CLIENT_NO_FAIL,
                                      mdns_client_cb, ctx, &error);
    if (c) {
        ctx->client = c;
        return;
    }
    if (!ctx->absent_warned)
        MDNS_LOG(ctx, HERD_LOG_WARNING,
                 "cannot reach avahi-daemon over D-Bus (%s): mDNS discovery "
                 "is off until it can, trying every %d s; other discovery "
                 "works as before",
                 avahi_strerror(error), MDNS_RETRY_SECONDS);
    ctx->absent_warned = 1;
    mdns_retry_later(ctx, MDNS_RETRY_SECONDS);
}

static void
mdns_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct mdns_ctx *ctx = arg;
    (void)fd;
    (void)what;
    mdns_client_drop(ctx);
    mdns_client_connect(ctx);
}

static void
mdns_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
    struct mdns_ctx *ctx = arg;
    int router_side = ctx->host->role == HERD_ROLE_ROUTER;

    /* The first call comes from inside avahi_client_new(). */
    ctx->client = c;
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        if (ctx->absent_warned)
            MDNS_LOG(ctx, HERD_LOG_INFO, "avahi-daemon is running now");
        ctx->absent_warned = 0;
        if (router_side)
            mdns_publish_start(ctx);
        else
            mdns_browse_start(ctx);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* The host name changes: publish again once running. */
        if (router_side)
            mdns_publish_stop(ctx, 1);
        break;
    case AVAHI_CLIENT_CONNECTING:
        if (!ctx->absent_warned)
            MDNS_LOG(ctx, HERD_LOG_WARNING,
                     "avahi-daemon is not running: mDNS discovery waits for "
                     "it; other discovery works as before");
        ctx->absent_warned = 1;
        break;
    case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED)
            MDNS_LOG(ctx, HERD_LOG_WARNING,
                     "avahi-daemon went away; waiting for it to come back");
        else
            MDNS_LOG(ctx, HERD_LOG_ERR, "avahi client failed: %s",
                     avahi_strerror(avahi_client_errno(c)));
        ctx->absent_warned = 1;
        /* Not from inside its own callback: free and re-create the client
         * on the next turn of the loop. */
        mdns_retry_later(ctx, 0);
        break;
    }
}

static int
mdns_start(void *arg, char *err, size_t errlen)
{
    struct mdns_ctx *ctx = arg;
    const struct herd_host *h = ctx->host;

    if (h->role == HERD_ROLE_ROUTER) {
        if (!ctx->port) {
            snprintf(err, errlen,
                     "port: not set (the router passes the port it listens "
                     "on; set it in the section otherwise)");
            return -EINVAL;
        }
        if (!ctx->name) {
            char hostname[256] = "", name[64];
            if (gethostname(hostname, sizeof hostname - 1) != 0)
                hostname[0] = '\0';
            hostname[strcspn(hostname, ".")] = '\0';
            snprintf(name, sizeof name, "herd on %.40s", hostname);
            if (!hostname[0] || !avahi_is_valid_service_name(name))
                snprintf(name, sizeof name, "herd router");
            if (!(ctx->name = strdup(name)))
                return -ENOMEM;
        }
    } else if (h->role == HERD_ROLE_AGENT) {
        if (!HERD_HOST_HAS(h, router_found) || !HERD_HOST_HAS(h, router_lost)) {
            snprintf(err, errlen, "this host cannot take a router URL");
            return -ENOTSUP;
        }
    } else {
        snprintf(err, errlen, "unknown host role %u", (unsigned)h->role);
        return -EINVAL;
    }
    struct event_base *base = h->event_base(h->host_data);
    ctx->retry = evtimer_new(base, mdns_retry_cb, ctx);
    if (!ctx->retry)
        return -ENOMEM;
    mdns_poll_init(&ctx->poll, base);
    mdns_client_connect(ctx);
    return HERD_OK;
}

static const struct herd_discovery_plugin mdns_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_discovery_plugin),
            .kind = HERD_KIND_DISCOVERY,
            .name = "mdns",
            .version = PACKAGE_VERSION,
            .description = "mDNS: the router publishes " MDNS_SERVICE_TYPE
                           ", agents find it (avahi)",
            .requires = HERD_HOST_F_EVENT_BASE,
            .config_keys = mdns_keys,
            .init = mdns_init,
            .config = mdns_config,
            .start = mdns_start,
            .destroy = mdns_destroy,
        },
};

HERD_PLUGIN_DEFINE(mdns_plugin)
