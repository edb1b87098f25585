/* The life of one request (struct proxy_req): its arrival (parsed,
 * checked, its image URLs downloaded, on to routing), its request id, a
 * client that leaves, and its end with the slot given back. */
#include "autoconfig.h"

#include "proxy_impl.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/util.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "common/http_util.h"
#include "common/log.h"
#include "common/spares.h"
#include "common/str_copy.h"
#include "http_reply.h"
#include "image_fetch.h"
#include "openai_request.h"
#include "proxy_body.h"
#include "proxy_unload.h"
#include "relay.h"
#include "request.h"
#include "router.h"
#include "upstream.h"

void
proxy_release_slot(struct proxy_req *q, enum admission_outcome outcome)
{
    if (!q->slot_held)
        return;
    q->slot_held = 0;
    admission_release(q->p->adm, q->node, q->model, outcome);
    proxy_kick_soon(q->p);
}

/* What an ended request keeps, emptied, for the next one: its buffers. */
static void
proxy_req_empty(struct proxy_req *q)
{
    relay_reset(&q->relay);
    if (q->out)
        evbuffer_drain(q->out, evbuffer_get_length(q->out));
    if (q->chunk)
        evbuffer_drain(q->chunk, evbuffer_get_length(q->chunk));
}

static void
proxy_req_destroy(struct proxy_req *q)
{
    relay_clear(&q->relay);
    if (q->out)
        evbuffer_free(q->out);
    if (q->chunk)
        evbuffer_free(q->chunk);
    free(q);
}

/* An ended request waits as a spare for a later one, unless enough do:
 * a new one cost a calloc of 14 KB (glibc consolidated its heap for it)
 * and three evbuffer_new, callocs too. */
static void
proxy_req_release(struct proxy *p, struct proxy_req *q)
{
    if (p->spare_count >= HERD_SPARES(PROXY_SPARE_MAX)) {
        proxy_req_destroy(q);
        return;
    }
    proxy_req_empty(q);
    q->next = p->spare;
    p->spare = q;
    p->spare_count++;
    HERD_SPARE_HIDE(q, sizeof *q);
}

void
proxy_req_free_spares(struct proxy *p)
{
    while (p->spare) {
        struct proxy_req *q = p->spare;
        HERD_SPARE_SHOW(q, sizeof *q);
        p->spare = q->next;
        proxy_req_destroy(q);
    }
    p->spare_count = 0;
}

void
proxy_free_req(struct proxy_req *q)
{
    struct proxy *p = q->p;
    if (q->call)
        upstream_cancel(q->call);
    if (q->waiter)
        admission_cancel(p->adm, q->waiter);
    image_job_cancel(q->images);
    proxy_release_slot(q, ADMISSION_FAILED);
    if (q->conn)
        http_conn_set_closecb(q->conn, NULL, NULL);
    if (q->prev)
        q->prev->next = q->next;
    else
        p->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    p->live--;
    json_object_put(q->body);
    json_object_put(q->native);
    route_result_free(&q->route);
    proxy_req_release(p, q);
    proxy_drain_check(p);
}

/* The client went away: cancel upstream, free the slot or the place in
 * the queue now. */
static void
proxy_req_close_cb(struct http_conn *conn, void *arg)
{
    struct proxy_req *q = arg;
    struct http_req *req = q->req;
    (void)conn;
    q->conn = NULL;
    q->req = NULL;
    const char *when = q->waiter          ? " while waiting for a slot"
                       : !q->headers_sent ? " while its answer was prepared"
                                          : "";
    /* the server left the request to us; replying to it frees it */
    if (req) {
        if (q->headers_sent)
            http_reply_end(req);
        else
            http_reply(req, 499, "Client Closed Request", NULL);
    }
    log_info(proxy_comp, "%s: client disconnected%s%s%s", q->request_id, when,
             q->node[0] ? " from a request on " : "",
             q->node[0] ? q->node : "");
    proxy_trace(q, "client_disconnected", NULL);
    proxy_free_req(q);
}

/* An OpenAI request leaves in the native API's shape (its image URLs are
 * data: URIs by now). Returns 0, or -1 once the client has its 400. */
static int
proxy_req_convert(struct proxy_req *q)
{
    char err[256];
    if (!q->openai)
        return 0;
    q->native = openai_request_to_native(q->body, q->api, err, sizeof err);
    if (!q->native) {
        proxy_reply_error(q, 400, "%s", err);
        return -1;
    }
    return 0;
}

