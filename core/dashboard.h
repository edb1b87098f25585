/* GET /dashboard: the browser dashboard, served from memory.
 *
 * dashboard_start reads the files once, from the first of: [router]
 * dashboard_dir (--dashboard-dir, HERD_DASHBOARD_DIR), which must then
 * hold index.html; $(pkgdatadir)/dashboard; the source tree's
 * core/dashboard (uninstalled runs). Loop thread. */
#ifndef HERD_CORE_DASHBOARD_H
#define HERD_CORE_DASHBOARD_H

#include "http_server.h"

struct router;

/* Loads r->dashboard. Returns 0 (also when no directory was found: the
 * router runs and /dashboard answers 503), or a negative errno when the
 * configured directory cannot be served (logged). */
int dashboard_start(struct router *r);

/* Frees r->dashboard; after the HTTP server is gone. */
void dashboard_stop(struct router *r);

/* /dashboard, /dashboard/ and /dashboard/NAME (any method: unknown
 * /dashboard/api/ paths get the router's 404, other methods 405). */
void api_dashboard_get(struct router *r, struct http_req *req);

#endif
