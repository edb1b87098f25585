/* The heartbeat payload: the reference agent's members, so a reference
 * router understands it, plus ours (num_parallel, versions, gpu, capacity
 * details). core/heartbeat.c is the parser it must satisfy. */
#include "autoconfig.h"

#include "agent.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static json_object *
payload_round(double v, double unit)
{
    return json_object_new_double(round(v / unit) * unit);
}

static json_object *
payload_member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    if (o && json_object_object_get_ex(o, key, &v) && v &&
        json_object_is_type(v, type))
        return v;
    return NULL;
}

/* One /api/ps entry as the reference's models_loaded entry, keeping
 * Ollama's own fields for the router's /api/ps. */
static json_object *
payload_loaded(json_object *m, int num_parallel)
{
    json_object *name = payload_member(m, "name", json_type_string);
    if (!name)
        name = payload_member(m, "model", json_type_string);
    if (!name)
        return NULL;
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", json_object_get(name));
    static const char *const keep[] = {"model",   "size",       "digest",
                                       "details", "expires_at", "size_vram"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        json_object *v = NULL;
        if (json_object_object_get_ex(m, keep[i], &v) && v)
            json_object_object_add(e, keep[i], json_object_get(v));
    }
    json_object *size = payload_member(m, "size", json_type_int);
    int64_t bytes = size ? json_object_get_int64(size) : 0;
    json_object_object_add(
        e, "size_gb", payload_round(bytes > 0 ? bytes / AGENT_GIB : 0, 0.01));
    json_object_object_add(e, "requests_active", json_object_new_int(0));
    json_object *details = payload_member(m, "details", json_type_object);
    json_object *v =
        payload_member(details, "parameter_size", json_type_string);
    json_object_object_add(e, "parameter_size",
                           v ? json_object_get(v) : json_object_new_string(""));
    v = payload_member(details, "quantization_level", json_type_string);
    json_object_object_add(e, "quantization",
                           v ? json_object_get(v) : json_object_new_string(""));
    v = payload_member(m, "context_length", json_type_int);
    int64_t ctx = v ? json_object_get_int64(v) : 0;
    json_object_object_add(
        e, "context_length",
        json_object_new_int64(ctx > 0 && ctx <= INT32_MAX ? ctx : 0));
    if (num_parallel > 0)
        json_object_object_add(e, "num_parallel",
                               json_object_new_int(num_parallel));
    return e;
}

static json_object *
payload_ollama(const struct agent *a)
{
    json_object *ollama = json_object_new_object();
    json_object *loaded = json_object_new_array();
    json_object *available = json_object_new_array();
    int np = a->cfg->agent_num_parallel;

    json_object *arr = payload_member(a->ollama.result[AGENT_OLLAMA_PS],
                                      "models", json_type_array);
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *e = payload_loaded(json_object_array_get_idx(arr, i), np);
        if (e)
            json_object_array_add(loaded, e);
    }
    arr = payload_member(a->ollama.result[AGENT_OLLAMA_TAGS], "models",
                         json_type_array);
    /* Whole /api/tags objects (the router accepts them besides bare
     * names), so its /api/tags shows digests and details. */
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        if (payload_member(m, "name", json_type_string) ||
            payload_member(m, "model", json_type_string))
            json_object_array_add(available, json_object_get(m));
    }
    json_object_object_add(ollama, "models_loaded", loaded);
    json_object_object_add(ollama, "models_available", available);
    json_object_object_add(ollama, "requests_active", json_object_new_int(0));
    return ollama;
}

/* The configured Ollama URL with a loopback host replaced by the LAN
 * address, so that a router elsewhere can reach it. */
static json_object *
payload_ollama_host(const struct agent *a, const char *lan_ip)
{
    char buf[1200];
    const struct agent_url *u = &a->ollama.url;
    if (agent_url_is_loopback(u->host) && strcmp(lan_ip, "127.0.0.1") != 0)
        snprintf(buf, sizeof buf, "http://%s:%d%s", lan_ip, u->port, u->prefix);
    else
        snprintf(buf, sizeof buf, "http://%s%s", u->hostport, u->prefix);
    return json_object_new_string(buf);
}

static double
payload_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static json_object *
payload_capacity(const struct capacity_result *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mode", json_object_new_string(c->mode));
    json_object_object_add(o, "ceiling_gb", payload_round(c->ceiling_gb, 0.01));
    json_object_object_add(o, "availability_score",
                           payload_round(c->score, 0.001));
    json_object_object_add(o, "reason",
                           json_object_new_string(c->reason ? c->reason : ""));
    json_object_object_add(o, "override_active", json_object_new_boolean(0));
    json_object_object_add(o, "learning_confidence",
                           payload_round(c->confidence, 0.001));
    json_object_object_add(o, "days_observed",
                           payload_round(c->days_observed, 0.01));
    json_object_object_add(o, "slot", json_object_new_int(c->slot));
    json_object_object_add(o, "slot_cpu_pct",
                           c->slot_cpu >= 0 ? payload_round(c->slot_cpu, 0.1)
                                            : NULL);
    return o;
}

