/* A node's answer to an attempt: the upstream callbacks relay it to the
 * client (streamed, or whole at the end), converted for an OpenAI client,
 * paced by how fast the client reads, and end it; a failure before the
 * first byte goes back to a retry, one after it ends the stream with an
 * error. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "common/http_util.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/str_copy.h"
#include "openai_response.h"
#include "registry.h"
#include "relay.h"
#include "router.h"
#include "upstream.h"

#define PROXY_ERRBODY_MAX (64u << 10)
/* Unsent bytes to a client above which the node's answer is no longer
 * read until they are written: a slow reader costs bounded memory. */
#define PROXY_CLIENT_BUFFER_MAX (1u << 20)

static void
proxy_stream_on_head(void *arg, int status, const char *ctype)
{
    struct proxy_req *q = arg;
    q->status = status;
    q->t_active = router_now();
    str_copy(q->ctype, sizeof q->ctype, ctype ? ctype : "");
}

/* The stream format the client reads: SSE for OpenAI, whatever the node
 * sends. */
enum relay_kind
proxy_client_kind(const struct proxy_req *q)
{
    return q->openai && q->ri.stream ? RELAY_SSE : q->relay.kind;
}

/* One native line of a streamed answer to an OpenAI client: its events
 * go to the scratch chunk, sent by proxy_stream_on_body or proxy_stream_on_end.
 * Error bodies (kept whole, relayed at the end) are not converted here. */
void
proxy_on_native_object(void *arg, json_object *o)
{
    struct proxy_req *q = arg;
    /* after a failed conversion nothing more: the stream ends there */
    if (q->status >= 300 || !q->ri.stream || !q->req || q->convert_failed)
        return;
    if (openai_reply_stream(&q->oai, o, q->chunk) != 0)
        q->convert_failed = 1; /* out of memory: proxy_stream_on_body ends it */
}

static void
proxy_stream_send_headers(struct proxy_req *q)
{
    const char *ct = q->openai     ? "text/event-stream"
                     : q->ctype[0] ? q->ctype
                                   : "application/x-ndjson";
    proxy_fleet_headers(q, 1);
    http_req_add_header(q->req, "Content-Type", ct);
    if (q->openai)
        http_req_add_header(q->req, "Cache-Control", "no-cache");
    http_reply_start(q->req, 200, "OK");
    q->headers_sent = 1;
    /* from now on a failed write tells that the client left */
    q->http_status = 200;
}

/* The client took everything written so far: read from the node again.
 * Runs only while the request lives: a client that leaves frees its
 * connection (and this callback) with it. */
static void
proxy_stream_client_drained(struct http_conn *conn, void *arg)
{
    struct proxy_req *q = arg;
    (void)conn;
    if (!q->paused)
        return;
    q->paused = 0;
    upstream_resume(q->call);
}

/* A native line that a converted stream could not turn into events (too
 * long to inspect, not JSON, memory) would be a silent hole in the
 * client's answer: the stream ends with an error instead. Returns 1 when
 * it did (q is freed). */
static int
proxy_stream_lost_line(struct proxy_req *q, int relay_rc)
{
    char why[300];
    if (relay_rc == -E2BIG)
        snprintf(why, sizeof why,
                 "node %s sent a line longer than max_body_bytes", q->node);
    else if (q->relay.bad_lines > 0)
        snprintf(why, sizeof why, "node %s sent a line that is not JSON",
                 q->node);
    else if (relay_rc != 0 || q->convert_failed)
        snprintf(why, sizeof why,
                 "out of memory converting the answer of node %s", q->node);
    else
        return 0;
    proxy_fail_midstream(q, why);
    return 1;
}

static void proxy_stream_on_end(void *arg, int err);

static void
proxy_stream_on_body(void *arg, struct evbuffer *data)
{
    struct proxy_req *q = arg;
    q->t_active = router_now();
    if (q->t_first == 0)
        q->t_first = q->t_active;
    if (q->status >= 300 || !q->ri.stream) {
        /* kept whole: an error body, or an answer sent at the end */
        size_t n = evbuffer_get_length(data);
        size_t cap =
            q->status >= 300 ? PROXY_ERRBODY_MAX : q->p->set.max_body_bytes;
        if (evbuffer_get_length(q->out) + n > cap) {
            /* reading the rest would hold the slot, the node and the
             * client for an answer that cannot be used whole: end it
             * here (cancelled, the call calls back no more) */
            evbuffer_drain(data, n);
            q->too_big = 1;
            upstream_cancel(q->call);
            proxy_stream_on_end(q, 0);
            return;
        }
        relay_feed(&q->relay, data, q->out);
        return;
    }
    if (!q->req) {
        evbuffer_drain(data, evbuffer_get_length(data));
        return;
    }
    if (!q->headers_sent)
        proxy_stream_send_headers(q);
    /* an OpenAI client gets the events proxy_on_native_object makes */
    int rc = relay_feed(&q->relay, data, q->openai ? NULL : q->chunk);
    if (q->openai && proxy_stream_lost_line(q, rc))
        return;
    if (evbuffer_get_length(q->chunk) == 0)
        return; /* a line not complete yet */
    q->bytes_out += (int64_t)evbuffer_get_length(q->chunk);
    if (q->conn && !q->paused &&
        http_conn_output_length(q->conn) + evbuffer_get_length(q->chunk) >
            PROXY_CLIENT_BUFFER_MAX) {
        /* resumed by proxy_stream_client_drained once this chunk is written */
        q->paused = 1;
        q->pauses++;
        if (q->pauses == 1)
            log_debug(proxy_comp,
                      "%s: the client reads slower than %s sends; reading "
                      "from the node waits for it",
                      q->request_id, q->node);
        upstream_pause(q->call);
    }
    /* While paused every chunk keeps the drain callback: a plain send
     * would clear it (the node may still hand over bytes it had read). */
    if (q->paused) {
        http_reply_chunk_then(q->req, q->chunk, proxy_stream_client_drained, q);
    } else {
        http_reply_chunk(q->req, q->chunk);
    }
}

