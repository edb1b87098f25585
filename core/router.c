/* Router lifecycle: set up the data directory and log, bind the HTTP
 * server, load plugins, run the loop, and tear everything down again.
 * Signals arrive as libevent events, so their work runs on the loop. */
#include "autoconfig.h"

#include "router.h"
#include "common/mono_clock.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "common/auth.h"
#include "common/data_dir.h"
#include "common/http_util.h"
#include "common/log.h"
#include "admin_gate.h"
#include "browser_guard.h"
#include "common/host_guard.h"
#include "dashboard.h"
#include "dashboard_api.h"
#include "plugin_loader.h"
#include "proxy.h"
#include "storage_router.h"

#define ROUTER_M_GET (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define ROUTER_M_ANY (~0) /* the handler checks the method itself */

struct router_route {
    const char *path;
    int methods;       /* EVHTTP_REQ_* accepted */
    const char *allow; /* the same, for the Allow header of a 405 */
    void (*handler)(struct router *r, struct http_req *req);
};

static const struct router_route router_routes[] = {
    {"/", ROUTER_M_GET, "GET, HEAD", api_meta_root},
    {"/heartbeat", EVHTTP_REQ_POST, "POST", api_heartbeat_post},
    {"/fleet/status", EVHTTP_REQ_GET, "GET", api_fleet_status},
    {"/api/tags", ROUTER_M_GET, "GET, HEAD", api_meta_tags},
    {"/api/ps", EVHTTP_REQ_GET, "GET", api_meta_ps},
    {"/api/version", ROUTER_M_GET, "GET, HEAD", api_meta_version},
    {"/api/chat", EVHTTP_REQ_POST, "POST", api_inference_chat},
    {"/api/generate", EVHTTP_REQ_POST, "POST", api_inference_generate},
    {"/api/embed", EVHTTP_REQ_POST, "POST", api_inference_embed},
    {"/api/embeddings", EVHTTP_REQ_POST, "POST", api_inference_embeddings},
    {"/fleet/queue", EVHTTP_REQ_GET, "GET", api_inference_queue},
    {"/v1/chat/completions", EVHTTP_REQ_POST, "POST", api_openai_chat},
    {"/v1/completions", EVHTTP_REQ_POST, "POST", api_openai_completions},
    {"/v1/embeddings", EVHTTP_REQ_POST, "POST", api_openai_embeddings},
    {"/v1/models", ROUTER_M_GET, "GET, HEAD", api_openai_models},
    {"/v1/models/*", ROUTER_M_GET, "GET, HEAD", api_openai_model},
    {"/api/show", EVHTTP_REQ_POST, "POST", api_models_show},
    {"/api/pull", EVHTTP_REQ_POST, "POST", api_models_pull},
    {"/api/delete", EVHTTP_REQ_DELETE, "DELETE", api_models_delete},
    {"/fleet/route", EVHTTP_REQ_POST, "POST", api_route_post},
    {"/dashboard/api/traces", EVHTTP_REQ_GET, "GET", api_analytics_traces},
    {"/dashboard/api/usage", EVHTTP_REQ_GET, "GET", api_analytics_usage},
    {"/dashboard/api/trends", EVHTTP_REQ_GET, "GET", api_analytics_trends},
    {"/dashboard/api/models", EVHTTP_REQ_GET, "GET", api_analytics_models},
    {"/dashboard/api/overview", EVHTTP_REQ_GET, "GET", api_analytics_overview},
    {"/dashboard/api/tags", EVHTTP_REQ_GET, "GET", api_analytics_tags},
    {"/dashboard/api/apps", EVHTTP_REQ_GET, "GET", api_analytics_tags},
    {"/dashboard/api/tags/daily", EVHTTP_REQ_GET, "GET",
     api_analytics_tags_daily},
    {"/dashboard/api/apps/daily", EVHTTP_REQ_GET, "GET",
     api_analytics_tags_daily},
    {"/dashboard/api/health", EVHTTP_REQ_GET, "GET", api_health_get},
    {"/dashboard/api/model-management", EVHTTP_REQ_GET, "GET",
     api_model_admin_list},
    {"/dashboard/api/pull", EVHTTP_REQ_POST, "POST", api_model_admin_pull},
    {"/dashboard/api/delete", EVHTTP_REQ_POST, "POST",
     api_model_admin_delete},
    /* last: the files, and 404 for /dashboard/api/ paths not above */
    {"/dashboard", ROUTER_M_GET, "GET, HEAD", api_dashboard_get},
    {"/dashboard/", ROUTER_M_GET, "GET, HEAD", api_dashboard_get},
    {"/dashboard/*", ROUTER_M_ANY, "GET, HEAD", api_dashboard_get},
};

