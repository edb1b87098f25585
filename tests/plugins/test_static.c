/* discovery/static through the real plugin loader with a fake host: it
 * polls a fake Ollama on loopback and reports it, leaves a dead node
 * unreported, refuses bad keys and values with a clear message, and on the
 * agent side hands over its router URL. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_host.h"
#include "tap.h"

/* ---- a fake Ollama ---- */

static char fake_log[64]; /* first letters of the paths asked, in order */
static size_t fake_log_len;

static void
fake_ollama_cb(struct evhttp_request *req, void *arg)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    const char *body = NULL;
    (void)arg;
    if (strcmp(path, "/api/version") == 0)
        body = "{\"version\":\"0.9.9\"}";
    else if (strcmp(path, "/api/tags") == 0)
        body =
            "{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":"
            "\"llama3.2:latest\",\"modified_at\":\"2026-01-01T00:00:00Z\","
            "\"size\":2019393189,\"digest\":\"a80c4f17acd5\",\"details\":{"
            "\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"llama\","
            "\"families\":[\"llama\"],\"parameter_size\":\"3.2B\","
            "\"quantization_level\":\"Q4_K_M\"}},{\"name\":\"nomic-embed-"
            "text:latest\",\"size\":274302450,\"digest\":\"0a109f422b47\"}]}";
    else if (strcmp(path, "/api/ps") == 0)
        body = "{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":"
               "\"llama3.2:latest\",\"size\":3221225472,\"digest\":"
               "\"a80c4f17acd5\",\"details\":{\"parameter_size\":\"3.2B\","
               "\"quantization_level\":\"Q4_K_M\"},\"expires_at\":"
               "\"2026-01-01T00:05:00Z\",\"size_vram\":3221225472,"
               "\"context_length\":8192}]}";
    if (fake_log_len < sizeof fake_log - 1)
        fake_log[fake_log_len++] = path[5] ? path[5] : '?';
    if (!body) {
        evhttp_send_error(req, 404, NULL);
        return;
    }
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, body, strlen(body));
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

static int
fake_ollama_start(struct event_base *base, struct evhttp **out)
{
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, fake_ollama_cb, NULL);
    struct evhttp_bound_socket *s =
        evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!s)
        return -1;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin, &len);
    *out = http;
    return ntohs(sin.sin_port);
}

/* A loopback port nothing listens on: bound, then closed. */
static int
dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

/* ---- a fake host ---- */

/* A host of either role: a router's records the nodes reported to it, an
 * agent's the router URL it is given. */
struct fake {
    struct fake_host host; /* first: host_data points at both */
    int reports;
    json_object *last; /* last report */
    char report_ids[256];
    char router_url[256];
};

static int
fake_report(void *hd, const char *json, size_t len, const char *peer, char *err,
            size_t errlen)
{
    struct fake *f = hd;
    json_object *o = json_tokener_parse(json);
    (void)peer;
    if (!o || strlen(json) != len) {
        snprintf(err, errlen, "fake host: not JSON");
        json_object_put(o);
        return -EINVAL;
    }
    json_object_put(f->last);
    f->last = o;
    f->reports++;
    size_t used = strlen(f->report_ids);
    snprintf(f->report_ids + used, sizeof f->report_ids - used, "%s ",
             json_object_get_string(json_object_object_get(o, "node_id")));
    if (f->reports >= 2)
        event_base_loopexit(f->host.base, NULL);
    return HERD_OK;
}

static int
fake_router_found(void *hd, const char *url)
{
    struct fake *f = hd;
    snprintf(f->router_url, sizeof f->router_url, "%s", url);
    return HERD_OK;
}

static void
fake_init(struct fake *f, struct event_base *base, int role)
{
    memset(f, 0, sizeof *f);
    fake_host_init(&f->host, (uint32_t)role, base);
    if (role == HERD_ROLE_ROUTER) {
        f->host.table.features |= HERD_HOST_F_NODE_REPORT;
        f->host.table.node_report = fake_report;
    } else {
        f->host.table.features |= HERD_HOST_F_ROUTER_URL;
        f->host.table.router_found = fake_router_found;
    }
}

