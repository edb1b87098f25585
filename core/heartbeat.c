/* Heartbeat validation: every field is type- and range-checked, and the
 * first problem is reported with its JSON path so a node operator can fix
 * the agent. Nothing is half-filled on error. */
#include "autoconfig.h"

#include "heartbeat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_util.h"

/* Fails the parse with a message; always returns -EINVAL. */
static int heartbeat_fail(char *err, size_t errlen, const char *fmt, ...)
    HERD_PRINTF(3, 4);

static int
heartbeat_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Member of o, treating JSON null like an absent member. */
static json_object *
heartbeat_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static int
heartbeat_is_number(json_object *v)
{
    return json_object_is_type(v, json_type_double) ||
           json_object_is_type(v, json_type_int);
}

/* A finite number >= 0 at path; required when *present is NULL. */
static int
heartbeat_number(json_object *o, const char *key, const char *path,
                 int required, double *out, int *present, char *err,
                 size_t errlen)
{
    json_object *v = heartbeat_get(o, key);
    if (present)
        *present = 0;
    if (!v) {
        if (required)
            return heartbeat_fail(err, errlen, "%s is required", path);
        return 0;
    }
    if (!heartbeat_is_number(v))
        return heartbeat_fail(err, errlen, "%s must be a number", path);
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < 0)
        return heartbeat_fail(err, errlen, "%s must be a number >= 0", path);
    *out = d;
    if (present)
        *present = 1;
    return 0;
}

/* A non-negative integer below 2^31 at path. */
static int
heartbeat_uint(json_object *o, const char *key, const char *path, int required,
               uint32_t *out, char *err, size_t errlen)
{
    json_object *v = heartbeat_get(o, key);
    if (!v) {
        if (required)
            return heartbeat_fail(err, errlen, "%s is required", path);
        return 0;
    }
    double d;
    if (json_object_is_type(v, json_type_int)) {
        int64_t i = json_object_get_int64(v);
        if (i < 0 || i > INT32_MAX)
            return heartbeat_fail(err, errlen, "%s must be an integer >= 0",
                                  path);
        *out = (uint32_t)i;
        return 0;
    }
    /* Python agents may send 16.0 for an integer field. */
    if (json_object_is_type(v, json_type_double)) {
        d = json_object_get_double(v);
        if (isfinite(d) && d >= 0 && d <= INT32_MAX && d == floor(d)) {
            *out = (uint32_t)d;
            return 0;
        }
    }
    return heartbeat_fail(err, errlen, "%s must be an integer >= 0", path);
}

static int
heartbeat_string(json_object *o, const char *key, const char *path,
                 int required, char **out, char *err, size_t errlen)
{
    json_object *v = heartbeat_get(o, key);
    if (!v) {
        if (required)
            return heartbeat_fail(err, errlen, "%s is required", path);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return heartbeat_fail(err, errlen, "%s must be a string", path);
    size_t len = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    if (len > HEARTBEAT_MAX_STRING)
        return heartbeat_fail(err, errlen, "%s is longer than %d bytes", path,
                              HEARTBEAT_MAX_STRING);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20)
            return heartbeat_fail(err, errlen,
                                  "%s contains a control character", path);
    if (required && len == 0)
        return heartbeat_fail(err, errlen, "%s must not be empty", path);
    *out = strdup(s);
    return *out ? 0 : -ENOMEM;
}