json_object *
agent_payload_build(struct agent *a, double cpu_pct,
                    const struct agent_memory *mem,
                    const struct agent_disk *disk, int have_disk,
                    const struct agent_thermal *th,
                    const struct capacity_result *cap)
{
    char lan_ip[64];
    json_object *p = json_object_new_object();
    json_object *o;

    agent_lan_ip(lan_ip, sizeof lan_ip);
    json_object_object_add(p, "node_id",
                           json_object_new_string(a->cfg->agent_node_id));
    json_object_object_add(p, "arch", json_object_new_string(a->arch));
    json_object_object_add(p, "timestamp", payload_round(payload_now(), 0.001));

    o = json_object_new_object();
    json_object_object_add(o, "cores_physical",
                           json_object_new_int((int)a->cores));
    json_object_object_add(o, "utilization_pct", payload_round(cpu_pct, 0.1));
    json_object_object_add(p, "cpu", o);

    o = json_object_new_object();
    json_object_object_add(o, "total_gb",
                           json_object_new_double(mem->total_gb));
    json_object_object_add(o, "used_gb", json_object_new_double(mem->used_gb));
    json_object_object_add(o, "available_gb",
                           json_object_new_double(mem->available_gb));
    json_object_object_add(o, "pressure",
                           json_object_new_string(mem->pressure));
    json_object_object_add(o, "pressure_source",
                           json_object_new_string(mem->pressure_source));
    if (mem->psi_some_avg10 >= 0) {
        json_object_object_add(o, "psi_some_avg10",
                               json_object_new_double(mem->psi_some_avg10));
        json_object_object_add(o, "psi_full_avg10",
                               json_object_new_double(mem->psi_full_avg10 >= 0
                                                          ? mem->psi_full_avg10
                                                          : 0));
    }
    json_object_object_add(o, "wired_gb", json_object_new_double(0));
    json_object_object_add(o, "compressed_gb", json_object_new_double(0));
    json_object_object_add(p, "memory", o);

    o = json_object_new_object();
    json_object_object_add(o, "state", json_object_new_string(th->state));
    json_object_object_add(o, "temperature_c",
                           isnan(th->temperature_c)
                               ? NULL
                               : json_object_new_double(th->temperature_c));
    json_object_object_add(o, "source", json_object_new_string(th->source));
    json_object_object_add(p, "thermal", o);

    if (have_disk) {
        o = json_object_new_object();
        json_object_object_add(o, "total_gb",
                               json_object_new_double(disk->total_gb));
        json_object_object_add(o, "used_gb",
                               json_object_new_double(disk->used_gb));
        json_object_object_add(o, "available_gb",
                               json_object_new_double(disk->available_gb));
        json_object_object_add(p, "disk", o);
    }

    if (a->gpu.known) {
        o = json_object_new_object();
        json_object_object_add(o, "count",
                               json_object_new_int((int)a->gpu.count));
        json_object_object_add(o, "memory_total_gb",
                               json_object_new_double(a->gpu.total_gb));
        json_object_object_add(o, "memory_used_gb",
                               json_object_new_double(a->gpu.used_gb));
        json_object_object_add(o, "name", json_object_new_string(a->gpu.name));
        json_object_object_add(o, "source",
                               json_object_new_string(a->gpu.source));
        json_object_object_add(p, "gpu", o);
    }

    json_object_object_add(p, "ollama", payload_ollama(a));
    json_object_object_add(p, "ollama_host", payload_ollama_host(a, lan_ip));
    const char *ver = agent_ollama_version(&a->ollama);
    if (ver)
        json_object_object_add(p, "ollama_version",
                               json_object_new_string(ver));
    json_object_object_add(p, "lan_ip", json_object_new_string(lan_ip));
    json_object_object_add(p, "draining", json_object_new_boolean(0));
    json_object_object_add(p, "capacity", cap ? payload_capacity(cap) : NULL);
    json_object_object_add(p, "agent_version",
                           json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(p, "chip", json_object_new_string(a->chip));
    json_object_object_add(p, "memory_bandwidth_gbps",
                           json_object_new_double(a->bandwidth_gbps));
    if (a->cfg->agent_num_parallel > 0)
        json_object_object_add(p, "num_parallel",
                               json_object_new_int(a->cfg->agent_num_parallel));
    json_object_object_add(
        p, "connection_failures",
        json_object_new_int64((int64_t)(a->router.failures > INT32_MAX
                                            ? INT32_MAX
                                            : a->router.failures)));
    json_object_object_add(
        p, "connection_failures_total",
        json_object_new_int64((int64_t)(a->router.failures_total > INT32_MAX
                                            ? INT32_MAX
                                            : a->router.failures_total)));
    return p;
}

json_object *
agent_payload_drain(const struct agent *a)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "node_id",
                           json_object_new_string(a->cfg->agent_node_id));
    json_object_object_add(p, "draining", json_object_new_boolean(1));
    json_object_object_add(p, "timestamp", payload_round(payload_now(), 0.001));
    json_object_object_add(p, "agent_version",
                           json_object_new_string(PACKAGE_VERSION));
    return p;
}
