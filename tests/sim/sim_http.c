/* The HTTP front: routes, methods, 404/405 as gin answers them, and the
 * refuse fault. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { M_GET = 1, M_HEAD = 2, M_POST = 4, M_DELETE = 8 };

static int
sim_http_method(struct evhttp_request *req)
{
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        return M_GET;
    case EVHTTP_REQ_HEAD:
        return M_HEAD;
    case EVHTTP_REQ_POST:
        return M_POST;
    case EVHTTP_REQ_DELETE:
        return M_DELETE;
    default:
        return 0;
    }
}

/* Accept-and-close: the client gets no response at all. */
static void
sim_http_refuse(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev =
        conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    if (bev)
        shutdown(bufferevent_getfd(bev), SHUT_RDWR);
    /* The reply cannot be written; evhttp frees the connection. */
    evhttp_send_reply(req, 500, "Refused", NULL);
}

static void
sim_http_cb(struct evhttp_request *req, void *arg)
{
    struct sim_server *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int m = sim_http_method(req);
    if (!path || !*path)
        path = "/";
    log_debug("http", "%s %s", m == M_POST ? "POST" : "GET", path);
    if (strncmp(path, "/sim/", 5) != 0) {
        if (faults_hit(s, SIM_FAULT_REFUSE)) {
            sim_http_refuse(req);
            return;
        }
        if (guard_check(s, req) < 0)
            return;
    }
    int allowed = 0;
#define ROUTE(p, methods)                                                      \
    (strcmp(path, p) == 0 && ((allowed = (methods)), (m & (methods)) != 0))
    if (ROUTE("/", M_GET | M_HEAD))
        sim_reply_text(req, 200, "Ollama is running");
    else if (ROUTE("/api/version", M_GET | M_HEAD)) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version",
                               json_object_new_string(SIM_VERSION_OLLAMA));
        sim_reply_obj(req, 200, o, NULL, 0);
        json_object_put(o);
    } else if (ROUTE("/api/generate", M_POST))
        api_native_generate(s, req);
    else if (ROUTE("/api/chat", M_POST))
        api_native_chat(s, req);
    else if (ROUTE("/api/embed", M_POST))
        api_native_embed(s, req, 0);
    else if (ROUTE("/api/embeddings", M_POST))
        api_native_embed(s, req, 1);
    else if (ROUTE("/api/tags", M_GET | M_HEAD))
        api_native_tags(s, req);
    else if (ROUTE("/api/ps", M_GET))
        api_native_ps(s, req);
    else if (ROUTE("/api/show", M_POST))
        api_native_show(s, req);
    else if (ROUTE("/api/pull", M_POST))
        api_native_pull(s, req);
    else if (ROUTE("/api/delete", M_DELETE))
        api_native_delete(s, req);
    else if (ROUTE("/api/copy", M_POST))
        api_native_copy(s, req);
    else if (ROUTE("/v1/chat/completions", M_POST))
        api_openai_chat(s, req);
    else if (ROUTE("/v1/completions", M_POST))
        api_openai_completions(s, req);
    else if (ROUTE("/v1/embeddings", M_POST))
        api_openai_embeddings(s, req);
    else if (ROUTE("/v1/models", M_GET))
        api_openai_models(s, req, NULL);
    else if (strncmp(path, "/v1/models/", 11) == 0 && path[11] &&
             !strchr(path + 11, '/')) {
        allowed = M_GET;
        if (m == M_GET) {
            char *id = evhttp_uridecode(path + 11, 0, NULL);
            api_openai_models(s, req, id);
            free(id);
        }
    } else if (ROUTE("/sim/state", M_GET))
        state_handle(s, req);
    else if (ROUTE("/sim/faults", M_GET | M_POST))
        faults_handle(s, req);
    else if (!allowed)
        sim_reply_text(req, 404, "404 page not found");
    if (allowed && !(m & allowed))
        sim_reply_text(req, 405, "405 method not allowed");
#undef ROUTE
}

int
sim_http_start(struct sim_server *s, char *err, size_t errlen)
{
    s->http = evhttp_new(s->base);
    evhttp_set_allowed_methods(
        s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                     EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_OPTIONS |
                     EVHTTP_REQ_PATCH);
    evhttp_set_max_body_size(s->http, SIM_BODY_LIMIT);
    evhttp_set_max_headers_size(s->http, 64 * 1024);
    evhttp_set_timeout(s->http, 600);
    evhttp_set_gencb(s->http, sim_http_cb, s);
    errno = 0;
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(
        s->http, s->cfg.host, (ev_uint16_t)s->cfg.port);
    if (!sock) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "cannot listen on %s:%d: %s", s->cfg.host,
                 s->cfg.port, strerror(e));
        return -e;
    }
    /* Raise evhttp's backlog of 128 (as Go's server, Ollama listens with
     * the kernel's maximum); a second listen() does it on Linux. */
    listen(evhttp_bound_socket_get_fd(sock), 65535);
    return 0;
}
