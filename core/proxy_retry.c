/* An attempt that failed before the client saw a byte goes to another
 * node, up to max_retries; a node that refused, reset or did not take a
 * connection is skipped for node_backoff s. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "common/log.h"
#include "relay.h"
#include "router.h"

static void
proxy_retry_backoff_add(struct proxy *p, const char *node)
{
    double now = router_now();
    size_t slot = 0;
    for (size_t i = 0; i < PROXY_MAX_BACKOFF; i++) {
        if (strcmp(p->backoff[i].node, node) == 0) {
            slot = i;
            break;
        }
        if (p->backoff[i].until < p->backoff[slot].until)
            slot = i;
    }
    int already = strcmp(p->backoff[slot].node, node) == 0 &&
                  p->backoff[slot].until > now;
    if (p->set.backoff > 0 && !already)
        log_info(proxy_comp,
                 "node %s is skipped for %g s (node_backoff): it refused, "
                 "reset or did not take a connection",
                 node, p->set.backoff);
    snprintf(p->backoff[slot].node, sizeof p->backoff[slot].node, "%s", node);
    p->backoff[slot].until = now + p->set.backoff;
}

int
proxy_backed_off(void *arg, const char *node)
{
    const struct proxy *p = arg;
    double now = router_now();
    for (size_t i = 0; i < PROXY_MAX_BACKOFF; i++)
        if (p->backoff[i].until > now && strcmp(p->backoff[i].node, node) == 0)
            return 1;
    return 0;
}

/* Whether a node's back-off ended in (since, now]: no heartbeat or slot
 * says so, and waiting requests may go there again. */
int
proxy_backoff_ended(const struct proxy *p, double since, double now)
{
    for (size_t i = 0; i < PROXY_MAX_BACKOFF; i++)
        if (p->backoff[i].until > since && p->backoff[i].until <= now)
            return 1;
    return 0;
}

/* The attempt failed before the client saw anything: next node. */
void
proxy_attempt_failed(struct proxy_req *q, const char *why, int backoff)
{
    log_warn(proxy_comp, "%s: %s on %s failed before the first byte: %s",
             q->request_id, q->model, q->node, why);
    proxy_trace(q, "retried", why);
    proxy_release_slot(q, ADMISSION_FAILED);
    if (backoff)
        proxy_retry_backoff_add(q->p, q->node);
    if (q->excluded_count < PROXY_MAX_EXCLUDED)
        snprintf(q->excluded[q->excluded_count++], HEARTBEAT_MAX_STRING, "%s",
                 q->node);
    snprintf(q->last_error, sizeof q->last_error, "%s on %s", why, q->node);
    q->last_status = q->status >= 500 && q->status <= 599 ? q->status : 0;
    q->retries++;
    q->status = 0;
    q->too_big = 0;
    q->ctype[0] = '\0';
    evbuffer_drain(q->out, evbuffer_get_length(q->out));
    evbuffer_drain(q->chunk, evbuffer_get_length(q->chunk));
    relay_clear(&q->relay);
    if (q->retries > q->p->set.max_retries) {
        proxy_trace(q, "failed", why);
        proxy_reply_error(q, q->last_status ? q->last_status : 502,
                          "%s failed on %u node(s); last error: %s", q->model,
                          q->retries, why);
        proxy_free_req(q);
        return;
    }
    if (proxy_route(q) < 0)
        proxy_free_req(q);
}
