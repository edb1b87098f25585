/* The host table each plugin instance receives: a copy of the daemon's
 * whose host_data points here, so that log() can say which instance
 * speaks (plugins may always log: without a daemon log() the line goes
 * to herd's own log). Every other call goes straight to the daemon's function.
 */
#include "autoconfig.h"

#include "common/log.h"
#include "plugin_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void host_log(void *host_data, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
host_log(void *host_data, int level, const char *fmt, ...)
{
    struct plugin_host *ph = host_data;
    char msg[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (HERD_HOST_HAS(ph->real, log))
        ph->real->log(ph->real->host_data, level, "%s: %s", ph->ident, msg);
    else
        log_msg(level, ph->ident, "%s", msg);
}

static struct event_base *
host_event_base(void *host_data)
{
    struct plugin_host *ph = host_data;
    return ph->real->event_base(ph->real->host_data);
}

static int
host_node_report(void *host_data, const char *json, size_t len,
                 const char *peer_addr, char *err, size_t errlen)
{
    struct plugin_host *ph = host_data;
    return ph->real->node_report(ph->real->host_data, json, len, peer_addr, err,
                                 errlen);
}

static int
host_node_remove(void *host_data, const char *node_id)
{
    struct plugin_host *ph = host_data;
    return ph->real->node_remove(ph->real->host_data, node_id);
}

static int
host_router_found(void *host_data, const char *url)
{
    struct plugin_host *ph = host_data;
    return ph->real->router_found(ph->real->host_data, url);
}

static int
host_router_lost(void *host_data, const char *url)
{
    struct plugin_host *ph = host_data;
    return ph->real->router_lost(ph->real->host_data, url);
}

void
plugin_host_init(struct plugin_host *ph, const struct herd_host *real,
                 const char *kind, const char *name, const char *instance)
{
    struct herd_host *t = &ph->table;

    memset(ph, 0, sizeof *ph);
    ph->real = real;
    if (instance)
        snprintf(ph->ident, sizeof ph->ident, "%s/%s.%s", kind, name, instance);
    else
        snprintf(ph->ident, sizeof ph->ident, "%s/%s", kind, name);

    /* Members the daemon's (possibly older) table lacks stay NULL, so
     * HERD_HOST_HAS() answers for the daemon, not for this copy. */
    t->abi_version = real->abi_version;
    t->size = sizeof *t;
    t->features = real->features;
    t->role = real->role;
    t->host_data = ph;
    t->log = host_log; /* falls back to herd's own log */
    if (HERD_HOST_HAS(real, event_base))
        t->event_base = host_event_base;
    if (HERD_HOST_HAS(real, node_report))
        t->node_report = host_node_report;
    if (HERD_HOST_HAS(real, node_remove))
        t->node_remove = host_node_remove;
    if (HERD_HOST_HAS(real, router_found))
        t->router_found = host_router_found;
    if (HERD_HOST_HAS(real, router_lost))
        t->router_lost = host_router_lost;
}