static const char *router_comp = "router";

double
router_now(void)
{
    return mono_clock_s();
}

/* [security] api_key: when any is set, the Ollama and OpenAI APIs (/api/,
 * /v1/) need one as a bearer token; the answer to a request without is a
 * 401 in that API's error shape. Heartbeats have their own token. */
static int
router_client_authorized(struct router *r, struct http_req *req,
                         const char *path)
{
    const struct herd_config *cfg = r->cfg;
    int openai = strncmp(path, "/v1/", 4) == 0;
    if (cfg->api_key_count == 0 || (!openai && strncmp(path, "/api/", 5) != 0))
        return 1;
    if (auth_bearer_matches(http_req_in_headers(req), cfg->api_keys,
                            cfg->api_key_count) ||
        (admin_gate_path(path) && admin_gate_has_token(r, req)))
        return 1;
    http_req_add_header(req, "WWW-Authenticate", "Bearer");
    log_info(router_comp, "refused %s from %s: missing or unknown API key",
             path, http_req_peer(req));
    if (openai)
        http_send_openai_error(req, 401, "invalid_request_error",
                                "missing or invalid API key: send "
                                "Authorization: Bearer <key>");
    else
        http_send_error(req, 401, "missing or invalid API key: send "
                                     "Authorization: Bearer <key>");
    return 0;
}

static void
router_dispatch(struct http_req *req, void *arg)
{
    struct router *r = arg;
    const char *path = http_req_path(req);
    int method = (int)http_req_method(req);

    if (!path || !*path)
        path = "/";
    if (!browser_guard_admit(req, r->cfg->cors_origins,
                             host_guard_loopback_name(r->boot->host)))
        return;
    for (size_t i = 0; i < sizeof router_routes / sizeof router_routes[0];
         i++) {
        const struct router_route *rt = &router_routes[i];
        size_t plen = strlen(rt->path);
        /* a path ending in a star matches every path below it */
        if (plen > 1 && rt->path[plen - 1] == '*') {
            if (strncmp(rt->path, path, plen - 1) != 0 || !path[plen - 1])
                continue;
        } else if (strcmp(rt->path, path) != 0) {
            continue;
        }
        if (!(rt->methods & method)) {
            http_req_add_header(req, "Allow", rt->allow);
            http_send_error(req, 405, "method not allowed for %s", path);
            return;
        }
        if (!router_client_authorized(r, req, path))
            return;
        rt->handler(r, req);
        return;
    }
    /* a client of the OpenAI API reads errors in its shape */
    if (strncmp(path, "/v1/", 4) == 0)
        http_send_openai_error(req, 404, "invalid_request_error",
                               "no such endpoint: %s", path);
    else
        http_send_error(req, 404, "no such endpoint: %s", path);
}

static void
router_refusal_headers(const struct evkeyvalq *in, struct evkeyvalq *out,
                       void *arg)
{
    struct router *r = arg;
    browser_guard_refusal_headers(in, out, r->cfg->cors_origins);
}

static void
router_registry_settings(const struct herd_config *cfg,
                         struct registry_settings *s)
{
    memset(s, 0, sizeof *s);
    s->heartbeat_timeout = cfg->heartbeat_timeout;
    s->heartbeat_offline = cfg->heartbeat_offline;
    s->forget_after = cfg->node_forget_after;
    s->unloaded_memory = ROUTER_WARM_WINDOW_S;
    s->max_nodes = REGISTRY_DEFAULT_MAX_NODES;
}

