/* The dashboard's JSON endpoints for fleet health and model
 * administration (api_health.c, api_model_admin.c). Loop thread. */
#ifndef HERD_CORE_DASHBOARD_API_H
#define HERD_CORE_DASHBOARD_API_H

#include "http_server.h"

struct router;

/* GET /dashboard/api/health */
void api_health_get(struct router *r, struct http_req *req);
/* GET /dashboard/api/model-management */
void api_model_admin_list(struct router *r, struct http_req *req);
/* POST /dashboard/api/pull and /dashboard/api/delete: {node_id, model} */
void api_model_admin_pull(struct router *r, struct http_req *req);
void api_model_admin_delete(struct router *r, struct http_req *req);

#endif
