/* cors_admit: Origin checked before routing, authentication or any work,
 * so a page the user merely visits cannot make the router act (a form
 * POST needs no preflight), while the apps Ollama lets in still work. */
#include "autoconfig.h"

#include "cors.h"

#include <string.h>
#include <strings.h>

#include "common/cors_origin.h"
#include "common/log.h"
#include "http_reply.h"

/* Headers of herd's replies a page may read besides the safelisted ones:
 * which node served, the retries, why a model changed, when to retry. */
#define CORS_EXPOSE_HEADERS                                                    \
    "X-Fleet-Node, X-Fleet-Retries, X-Fleet-Score, X-Fleet-Fallback, "         \
    "X-Fleet-Context-Overflow, X-Fleet-Unloaded, X-Request-Id, Retry-After"

static const char *cors_comp = "cors";

/* A page served by the router itself (the dashboard) sends its own
 * origin, which the Host header names. */
static int
cors_same_origin(const char *origin, const char *host)
{
    size_t skip = strncasecmp(origin, "http://", 7) == 0    ? 7
                  : strncasecmp(origin, "https://", 8) == 0 ? 8
                                                            : 0;
    return host && skip && strcasecmp(origin + skip, host) == 0;
}

int
cors_admit(struct http_req *req, const char *origins)
{
    struct evkeyvalq *in = http_req_in_headers(req);
    const char *origin = evhttp_find_header(in, "Origin");
    if (!origin || cors_same_origin(origin, evhttp_find_header(in, "Host")))
        return 1;
    const char *path = http_req_path(req);
    int any = cors_origin_list_any(origins);
    if (!any && !cors_origin_builtin(origin) &&
        !cors_origin_listed(origins, origin)) {
        log_info(cors_comp,
                 "refused %s from %s: origin %.200s is not allowed (add it to "
                 "[security] cors_origins)",
                 path ? path : "/", http_req_peer(req), origin);
        if (path && strncmp(path, "/v1/", 4) == 0)
            http_send_openai_error(req, 403, "permission_error",
                                   "origin %.200s is not allowed", origin);
        else
            http_send_error(req, 403, "origin %.200s is not allowed", origin);
        return 0;
    }
    struct evkeyvalq *out = http_req_out_headers(req);
    evhttp_add_header(out, "Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any)
        evhttp_add_header(out, "Vary", "Origin");
    if (http_req_method(req) != EVHTTP_REQ_OPTIONS) {
        evhttp_add_header(out, "Access-Control-Expose-Headers",
                          CORS_EXPOSE_HEADERS);
        return 1;
    }
    evhttp_add_header(out, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
    evhttp_add_header(out, "Access-Control-Allow-Headers",
                      CORS_ALLOW_HEADERS ", X-Herd-Tags");
    evhttp_add_header(out, "Access-Control-Max-Age", CORS_MAX_AGE);
    http_reply(req, 204, "No Content", NULL);
    return 0;
}