static int
heartbeat_bool(json_object *o, const char *key, const char *path, int *out,
               char *err, size_t errlen)
{
    json_object *v = heartbeat_get(o, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return heartbeat_fail(err, errlen, "%s must be true or false", path);
    *out = json_object_get_boolean(v);
    return 0;
}

/* An optional member that, when present and not null, must be an object. */
static int
heartbeat_object(json_object *o, const char *key, json_object **out, char *err,
                 size_t errlen)
{
    json_object *v = heartbeat_get(o, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return heartbeat_fail(err, errlen, "%s must be an object", key);
    *out = v;
    return 0;
}

static int
heartbeat_parse_cpu(json_object *cpu, struct hb_snapshot *s, char *err,
                    size_t errlen)
{
    int r = heartbeat_uint(cpu, "cores_physical", "cpu.cores_physical", 1,
                           &s->cores_physical, err, errlen);
    if (r == 0 && s->cores_physical < 1)
        r = heartbeat_fail(err, errlen,
                           "cpu.cores_physical must be at least 1");
    if (r == 0)
        r = heartbeat_number(cpu, "utilization_pct", "cpu.utilization_pct", 1,
                             &s->cpu_utilization_pct, NULL, err, errlen);
    if (r == 0 && s->cpu_utilization_pct > 100.0)
        r = heartbeat_fail(err, errlen,
                           "cpu.utilization_pct must be at most 100");
    s->has_cpu = r == 0;
    return r;
}

static int
heartbeat_parse_memory(json_object *mem, struct hb_snapshot *s, char *err,
                       size_t errlen)
{
    double ignored;
    int r = heartbeat_number(mem, "total_gb", "memory.total_gb", 1,
                             &s->memory_total_gb, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(mem, "used_gb", "memory.used_gb", 1,
                             &s->memory_used_gb, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(mem, "available_gb", "memory.available_gb", 1,
                             &s->memory_available_gb, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(mem, "wired_gb", "memory.wired_gb", 0, &ignored,
                             NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(mem, "compressed_gb", "memory.compressed_gb", 0,
                             &ignored, NULL, err, errlen);
    if (r != 0)
        return r;
    s->pressure = HERD_PRESSURE_NORMAL;
    json_object *p = heartbeat_get(mem, "pressure");
    if (p) {
        const char *v = json_object_get_string(p);
        if (!json_object_is_type(p, json_type_string))
            return heartbeat_fail(err, errlen,
                                  "memory.pressure must be a string");
        if (strcmp(v, "normal") == 0)
            s->pressure = HERD_PRESSURE_NORMAL;
        else if (strcmp(v, "warn") == 0)
            s->pressure = HERD_PRESSURE_WARN;
        else if (strcmp(v, "critical") == 0)
            s->pressure = HERD_PRESSURE_CRITICAL;
        else
            return heartbeat_fail(err, errlen,
                                  "memory.pressure must be normal, warn or "
                                  "critical");
    }
    s->has_memory = 1;
    return 0;
}

static int
heartbeat_parse_thermal(json_object *th, struct hb_snapshot *s, char *err,
                        size_t errlen)
{
    char *source = NULL;
    int r = heartbeat_string(th, "state", "thermal.state", 0, &s->thermal_state,
                             err, errlen);
    if (r == 0)
        r = heartbeat_string(th, "source", "thermal.source", 0, &source, err,
                             errlen);
    free(source);
    if (r != 0)
        return r;
    /* Temperatures may be negative (outdoor boxes), so no >= 0 check. */
    json_object *t = heartbeat_get(th, "temperature_c");
    if (t) {
        if (!heartbeat_is_number(t) || !isfinite(json_object_get_double(t)))
            return heartbeat_fail(
                err, errlen, "thermal.temperature_c must be a number or null");
        s->temperature_c = json_object_get_double(t);
    }
    return 0;
}

static int
heartbeat_parse_disk(json_object *d, struct hb_snapshot *s, char *err,
                     size_t errlen)
{
    int r = heartbeat_number(d, "total_gb", "disk.total_gb", 0,
                             &s->disk_total_gb, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(d, "used_gb", "disk.used_gb", 0, &s->disk_used_gb,
                             NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(d, "available_gb", "disk.available_gb", 0,
                             &s->disk_available_gb, NULL, err, errlen);
    s->has_disk = r == 0;
    return r;
}

static int
heartbeat_parse_capacity(json_object *c, struct hb_snapshot *s, char *err,
                         size_t errlen)
{
    int r = heartbeat_string(c, "mode", "capacity.mode", 0, &s->capacity_mode,
                             err, errlen);
    if (r == 0)
        r = heartbeat_number(c, "ceiling_gb", "capacity.ceiling_gb", 0,
                             &s->capacity_ceiling_gb, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_number(c, "availability_score",
                             "capacity.availability_score", 0,
                             &s->availability_score, NULL, err, errlen);
    if (r == 0 && s->availability_score > 1.0)
        r = heartbeat_fail(
            err, errlen, "capacity.availability_score must be between 0 and 1");
    s->has_capacity = r == 0;
    return r;
}

static int
heartbeat_parse_loaded(json_object *arr, struct hb_snapshot *s, char *err,
                       size_t errlen)
{
    size_t n = json_object_array_length(arr);
    if (n > HEARTBEAT_MAX_LOADED)
        return heartbeat_fail(err, errlen,
                              "ollama.models_loaded has more than %d entries",
                              HEARTBEAT_MAX_LOADED);
    if (n == 0)
        return 0;
    s->loaded = calloc(n, sizeof *s->loaded);
    if (!s->loaded)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        struct hb_loaded *l = &s->loaded[i];
        char path[64];
        uint32_t active = 0;
        s->loaded_count = i + 1;
        if (!m || !json_object_is_type(m, json_type_object))
            return heartbeat_fail(
                err, errlen, "ollama.models_loaded[%zu] must be an object", i);
#define HB_PATH(field)                                                         \
    (snprintf(path, sizeof path, "ollama.models_loaded[%zu]." field, i), path)
        int r = heartbeat_string(m, "name", HB_PATH("name"), 1, &l->name, err,
                                 errlen);
        if (r == 0)
            r = heartbeat_number(m, "size_gb", HB_PATH("size_gb"), 0,
                                 &l->size_gb, NULL, err, errlen);
        if (r == 0 && l->size_gb > HEARTBEAT_MAX_MODEL_GB)
            r = heartbeat_fail(err, errlen, "%s must be at most %d", path,
                               HEARTBEAT_MAX_MODEL_GB);
        if (r == 0)
            r = heartbeat_string(m, "parameter_size", HB_PATH("parameter_size"),
                                 0, &l->parameter_size, err, errlen);
        if (r == 0)
            r = heartbeat_string(m, "quantization", HB_PATH("quantization"), 0,
                                 &l->quantization, err, errlen);
        if (r == 0)
            r = heartbeat_uint(m, "context_length", HB_PATH("context_length"),
                               0, &l->context_length, err, errlen);
        if (r == 0)
            r = heartbeat_uint(m, "num_parallel", HB_PATH("num_parallel"), 0,
                               &l->num_parallel, err, errlen);
        if (r == 0)
            r = heartbeat_uint(m, "requests_active", HB_PATH("requests_active"),
                               0, &active, err, errlen);
#undef HB_PATH
        if (r != 0)
            return r;
        l->raw = json_object_get(m);
    }
    return 0;
}

static int
heartbeat_parse_available(json_object *arr, struct hb_snapshot *s, char *err,
                          size_t errlen)
{
    size_t n = json_object_array_length(arr);
    if (n > HEARTBEAT_MAX_AVAILABLE)
        return heartbeat_fail(
            err, errlen, "ollama.models_available has more than %d entries",
            HEARTBEAT_MAX_AVAILABLE);
    if (n == 0)
        return 0;
    s->available = calloc(n, sizeof *s->available);
    if (!s->available)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        struct hb_available *a = &s->available[i];
        char path[64];
        int r;
        s->available_count = i + 1;
        if (m && json_object_is_type(m, json_type_string)) {
            /* The reference sends bare names; wrap to reuse the checks. */
            json_object *w = json_object_new_object();
            if (!w)
                return -ENOMEM;
            json_object_object_add(w, "name", json_object_get(m));
            snprintf(path, sizeof path, "ollama.models_available[%zu]", i);
            r = heartbeat_string(w, "name", path, 1, &a->name, err, errlen);
            json_object_put(w);
        } else if (m && json_object_is_type(m, json_type_object)) {
            /* Ollama's ListModel: "name", else "model". */
            snprintf(path, sizeof path, "ollama.models_available[%zu].name", i);
            const char *key = heartbeat_get(m, "name") ? "name" : "model";
            r = heartbeat_string(m, key, path, 1, &a->name, err, errlen);
            if (r == 0)
                a->raw = json_object_get(m);
        } else {
            r = heartbeat_fail(
                err, errlen,
                "ollama.models_available[%zu] must be a string or "
                "an object",
                i);
        }
        if (r != 0)
            return r;
    }
    return 0;
}

static int
heartbeat_parse_ollama(json_object *ol, struct hb_snapshot *s, char *err,
                       size_t errlen)
{
    json_object *v = heartbeat_get(ol, "models_loaded");
    int r = 0;
    if (v && !json_object_is_type(v, json_type_array))
        return heartbeat_fail(err, errlen,
                              "ollama.models_loaded must be an array");
    if (v)
        r = heartbeat_parse_loaded(v, s, err, errlen);
    if (r != 0)
        return r;
    v = heartbeat_get(ol, "models_available");
    if (v && !json_object_is_type(v, json_type_array))
        return heartbeat_fail(err, errlen,
                              "ollama.models_available must be an array");
    if (v)
        r = heartbeat_parse_available(v, s, err, errlen);
    if (r == 0)
        r = heartbeat_uint(ol, "requests_active", "ollama.requests_active", 0,
                           &s->requests_active, err, errlen);
    return r;
}

/* lan_ip becomes the host of the node's URL, so only an address will do:
 * anything else would make a URL that points somewhere unexpected. */
static int
heartbeat_is_ip(const char *text)
{
    unsigned char addr[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, text, addr) == 1 ||
           inet_pton(AF_INET6, text, addr) == 1;
}

/* Top-level scalars of the reference agent and ours. */
static int
heartbeat_parse_identity(json_object *p, struct hb_snapshot *s, char *err,
                         size_t errlen)
{
    uint32_t ignored;
    double when;
    int r = heartbeat_string(p, "ollama_host", "ollama_host", 0,
                             &s->ollama_host, err, errlen);
    if (r == 0)
        r = heartbeat_string(p, "lan_ip", "lan_ip", 0, &s->lan_ip, err, errlen);
    if (r == 0 && s->lan_ip && *s->lan_ip && !heartbeat_is_ip(s->lan_ip))
        r = heartbeat_fail(err, errlen,
                           "lan_ip must be an IPv4 or IPv6 address");
    if (r == 0)
        r = heartbeat_string(p, "chip", "chip", 0, &s->chip, err, errlen);
    if (r == 0)
        r = heartbeat_string(p, "arch", "arch", 0, &s->arch, err, errlen);
    if (r == 0)
        r = heartbeat_string(p, "agent_version", "agent_version", 0,
                             &s->agent_version, err, errlen);
    if (r == 0)
        r = heartbeat_string(p, "ollama_version", "ollama_version", 0,
                             &s->ollama_version, err, errlen);
    if (r == 0)
        r = heartbeat_number(p, "memory_bandwidth_gbps",
                             "memory_bandwidth_gbps", 0,
                             &s->memory_bandwidth_gbps, NULL, err, errlen);
    if (r == 0)
        r = heartbeat_uint(p, "num_parallel", "num_parallel", 0,
                           &s->num_parallel, err, errlen);
    if (r == 0)
        r = heartbeat_uint(p, "connection_failures", "connection_failures", 0,
                           &ignored, err, errlen);
    if (r == 0)
        r = heartbeat_uint(p, "connection_failures_total",
                           "connection_failures_total", 0, &ignored, err,
                           errlen);
    if (r == 0)
        r = heartbeat_number(p, "timestamp", "timestamp", 0, &when, NULL, err,
                             errlen);
    return r;
}

static int
heartbeat_parse_all(json_object *p, struct hb_snapshot *s, char *err,
                    size_t errlen)
{
    json_object *cpu, *mem, *th, *disk, *cap, *ol;
    int r =
        heartbeat_string(p, "node_id", "node_id", 1, &s->node_id, err, errlen);
    if (r == 0)
        r = heartbeat_bool(p, "draining", "draining", &s->draining, err,
                           errlen);
    if (r == 0)
        r = heartbeat_bool(p, "agentless", "agentless", &s->agentless, err,
                           errlen);
    if (r != 0)
        return r;
    /* The drain notice of the reference carries only node_id. */
    if (s->draining)
        return 0;

    if ((r = heartbeat_object(p, "cpu", &cpu, err, errlen)) != 0 ||
        (r = heartbeat_object(p, "memory", &mem, err, errlen)) != 0 ||
        (r = heartbeat_object(p, "thermal", &th, err, errlen)) != 0 ||
        (r = heartbeat_object(p, "disk", &disk, err, errlen)) != 0 ||
        (r = heartbeat_object(p, "capacity", &cap, err, errlen)) != 0 ||
        (r = heartbeat_object(p, "ollama", &ol, err, errlen)) != 0)
        return r;
    /* An agentless report comes from Ollama's API, which says nothing
     * about the machine; an agent must say what it has. */
    if (!cpu && !s->agentless)
        return heartbeat_fail(err, errlen, "cpu is required");
    if (!mem && !s->agentless)
        return heartbeat_fail(err, errlen, "memory is required");
    if (cpu && (r = heartbeat_parse_cpu(cpu, s, err, errlen)) != 0)
        return r;
    if (mem && (r = heartbeat_parse_memory(mem, s, err, errlen)) != 0)
        return r;
    if (th && (r = heartbeat_parse_thermal(th, s, err, errlen)) != 0)
        return r;
    if (disk && (r = heartbeat_parse_disk(disk, s, err, errlen)) != 0)
        return r;
    if (cap && (r = heartbeat_parse_capacity(cap, s, err, errlen)) != 0)
        return r;
    if (ol && (r = heartbeat_parse_ollama(ol, s, err, errlen)) != 0)
        return r;
    return heartbeat_parse_identity(p, s, err, errlen);
}

int
heartbeat_parse(json_object *payload, struct hb_snapshot *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->temperature_c = NAN;
    out->pressure = HERD_PRESSURE_UNKNOWN;
    if (!payload || !json_object_is_type(payload, json_type_object))
        return heartbeat_fail(err, errlen, "heartbeat must be a JSON object");
    int r = heartbeat_parse_all(payload, out, err, errlen);
    if (r == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (r != 0) {
        heartbeat_free(out);
        out->temperature_c = NAN;
    }
    return r;
}

int
heartbeat_parse_text(const char *text, size_t len, size_t limit,
                     json_object **payload_out, struct hb_snapshot *out,
                     char *err, size_t errlen)
{
    *payload_out = NULL;
    memset(out, 0, sizeof *out);
    if (len > limit) {
        snprintf(err, errlen, "heartbeat of %zu bytes exceeds %zu", len, limit);
        return -E2BIG;
    }
    if (len == 0)
        return heartbeat_fail(err, errlen, "empty heartbeat");
    json_object *o = http_json_parse(text, len, err, errlen);
    if (!o)
        return -EINVAL;
    int r = heartbeat_parse(o, out, err, errlen);
    if (r != 0) {
        json_object_put(o);
        return r;
    }
    *payload_out = o;
    return 0;
}

void
heartbeat_loaded_clear(struct hb_loaded *l)
{
    free(l->name);
    free(l->parameter_size);
    free(l->quantization);
    json_object_put(l->raw);
}

void
heartbeat_free(struct hb_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->loaded_count; i++)
        heartbeat_loaded_clear(&s->loaded[i]);
    free(s->loaded);
    for (size_t i = 0; i < s->available_count; i++) {
        free(s->available[i].name);
        json_object_put(s->available[i].raw);
    }
    free(s->available);
    free(s->node_id);
    free(s->thermal_state);
    free(s->capacity_mode);
    free(s->ollama_host);
    free(s->lan_ip);
    free(s->chip);
    free(s->arch);
    free(s->agent_version);
    free(s->ollama_version);
    memset(s, 0, sizeof *s);
}

static int
heartbeat_is_loopback(const char *peer)
{
    return !peer || !*peer || strcmp(peer, "127.0.0.1") == 0 ||
           strcmp(peer, "::1") == 0 || strcmp(peer, "::ffff:127.0.0.1") == 0;
}

/* The port of an http://host[:port][/...] URL, 11434 when absent. */
static int
heartbeat_url_port(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? p + 3 : url;
    if (!p)
        return 11434;
    const char *end = p + strcspn(p, "/?#");
    const char *colon = NULL;
    if (*p == '[') { /* [v6]:port */
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close && close + 1 < end && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
    }
    if (!colon)
        return 11434;
    char *stop;
    long port = strtol(colon + 1, &stop, 10);
    if (stop != end || port < 1 || port > 65535)
        return 11434;
    return (int)port;
}

int
heartbeat_node_url(const struct hb_snapshot *s, const char *peer_addr,
                   char *buf, size_t buflen)
{
    const char *host = s->ollama_host;
    int n;
    if (s->agentless) {
        if (!host || !*host)
            return -EINVAL;
        n = snprintf(buf, buflen, "%s", host);
    } else if (heartbeat_is_loopback(peer_addr)) {
        n = snprintf(buf, buflen, "http://localhost:%d",
                     heartbeat_url_port(host));
    } else if (s->lan_ip && *s->lan_ip && strcmp(s->lan_ip, "127.0.0.1")) {
        n = snprintf(buf, buflen,
                     strchr(s->lan_ip, ':') ? "http://[%s]:%d" : "http://%s:%d",
                     s->lan_ip, heartbeat_url_port(host));
    } else if (host && *host) {
        n = snprintf(buf, buflen, "%s", host);
    } else {
        /* Neither told us where Ollama is: the peer is the best guess. */
        n = snprintf(buf, buflen,
                     strchr(peer_addr, ':') ? "http://[%s]:%d" : "http://%s:%d",
                     peer_addr, heartbeat_url_port(host));
    }
    if (n < 0 || (size_t)n >= buflen)
        return -EINVAL;
    /* Strip trailing slashes so paths can be appended. */
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return 0;
}
