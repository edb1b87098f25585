/* mdns_publish: the router's side. One entry group holds one
 * _fleet-manager._tcp service on the router's port with TXT records that
 * tell an agent what it needs before its first heartbeat. */
#include "autoconfig.h"

#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mdns.h"

/* Bounds the renames when every alternative is taken too. */
#define MDNS_PUBLISH_MAX_RENAMES 50

/* Takes the next alternative name ("herd on x #2", "#3", ...). */
static int
mdns_publish_rename(struct mdns_ctx *ctx)
{
    char *alt = avahi_alternative_service_name(ctx->name);
    char *copy = alt ? strdup(alt) : NULL;
    avahi_free(alt);
    if (!copy)
        return -ENOMEM;
    MDNS_LOG(ctx, HERD_LOG_WARNING,
             "the name '%s' is taken on the network; publishing as '%s'",
             ctx->name, copy);
    free(ctx->name);
    ctx->name = copy;
    return 0;
}

static int
mdns_publish_add(struct mdns_ctx *ctx, AvahiEntryGroup *g)
{
    AvahiStringList *txt = avahi_string_list_new(
        "version=" PACKAGE_VERSION, "api=/api", "heartbeat=/heartbeat",
        ctx->token_required > 0 ? "node_token=required" : "node_token=none",
        NULL);
    int rc = AVAHI_ERR_NO_MEMORY;

    for (int i = 0; txt && i < MDNS_PUBLISH_MAX_RENAMES; i++) {
        rc = avahi_entry_group_add_service_strlst(
            g, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, ctx->name,
            MDNS_SERVICE_TYPE, NULL, NULL, (uint16_t)ctx->port, txt);
        /* A local collision (another service of this daemon) shows here;
         * one elsewhere on the network comes as a group state. */
        if (rc != AVAHI_ERR_COLLISION || mdns_publish_rename(ctx) != 0)
            break;
    }
    avahi_string_list_free(txt);
    if (rc >= 0)
        rc = avahi_entry_group_commit(g);
    if (rc < 0) {
        MDNS_LOG(ctx, HERD_LOG_ERR, "cannot publish '%s' (%s): %s", ctx->name,
                 MDNS_SERVICE_TYPE, avahi_strerror(rc));
        return rc;
    }
    return 0;
}

static void
mdns_publish_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
    struct mdns_ctx *ctx = arg;

    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        ctx->published = 1;
        MDNS_LOG(ctx, HERD_LOG_INFO, "published '%s' (%s) on port %d",
                 ctx->name, MDNS_SERVICE_TYPE, ctx->port);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION:
        /* Another host announced the same name first. */
        ctx->published = 0;
        if (mdns_publish_rename(ctx) == 0) {
            avahi_entry_group_reset(g);
            mdns_publish_add(ctx, g);
        }
        break;
    case AVAHI_ENTRY_GROUP_FAILURE:
        ctx->published = 0;
        MDNS_LOG(ctx, HERD_LOG_ERR, "publishing '%s' failed: %s", ctx->name,
                 avahi_strerror(
                     avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

void
mdns_publish_start(struct mdns_ctx *ctx)
{
    if (!ctx->group) {
        ctx->group =
            avahi_entry_group_new(ctx->client, mdns_publish_group_cb, ctx);
        if (!ctx->group) {
            MDNS_LOG(ctx, HERD_LOG_ERR, "cannot create an entry group: %s",
                     avahi_strerror(avahi_client_errno(ctx->client)));
            return;
        }
    }
    /* After a host name change the group was reset: fill it again. */
    if (avahi_entry_group_is_empty(ctx->group))
        mdns_publish_add(ctx, ctx->group);
}

void
mdns_publish_stop(struct mdns_ctx *ctx, int keep)
{
    ctx->published = 0;
    if (!ctx->group)
        return;
    if (keep) {
        avahi_entry_group_reset(ctx->group);
        return;
    }
    avahi_entry_group_free(ctx->group);
    ctx->group = NULL;
}
