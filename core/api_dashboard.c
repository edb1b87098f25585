/* GET/HEAD /dashboard[/NAME]: the dashboard's files from memory
 * (dashboard.h). Answers carry an ETag and Cache-Control: no-cache, so a
 * browser revalidates and gets 304 until the router serves new files. */
#include "autoconfig.h"

#include "dashboard.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/http_util.h"
#include "common/log.h"
#include "dashboard_assets.h"
#include "router.h"

#ifndef HERD_DASHBOARD_SRCDIR
#define HERD_DASHBOARD_SRCDIR NULL
#endif

/* Views of the single-page app: these paths get index.html and the
 * script picks the view from location.pathname. */
static const char *const dashboard_views[] = {
    "fleet", "traces", "trends", "models", "tags", "apps", "route",
};

/* Everything the page needs comes from the router itself. */
static const char dashboard_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static const char *dashboard_comp = "dashboard";

static int
dashboard_has_index(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/index.html", dir) >= (int)sizeof path)
        return 0;
    return access(path, R_OK) == 0;
}

int
dashboard_start(struct router *r)
{
    char err[512];
    const char *configured = r->cfg->dashboard_dir;
    const char *candidates[2] = {HERD_PKGDATADIR "/dashboard",
                                 HERD_DASHBOARD_SRCDIR};
    const char *dir = NULL;

    if (configured && *configured) {
        dir = configured;
    } else {
        for (size_t i = 0; i < 2 && !dir; i++)
            if (candidates[i] && dashboard_has_index(candidates[i]))
                dir = candidates[i];
        if (!dir) {
            log_warn(dashboard_comp,
                     "no dashboard files in %s; /dashboard answers 503 "
                     "(set [router] dashboard_dir)",
                     candidates[0]);
            return 0;
        }
    }
    /* The source tree's path comes as "build/../core/dashboard". */
    char *real = realpath(dir, NULL);
    int rc = dashboard_assets_load(real ? real : dir, &r->dashboard, err,
                                   sizeof err);
    free(real);
    if (rc != 0) {
        log_err(dashboard_comp, "cannot serve the dashboard: %s", err);
        return rc;
    }
    log_info(dashboard_comp, "serving %zu files from %s", r->dashboard->count,
             r->dashboard->dir);
    return 0;
}

void
dashboard_stop(struct router *r)
{
    dashboard_assets_free(r->dashboard);
    r->dashboard = NULL;
}

/* Whether an If-None-Match list names etag (weak comparison, RFC 9110). */
static int
dashboard_etag_matches(const char *list, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = list;

    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t n = (size_t)(end - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p = end;
    }
    return 0;
}

static void
dashboard_send(struct http_req *req, const struct dashboard_asset *a)
{
    const char *inm = evhttp_find_header(http_req_in_headers(req),
                                         "If-None-Match");
    char len[32];

    http_req_add_header(req, "ETag", a->etag);
    http_req_add_header(req, "Cache-Control", "no-cache");
    http_req_add_header(req, "X-Content-Type-Options", "nosniff");
    if (inm && dashboard_etag_matches(inm, a->etag)) {
        http_reply(req, 304, http_reason(304), NULL);
        return;
    }
    http_req_add_header(req, "Content-Type", a->type);
    if (strcmp(a->type, "text/html; charset=utf-8") == 0) {
        http_req_add_header(req, "Content-Security-Policy", dashboard_csp);
        http_req_add_header(req, "Referrer-Policy", "no-referrer");
    }
    if (http_req_method(req) == EVHTTP_REQ_HEAD) {
        /* libevent 2.1 would send a body after HEAD: headers only. */
        snprintf(len, sizeof len, "%zu", a->len);
        http_req_add_header(req, "Content-Length", len);
        http_reply(req, 200, http_reason(200), NULL);
        return;
    }
    struct evbuffer *buf = evbuffer_new();
    if (!buf || evbuffer_add(buf, a->data, a->len) != 0) {
        if (buf)
            evbuffer_free(buf);
        http_send_error(req, 503, "out of memory");
        return;
    }
    http_reply(req, 200, http_reason(200), buf);
    evbuffer_free(buf);
}

/* The asset a path below /dashboard names ("" and "/" are the page). */
static const struct dashboard_asset *
dashboard_lookup(const struct dashboard_assets *set, const char *rest)
{
    if (!*rest || strcmp(rest, "/") == 0)
        return dashboard_assets_find(set, "index.html");
    if (*rest != '/')
        return NULL;
    /* Decode %XX so that %2e%2e is seen as "..", then refuse anything
     * that is not a plain name (a NUL inside shows as a shorter string). */
    size_t n = 0;
    char *name = evhttp_uridecode(rest + 1, 0, &n);
    const struct dashboard_asset *a = NULL;
    if (!name)
        return NULL;
    if (n == strlen(name) && *name && *name != '.' && !strchr(name, '/') &&
        !strchr(name, '\\')) {
        a = dashboard_assets_find(set, name);
        for (size_t i = 0;
             !a && i < sizeof dashboard_views / sizeof dashboard_views[0]; i++)
            if (strcmp(name, dashboard_views[i]) == 0)
                a = dashboard_assets_find(set, "index.html");
    }
    free(name);
    return a;
}

void
api_dashboard_get(struct router *r, struct http_req *req)
{
    const struct evhttp_uri *uri = http_req_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int method = (int)http_req_method(req);

    if (!path || strncmp(path, "/dashboard", 10) != 0) {
        http_send_error(req, 404, "no such endpoint: %s", path ? path : "");
        return;
    }
    const char *rest = path + 10;
    /* JSON endpoints not in the route table are not files. */
    if (strncmp(rest, "/api/", 5) == 0 || strcmp(rest, "/api") == 0) {
        http_send_error(req, 404, "no such endpoint: %s", path);
        return;
    }
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        http_req_add_header(req, "Allow", "GET, HEAD");
        http_send_error(req, 405, "method not allowed for %s", path);
        return;
    }
    if (!r->dashboard) {
        http_send_error(req, 503,
                           "the dashboard files are not installed; set "
                           "[router] dashboard_dir to their directory");
        return;
    }
    const struct dashboard_asset *a = dashboard_lookup(r->dashboard, rest);
    if (!a) {
        http_send_error(req, 404, "no such dashboard file: %s", path);
        return;
    }
    dashboard_send(req, a);
}