/* A chat whose image URLs are to be downloaded is checked whole first,
 * on a copy where small stand-ins take their place: a bad field is a 400
 * before any download, which would reach out for nothing and hold the
 * 400 back. Returns 0, or -1 once the client has its answer. */
static int
proxy_req_check_before_images(struct proxy_req *q)
{
    char err[256];
    json_object *copy = NULL, *native = NULL;
    int n = image_http_urls(q->body, 0, err, sizeof err);
    if (n > 0) {
        n = json_object_deep_copy(q->body, &copy, NULL) == 0
                ? image_http_urls(copy, 1, err, sizeof err)
                : -ENOMEM;
        if (n > 0 &&
            !(native = openai_request_to_native(copy, q->api, err, sizeof err)))
            n = strstr(err, "out of memory") ? -ENOMEM : -EINVAL;
        json_object_put(native);
        json_object_put(copy);
    }
    if (n >= 0)
        return 0;
    if (n == -ENOMEM)
        proxy_reply_error(q, 500, "out of memory");
    else
        proxy_reply_error(q, 400, "%s", err);
    return -1;
}

/* The image URLs of an OpenAI chat are data: URIs now, or one failed. */
static void
proxy_req_images_done(void *arg, int rc, const char *err)
{
    struct proxy_req *q = arg;
    q->images = NULL;
    if (rc != 0) {
        log_info(proxy_comp, "%s: %s", q->request_id, err);
        proxy_reply_error(q, 400, "%s", err);
        proxy_free_req(q);
        return;
    }
    if (q->p->draining) {
        proxy_trace(q, "rejected", "draining");
        proxy_reply_error(q, 503, "the router is shutting down");
        proxy_free_req(q);
        return;
    }
    if (proxy_req_convert(q) < 0 || proxy_route(q) < 0)
        proxy_free_req(q);
}

/* A spare made as good as new: zero up to its big buffers, which are
 * only made empty (each is read up to its count or its NUL), but for the
 * evbuffers it keeps, empty already. */
static void
proxy_req_reset(struct proxy_req *q)
{
    struct evbuffer *out = q->out, *chunk = q->chunk;
    struct evbuffer *relay_spare = q->relay.spare;
    memset(q, 0, offsetof(struct proxy_req, ri));
    q->out = out;
    q->chunk = chunk;
    q->relay.spare = relay_spare;
    q->ri.model[0] = q->ri.model_asked[0] = '\0';
    q->ri.fallback_count = q->ri.tag_count = 0;
    q->ri.stream = 0;
    memset(&q->ri.estimate, 0, sizeof q->ri.estimate);
    q->last_error[0] = '\0';
}

/* A spare, or a new request; NULL when out of memory. */
static struct proxy_req *
proxy_req_take(struct proxy *p)
{
    struct proxy_req *q = p->spare;
    if (!q)
        return calloc(1, sizeof *q);
    HERD_SPARE_SHOW(q, sizeof *q);
    p->spare = q->next;
    p->spare_count--;
    proxy_req_reset(q);
    return q;
}

/* splitmix64's finaliser: a bijection, so distinct inputs never collide */
static uint64_t
proxy_req_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* 32 hex digits, unique within the process (a counter through a
 * bijection) and unpredictable across runs (a random key). The system's
 * random source once, not per request: it was a syscall each time. */
void
proxy_request_id(char out[33])
{
    static uint64_t key[2], counter;
    static const char hex[] = "0123456789abcdef";
    if (counter == 0)
        evutil_secure_rng_get_bytes(key, sizeof key);
    counter++;
    uint64_t half[2] = {proxy_req_mix64(key[0] + counter),
                        proxy_req_mix64(key[1] ^ proxy_req_mix64(counter))};
    for (int i = 0; i < 32; i++)
        out[i] = hex[(half[i / 16] >> (60 - 4 * (i % 16))) & 15];
    out[32] = '\0';
}

/* The client's body, read in place: what routing needs of it, checked.
 * Only an OpenAI request gets a json-c tree (q->body), which converting
 * it needs. Returns 0, or -1 once the client has its 400. */