static void
router_proxy_settings(const struct herd_config *cfg, struct proxy_settings *s)
{
    memset(s, 0, sizeof *s);
    s->max_retries = (unsigned)cfg->max_retries;
    s->queue_wait = cfg->queue_wait;
    s->queue_max = (size_t)cfg->queue_max;
    s->upstream_timeout = cfg->upstream_timeout;
    s->connect_timeout = cfg->connect_timeout;
    s->drain_timeout = cfg->drain_timeout;
    s->backoff = cfg->node_backoff;
    s->vram_fallback = cfg->vram_fallback;
    s->auto_pull = cfg->auto_pull;
    s->auto_pull_timeout = cfg->auto_pull_timeout;
    s->context_protection = cfg->context_protection;
    s->context_upgrade = cfg->context_upgrade;
    s->keep_alive = cfg->keep_alive;
    s->thinking_overhead = cfg->thinking_overhead;
    s->thinking_min_predict = (unsigned)cfg->thinking_min_predict;
    s->image_fetch_max_bytes = cfg->image_fetch_max_bytes;
    s->image_fetch_timeout = cfg->image_fetch_timeout;
    s->image_fetch_ca_file = cfg->image_fetch_ca_file;
    s->stale_timeout = cfg->stale_timeout;
    s->prewarm = cfg->prewarm;
    s->prewarm_interval = cfg->prewarm_interval;
    s->prewarm_threshold = (unsigned)cfg->prewarm_threshold;
    s->prewarm_looks = (unsigned)cfg->prewarm_looks;
    s->prewarm_cooldown = cfg->prewarm_cooldown;
    s->default_num_parallel = cfg->default_num_parallel;
    s->max_body_bytes = cfg->max_body_bytes;
}

static void
router_http_limits(struct router *r)
{
    const struct herd_config *cfg = r->cfg;
    struct http_limits l = {
        .max_body = (size_t)cfg->max_body_bytes,
        .max_headers = (size_t)cfg->max_header_bytes,
        .timeout_s = cfg->client_timeout,
    };
    http_server_set_limits(r->http, &l);
}

static void
router_liveness_cb(evutil_socket_t fd, short what, void *arg)
{
    struct router *r = arg;
    (void)fd;
    (void)what;
    registry_tick(r->registry, router_now());
}

static int
router_liveness_arm(struct router *r)
{
    struct timeval tv;
    double s =
        r->cfg->heartbeat_interval > 0 ? r->cfg->heartbeat_interval : 5.0;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    r->liveness_s = s;
    return event_add(r->liveness, &tv);
}

/* Applies the settings that may change while running. */
static void
router_apply(struct router *r)
{
    struct registry_settings s;
    log_set_level(r->cfg->log_level);
    router_registry_settings(r->cfg, &s);
    registry_set_settings(r->registry, &s);
    if (registry_set_node_config(r->registry, r->cfg->nodes,
                                 r->cfg->node_count) != 0)
        log_err(router_comp, "out of memory applying [node.*] settings");
    router_http_limits(r);
    /* re-arming pushes the next check back: a stream of SIGHUPs would
     * keep dead nodes online */
    if ((r->cfg->heartbeat_interval > 0 ? r->cfg->heartbeat_interval : 5.0) !=
        r->liveness_s)
        router_liveness_arm(r);
    if (r->proxy) {
        struct proxy_settings ps;
        router_proxy_settings(r->cfg, &ps);
        proxy_configure(r->proxy, &ps);
    }
}

/* Whether the plugin sections that only a restart applies (all but
 * [scoring.*]) differ between a and b: names, instances, enabled, entries. */
static int
router_restart_sections_differ(const struct herd_config *a,
                               const struct herd_config *b)
{
    size_t ia = 0, ib = 0;
    for (;;) {
        while (ia < a->plugin_count &&
               strcmp(a->plugins[ia].kind, "scoring") == 0)
            ia++;
        while (ib < b->plugin_count &&
               strcmp(b->plugins[ib].kind, "scoring") == 0)
            ib++;
        if (ia == a->plugin_count || ib == b->plugin_count)
            return ia != a->plugin_count || ib != b->plugin_count;
        const struct config_plugin_section *x = &a->plugins[ia++];
        const struct config_plugin_section *y = &b->plugins[ib++];
        if (strcmp(x->kind, y->kind) != 0 || strcmp(x->name, y->name) != 0 ||
            !x->instance != !y->instance ||
            (x->instance && strcmp(x->instance, y->instance) != 0) ||
            x->enabled != y->enabled || x->entry_count != y->entry_count)
            return 1;
        for (size_t e = 0; e < x->entry_count; e++)
            if (strcmp(x->entries[e].key, y->entries[e].key) != 0 ||
                strcmp(x->entries[e].value, y->entries[e].value) != 0)
                return 1;
    }
}