/* Status and body of an upstream error answer, relayed as they are. */
static void
proxy_stream_relay_error(struct proxy_req *q)
{
    proxy_fleet_headers(q, 1);
    if (q->too_big) { /* cut off, it would not be JSON: say so instead */
        char why[400];
        struct json_text t;
        snprintf(why, sizeof why,
                 "node %s answered HTTP %d with an error of more than %u "
                 "bytes",
                 q->node, q->status, PROXY_ERRBODY_MAX);
        json_text_init(&t, sizeof why + 16);
        json_text_put(&t, "{\"error\":", 9);
        json_text_str(&t, why);
        json_text_put(&t, "}", 1);
        size_t len;
        char *text = json_text_take(&t, &len);
        evbuffer_drain(q->out, evbuffer_get_length(q->out));
        if (text)
            evbuffer_add(q->out, text, len);
        free(text);
        q->ctype[0] = '\0';
    }
    if (q->openai) { /* the node's native error, in OpenAI's shape */
        size_t n = evbuffer_get_length(q->out);
        char *text = (char *)evbuffer_pullup(q->out, -1);
        evbuffer_drain(q->chunk, evbuffer_get_length(q->chunk));
        openai_reply_error(q->status, text ? text : "", text ? n : 0, q->chunk);
        evbuffer_drain(q->out, n);
        evbuffer_add_buffer(q->out, q->chunk);
        q->ctype[0] = '\0';
    }
    http_req_add_header(q->req, "Content-Type",
                        q->ctype[0] ? q->ctype : "application/json");
    q->http_status = q->status;
    q->bytes_out = (int64_t)evbuffer_get_length(q->out);
    proxy_track_flush(q);
    http_reply(q->req, q->status, http_reason(q->status), q->out);
    q->req = NULL;
}

/* Ends a started stream. q lets go of the request and the connection
 * first: the end may complete the request at once. */
void
proxy_end_stream(struct proxy_req *q)
{
    struct http_req *req = q->req;
    if (q->conn)
        http_conn_set_closecb(q->conn, NULL, NULL);
    q->conn = NULL;
    q->req = NULL;
    http_reply_end(req);
}

/* After the first byte: the stream ends with an error in its own format,
 * never silently. A plain chunk send also drops a pending drain callback
 * (backpressure), so nothing calls back into q once it is freed. */
void
proxy_fail_midstream(struct proxy_req *q, const char *why)
{
    relay_error_tail(proxy_client_kind(q), q->relay.mid_line, why, q->chunk);
    http_reply_chunk(q->req, q->chunk);
    proxy_track_flush(q);
    proxy_end_stream(q);
    proxy_trace(q, "incomplete", why);
    proxy_release_slot(q, ADMISSION_FAILED);
    proxy_free_req(q);
}

/* A non-streamed native answer, parsed whole by the relay, becomes the
 * OpenAI answer in q->out. Returns 0, or -EINVAL when it is not an answer
 * of its API. */
static int
proxy_stream_convert_body(struct proxy_req *q)
{
    if (!q->relay.body)
        return -EINVAL;
    evbuffer_drain(q->chunk, evbuffer_get_length(q->chunk));
    int rc = openai_reply_body(&q->oai, q->relay.body, q->chunk);
    if (rc == 0) {
        evbuffer_drain(q->out, evbuffer_get_length(q->out));
        evbuffer_add_buffer(q->out, q->chunk);
    }
    return rc;
}

/* A node that answers "model not found" for a model it listed has lost
 * it since its last report (an `ollama rm`, a full disk): when another
 * node lists the model, the request goes there instead, as for a node
 * that failed. Otherwise the node's 404 is the answer. */
static int
proxy_stream_stale_listing(const struct proxy_req *q)
{
    if (q->status != 404 || q->headers_sent || !q->relay.error ||
        !strstr(q->relay.error_msg, "not found") ||
        q->retries >= q->p->set.max_retries)
        return 0;
    const struct registry *reg = q->p->r->registry;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const struct registry_node *n = registry_at(reg, i);
        int skip = strcmp(n->id, q->node) == 0 || !registry_node_usable(n) ||
                   proxy_backed_off(q->p, n->id);
        for (size_t e = 0; e < q->excluded_count && !skip; e++)
            skip = strcmp(n->id, q->excluded[e]) == 0;
        if (!skip && registry_node_lists(n, q->model))
            return 1;
    }
    return 0;
}

