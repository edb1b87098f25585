/* The host table (struct herd_host) the router hands to its plugins:
 * logging, the event loop, and node reports from discovery plugins. The
 * plugin loader gives each instance a copy that prefixes its log lines
 * with "kind/name: " and forwards here. */
#ifndef HERD_CORE_HOST_H
#define HERD_CORE_HOST_H

#include <herd/plugin.h>

struct event_base;
struct router;

struct host {
    struct herd_host table;
    struct event_base *base;
    struct router *router; /* NULL when only listing plugins */
};

/* Fills h for the router role. router may be NULL (--list-plugins): node
 * reports are then refused with -ENOTSUP. base must not be NULL. */
void host_init(struct host *h, struct event_base *base, struct router *router);

#endif
