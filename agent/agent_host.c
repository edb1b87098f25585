/* The host table herd-node hands to discovery plugins (role AGENT): they
 * tell it where the router is. */
#include "autoconfig.h"

#include "agent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void agent_host_log(void *host_data, int level, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static void
agent_host_log(void *host_data, int level, const char *fmt, ...)
{
    va_list ap;
    (void)host_data;
    va_start(ap, fmt);
    log_vplugin(level, fmt, ap);
    va_end(ap);
}

static struct event_base *
agent_host_event_base(void *host_data)
{
    struct agent *a = host_data;
    return a->base;
}

static int
agent_host_router_found(void *host_data, const char *url)
{
    struct agent *a = host_data;
    char err[512];
    if (!url)
        return -EINVAL;
    if (a->router.url_text && strcmp(a->router.url_text, url) == 0)
        return HERD_OK;
    int rc = agent_router_set(a, url, err, sizeof err);
    if (rc != 0) {
        log_warn("agent", "discovery gave an unusable router URL: %s", err);
        return rc;
    }
    log_info("agent", "router found at %s", url);
    agent_cycle_kick(a);
    return HERD_OK;
}

static int
agent_host_router_lost(void *host_data, const char *url)
{
    struct agent *a = host_data;
    char err[64];
    if (!url || !a->router.url_text || strcmp(a->router.url_text, url) != 0)
        return -ENOENT;
    log_info("agent", "router at %s went away; looking for it", url);
    return agent_router_set(a, NULL, err, sizeof err);
}

struct herd_host *
agent_host_new(struct agent *a)
{
    struct herd_host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->abi_version = HERD_ABI_VERSION;
    h->size = sizeof *h;
    h->features = HERD_HOST_F_EVENT_BASE | HERD_HOST_F_ROUTER_URL;
    h->role = HERD_ROLE_AGENT;
    h->host_data = a;
    h->log = agent_host_log;
    h->event_base = agent_host_event_base;
    h->router_found = agent_host_router_found;
    h->router_lost = agent_host_router_lost;
    return h;
}

void
agent_host_free(struct herd_host *h)
{
    free(h);
}
