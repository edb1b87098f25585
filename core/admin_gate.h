/* Who may run admin actions (model pull and delete, through /api/ and
 * /dashboard/api/): with [security] admin_token set, a request carrying it
 * as a bearer token; without one, loopback peers only. Loop thread. */
#ifndef HERD_CORE_ADMIN_GATE_H
#define HERD_CORE_ADMIN_GATE_H

#include "http_server.h"

struct router;

/* Returns 1 when req may go on; otherwise answers it (401 without the
 * token, 403 from a non-loopback peer) and returns 0. */
int admin_gate_allows(struct router *r, struct http_req *req);

/* Whether path is an admin action of the Ollama API (/api/pull,
 * /api/delete), and whether req carries the admin token (set): such a
 * request also passes the client API-key check, since both read the one
 * Authorization header and the admin token is the greater right. */
int admin_gate_path(const char *path);
int admin_gate_has_token(struct router *r, struct http_req *req);

#endif
