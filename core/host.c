/* Host services for plugins, on the router's side. */
#include "autoconfig.h"

#include "host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "router.h"

static void host_log(void *host_data, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
host_log(void *host_data, int level, const char *fmt, ...)
{
    va_list ap;
    (void)host_data;
    va_start(ap, fmt);
    log_vplugin(level, fmt, ap);
    va_end(ap);
}

static struct event_base *
host_event_base(void *host_data)
{
    struct host *h = host_data;
    return h->base;
}

static int
host_node_report(void *host_data, const char *json, size_t len,
                 const char *peer_addr, char *err, size_t errlen)
{
    struct host *h = host_data;
    struct hb_snapshot snap;
    json_object *payload = NULL;

    if (!h->router) {
        snprintf(err, errlen, "no router is running");
        return -ENOTSUP;
    }
    if (!json) {
        snprintf(err, errlen, "no report");
        return -EINVAL;
    }
    int r = heartbeat_parse_text(json, len, ROUTER_HEARTBEAT_MAX_BYTES,
                                 &payload, &snap, err, errlen);
    if (r != 0)
        return r == -E2BIG ? -EINVAL : r;
    /* What discovery relays for an agentless node is the static kind;
     * anything else a plugin relays is labelled by its path in. */
    const char *source = snap.agentless ? "static" : "discovery";
    return api_heartbeat_ingest(h->router, &snap, payload,
                                peer_addr ? peer_addr : "", source, err,
                                errlen);
}

static int
host_node_remove(void *host_data, const char *node_id)
{
    struct host *h = host_data;
    if (!h->router)
        return -ENOTSUP;
    if (!node_id)
        return -EINVAL;
    return registry_remove(h->router->registry, node_id);
}

void
host_init(struct host *h, struct event_base *base, struct router *router)
{
    memset(h, 0, sizeof *h);
    h->base = base;
    h->router = router;
    h->table.abi_version = HERD_ABI_VERSION;
    h->table.size = sizeof h->table;
    h->table.features = HERD_HOST_F_EVENT_BASE | HERD_HOST_F_NODE_REPORT;
    h->table.role = HERD_ROLE_ROUTER;
    h->table.host_data = h;
    h->table.log = host_log;
    h->table.event_base = host_event_base;
    h->table.node_report = host_node_report;
    h->table.node_remove = host_node_remove;
}
