/* discovery/static: a fixed list of nodes or a fixed router URL.
 *
 * Router side ([discovery.static] node = ID http://host:port, repeatable;
 * interval = seconds): every interval the plugin asks each node's Ollama
 * for /api/version, /api/tags and /api/ps, one request after the other and
 * never more than one poll per node at a time, and hands the router a
 * heartbeat-shaped report marked "agentless". A node that stops answering
 * is simply not reported, and the router's liveness takes it offline.
 *
 * Agent side (router = http://host:port): tells herd-node where the router
 * is, once, at start. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <herd/plugin.h>

#define STATIC_DEFAULT_INTERVAL 5.0
#define STATIC_MIN_INTERVAL                                                    \
    0.001 /* the same bounds as [router] poll_interval */
#define STATIC_MAX_INTERVAL 1e9
#define STATIC_MAX_NODES 1024
#define STATIC_MAX_BODY (8 << 20)
#define STATIC_GIB 1073741824.0

enum static_step { STATIC_VERSION, STATIC_TAGS, STATIC_PS, STATIC_STEPS };

static const char *const static_paths[STATIC_STEPS] = {"/api/version",
                                                       "/api/tags", "/api/ps"};

struct static_ctx;

struct static_node {
    struct static_ctx *ctx;
    char *id;
    char *url;      /* as configured, without a trailing slash */
    char *hostport; /* Host header */
    char *host;
    int port;
    struct evhttp_connection *conn;
    int busy;
    enum static_step step;
    json_object *answers[STATIC_STEPS];
    int failing; /* the last poll failed; warn only on the change */
};

struct static_ctx {
    const struct herd_host *host;
    struct static_node *nodes;
    size_t count;
    double interval;
    char *router_url;
    struct event *timer;
    struct evdns_base *dns;
};

#define STATIC_LOG(ctx, level, ...)                                            \
    do {                                                                       \
        if ((ctx)->host->log)                                                  \
            (ctx)->host->log((ctx)->host->host_data, level, __VA_ARGS__);      \
    } while (0)

static int
static_init(const struct herd_host *host, void **out)
{
    struct static_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return -ENOMEM;
    ctx->host = host;
    ctx->interval = STATIC_DEFAULT_INTERVAL;
    *out = ctx;
    return HERD_OK;
}

static void
static_node_reset(struct static_node *n)
{
    for (int i = 0; i < STATIC_STEPS; i++) {
        json_object_put(n->answers[i]);
        n->answers[i] = NULL;
    }
    n->busy = 0;
    n->step = STATIC_VERSION;
}

static void
static_destroy(void *arg)
{
    struct static_ctx *ctx = arg;
    if (!ctx)
        return;
    if (ctx->timer)
        event_free(ctx->timer);
    for (size_t i = 0; i < ctx->count; i++) {
        struct static_node *n = &ctx->nodes[i];
        /* Frees pending requests without calling their callbacks. */
        if (n->conn)
            evhttp_connection_free(n->conn);
        static_node_reset(n);
        free(n->id);
        free(n->url);
        free(n->hostport);
        free(n->host);
    }
    free(ctx->nodes);
    if (ctx->dns)
        evdns_base_free(ctx->dns, 0);
    free(ctx->router_url);
    free(ctx);
}

/* Accepts exactly http://host:port with an optional trailing slash. */
static int
static_parse_url(const char *text, char **host, int *port, char *err,
                 size_t errlen)
{
    struct evhttp_uri *u = evhttp_uri_parse(text);
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    const char *h = u ? evhttp_uri_get_host(u) : NULL;
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    int p = u ? evhttp_uri_get_port(u) : -1;
    int rc = -EINVAL;

    if (!u)
        snprintf(err, errlen, "'%s' is not a valid URL", text);
    else if (!scheme || strcmp(scheme, "http") != 0)
        snprintf(err, errlen, "'%s' is not an http:// URL", text);
    else if (!h || !*h)
        snprintf(err, errlen, "'%s' has no host", text);
    else if (p <= 0 || p > 65535)
        snprintf(err, errlen, "'%s' needs a port (http://host:port)", text);
    else if ((path && *path && strcmp(path, "/") != 0) ||
             evhttp_uri_get_query(u) || evhttp_uri_get_fragment(u) ||
             evhttp_uri_get_userinfo(u))
        snprintf(err, errlen, "'%s' must be just http://host:port", text);
    else if (!(*host = strdup(h)))
        rc = -ENOMEM;
    else {
        *port = p;
        rc = HERD_OK;
    }
    if (u)
        evhttp_uri_free(u);
    return rc;
}

