/* The client side towards the nodes: one POST (or other method) to a
 * node's Ollama, streamed back through callbacks, on keep-alive
 * connections kept per node and reused (herd's own HTTP/1.1 client).
 * Every call sends a Host header the node accepts (a loopback-bound
 * Ollama refuses others) and nothing of the client's own headers (so no
 * Origin). Loop thread only. */
#ifndef HERD_CORE_UPSTREAM_H
#define HERD_CORE_UPSTREAM_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <stddef.h>

struct upstream_pool;
struct upstream_call;

struct upstream_cbs {
    /* The status line and headers arrived. content_type may be NULL. */
    void (*on_head)(void *arg, int status, const char *content_type);
    /* Body bytes; the callee drains what it takes (all of it). */
    void (*on_body)(void *arg, struct evbuffer *data);
    /* The call ended: err 0 after a complete answer, else a negative
     * errno (-ECONNREFUSED, -ETIMEDOUT, -ECONNRESET for a connection lost
     * mid-answer, -EPROTO). Called exactly once, unless the call was
     * cancelled; the call is gone afterwards. */
    void (*on_end)(void *arg, int err);
};

/* idle_max: idle connections kept per node; timeout_s: longest silence
 * from the node between bytes; connect_s: longest wait for a connection
 * to be accepted (a node that is off or cut off drops the connect
 * silently, and the kernel would retry for minutes). A timeout of 0 or
 * less waits forever. */
struct upstream_pool *upstream_pool_new(struct event_base *base,
                                        size_t idle_max, double timeout_s,
                                        double connect_s);
/* The caller cancels its calls first (any left are freed without a
 * callback); idle connections close, lookups in flight are dropped. */
void upstream_pool_free(struct upstream_pool *pool);
/* New timeouts, for the calls and idle connections there are too: a
 * changed one applies to each wait under way afresh from now (a connect
 * gets the whole new connect_s). */
void upstream_pool_set_timeout(struct upstream_pool *pool, double timeout_s,
                               double connect_s);

/* Starts method (EVHTTP_REQ_*) base_url + path with body (copied; may be
 * NULL). Returns the call, or NULL with a reason in err (bad URL, out of
 * memory). */
struct upstream_call *upstream_start(struct upstream_pool *pool,
                                     const char *base_url, int method,
                                     const char *path, const char *body,
                                     size_t body_len,
                                     const struct upstream_cbs *cbs, void *arg,
                                     char *err, size_t errlen);

/* Stops reading the node's answer (the client is slower than the node;
 * TCP then slows the node down) and starts again. */
void upstream_pause(struct upstream_call *call);
void upstream_resume(struct upstream_call *call);

/* Stops a call at once (the node sees its connection close); no callback
 * follows. */
void upstream_cancel(struct upstream_call *call);

#endif
