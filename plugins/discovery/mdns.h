/* discovery/mdns: state shared by the plugin's files (mdns.c: descriptor,
 * keys and the avahi client; mdns_publish.c: the router's service;
 * mdns_browse.c: the agent's search; mdns_poll.c: avahi on libevent). */
#ifndef HERD_PLUGINS_MDNS_H
#define HERD_PLUGINS_MDNS_H

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/watch.h>
#include <herd/plugin.h>

/* The reference's service type: its agents find us and ours find it. */
#define MDNS_SERVICE_TYPE "_fleet-manager._tcp"
#define MDNS_MAX_SEEN 64 /* services the agent keeps track of at once */
#define MDNS_URL_MAX 128

struct event;
struct event_base;

/* One service instance the browser reported on one interface and
 * protocol, with its resolver and, once resolved, its URL. */
struct mdns_seen {
    struct mdns_ctx *ctx;
    AvahiIfIndex interface;
    AvahiProtocol protocol;
    char *name;
    char *domain;
    AvahiServiceResolver *resolver;
    AvahiProtocol aprotocol; /* address family being resolved */
    unsigned long order;     /* when it was first resolved; 0 = not yet */
    char url[MDNS_URL_MAX];  /* "" until resolved */
};

struct mdns_ctx {
    const struct herd_host *host;
    AvahiPoll poll;
    AvahiClient *client;
    struct event *retry; /* re-creates a failed client */
    int absent_warned;   /* "avahi-daemon not running" was said */

    /* router side */
    char *name;         /* instance name; the alternative after a collision */
    int port;           /* 0 = not given */
    int token_required; /* -1 = not given */
    AvahiEntryGroup *group;
    int published; /* the current name was established */

    /* agent side */
    char *prefer; /* instance name to follow when several routers answer */
    AvahiServiceBrowser *browser;
    struct mdns_seen *seen[MDNS_MAX_SEEN];
    size_t seen_count;
    unsigned long resolved_count; /* order stamps */
    char current[MDNS_URL_MAX];   /* the URL handed to the host; "" none */
    char current_name[256];
    int full_warned;
};

#define MDNS_LOG(ctx, level, ...)                                              \
    do {                                                                       \
        if ((ctx)->host->log)                                                  \
            (ctx)->host->log((ctx)->host->host_data, level, __VA_ARGS__);      \
    } while (0)

/* mdns_poll.c: fills api so that avahi's watches and timeouts are
 * libevent events on base. */
void mdns_poll_init(AvahiPoll *api, struct event_base *base);

/* mdns_publish.c (router): registers the service, or re-registers it under
 * an alternative name after a collision. Called when the client runs. */
void mdns_publish_start(struct mdns_ctx *ctx);
/* The client left the running state: forget the entry group (it is freed
 * with the client, or reset for a host name change when keep is set). */
void mdns_publish_stop(struct mdns_ctx *ctx, int keep);

/* mdns_browse.c (agent): starts the browser; called when the client runs. */
void mdns_browse_start(struct mdns_ctx *ctx);
/* Forgets every service and the browser (the client is going away). The
 * host keeps the router it was given: losing the daemon says nothing
 * about the router. */
void mdns_browse_stop(struct mdns_ctx *ctx);

#endif