/* Keys of [router] read once, at start (the listener, the data
 * directory, the storage thread, the discovery plugins, the plugin
 * search path). */
static const char *const router_restart_keys[] = {"host",
                                                  "port",
                                                  "data_dir",
                                                  "dashboard_dir",
                                                  "trace_queue_max",
                                                  "poll_interval",
                                                  "plugin_dir",
                                                  NULL};

static int
router_restart_key(const char *section, const char *name)
{
    for (size_t i = 0; router_restart_keys[i]; i++)
        if (strcmp(section, "router") == 0 &&
            strcmp(name, router_restart_keys[i]) == 0)
            return 1;
    return 0;
}

/* A key a reload changed (against the running config): what it was and
 * is now. */
static void
router_reload_change(void *arg, const char *section, const char *name,
                     const char *was, const char *now)
{
    (void)arg;
    if (router_restart_key(section, name))
        return;
    log_info(router_comp, "reload: [%s] %s: %.300s -> %.300s%s", section, name,
             was, now,
             strcmp(name, "node_token") == 0
                 ? " (heartbeats at once; the mDNS announcement on restart)"
                 : "");
}

/* A key read only at start whose value in the file is not the one in use
 * (against the start-up config): said at every reload until a restart. */
static void
router_reload_pending(void *arg, const char *section, const char *name,
                      const char *was, const char *now)
{
    (void)arg;
    if (router_restart_key(section, name))
        log_warn(router_comp,
                 "reload: [%s] %s: %.300s -> %.300s takes effect on restart; "
                 "%.300s stays until then",
                 section, name, was, now, was);
}

static void
router_reload(struct router *r)
{
    char err[CONFIG_ERR_MAX];
    struct herd_config *next = calloc(1, sizeof *next);
    if (!next) {
        log_err(router_comp, "reload: out of memory; keeping the old config");
        return;
    }
    if (config_reload(r->cfg, next, err, sizeof err) != 0) {
        log_err(router_comp, "reload failed, keeping the old config: %s", err);
        free(next);
        return;
    }
    if (router_scoring_reload(r, next) != 0) {
        config_free(next);
        free(next);
        return;
    }
    if (router_restart_sections_differ(r->cfg, next))
        log_warn(router_comp, "reload: sections other than [scoring.*] "
                              "take effect on restart");
    config_diff(r->cfg, next, router_reload_change, NULL);
    config_diff(r->boot, next, router_reload_pending, NULL);
    /* The start-up config stays alive: the plugins borrow from it. */
    if (r->cfg != r->boot) {
        config_free(r->cfg);
        free(r->cfg);
    }
    r->cfg = next;
    router_apply(r);
    log_info(router_comp, "configuration reloaded from %s",
             next->config_file ? next->config_file : "(defaults)");
}

static void
router_drained(void *arg)
{
    struct router *r = arg;
    log_info(router_comp, "drained, stopping");
    event_base_loopexit(r->base, NULL);
}