static int
static_id_valid(const char *id, size_t len)
{
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* node = ID URL */
static int
static_config_node(struct static_ctx *ctx, const char *value, char *err,
                   size_t errlen)
{
    const char *p = value + strspn(value, " \t");
    size_t idlen = strcspn(p, " \t");
    const char *url = p + idlen;
    url += strspn(url, " \t");
    size_t urllen = strcspn(url, " \t");

    if (idlen == 0 || !*url || url[urllen + strspn(url + urllen, " \t")]) {
        snprintf(err, errlen, "node: expected 'ID http://host:port', got '%s'",
                 value);
        return -EINVAL;
    }
    if (!static_id_valid(p, idlen)) {
        snprintf(err, errlen,
                 "node: id '%.*s' must be 1-64 of A-Z a-z 0-9 - _ .",
                 (int)(idlen > 80 ? 80 : idlen), p);
        return -EINVAL;
    }
    for (size_t i = 0; i < ctx->count; i++) {
        if (strlen(ctx->nodes[i].id) == idlen &&
            strncmp(ctx->nodes[i].id, p, idlen) == 0) {
            snprintf(err, errlen, "node: id '%.*s' is listed twice", (int)idlen,
                     p);
            return -EINVAL;
        }
    }
    if (ctx->count == STATIC_MAX_NODES) {
        snprintf(err, errlen, "node: more than %d nodes", STATIC_MAX_NODES);
        return -EINVAL;
    }
    char urlbuf[512];
    if (urllen >= sizeof urlbuf) {
        snprintf(err, errlen, "node: URL too long");
        return -EINVAL;
    }
    memcpy(urlbuf, url, urllen);
    urlbuf[urllen] = '\0';
    while (urllen > 0 && urlbuf[urllen - 1] == '/')
        urlbuf[--urllen] = '\0';

    char *host = NULL;
    int port = 0;
    char why[400];
    int rc = static_parse_url(urlbuf, &host, &port, why, sizeof why);
    if (rc != HERD_OK) {
        snprintf(err, errlen, "node %.*s: %s", (int)idlen, p, why);
        return rc;
    }
    struct static_node *nodes =
        realloc(ctx->nodes, (ctx->count + 1) * sizeof *nodes);
    if (!nodes) {
        free(host);
        return -ENOMEM;
    }
    ctx->nodes = nodes;
    struct static_node *n = &nodes[ctx->count];
    memset(n, 0, sizeof *n);
    n->ctx = ctx;
    n->host = host;
    n->port = port;
    n->id = strndup(p, idlen);
    n->url = strdup(urlbuf);
    char hp[300];
    snprintf(hp, sizeof hp, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
             port);
    n->hostport = strdup(hp);
    ctx->count++; /* counted now so destroy frees what was copied */
    if (!n->id || !n->url || !n->hostport)
        return -ENOMEM;
    return HERD_OK;
}

/* interval = seconds, or a number with s, m or h, as herd.ini durations. */
static int
static_config_interval(struct static_ctx *ctx, const char *value, char *err,
                       size_t errlen)
{
    char *end;
    double v = strtod(value, &end), unit = 1;
    if (strcmp(end, "m") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else if (*end && strcmp(end, "s") != 0)
        end = (char *)value; /* not a duration */
    v *= unit;
    if (end == value || !isfinite(v) || v < STATIC_MIN_INTERVAL ||
        v > STATIC_MAX_INTERVAL) {
        snprintf(err, errlen,
                 "interval: '%s' is not a duration between 0.001 s and 1e9 s "
                 "(seconds, or a number with s, m or h)",
                 value);
        return -EINVAL;
    }
    ctx->interval = v;
    return HERD_OK;
}

static int
static_config(void *arg, const char *key, const char *value, char *err,
              size_t errlen)
{
    struct static_ctx *ctx = arg;
    int router_side = ctx->host->role == HERD_ROLE_ROUTER;

    if (strcmp(key, "node") == 0) {
        if (!router_side) {
            snprintf(err, errlen,
                     "node: only the router polls nodes; "
                     "herd-node takes router = URL");
            return -EINVAL;
        }
        return static_config_node(ctx, value, err, errlen);
    }
    if (strcmp(key, "interval") == 0)
        return static_config_interval(ctx, value, err, errlen);
    if (strcmp(key, "router") == 0) {
        char *host = NULL;
        int port;
        if (router_side) {
            snprintf(err, errlen,
                     "router: only herd-node looks for a "
                     "router; the router takes node = ID URL");
            return -EINVAL;
        }
        int rc = static_parse_url(value, &host, &port, err, errlen);
        free(host);
        if (rc != HERD_OK)
            return rc;
        free(ctx->router_url);
        ctx->router_url = strdup(value);
        return ctx->router_url ? HERD_OK : -ENOMEM;
    }
    snprintf(err, errlen, "unknown key '%s'", key);
    return -ENOENT;
}

/* ---- the report ---- */

static json_object *
static_member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    if (o && json_object_object_get_ex(o, key, &v) && v &&
        json_object_is_type(v, type))
        return v;
    return NULL;
}

/* One /api/ps entry as a heartbeat's models_loaded entry, keeping
 * Ollama's own fields for the router's /api/ps. */
static json_object *
static_loaded_entry(json_object *m)
{
    json_object *name = static_member(m, "name", json_type_string);
    if (!name)
        name = static_member(m, "model", json_type_string);
    if (!name)
        return NULL;
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", json_object_get(name));
    static const char *const keep[] = {
        "model",      "size",      "digest",        "details",
        "expires_at", "size_vram", "context_length"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        json_object *v = NULL;
        if (json_object_object_get_ex(m, keep[i], &v) && v)
            json_object_object_add(e, keep[i], json_object_get(v));
    }
    json_object *size = static_member(m, "size", json_type_int);
    int64_t bytes = size ? json_object_get_int64(size) : 0;
    if (bytes > 0)
        json_object_object_add(
            e, "size_gb",
            json_object_new_double(round(bytes / STATIC_GIB * 100) / 100));
    json_object *details = static_member(m, "details", json_type_object);
    json_object *v = static_member(details, "parameter_size", json_type_string);
    if (v)
        json_object_object_add(e, "parameter_size", json_object_get(v));
    v = static_member(details, "quantization_level", json_type_string);
    if (v)
        json_object_object_add(e, "quantization", json_object_get(v));
    return e;
}

static json_object *
static_build_report(const struct static_node *n)
{
    json_object *report = json_object_new_object();
    json_object *ollama = json_object_new_object();
    json_object *loaded = json_object_new_array();
    json_object *available = json_object_new_array();

    json_object_object_add(report, "node_id", json_object_new_string(n->id));
    json_object_object_add(report, "agentless", json_object_new_boolean(1));
    json_object_object_add(report, "ollama_host",
                           json_object_new_string(n->url));
    json_object *ver =
        static_member(n->answers[STATIC_VERSION], "version", json_type_string);
    if (ver)
        json_object_object_add(report, "ollama_version", json_object_get(ver));

    json_object *arr =
        static_member(n->answers[STATIC_PS], "models", json_type_array);
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *e = static_loaded_entry(json_object_array_get_idx(arr, i));
        if (e)
            json_object_array_add(loaded, e);
    }
    arr = static_member(n->answers[STATIC_TAGS], "models", json_type_array);
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        /* Ollama's ListModel objects go through whole. */
        if (static_member(m, "name", json_type_string) ||
            static_member(m, "model", json_type_string))
            json_object_array_add(available, json_object_get(m));
    }
    json_object_object_add(ollama, "models_loaded", loaded);
    json_object_object_add(ollama, "models_available", available);
    json_object_object_add(report, "ollama", ollama);
    return report;
}

