/* What keeps a web page the user merely visits from using the router, as
 * Ollama does it (ollama-api.md §0), checked before routing,
 * authentication or any work:
 * - the Host check against DNS rebinding, on every request when the
 *   router listens on loopback only (host_guard.h);
 * - CORS: a request that carries an Origin must come from an allowed
 *   origin (Ollama's built-in list, or [security] cors_origins), or from
 *   the router's own pages, or it is refused with 403; an allowed one
 *   gets the Access-Control headers, and its preflight (OPTIONS) is
 *   answered here.
 * The router drops Origin towards the nodes, so this is the only place a
 * browser is checked. */
#ifndef HERD_CORE_BROWSER_GUARD_H
#define HERD_CORE_BROWSER_GUARD_H

#include <event2/keyvalq_struct.h>

#include "http_server.h"

/* Returns 1 when the request goes on to its handler (with the CORS
 * headers added to its reply when it is a browser's), 0 when it was
 * answered here (a preflight, or a refusal). origins: the configured
 * list (may be NULL); check_host: apply the Host check. */
int browser_guard_admit(struct http_req *req, const char *origins,
                        int check_host);

/* For a request the HTTP layer refuses before routing (413, a malformed
 * body): the CORS headers its reply needs for a page to read it, added to
 * out when in names an allowed origin. */
void browser_guard_refusal_headers(const struct evkeyvalq *in,
                                   struct evkeyvalq *out, const char *origins);

#endif