static void
router_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct router *r = arg;
    (void)what;
    if (sig == SIGHUP) {
        router_reload(r);
        return;
    }
    /* The first signal drains (new work gets 503, running requests
     * finish); a second one stops at once. */
    if (r->stopping || !r->proxy) {
        log_info(router_comp, "%s received again, stopping now",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
        event_base_loopexit(r->base, NULL);
        return;
    }
    r->stopping = 1;
    log_info(router_comp, "%s received, draining",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
    proxy_drain(r->proxy, router_drained, r);
}

/* The data directory (mode 0700) and the JSONL log in it. */
static int
router_setup_data(struct router *r)
{
    char err[4500];
    int rc = data_dir_open_log(r->cfg->data_dir, err, sizeof err);
    if (rc != 0)
        log_err(router_comp, "%s", err);
    return rc;
}

static int
router_bind(struct router *r)
{
    const struct herd_config *cfg = r->cfg;
    r->http = http_server_new(r->base, router_dispatch, r);
    if (!r->http)
        return -ENOMEM;
    http_server_set_refusal_headers(r->http, router_refusal_headers, r);
    router_http_limits(r);
    int rc = http_server_listen(r->http, cfg->host, cfg->port);
    if (rc != 0) {
        log_err(router_comp, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
                strerror(-rc));
        return rc;
    }
    /* Read the address back: port 0 asks the kernel for a free one. */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char addr[64] = "?";
    int port = cfg->port;
    if (getsockname(http_server_fd(r->http), (struct sockaddr *)&ss,
                    &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, addr, sizeof addr);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            addr[0] = '[';
            inet_ntop(AF_INET6, &in6->sin6_addr, addr + 1, sizeof addr - 2);
            strcat(addr, "]");
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(r->listen_addr, sizeof r->listen_addr, "%s:%d", addr, port);
    return 0;
}

/* Discovery sections get what the router knows unless they set it
 * themselves: static's `interval` is [router] poll_interval; mdns announces
 * the port the router listens on (`port`) and whether heartbeats need
 * [security] node_token (`token_required`). */
static int
router_load_section(struct router *r, const struct config_plugin_section *sec,
                    char *err, size_t errlen)
{
    if (strcmp(sec->kind, "storage") == 0)
        return router_storage_load(r, sec, err, errlen);
    if (strcmp(sec->kind, "discovery") != 0)
        return plugin_set_load(r->plugins, sec, err, errlen);
    char interval[64], port[16];
    const char *keys[2], *values[2];
    size_t n = 0;
    if (strcmp(sec->name, "static") == 0) {
        snprintf(interval, sizeof interval, "%.17g", r->boot->poll_interval);
        keys[n] = "interval";
        values[n++] = interval;
    } else if (strcmp(sec->name, "mdns") == 0) {
        const char *colon = strrchr(r->listen_addr, ':');
        snprintf(port, sizeof port, "%s", colon ? colon + 1 : "");
        keys[n] = "port";
        values[n++] = port;
        keys[n] = "token_required";
        values[n++] = r->boot->node_token ? "true" : "false";
    }
    struct config_plugin_section with = *sec;
    struct config_entry *entries =
        calloc(sec->entry_count + n + 1, sizeof *entries);
    if (!entries) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (sec->entry_count)
        memcpy(entries, sec->entries, sec->entry_count * sizeof *entries);
    with.entries = entries;
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        while (i < sec->entry_count && strcmp(sec->entries[i].key, keys[k]))
            i++;
        if (i < sec->entry_count)
            continue; /* the section's own value wins */
        entries[with.entry_count].key = (char *)keys[k];
        entries[with.entry_count++].value = (char *)values[k];
    }
    int rc = plugin_set_load(r->plugins, &with, err, errlen);
    free(entries);
    return rc;
}

static int
router_load_plugins(struct router *r)
{
    char err[CONFIG_ERR_MAX];
    const struct herd_config *cfg = r->boot;
    r->plugins =
        plugin_set_new(&r->host.table, cfg->plugin_dirs, cfg->plugin_dir_count);
    if (!r->plugins) {
        log_err(router_comp, "cannot start the plugin loader");
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->plugin_count; i++) {
        const struct config_plugin_section *sec = &cfg->plugins[i];
        if (!sec->enabled || strcmp(sec->kind, "scoring") == 0)
            continue;
        int rc = router_load_section(r, sec, err, sizeof err);
        if (rc == -ENOENT && sec->builtin) {
            /* Left out at configure time: the router works without it. */
            log_info(router_comp, "built-in [%s.%s] is not installed; "
                     "going on without it", sec->kind, sec->name);
            continue;
        }
        if (rc != 0) {
            /* The loader has logged the reason with file:line. */
            log_err(router_comp, "cannot start: [%s.%s%s%s] did not load",
                    sec->kind, sec->name, sec->instance ? "." : "",
                    sec->instance ? sec->instance : "");
            return rc;
        }
    }
    int rc = plugin_set_start(r->plugins, err, sizeof err);
    if (rc != 0) {
        log_err(router_comp, "cannot start: %s", err);
        return rc;
    }
    return router_scoring_start(r);
}

static int
router_signals(struct router *r)
{
    r->sig_int = evsignal_new(r->base, SIGINT, router_signal_cb, r);
    r->sig_term = evsignal_new(r->base, SIGTERM, router_signal_cb, r);
    r->sig_hup = evsignal_new(r->base, SIGHUP, router_signal_cb, r);
    if (!r->sig_int || !r->sig_term || !r->sig_hup ||
        evsignal_add(r->sig_int, NULL) != 0 ||
        evsignal_add(r->sig_term, NULL) != 0 ||
        evsignal_add(r->sig_hup, NULL) != 0)
        return -ENOMEM;
    return 0;
}

static void
router_teardown(struct router *r)
{
    /* Running requests hold upstream calls and client requests. */
    proxy_cut(r->proxy);
    /* The storage thread writes through the plugins: it goes first. */
    router_storage_stop(r);
    /* Plugins first: their events live on the base. */
    router_scoring_stop(r);
    plugin_set_free(r->plugins);
    /* Model calls still running end with their connections here, and
     * cancel their upstream calls while the pool is still there. */
    http_server_free(r->http);
    proxy_free(r->proxy);
    dashboard_stop(r);
    if (r->liveness)
        event_free(r->liveness);
    if (r->sig_int)
        event_free(r->sig_int);
    if (r->sig_term)
        event_free(r->sig_term);
    if (r->sig_hup)
        event_free(r->sig_hup);
    registry_free(r->registry);
    if (r->base)
        event_base_free(r->base);
    if (r->cfg != r->boot) {
        config_free(r->cfg);
        free(r->cfg);
    }
    log_open_jsonl(NULL);
}

/* The loop. With the changelist, epoll hears of an event's changes once
 * per loop pass instead of at each one: a write that has to wait, and
 * the upstream client's events, change and change back within a pass.
 * The changelist's one hazard, a dup()ed descriptor, does not occur
 * here. */
static struct event_base *
router_base_new(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base = NULL;
    if (ec) {
        event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
        base = event_base_new_with_config(ec);
        event_config_free(ec);
    }
    return base ? base : event_base_new();
}

int
router_run(struct herd_config *cfg)
{
    struct router r;
    struct registry_settings rs;
    int status = 1;

    memset(&r, 0, sizeof r);
    r.boot = r.cfg = cfg;
    log_set_program("herd");
    log_set_level(cfg->log_level);
    signal(SIGPIPE, SIG_IGN);

    if (router_setup_data(&r) != 0)
        goto out;
    router_registry_settings(cfg, &rs);
    r.base = router_base_new();
    r.registry = registry_new(&rs);
    if (!r.base || !r.registry ||
        registry_set_node_config(r.registry, cfg->nodes, cfg->node_count)) {
        log_err(router_comp, "out of memory");
        goto out;
    }
    host_init(&r.host, r.base, &r);
    r.liveness = event_new(r.base, -1, EV_PERSIST, router_liveness_cb, &r);
    if (!r.liveness || router_liveness_arm(&r) != 0 ||
        router_signals(&r) != 0) {
        log_err(router_comp, "cannot set up events");
        goto out;
    }
    if (dashboard_start(&r) != 0 || router_bind(&r) != 0 ||
        router_load_plugins(&r) != 0 || router_storage_start(&r) != 0)
        goto out;
    struct proxy_settings ps;
    router_proxy_settings(cfg, &ps);
    r.proxy = proxy_new(&r, &ps);
    if (!r.proxy) {
        log_err(router_comp, "cannot start the request path");
        goto out;
    }
    log_info(router_comp, "listening on %s", r.listen_addr);
    if (event_base_dispatch(r.base) < 0) {
        log_err(router_comp, "event loop failed");
        goto out;
    }
    log_info(router_comp, "stopped");
    status = 0;
out:
    router_teardown(&r);
    return status;
}