static void
static_poll_failed(struct static_node *n, const char *why)
{
    if (!n->failing)
        STATIC_LOG(n->ctx, HERD_LOG_WARNING, "node %s (%s): %s %s", n->id,
                   n->url, static_paths[n->step], why);
    n->failing = 1;
    static_node_reset(n);
}

static void
static_poll_done(struct static_node *n)
{
    struct static_ctx *ctx = n->ctx;
    json_object *report = static_build_report(n);
    size_t len;
    const char *text =
        json_object_to_json_string_length(report, JSON_C_TO_STRING_PLAIN, &len);
    char err[512] = "";
    int rc = ctx->host->node_report(ctx->host->host_data, text, len, n->host,
                                    err, sizeof err);
    if (rc != HERD_OK) {
        if (!n->failing)
            STATIC_LOG(ctx, HERD_LOG_WARNING, "node %s: report refused: %s",
                       n->id, err);
    } else if (n->failing) {
        STATIC_LOG(ctx, HERD_LOG_INFO, "node %s (%s) answers again", n->id,
                   n->url);
    }
    n->failing = rc != HERD_OK;
    json_object_put(report);
    static_node_reset(n);
}

static void static_request(struct static_node *n);

static void
static_response_cb(struct evhttp_request *req, void *arg)
{
    struct static_node *n = arg;
    char why[128];

    if (!req || evhttp_request_get_response_code(req) == 0) {
        static_poll_failed(n, "failed: no answer");
        return;
    }
    int code = evhttp_request_get_response_code(req);
    if (code != 200) {
        snprintf(why, sizeof why, "answered %d", code);
        static_poll_failed(n, why);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, -1);
    json_tokener *tok = json_tokener_new();
    json_object *o =
        tok && body ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
    if (tok)
        json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        static_poll_failed(n, "answered with something that is not a JSON "
                              "object");
        return;
    }
    n->answers[n->step] = o;
    if (++n->step == STATIC_STEPS) {
        static_poll_done(n);
        return;
    }
    static_request(n);
}

