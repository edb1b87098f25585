/* Sending heartbeats: one POST at a time to the router's /heartbeat, with
 * the node token, counted failures and a backoff that never gives up. */
#include "autoconfig.h"

#include "agent.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"

static const char *hb_comp = "heartbeat";

double
agent_next_delay(double interval, uint64_t failures, double rnd)
{
    double delay = interval;
    if (failures > 0) {
        /* 2, 4, 8 ... intervals, up to 30 s, but never below one
         * interval (a long interval is not shortened). */
        double limit = fmax(interval, AGENT_BACKOFF_MAX_S);
        unsigned shift = failures > 16 ? 16 : (unsigned)failures;
        delay = fmin(interval * (double)(1u << shift), limit);
    }
    return delay * (1.0 - AGENT_JITTER + 2.0 * AGENT_JITTER * rnd);
}

struct hb_post {
    struct agent *a;
    agent_post_done_fn done;
};

void
agent_router_free(struct agent_router *r)
{
    /* frees a request in flight without calling its callback */
    if (r->conn)
        evhttp_connection_free(r->conn);
    r->conn = NULL;
    free(r->out);
    r->out = NULL;
    free(r->url_text);
    r->url_text = NULL;
    r->in_flight = 0;
}

int
agent_router_set(struct agent *a, const char *url, char *err, size_t errlen)
{
    struct agent_router *r = &a->router;
    struct agent_url parsed;

    if (url && r->url_text && strcmp(url, r->url_text) == 0)
        return 0;
    if (url && agent_url_parse(url, 11435, &parsed, err, errlen) != 0)
        return -EINVAL;
    char *copy = url ? strdup(url) : NULL;
    if (url && !copy) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* a heartbeat out to the old router is dropped with its connection,
     * and its cycle told so */
    agent_post_done_fn was_waiting = r->out ? r->out->done : NULL;
    agent_router_free(r);
    r->failures = 0;
    r->state = 0;
    if (was_waiting)
        was_waiting(a, 0);
    if (!url)
        return 0;
    r->url_text = copy;
    r->url = parsed;
    r->conn = evhttp_connection_base_new(a->base, a->dns, parsed.host,
                                         (unsigned short)parsed.port);
    if (!r->conn) {
        agent_router_free(r);
        snprintf(err, errlen, "cannot create a connection to %s", url);
        return -ENOMEM;
    }
    if (!strchr(parsed.host, ':'))
        evhttp_connection_set_family(r->conn, AF_INET);
    evhttp_connection_set_retries(r->conn, 0);
    evhttp_connection_set_max_body_size(r->conn, 65536);
    return 0;
}

/* The router's {"error": "..."} text, for the log. */
static void
hb_error_text(struct evhttp_request *req, char *buf, size_t len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    json_object *o = NULL, *e = NULL;
    buf[0] = '\0';
    if (n > 0 && n < 65536) {
        json_tokener *tok = json_tokener_new();
        const char *body = (const char *)evbuffer_pullup(in, -1);
        if (tok) {
            o = json_tokener_parse_ex(tok, body, (int)n);
            json_tokener_free(tok);
        }
    }
    if (o && json_object_object_get_ex(o, "error", &e) &&
        json_object_is_type(e, json_type_string))
        snprintf(buf, len, "%s", json_object_get_string(e));
    json_object_put(o);
}

static void
hb_response_cb(struct evhttp_request *req, void *arg)
{
    struct hb_post *p = arg;
    struct agent *a = p->a;
    struct agent_router *r = &a->router;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    char why[256];

    r->pending = 0;
    r->in_flight = 0;
    r->out = NULL;
    if (code >= 200 && code < 300) {
        if (r->state != 1)
            log_info(hb_comp, "router at %s accepts our heartbeats",
                     r->url_text);
        r->state = 1;
        r->failures = 0;
        r->sent_ok++;
    } else {
        if (code == 0) {
            snprintf(why, sizeof why, "no answer");
        } else {
            char text[200];
            hb_error_text(req, text, sizeof text);
            snprintf(why, sizeof why, "answered %d%s%s", code,
                     *text ? ": " : "", text);
        }
        r->failures++;
        r->failures_total++;
        /* log on a change of state or reason, not on every retry */
        if (r->state != -1 || strcmp(why, r->last_error) != 0)
            log_warn(hb_comp, "router at %s: %s; retrying with backoff",
                     r->url_text, why);
        if (code == 401)
            log_err(hb_comp, "the router wants a node token: set [security] "
                             "node_token or HERD_NODE_TOKEN to its value");
        snprintf(r->last_error, sizeof r->last_error, "%s", why);
        r->state = -1;
    }
    agent_post_done_fn done = p->done;
    free(p);
    if (done)
        done(a, code >= 200 && code < 300);
}

int
agent_router_post(struct agent *a, json_object *payload, double timeout_s,
                  agent_post_done_fn done)
{
    struct agent_router *r = &a->router;
    char path[600], auth[1100];
    size_t len;

    if (!r->conn)
        return -ENOENT;
    if (r->in_flight)
        return -EBUSY;
    struct hb_post *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->a = a;
    p->done = done;
    struct evhttp_request *req = evhttp_request_new(hb_response_cb, p);
    if (!req) {
        free(p);
        return -ENOMEM;
    }
    struct timeval tv = {(time_t)timeout_s,
                         (suseconds_t)((timeout_s - floor(timeout_s)) * 1e6)};
    evhttp_connection_set_timeout_tv(r->conn, &tv);
    const char *text = json_object_to_json_string_length(
        payload, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    evbuffer_add(evhttp_request_get_output_buffer(req), text, len);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", r->url.hostport);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "User-Agent", "herd-node/" PACKAGE_VERSION);
    if (a->cfg->node_token && *a->cfg->node_token &&
        snprintf(auth, sizeof auth, "Bearer %s", a->cfg->node_token) <
            (int)sizeof auth)
        evhttp_add_header(h, "Authorization", auth);
    snprintf(path, sizeof path, "%s/heartbeat", r->url.prefix);
    r->in_flight = 1;
    r->pending = 1;
    r->out = p;
    /* make_request owns req even when it fails; the callback may have run
     * (pending cleared) or not */
    if (evhttp_make_request(r->conn, req, EVHTTP_REQ_POST, path) != 0 &&
        r->pending) {
        r->pending = 0;
        r->in_flight = 0;
        r->out = NULL;
        free(p);
        return -EIO;
    }
    return 0;
}