/* Loads [discovery.static] with the given key/value pairs (NULL-ended),
 * and starts it when start is set. Returns the first error. */
static int
load(struct fake *f, struct plugin_set **out, int start, char *err,
     size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    int rc = fake_host_vopen(&f->host, out, "discovery", "static", start, err,
                             errlen, ap);
    va_end(ap);
    return rc;
}

static json_object *
path(json_object *o, const char *a, const char *b)
{
    json_object *v = json_object_object_get(o, a);
    return b ? json_object_object_get(v, b) : v;
}

static void
test_polls(void)
{
    struct event_base *base = event_base_new();
    struct evhttp *http = NULL;
    struct fake f;
    struct plugin_set *set = NULL;
    char err[512], live[128], dead[128];
    int port = fake_ollama_start(base, &http);
    fake_init(&f, base, HERD_ROLE_ROUTER);
    snprintf(live, sizeof live, "sim1 http://127.0.0.1:%d/", port);
    snprintf(dead, sizeof dead, "gone http://127.0.0.1:%d", dead_port());

    int rc = load(&f, &set, 1, err, sizeof err, "node", dead, "node", live,
                  "interval", "0.2", NULL);
    is_int(rc, 0, "plugin loads and starts with two nodes");
    if (rc != 0)
        diag("%s", err);
    struct timeval limit = {5, 0};
    event_base_loopexit(base, &limit); /* bounded even if nothing comes */
    event_base_dispatch(base);

    is_int(f.reports, 2, "two reports within the time limit");
    is_str(f.report_ids, "sim1 sim1 ", "only the live node is reported");
    like(f.host.logs,
         "node gone (http://127.0.0.1:", "the dead node is logged");
    is_int(fake_host_count(f.host.logs, "node gone"), 1,
           "the dead node is warned about once, not every interval");
    ok(strncmp(fake_log, "vtp", 3) == 0,
       "version, tags, ps asked in turn (got %s)", fake_log);

    json_object *r = f.last;
    is_str(json_object_get_string(path(r, "node_id", NULL)), "sim1",
           "report names the node");
    ok(json_object_get_boolean(path(r, "agentless", NULL)),
       "report is marked agentless");
    live[strlen(live) - 1] = '\0'; /* the trailing slash is dropped */
    is_str(json_object_get_string(path(r, "ollama_host", NULL)), live + 5,
           "ollama_host is the configured URL");
    is_str(json_object_get_string(path(r, "ollama_version", NULL)), "0.9.9",
           "Ollama's version is passed on");
    ok(path(r, "cpu", NULL) == NULL && path(r, "memory", NULL) == NULL,
       "machine state Ollama does not tell stays unknown");
    json_object *av = path(r, "ollama", "models_available");
    is_int(json_object_array_length(av), 2, "two models on disk");
    is_str(json_object_get_string(json_object_object_get(
               json_object_array_get_idx(av, 0), "digest")),
           "a80c4f17acd5", "tags objects keep Ollama's fields");
    json_object *ld =
        json_object_array_get_idx(path(r, "ollama", "models_loaded"), 0);
    is_str(json_object_get_string(json_object_object_get(ld, "name")),
           "llama3.2:latest", "loaded model name");
    is_double(json_object_get_double(json_object_object_get(ld, "size_gb")),
              3.0, 1e-9, "loaded size in GiB");
    is_int(json_object_get_int(json_object_object_get(ld, "context_length")),
           8192, "loaded context length");
    is_str(json_object_get_string(json_object_object_get(ld, "quantization")),
           "Q4_K_M", "quantization from details");
    is_str(json_object_get_string(json_object_object_get(ld, "expires_at")),
           "2026-01-01T00:05:00Z", "expires_at kept for /api/ps");

    plugin_set_free(set);
    json_object_put(f.last);
    evhttp_free(http);
    event_base_free(base);
}

