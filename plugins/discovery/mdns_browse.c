/* mdns_browse: the agent's side. Browses _fleet-manager._tcp, resolves
 * each instance (IPv4 first, IPv6 when a router has no IPv4 address), and
 * hands the host one router URL: the preferred instance when it is there,
 * else the one resolved first. When that router leaves or moves, the host
 * hears router_lost and then router_found for the next one. */
#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/strlst.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mdns.h"

static void mdns_browse_resolved(AvahiServiceResolver *r, AvahiIfIndex iface,
                                 AvahiProtocol proto, AvahiResolverEvent ev,
                                 const char *name, const char *type,
                                 const char *domain, const char *host_name,
                                 const AvahiAddress *a, uint16_t port,
                                 AvahiStringList *txt,
                                 AvahiLookupResultFlags flags, void *arg);

/* Picks the router to follow and tells the host when that changes. */
static void
mdns_browse_announce(struct mdns_ctx *ctx)
{
    const struct mdns_seen *best = NULL;
    int best_preferred = 0;

    for (size_t i = 0; i < ctx->seen_count; i++) {
        const struct mdns_seen *s = ctx->seen[i];
        if (!s->url[0])
            continue;
        int preferred = ctx->prefer && strcasecmp(s->name, ctx->prefer) == 0;
        if (!best || preferred > best_preferred ||
            (preferred == best_preferred && s->order < best->order)) {
            best = s;
            best_preferred = preferred;
        }
    }
    if (best && strcmp(best->url, ctx->current) == 0) {
        snprintf(ctx->current_name, sizeof ctx->current_name, "%s", best->name);
        return;
    }
    if (ctx->current[0]) {
        MDNS_LOG(ctx, best ? HERD_LOG_INFO : HERD_LOG_WARNING,
                 "router '%s' at %s is gone%s", ctx->current_name, ctx->current,
                 best ? "" : "; still looking");
        ctx->host->router_lost(ctx->host->host_data, ctx->current);
        ctx->current[0] = '\0';
        ctx->current_name[0] = '\0';
    }
    if (!best)
        return;
    snprintf(ctx->current, sizeof ctx->current, "%s", best->url);
    snprintf(ctx->current_name, sizeof ctx->current_name, "%s", best->name);
    MDNS_LOG(ctx, HERD_LOG_INFO, "found router '%s' at %s%s", best->name,
             best->url,
             ctx->prefer && !best_preferred ? " (the preferred one is not seen)"
                                            : "");
    ctx->host->router_found(ctx->host->host_data, ctx->current);
}

static int
mdns_browse_resolve(struct mdns_seen *s, AvahiProtocol aprotocol)
{
    s->aprotocol = aprotocol;
    s->resolver = avahi_service_resolver_new(
        s->ctx->client, s->interface, s->protocol, s->name, MDNS_SERVICE_TYPE,
        s->domain, aprotocol, 0, mdns_browse_resolved, s);
    return s->resolver ? 0 : -1;
}

/* "http://ADDR:PORT"; IPv6 in brackets, link-local with its interface. */
static void
mdns_browse_url(const AvahiAddress *a, AvahiIfIndex iface, uint16_t port,
                char *out, size_t outlen)
{
    char addr[AVAHI_ADDRESS_STR_MAX];
    avahi_address_snprint(addr, sizeof addr, a);
    if (a->proto != AVAHI_PROTO_INET6) {
        snprintf(out, outlen, "http://%s:%u", addr, (unsigned)port);
        return;
    }
    char ifname[IF_NAMESIZE] = "";
    const uint8_t *b = a->data.ipv6.address;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80 && iface > 0 &&
        if_indextoname((unsigned)iface, ifname))
        snprintf(out, outlen, "http://[%s%%25%s]:%u", addr, ifname,
                 (unsigned)port);
    else
        snprintf(out, outlen, "http://[%s]:%u", addr, (unsigned)port);
}

static void
mdns_browse_resolved(AvahiServiceResolver *r, AvahiIfIndex iface,
                     AvahiProtocol proto, AvahiResolverEvent ev,
                     const char *name, const char *type, const char *domain,
                     const char *host_name, const AvahiAddress *a,
                     uint16_t port, AvahiStringList *txt,
                     AvahiLookupResultFlags flags, void *arg)
{
    struct mdns_seen *s = arg;
    struct mdns_ctx *ctx = s->ctx;
    (void)proto;
    (void)type;
    (void)domain;
    (void)flags;

    if (ev != AVAHI_RESOLVER_FOUND || !a) {
        const char *why = avahi_strerror(
            avahi_client_errno(avahi_service_resolver_get_client(r)));
        avahi_service_resolver_free(r);
        s->resolver = NULL;
        /* No IPv4 address (or it timed out): try IPv6 once. */
        if (s->aprotocol == AVAHI_PROTO_INET &&
            mdns_browse_resolve(s, AVAHI_PROTO_INET6) == 0)
            return;
        MDNS_LOG(ctx, HERD_LOG_WARNING, "cannot resolve router '%s': %s",
                 s->name, why);
        s->url[0] = '\0';
        mdns_browse_announce(ctx);
        return;
    }
    mdns_browse_url(a, iface, port, s->url, sizeof s->url);
    if (!s->order)
        s->order = ++ctx->resolved_count;
    AvahiStringList *v = avahi_string_list_find(txt, "version");
    AvahiStringList *tok = avahi_string_list_find(txt, "node_token");
    MDNS_LOG(ctx, HERD_LOG_DEBUG, "resolved '%s' on %s: %s (%.*s, %.*s)",
             s->name, host_name ? host_name : "?", s->url, v ? (int)v->size : 4,
             v ? (const char *)v->text : "none", tok ? (int)tok->size : 4,
             tok ? (const char *)tok->text : "none");
    /* The resolver stays: it reports again when the address changes. */
    mdns_browse_announce(ctx);
}

