/* What the router itself answers a client: the X-Fleet-* headers of
 * every answer, error answers in the client's API shape, and the 503s of
 * the holding queue with their Retry-After. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "common/fixed2.h"
#include "http_reply.h"
#include "queue_view.h"

/* n in decimal, as "%u" would write it. Returns the text, in buf. */
static const char *
proxy_reply_utoa(char *buf, size_t cap, unsigned n)
{
    char *p = buf + cap;
    *--p = '\0';
    do
        *--p = (char)('0' + n % 10);
    while (n /= 10);
    return p;
}

/* with_node: a node answered (or is answering) this request; an answer
 * of the router itself names none. */
void
proxy_fleet_headers(struct proxy_req *q, int with_node)
{
    char v[FIXED2_MAX];
    http_req_add_header(q->req, "X-Request-Id", q->request_id);
    http_req_add_header(q->req, "X-Fleet-Retries",
                        proxy_reply_utoa(v, sizeof v, q->retries));
    if (!with_node || !q->node[0])
        return;
    http_req_add_header(q->req, "X-Fleet-Node", q->node);
    http_req_add_header(q->req, "X-Fleet-Score", fixed2(v, q->score));
    if (strcmp(q->model, q->ri.model) != 0)
        http_req_add_header(q->req, "X-Fleet-Fallback", q->model);
    if (q->upgraded_from[0]) {
        char up[2 * REQUEST_MODEL_MAX + 32];
        snprintf(up, sizeof up, "upgraded %s to %s", q->upgraded_from,
                 q->model);
        http_req_add_header(q->req, "X-Fleet-Context-Overflow", up);
    } else if (q->context_overflow)
        http_req_add_header(q->req, "X-Fleet-Context-Overflow", "true");
}

/* An error answer in the client's API shape, headers included; a 503
 * says when to come back (Retry-After, retry_after s). */
static void
proxy_reply_msg(struct proxy_req *q, int code, unsigned retry_after,
                const char *msg)
{
    proxy_fleet_headers(q, 0);
    if (code == 503) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", retry_after);
        http_req_add_header(q->req, "Retry-After", ra);
    }
    q->http_status = code;
    proxy_track_flush(q);
    if (q->openai)
        http_send_openai_error(q->req, code,
                               code == 400   ? "invalid_request_error"
                               : code == 404 ? "not_found_error"
                                             : "api_error",
                               "%s", msg);
    else
        http_send_error(q->req, code, "%s", msg);
    q->req = NULL;
}

/* An error answer; a 503 comes back after the drain (when draining) or
 * after a while nothing tells more precisely. */
void
proxy_reply_error(struct proxy_req *q, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    proxy_reply_msg(q, code,
                    q->p->draining ? proxy_drain_retry_after(q->p)
                                   : QUEUE_VIEW_RETRY_AFTER_UNKNOWN,
                    msg);
}

/* The holding queue turns q away with a 503 (full, its wait ran out, a
 * drain): counted for its model, traced as rejected (why), and told to
 * come back when the model's queue is expected to have room for it, or
 * after the drain. */
void
proxy_reject(struct proxy_req *q, const char *why, const char *fmt, ...)
{
    struct proxy *p = q->p;
    struct queue_view v;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    admission_count_rejected(p->adm, q->ri.model);
    proxy_trace(q, "rejected", why);
    proxy_view(p, &v);
    proxy_reply_msg(q, 503,
                    p->draining ? proxy_drain_retry_after(p)
                                : queue_view_retry_after(&v, q->ri.model),
                    msg);
}
