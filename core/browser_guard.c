/* browser_guard_admit: a page must not make the router act (a form POST
 * needs no preflight, so refusing the answer's CORS headers alone would
 * not do), while the apps Ollama lets in still work. */
#include "autoconfig.h"

#include "browser_guard.h"

#include <string.h>
#include <strings.h>

#include "common/cors_origin.h"
#include "common/host_guard.h"
#include "common/log.h"
#include "http_reply.h"

/* Headers of herd's replies a page may read besides the safelisted ones:
 * which node served, the retries, why a model changed, when to retry. */
#define GUARD_EXPOSE_HEADERS                                                   \
    "X-Fleet-Node, X-Fleet-Retries, X-Fleet-Score, X-Fleet-Fallback, "         \
    "X-Fleet-Context-Overflow, X-Fleet-Unloaded, X-Request-Id, Retry-After"

enum guard_origin {
    GUARD_NO_ORIGIN, /* no Origin, or the router's own page: nothing to do */
    GUARD_ALLOWED,   /* an allowed origin */
    GUARD_ANY,       /* cors_origins = *: every origin */
    GUARD_REFUSED,
};

static const char *guard_comp = "browser";

/* A page served by the router itself (the dashboard) sends its own
 * origin, the one the Host header names; a rebinding page does too, so
 * the Host must be one such a page cannot have. */
static int
guard_same_origin(const char *origin, const char *host)
{
    size_t skip = strncasecmp(origin, "http://", 7) == 0    ? 7
                  : strncasecmp(origin, "https://", 8) == 0 ? 8
                                                            : 0;
    return host && *host && skip && strcasecmp(origin + skip, host) == 0 &&
           host_guard_trusted(host);
}

static enum guard_origin
guard_classify(const struct evkeyvalq *in, const char *origins,
               const char **origin)
{
    *origin = evhttp_find_header(in, "Origin");
    /* an empty Origin names no page: as none, as Ollama takes it */
    if (!*origin || !**origin ||
        guard_same_origin(*origin, evhttp_find_header(in, "Host")))
        return GUARD_NO_ORIGIN;
    if (cors_origin_list_any(origins))
        return GUARD_ANY;
    if (cors_origin_builtin(*origin) || cors_origin_listed(origins, *origin))
        return GUARD_ALLOWED;
    return GUARD_REFUSED;
}

/* What Access-Control-Allow-Origin says for an origin let in. */
static const char *
guard_allowed_origin(enum guard_origin kind, const char *origin)
{
    return kind == GUARD_ANY ? "*" : origin;
}

/* 403 "<what> <value> is not allowed", in the API's error shape. */
static void
guard_refuse(struct http_req *req, const char *path, const char *what,
             const char *value)
{
    if (strncmp(path, "/v1/", 4) == 0)
        http_send_openai_error(req, 403, "permission_error",
                               "%s %.200s is not allowed", what, value);
    else
        http_send_error(req, 403, "%s %.200s is not allowed", what, value);
}

int
browser_guard_admit(struct http_req *req, const char *origins, int check_host)
{
    const struct evkeyvalq *in = http_req_in_headers(req);
    const char *path = http_req_path(req);
    if (!path || !*path)
        path = "/";
    if (check_host) {
        const char *host = evhttp_find_header(in, "Host");
        if (!host_guard_trusted(host)) {
            log_info(guard_comp,
                     "refused %s from %s: Host %.200s is not this machine's "
                     "(the router listens on loopback only)",
                     path, http_req_peer(req), host);
            guard_refuse(req, path, "host", host);
            return 0;
        }
    }
    const char *origin;
    enum guard_origin kind = guard_classify(in, origins, &origin);
    if (kind == GUARD_NO_ORIGIN)
        return 1;
    if (kind == GUARD_REFUSED) {
        log_info(guard_comp,
                 "refused %s from %s: origin %.200s is not allowed (add it to "
                 "[security] cors_origins)",
                 path, http_req_peer(req), origin);
        guard_refuse(req, path, "origin", origin);
        return 0;
    }
    http_req_add_header(req, "Access-Control-Allow-Origin",
                        guard_allowed_origin(kind, origin));
    if (kind == GUARD_ALLOWED)
        http_req_add_header(req, "Vary", "Origin");
    if (http_req_method(req) != EVHTTP_REQ_OPTIONS) {
        http_req_add_header(req, "Access-Control-Expose-Headers",
                            GUARD_EXPOSE_HEADERS);
        return 1;
    }
    http_req_add_header(req, "Access-Control-Allow-Methods",
                        CORS_ALLOW_METHODS);
    http_req_add_header(req, "Access-Control-Allow-Headers",
                        CORS_ALLOW_HEADERS ", X-Herd-Tags");
    http_req_add_header(req, "Access-Control-Max-Age", CORS_MAX_AGE);
    http_reply(req, 204, "No Content", NULL);
    return 0;
}

void
browser_guard_refusal_headers(const struct evkeyvalq *in, struct evkeyvalq *out,
                              const char *origins)
{
    const char *origin;
    enum guard_origin kind = guard_classify(in, origins, &origin);
    if (kind != GUARD_ALLOWED && kind != GUARD_ANY)
        return;
    evhttp_add_header(out, "Access-Control-Allow-Origin",
                      guard_allowed_origin(kind, origin));
    if (kind == GUARD_ALLOWED)
        evhttp_add_header(out, "Vary", "Origin");
}
