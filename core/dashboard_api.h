/* The dashboard's JSON endpoints for fleet health and model
 * administration (api_health.c, api_model_admin.c). Loop thread. */
#ifndef HERD_CORE_DASHBOARD_API_H
#define HERD_CORE_DASHBOARD_API_H

#include <event2/http.h>

struct router;

/* GET /dashboard/api/health */
void api_health_get(struct router *r, struct evhttp_request *req);
/* GET /dashboard/api/model-management */
void api_model_admin_list(struct router *r, struct evhttp_request *req);
/* POST /dashboard/api/pull and /dashboard/api/delete: {node_id, model} */
void api_model_admin_pull(struct router *r, struct evhttp_request *req);
void api_model_admin_delete(struct router *r, struct evhttp_request *req);

#endif