static void
static_request(struct static_node *n)
{
    struct evhttp_request *req = evhttp_request_new(static_response_cb, n);
    if (!req) {
        static_poll_failed(n, "failed: out of memory");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", n->hostport);
    evhttp_add_header(h, "Accept", "application/json");
    evhttp_add_header(h, "User-Agent", "herd-static-discovery");
    /* make_request owns req from here on, even when it fails. */
    if (evhttp_make_request(n->conn, req, EVHTTP_REQ_GET,
                            static_paths[n->step]) != 0)
        static_poll_failed(n, "failed: cannot send the request");
}

static void
static_poll_all(struct static_ctx *ctx)
{
    for (size_t i = 0; i < ctx->count; i++) {
        struct static_node *n = &ctx->nodes[i];
        if (n->busy)
            continue; /* the previous poll is still running */
        n->busy = 1;
        n->step = STATIC_VERSION;
        static_request(n);
    }
}

static void
static_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    static_poll_all(arg);
}

static int
static_start_router(struct static_ctx *ctx, char *err, size_t errlen)
{
    struct event_base *base = ctx->host->event_base(ctx->host->host_data);
    if (!HERD_HOST_HAS(ctx->host, node_report)) {
        snprintf(err, errlen, "this host takes no node reports");
        return -ENOTSUP;
    }
    if (ctx->count == 0) {
        snprintf(err, errlen, "no node = ID http://host:port is listed");
        return -EINVAL;
    }
    /* Our own resolver, so host names never block the loop. */
    ctx->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!ctx->dns)
        ctx->dns = evdns_base_new(base, 0);
    /* A request outliving its interval only delays that node's next poll. */
    int timeout = (int)ceil(ctx->interval);
    timeout = timeout < 2 ? 2 : timeout > 10 ? 10 : timeout;
    for (size_t i = 0; i < ctx->count; i++) {
        struct static_node *n = &ctx->nodes[i];
        n->conn = evhttp_connection_base_new(base, ctx->dns, n->host,
                                             (unsigned short)n->port);
        if (!n->conn) {
            snprintf(err, errlen, "node %s: cannot create a connection", n->id);
            return -ENOMEM;
        }
        evhttp_connection_set_timeout(n->conn, timeout);
        evhttp_connection_set_retries(n->conn, 0);
        evhttp_connection_set_max_body_size(n->conn, STATIC_MAX_BODY);
    }
    ctx->timer = event_new(base, -1, EV_PERSIST, static_timer_cb, ctx);
    struct timeval tv = {
        (time_t)ctx->interval,
        (suseconds_t)((ctx->interval - floor(ctx->interval)) * 1e6)};
    if (!ctx->timer || event_add(ctx->timer, &tv) != 0) {
        snprintf(err, errlen, "cannot start the poll timer");
        return -ENOMEM;
    }
    STATIC_LOG(ctx, HERD_LOG_INFO, "polling %zu node(s) every %g s", ctx->count,
               ctx->interval);
    static_poll_all(ctx); /* the first look does not wait an interval */
    return HERD_OK;
}

static int
static_start(void *arg, char *err, size_t errlen)
{
    struct static_ctx *ctx = arg;
    if (ctx->host->role == HERD_ROLE_ROUTER)
        return static_start_router(ctx, err, errlen);
    if (!ctx->router_url) {
        snprintf(err, errlen, "no router = http://host:port is set");
        return -EINVAL;
    }
    if (!HERD_HOST_HAS(ctx->host, router_found)) {
        snprintf(err, errlen, "this host takes no router URL");
        return -ENOTSUP;
    }
    return ctx->host->router_found(ctx->host->host_data, ctx->router_url);
}

static int
static_refresh(void *arg)
{
    struct static_ctx *ctx = arg;
    if (ctx->host->role == HERD_ROLE_ROUTER && ctx->timer)
        static_poll_all(ctx);
    return HERD_OK;
}

static const char *const static_keys[] = {"node", "interval", "router", NULL};

static const struct herd_discovery_plugin static_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_discovery_plugin),
            .kind = HERD_KIND_DISCOVERY,
            .name = "static",
            .version = "1.0",
            .description = "fixed node list (router) or router URL (agent)",
            .requires = HERD_HOST_F_EVENT_BASE,
            .config_keys = static_keys,
            .init = static_init,
            .config = static_config,
            .start = static_start,
            .destroy = static_destroy,
        },
    .refresh = static_refresh,
};

HERD_PLUGIN_DEFINE(static_plugin)