static void
proxy_stream_on_end(void *arg, int err)
{
    struct proxy_req *q = arg;
    char why[600];
    why[0] = '\0'; /* the trace's reason, when one is written below */
    q->call = NULL;
    /* A native answer in one body that came back well goes out as the
     * node wrote it: reading it (for the trace) waits until the client
     * has it, and the client's wait is shorter by that. */
    int read_later = !err && !q->openai && !q->ri.stream && q->status < 300;
    if (!read_later)
        relay_end(&q->relay);
    if (!q->req) { /* the client left meanwhile */
        proxy_free_req(q);
        return;
    }
    int failed = err != 0 || q->status >= 500 || proxy_stream_stale_listing(q);
    /* the stream had ended (its final chunk, or the node's own error)
     * before the connection broke: nothing to add after that end */
    if (failed && q->headers_sent && (q->relay.done || q->relay.error))
        failed = 0;
    if (failed && !q->headers_sent) {
        if (err)
            snprintf(why, sizeof why, "%s", strerror(-err));
        else
            snprintf(why, sizeof why, "HTTP %d%s%s", q->status,
                     q->relay.error ? ": " : "",
                     q->relay.error ? q->relay.error_msg : "");
        /* the node itself is unwell, not this request: skip it a while */
        proxy_attempt_failed(q, why,
                             err == -ECONNREFUSED || err == -ETIMEDOUT ||
                                 err == -ECONNRESET);
        return;
    }
    if (failed) {
        snprintf(why, sizeof why, "node %s failed mid-answer: %s", q->node,
                 err ? strerror(-err) : "server error");
        proxy_fail_midstream(q, why);
        return;
    }
    if (q->status >= 300) {
        proxy_stream_relay_error(q);
        proxy_trace(q, "failed", "upstream client error");
        proxy_release_slot(q, ADMISSION_FAILED);
        proxy_free_req(q);
        return;
    }
    if (q->openai && q->ri.stream && q->headers_sent &&
        proxy_stream_lost_line(q, 0))
        return; /* its last line (relay_end) could not be converted */
    if (!q->ri.stream && q->too_big) {
        proxy_reply_error(q, 502,
                          "the answer of node %s is larger than "
                          "max_body_bytes",
                          q->node);
        proxy_trace(q, "failed", "answer too large");
        proxy_release_slot(q, ADMISSION_FAILED);
        proxy_free_req(q);
        return;
    }
    if (!q->ri.stream && q->openai && proxy_stream_convert_body(q) != 0) {
        proxy_reply_error(q, 502,
                          "node %s answered %s with something that is not "
                          "an answer of its API",
                          q->node, q->model);
        proxy_trace(q, "failed", "malformed answer");
        proxy_release_slot(q, ADMISSION_FAILED);
        proxy_free_req(q);
        return;
    }
    if (!q->ri.stream) {
        struct http_req *req = q->req;
        proxy_fleet_headers(q, 1);
        http_req_add_header(q->req, "Content-Type",
                            q->openai     ? "application/json"
                            : q->ctype[0] ? q->ctype
                                          : "application/json; charset=utf-8");
        q->http_status = 200;
        q->bytes_out = (int64_t)evbuffer_get_length(q->out);
        /* q lets go of the connection first (proxy_track_flush): the
         * write below may finish this request and start the next one */
        proxy_track_flush(q);
        q->req = NULL;
        http_reply(req, 200, "OK", q->out);
        if (read_later)
            relay_end(&q->relay);
    } else {
        if (!q->headers_sent)
            proxy_stream_send_headers(q);
        if (!q->relay.done && !q->relay.error) {
            snprintf(why, sizeof why,
                     "node %s ended the answer without its final chunk",
                     q->node);
            relay_error_tail(proxy_client_kind(q), q->relay.mid_line, why,
                             q->chunk);
        }
        if (evbuffer_get_length(q->chunk) > 0) {
            q->bytes_out += (int64_t)evbuffer_get_length(q->chunk);
            http_reply_chunk(q->req, q->chunk);
        }
        proxy_track_flush(q);
        proxy_end_stream(q);
    }
    /* The answer is on the socket before the bookkeeping: the client's
     * wait ends first, and a trace costs it nothing. */
    int ok = q->relay.done && !q->relay.error;
    proxy_trace(q, ok ? "completed" : "incomplete",
                q->relay.error ? q->relay.error_msg
                : why[0]       ? why
                               : NULL);
    proxy_release_slot(q, ok ? ADMISSION_COMPLETED : ADMISSION_FAILED);
    q->p->served++;
    proxy_free_req(q);
}

const struct upstream_cbs proxy_upstream_cbs = {
    proxy_stream_on_head, proxy_stream_on_body, proxy_stream_on_end};
