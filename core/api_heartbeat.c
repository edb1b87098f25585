/* POST /heartbeat: node agents report their state here. The reference
 * agent's payload is accepted as is; a bad one gets a 400 naming the field
 * and changes nothing. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/auth.h"
#include "common/http_util.h"
#include "common/log.h"
#include "proxy.h"
#include "router.h"

int
api_heartbeat_ingest(struct router *r, struct hb_snapshot *snap,
                     json_object *payload, const char *peer_addr,
                     const char *source, char *err, size_t errlen)
{
    char url[512] = "";
    if (!snap->draining &&
        heartbeat_node_url(snap, peer_addr, url, sizeof url) != 0) {
        snprintf(err, errlen, "ollama_host: no usable Ollama URL");
        heartbeat_free(snap);
        json_object_put(payload);
        return -EINVAL;
    }
    int rc = registry_report(r->registry, snap, payload, url, source,
                             router_now(), err, errlen);
    if (rc == 0) /* a model may have appeared, or room for one */
        proxy_kick(r->proxy);
    return rc;
}

static int
api_heartbeat_authorized(struct router *r, struct http_req *req)
{
    char *token = r->cfg->node_token;
    if (!token || !*token)
        return 1;
    return auth_bearer_matches(http_req_in_headers(req), &token, 1);
}

void
api_heartbeat_post(struct router *r, struct http_req *req)
{
    char err[512];
    const char *peer = http_req_peer(req);

    if (!api_heartbeat_authorized(r, req)) {
        http_req_add_header(req, "WWW-Authenticate", "Bearer");
        log_warn("heartbeat",
                 "refused heartbeat from %s: bad or missing "
                 "node token",
                 peer);
        http_send_error(req, 401, "missing or invalid node token");
        return;
    }
    size_t len = evbuffer_get_length(http_req_body(req));
    if (len > ROUTER_HEARTBEAT_MAX_BYTES) {
        http_send_error(req, 413, "heartbeat of %zu bytes exceeds %u", len,
                         ROUTER_HEARTBEAT_MAX_BYTES);
        return;
    }
    json_object *payload =
        http_req_json(req, ROUTER_HEARTBEAT_MAX_BYTES, err, sizeof err);
    if (!payload) {
        http_send_error(req, 400, "%s", err);
        return;
    }
    struct hb_snapshot snap;
    if (heartbeat_parse(payload, &snap, err, sizeof err) != 0) {
        log_debug("heartbeat", "invalid heartbeat from %s: %s", peer, err);
        json_object_put(payload);
        http_send_error(req, 400, "invalid heartbeat: %s", err);
        return;
    }
    int draining = snap.draining;
    char *node_id = strdup(snap.node_id);
    int rc = node_id ? api_heartbeat_ingest(r, &snap, payload, peer,
                                            "heartbeat", err, sizeof err)
                     : -ENOMEM;
    if (!node_id) {
        heartbeat_free(&snap);
        json_object_put(payload);
    }
    if (rc == -EINVAL) {
        http_send_error(req, 400, "invalid heartbeat: %s", err);
    } else if (rc != 0) {
        http_send_error(req, 503, "%s", rc == -ENOSPC ? err : "out of memory");
    } else {
        json_object *o = json_object_new_object();
        if (draining) {
            json_object_object_add(o, "status",
                                   json_object_new_string("draining"));
            json_object_object_add(o, "node_id",
                                   json_object_new_string(node_id));
        } else {
            json_object_object_add(o, "status", json_object_new_string("ok"));
            json_object_object_add(o, "node_status",
                                   json_object_new_string("online"));
        }
        http_send_json(req, 200, o);
        json_object_put(o);
    }
    free(node_id);
}