static struct mdns_seen **
mdns_browse_find(struct mdns_ctx *ctx, AvahiIfIndex iface, AvahiProtocol proto,
                 const char *name, const char *domain)
{
    for (size_t i = 0; i < ctx->seen_count; i++) {
        struct mdns_seen *s = ctx->seen[i];
        if (s->interface == iface && s->protocol == proto &&
            strcmp(s->name, name) == 0 && strcasecmp(s->domain, domain) == 0)
            return &ctx->seen[i];
    }
    return NULL;
}

static void
mdns_browse_seen_free(struct mdns_seen *s)
{
    if (s->resolver)
        avahi_service_resolver_free(s->resolver);
    free(s->name);
    free(s->domain);
    free(s);
}

static void
mdns_browse_new(struct mdns_ctx *ctx, AvahiIfIndex iface, AvahiProtocol proto,
                const char *name, const char *domain)
{
    if (mdns_browse_find(ctx, iface, proto, name, domain))
        return;
    if (ctx->seen_count == MDNS_MAX_SEEN) {
        if (!ctx->full_warned)
            MDNS_LOG(ctx, HERD_LOG_WARNING,
                     "more than %d router announcements; ignoring '%s'",
                     MDNS_MAX_SEEN, name);
        ctx->full_warned = 1;
        return;
    }
    struct mdns_seen *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) || !(s->domain = strdup(domain))) {
        if (s)
            mdns_browse_seen_free(s);
        MDNS_LOG(ctx, HERD_LOG_ERR, "out of memory");
        return;
    }
    s->ctx = ctx;
    s->interface = iface;
    s->protocol = proto;
    if (mdns_browse_resolve(s, AVAHI_PROTO_INET) != 0) {
        MDNS_LOG(ctx, HERD_LOG_WARNING, "cannot resolve router '%s': %s", name,
                 avahi_strerror(avahi_client_errno(ctx->client)));
        mdns_browse_seen_free(s);
        return;
    }
    ctx->seen[ctx->seen_count++] = s;
}

static void
mdns_browse_remove(struct mdns_ctx *ctx, AvahiIfIndex iface,
                   AvahiProtocol proto, const char *name, const char *domain)
{
    struct mdns_seen **slot = mdns_browse_find(ctx, iface, proto, name, domain);
    if (!slot)
        return;
    mdns_browse_seen_free(*slot);
    /* Keep the array dense; order lives in the entries' stamps. */
    *slot = ctx->seen[--ctx->seen_count];
    ctx->seen[ctx->seen_count] = NULL;
    if (ctx->seen_count < MDNS_MAX_SEEN)
        ctx->full_warned = 0;
    mdns_browse_announce(ctx);
}

static void
mdns_browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
               AvahiBrowserEvent ev, const char *name, const char *type,
               const char *domain, AvahiLookupResultFlags flags, void *arg)
{
    struct mdns_ctx *ctx = arg;
    (void)type;
    (void)flags;

    switch (ev) {
    case AVAHI_BROWSER_NEW:
        mdns_browse_new(ctx, iface, proto, name, domain);
        break;
    case AVAHI_BROWSER_REMOVE:
        mdns_browse_remove(ctx, iface, proto, name, domain);
        break;
    case AVAHI_BROWSER_FAILURE:
        MDNS_LOG(ctx, HERD_LOG_ERR, "browsing %s failed: %s", MDNS_SERVICE_TYPE,
                 avahi_strerror(
                     avahi_client_errno(avahi_service_browser_get_client(b))));
        break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
        if (!ctx->current[0])
            MDNS_LOG(ctx, HERD_LOG_INFO,
                     "no router announces %s yet; still looking",
                     MDNS_SERVICE_TYPE);
        break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
        break;
    }
}

void
mdns_browse_start(struct mdns_ctx *ctx)
{
    if (ctx->browser)
        return;
    ctx->browser = avahi_service_browser_new(
        ctx->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, MDNS_SERVICE_TYPE,
        NULL, 0, mdns_browse_cb, ctx);
    if (!ctx->browser)
        MDNS_LOG(ctx, HERD_LOG_ERR, "cannot browse %s: %s", MDNS_SERVICE_TYPE,
                 avahi_strerror(avahi_client_errno(ctx->client)));
}

void
mdns_browse_stop(struct mdns_ctx *ctx)
{
    for (size_t i = 0; i < ctx->seen_count; i++) {
        mdns_browse_seen_free(ctx->seen[i]);
        ctx->seen[i] = NULL;
    }
    ctx->seen_count = 0;
    ctx->full_warned = 0;
    if (ctx->browser)
        avahi_service_browser_free(ctx->browser);
    ctx->browser = NULL;
}
