/* A drain: no new work, and a callback once what runs has finished (the
 * requests, the answers still being written out, the model calls beside
 * them) or drain_timeout has passed; what is left then is cut. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <sys/time.h>

#include "admission.h"
#include "common/log.h"
#include "image_fetch.h"
#include "queue_view.h"
#include "relay.h"
#include "router.h"

static void
proxy_drain_flush_end(struct proxy *p)
{
    if (p->flushing > 0)
        p->flushing--;
    proxy_drain_check(p);
}

/* The last bytes reached the socket. */
static void
proxy_drain_flushed_cb(struct http_req *req, void *arg)
{
    struct http_conn *conn = http_req_conn(req);
    if (conn)
        http_conn_set_closecb(conn, NULL, NULL);
    proxy_drain_flush_end(arg);
}

/* The connection went first: the request's on_complete will not run. */
static void
proxy_drain_flush_closed_cb(struct http_conn *conn, void *arg)
{
    (void)conn;
    proxy_drain_flush_end(arg);
}

/* Called right before an answer ends, so that a drain waits until it is
 * written out instead of cutting it off with the process. q lets go of
 * the connection first: the watch takes its close callback. */
void
proxy_track_flush(struct proxy_req *q)
{
    if (q->conn)
        http_conn_set_closecb(q->conn, NULL, NULL);
    q->conn = NULL;
    proxy_flush_watch(q->p, q->req);
}

/* The answer is done when the server completes it, or when its connection
 * closes first: a client that resets while the last bytes are written
 * leaves the request uncompleted, and a count that waited for completion
 * alone stayed up for good (every later drain then waited out
 * drain_timeout). Either callback knows the proxy alone: one request's
 * own memory would be a malloc and a free per answer. */
void
proxy_flush_watch(struct proxy *p, struct http_req *req)
{
    struct http_conn *conn = http_req_conn(req);
    if (!conn) /* nothing to write out */
        return;
    http_req_set_on_complete(req, proxy_drain_flushed_cb, p);
    http_conn_set_closecb(conn, proxy_drain_flush_closed_cb, p);
    p->flushing++;
}

int
proxy_side_begin(struct proxy *p)
{
    if (p->draining)
        return -ESHUTDOWN;
    p->side++;
    return 0;
}

void
proxy_side_end(struct proxy *p)
{
    if (p->side > 0)
        p->side--;
    proxy_drain_check(p);
}

void
proxy_drain_check(struct proxy *p)
{
    if (p->draining && p->live == 0 && p->flushing == 0 && p->side == 0 &&
        p->drain_done) {
        void (*done)(void *) = p->drain_done;
        p->drain_done = NULL;
        done(p->drain_arg);
    }
}

void
proxy_drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct proxy *p = arg;
    (void)fd;
    (void)what;
    if (!p->drain_done)
        return;
    log_warn(proxy_comp,
             "drain timeout: %u request(s) and %u model call(s) still "
             "running are cut",
             p->live, p->side);
    void (*done)(void *) = p->drain_done;
    p->drain_done = NULL;
    done(p->drain_arg);
}

/* The drain timer fires in s seconds (0: on the loop's next turn). */
static void
proxy_drain_arm(struct proxy *p, double s)
{
    struct timeval tv;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    event_add(p->drain_timer, &tv);
}

/* A SIGHUP during a drain: the deadline is the drain's start plus the new
 * drain_timeout, for the timer and for Retry-After alike. */
void
proxy_drain_retime(struct proxy *p)
{
    if (!p->drain_done)
        return; /* no drain waiting */
    double deadline = p->drain_started + p->set.drain_timeout;
    if (deadline == p->drain_deadline)
        return;
    p->drain_deadline = deadline;
    double left = deadline - router_now();
    if (left > 0)
        log_info(proxy_comp,
                 "drain_timeout is %g s now: the running drain ends in "
                 "%.1f s at the latest",
                 p->set.drain_timeout, left);
    else
        log_info(proxy_comp,
                 "drain_timeout is %g s now, already past for the running "
                 "drain: it ends now",
                 p->set.drain_timeout);
    proxy_drain_arm(p, left > 0 ? left : 0);
}

void
proxy_drain(struct proxy *p, void (*done)(void *arg), void *arg)
{
    p->draining = 1;
    p->drain_done = done;
    p->drain_arg = arg;
    p->drain_started = router_now();
    p->drain_deadline = p->drain_started + p->set.drain_timeout;
    /* waiting requests get 503 now, and those still downloading their
     * images (they would get it once the images are in); running ones
     * may finish */
    admission_expire(p->adm, INFINITY);
    for (struct proxy_req *q = p->head, *next; q; q = next) {
        next = q->next;
        if (!q->images)
            continue;
        image_job_cancel(q->images);
        q->images = NULL;
        proxy_trace(q, "rejected", "draining");
        proxy_reply_error(q, 503, "the router is shutting down");
        proxy_free_req(q);
    }
    log_info(proxy_comp,
             "draining: %u request(s) and %u model call(s) in flight, %g s "
             "to finish",
             p->live, p->side, p->set.drain_timeout);
    proxy_drain_check(p);
    if (!p->drain_done)
        return; /* nothing was running */
    proxy_drain_arm(p, p->set.drain_timeout);
}

/* Until the drain ends at the latest: by then this router has stopped,
 * and one started in its place takes requests. */
unsigned
proxy_drain_retry_after(const struct proxy *p)
{
    return queue_view_clamp_retry_after(p->drain_deadline - router_now());
}

/* The router stops with q unfinished (the drain ran out of time, or a
 * second signal): its client gets what a node failing would give it, and
 * q its trace. The loop has stopped, so what the socket takes now is all
 * the client gets; its connection goes with http_server_free. */
static void
proxy_drain_cut_req(struct proxy_req *q)
{
    static const char why[] = "the router stopped before the answer was "
                              "complete";
    if (q->req && q->headers_sent) {
        relay_error_tail(proxy_client_kind(q), q->relay.mid_line, why,
                         q->chunk);
        http_reply_chunk(q->req, q->chunk);
        proxy_end_stream(q);
        proxy_trace(q, "incomplete", why);
    } else {
        if (q->req)
            proxy_reply_error(q, 503, "the router is shutting down");
        /* sent to a node already, or still waiting for one */
        proxy_trace(q, q->t_dispatch > 0 ? "failed" : "rejected",
                    "the router is shutting down");
    }
    proxy_free_req(q);
}

void
proxy_cut(struct proxy *p)
{
    if (!p)
        return;
    p->drain_done = NULL;
    while (p->head)
        proxy_drain_cut_req(p->head);
}
