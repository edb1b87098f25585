/* The admin check shared by /api/pull, /api/delete and the dashboard's
 * pull and delete. */
#include "autoconfig.h"

#include "admin_gate.h"

#include <string.h>

#include "common/auth.h"
#include "common/http_util.h"
#include "router.h"

static int
admin_gate_is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strncmp(addr, "::ffff:127.", 11) == 0;
}

int
admin_gate_path(const char *path)
{
    return strcmp(path, "/api/pull") == 0 || strcmp(path, "/api/delete") == 0;
}

int
admin_gate_has_token(struct router *r, struct http_req *req)
{
    char *token = r->cfg->admin_token;
    return token && *token &&
           auth_bearer_matches(http_req_in_headers(req), &token, 1);
}

int
admin_gate_allows(struct router *r, struct http_req *req)
{
    char *token = r->cfg->admin_token;
    if (token && *token) {
        if (admin_gate_has_token(r, req))
            return 1;
        http_send_error(req, 401, "this action needs the admin token");
        return 0;
    }
    if (admin_gate_is_loopback(http_req_peer(req)))
        return 1;
    http_send_error(req, 403,
                     "this action is allowed from loopback only "
                     "unless [security] admin_token is set");
    return 0;
}