static void
test_config_errors(void)
{
    struct event_base *base = event_base_new();
    struct fake f;
    char err[512];
    fake_init(&f, base, HERD_ROLE_ROUTER);

    static const struct {
        const char *key, *value, *want;
    } bad[] = {
        {"node", "sim1", "expected 'ID http://host:port'"},
        {"node", "sim1 http://127.0.0.1:1 extra", "expected 'ID http"},
        {"node", "sim1 https://127.0.0.1:1", "is not an http:// URL"},
        {"node", "sim1 http://127.0.0.1", "needs a port"},
        {"node", "sim1 http://127.0.0.1:99999", "is not a valid URL"},
        {"node", "sim1 http://127.0.0.1:1/v1", "must be just http://host:port"},
        {"node", "bad/id http://127.0.0.1:1", "must be 1-64 of"},
        {"interval", "0", "between 0.001 s and 1e9 s"},
        {"interval", "soon", "is not a duration"},
        {"interval", "5d", "is not a duration"},
        {"router", "http://127.0.0.1:1", "only herd-node looks for a router"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc =
            load(&f, NULL, 0, err, sizeof err, bad[i].key, bad[i].value, NULL);
        ok(rc == -EINVAL && strstr(err, bad[i].want), "%s = %s refused",
           bad[i].key, bad[i].value);
        if (!strstr(err, bad[i].want))
            diag("err: %s", err);
    }
    int rc = load(&f, NULL, 0, err, sizeof err, "node", "a http://h:1", "node",
                  "a http://h:2", NULL);
    ok(rc == -EINVAL && strstr(err, "listed twice"), "duplicate id refused");
    rc = load(&f, NULL, 0, err, sizeof err, "colour", "blue", NULL);
    ok(rc == -ENOENT && strstr(err, "colour"), "unknown key refused: %s", err);
    rc = load(&f, NULL, 0, err, sizeof err, "node", "a http://h:1", "interval",
              "2m", NULL);
    is_int(rc, 0, "interval takes a unit (2m)");
    rc = load(&f, NULL, 1, err, sizeof err, "interval", "1", NULL);
    ok(rc != 0 && strstr(err, "no node"), "router side without nodes: %s", err);
    event_base_free(base);
}

static void
test_agent(void)
{
    struct event_base *base = event_base_new();
    struct fake f;
    struct plugin_set *set = NULL;
    char err[512];
    fake_init(&f, base, HERD_ROLE_AGENT);
    int rc = load(&f, &set, 1, err, sizeof err, "router",
                  "http://127.0.0.1:11435", NULL);
    is_int(rc, 0, "agent side loads with router = URL");
    is_str(f.router_url, "http://127.0.0.1:11435",
           "router_found got the URL at start");
    plugin_set_free(set);
    rc = load(&f, NULL, 0, err, sizeof err, "node", "a http://h:1", NULL);
    ok(rc == -EINVAL && strstr(err, "only the router polls"),
       "node = on the agent side refused");
    rc = load(&f, NULL, 0, err, sizeof err, "router", "127.0.0.1:11435", NULL);
    ok(rc == -EINVAL && (strstr(err, "not an http:// URL") ||
                         strstr(err, "not a valid URL")),
       "router without scheme refused");
    rc = load(&f, NULL, 1, err, sizeof err, NULL);
    ok(rc != 0 && strstr(err, "no router"), "agent side without router: %s",
       err);
    event_base_free(base);
}

int
main(void)
{
    if (!getenv("HERD_PLUGIN_PATH")) {
        skip_all("HERD_PLUGIN_PATH not set (run through make check)");
        return 0;
    }
    test_polls();
    test_config_errors();
    test_agent();
    return done_testing();
}