static int
proxy_req_read(struct proxy_req *q, struct request_body *rb)
{
    char err[256];
    size_t len;
    const char *text =
        http_req_text(q->req, q->p->set.max_body_bytes, &len, err, sizeof err);
    int stream_default =
        (q->api == PROXY_API_CHAT || q->api == PROXY_API_GENERATE) ? 1 : 0;
    const char *tags =
        evhttp_find_header(http_req_in_headers(q->req), "X-Herd-Tags");
    if (!text || request_body_read(rb, text, len, err, sizeof err) != 0 ||
        (q->openai &&
         !(q->body = http_json_parse(text, len, err, sizeof err))) ||
        request_parse(rb, tags, stream_default, &q->ri, err, sizeof err) != 0 ||
        proxy_body_check(rb, q->api, err, sizeof err) != 0) {
        proxy_reply_error(q, 400, "%s", err);
        return -1;
    }
    q->num_ctx = proxy_body_ctx_asked(rb);
    return 0;
}

void
proxy_handle(struct proxy *p, struct http_req *req, enum proxy_api api)
{
    char err[256];
    int openai = api >= PROXY_API_OAI_CHAT;
    struct proxy_req *q = proxy_req_take(p);
    if (!q) {
        http_send_error(req, 500, "out of memory");
        return;
    }
    q->p = p;
    q->req = req;
    q->api = api;
    q->up_api = openai_native_api(api);
    q->openai = openai;
    q->t_start = router_now();
    str_copy(q->client_ip, sizeof q->client_ip, http_req_peer(req));
    proxy_request_id(q->request_id);
    if (!q->out)
        q->out = evbuffer_new();
    if (!q->chunk)
        q->chunk = evbuffer_new();
    q->next = p->head;
    if (p->head)
        p->head->prev = q;
    p->head = q;
    p->live++;
    if (!q->out || !q->chunk) {
        proxy_reply_error(q, 500, "out of memory");
        proxy_free_req(q);
        return;
    }
    struct request_body rb;
    if (proxy_req_read(q, &rb) < 0) {
        proxy_free_req(q);
        return;
    }
    if (p->draining) { /* parsed first, for its trace */
        proxy_trace(q, "rejected", "draining");
        proxy_reply_error(q, 503, "the router is shutting down");
        proxy_free_req(q);
        return;
    }
    if (api == PROXY_API_EMBED || api == PROXY_API_EMBEDDINGS ||
        api == PROXY_API_OAI_EMBEDDINGS)
        q->ri.stream = 0;
    /* an unload goes to every node that has the model loaded */
    if (proxy_unload_asked(&rb, api)) {
        int rc =
            proxy_unload_start(p->r, req, api, q->ri.model, q->ri.model_asked);
        if (rc == 0)
            q->req = NULL; /* answered by the unload */
        else if (rc == -ESHUTDOWN)
            proxy_reply_error(q, 503, "the router is shutting down");
        else if (rc != -ENOENT)
            proxy_reply_error(q, 500, "out of memory");
        if (rc != -ENOENT) {
            proxy_free_req(q);
            return;
        }
    }
    json_object *so, *iu;
    q->oai_include_usage =
        openai && json_object_object_get_ex(q->body, "stream_options", &so) &&
        json_object_object_get_ex(so, "include_usage", &iu) &&
        json_object_is_type(iu, json_type_boolean) &&
        json_object_get_boolean(iu);
    str_copy(q->models[q->model_count++], REQUEST_MODEL_MAX, q->ri.model);
    for (size_t i = 0; i < q->ri.fallback_count; i++)
        str_copy(q->models[q->model_count++], REQUEST_MODEL_MAX,
                 q->ri.fallbacks[i]);
    q->conn = http_req_conn(req);
    if (q->conn)
        http_conn_set_closecb(q->conn, proxy_req_close_cb, q);
    if (api == PROXY_API_OAI_CHAT) {
        if (proxy_req_check_before_images(q) < 0) {
            proxy_free_req(q);
            return;
        }
        int rc =
            image_job_start(p->images, q->body, p->set.image_fetch_max_bytes,
                            p->set.image_fetch_timeout, proxy_req_images_done,
                            q, &q->images, err, sizeof err);
        if (rc != 0) {
            proxy_reply_error(q,
                              rc == -EINVAL  ? 400
                              : rc == -EBUSY ? 503
                                             : 500,
                              "%s", err);
            proxy_free_req(q);
            return;
        }
        if (q->images)
            return; /* routed once the images are in */
    }
    if (proxy_req_convert(q) < 0 || proxy_route(q) < 0)
        proxy_free_req(q);
}
