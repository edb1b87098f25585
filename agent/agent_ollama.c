/* Probing the local Ollama over evhttp. */
#include "autoconfig.h"

#include "agent_ollama.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"

static const char *ollama_comp = "ollama";
static const char *const ollama_paths[AGENT_OLLAMA_STEPS] = {
    "/api/version", "/api/tags", "/api/ps"};

int
agent_ollama_init(struct agent_ollama *o, struct event_base *base,
                  struct evdns_base *dns, const struct agent_url *url,
                  double timeout_s)
{
    memset(o, 0, sizeof *o);
    o->url = *url;
    o->timeout_s = timeout_s;
    o->conn = evhttp_connection_base_new(base, dns, url->host,
                                         (unsigned short)url->port);
    if (!o->conn)
        return -ENOMEM;
    /* "localhost" resolves to ::1 first on some systems, where Ollama does
     * not listen by default: names go to IPv4, IPv6 literals stay. */
    if (!strchr(url->host, ':'))
        evhttp_connection_set_family(o->conn, AF_INET);
    struct timeval tv = {(time_t)timeout_s,
                         (suseconds_t)((timeout_s - floor(timeout_s)) * 1e6)};
    evhttp_connection_set_timeout_tv(o->conn, &tv);
    evhttp_connection_set_retries(o->conn, 0);
    evhttp_connection_set_max_body_size(o->conn, AGENT_OLLAMA_MAX_BODY);
    return 0;
}

static void
ollama_reset(struct agent_ollama *o)
{
    for (int i = 0; i < AGENT_OLLAMA_STEPS; i++) {
        json_object_put(o->answers[i]);
        o->answers[i] = NULL;
    }
}

static void
ollama_finish(struct agent_ollama *o)
{
    int answered = 0;
    for (int i = 0; i < AGENT_OLLAMA_STEPS; i++) {
        json_object_put(o->result[i]);
        o->result[i] = o->answers[i];
        o->answers[i] = NULL;
        answered |= o->result[i] != NULL;
    }
    if (answered && o->failing)
        log_info(ollama_comp, "Ollama at %s answers again", o->url.hostport);
    else if (!answered && !o->failing)
        log_warn(ollama_comp,
                 "Ollama at %s does not answer; reporting no models until "
                 "it does",
                 o->url.hostport);
    o->failing = !answered;
    o->reachable = answered;
    o->busy = 0;
    if (o->done)
        o->done(o->done_arg);
}

static void ollama_request(struct agent_ollama *o);

static void
ollama_next(struct agent_ollama *o)
{
    if (++o->step == AGENT_OLLAMA_STEPS)
        ollama_finish(o);
    else
        ollama_request(o);
}

static void
ollama_response_cb(struct evhttp_request *req, void *arg)
{
    struct agent_ollama *o = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    o->pending = 0;
    if (code != 200) {
        log_debug(ollama_comp, "%s%s: %s", o->url.hostport,
                  ollama_paths[o->step], code ? "not 200" : "no answer");
        ollama_next(o);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, -1);
    json_tokener *tok = json_tokener_new();
    json_object *v = NULL;
    if (tok && body && len <= AGENT_OLLAMA_MAX_BODY)
        v = json_tokener_parse_ex(tok, body, (int)len);
    if (tok)
        json_tokener_free(tok);
    if (v && json_object_is_type(v, json_type_object)) {
        o->answers[o->step] = v;
    } else {
        json_object_put(v);
        log_debug(ollama_comp, "%s%s: not a JSON object", o->url.hostport,
                  ollama_paths[o->step]);
    }
    ollama_next(o);
}

static void
ollama_request(struct agent_ollama *o)
{
    char path[600];
    struct evhttp_request *req = evhttp_request_new(ollama_response_cb, o);
    if (!req) {
        ollama_next(o);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", o->url.hostport);
    evhttp_add_header(h, "Accept", "application/json");
    evhttp_add_header(h, "User-Agent", "herd-node/" PACKAGE_VERSION);
    snprintf(path, sizeof path, "%s%s", o->url.prefix, ollama_paths[o->step]);
    /* make_request owns req, even when it fails; the callback may then
     * have run already (pending cleared), else the step has no answer. */
    o->pending = 1;
    if (evhttp_make_request(o->conn, req, EVHTTP_REQ_GET, path) != 0 &&
        o->pending) {
        o->pending = 0;
        ollama_next(o);
    }
}

int
agent_ollama_probe(struct agent_ollama *o, agent_ollama_done_fn done, void *arg)
{
    if (o->busy)
        return -EBUSY;
    o->busy = 1;
    o->done = done;
    o->done_arg = arg;
    o->step = AGENT_OLLAMA_VERSION;
    ollama_reset(o);
    ollama_request(o);
    return 0;
}

const char *
agent_ollama_version(const struct agent_ollama *o)
{
    json_object *v = NULL;
    if (o->result[AGENT_OLLAMA_VERSION] &&
        json_object_object_get_ex(o->result[AGENT_OLLAMA_VERSION], "version",
                                  &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

void
agent_ollama_free(struct agent_ollama *o)
{
    /* frees pending requests without calling their callbacks */
    if (o->conn)
        evhttp_connection_free(o->conn);
    o->conn = NULL;
    ollama_reset(o);
    for (int i = 0; i < AGENT_OLLAMA_STEPS; i++) {
        json_object_put(o->result[i]);
        o->result[i] = NULL;
    }
}
