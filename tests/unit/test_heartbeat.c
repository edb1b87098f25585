/* Heartbeat parsing: the reference agent's payload is accepted as is, each
 * malformed field is refused with its name, garbage and oversized input
 * are refused, and the node URL follows the reference's rule. */
#include "autoconfig.h"

#include "heartbeat.h"
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* herd-reference.md, Appendix A, verbatim. */
static const char *appendix_a =
    "{\"node_id\":\"gpu-box\",\"arch\":\"apple_silicon\",\"timestamp\":"
    "1777400000.1,\n"
    " \"cpu\":{\"cores_physical\":16,\"utilization_pct\":12.5},\n"
    " \"memory\":{\"total_gb\":125.7,\"used_gb\":31.2,\"available_gb\":92.4,"
    "\"pressure\":\"normal\",\"wired_gb\":0.0,\"compressed_gb\":0.0},\n"
    " \"thermal\":{\"state\":\"nominal\",\"temperature_c\":61.0,\"source\":"
    "\"psutil:k10temp\"},\n"
    " \"disk\":{\"total_gb\":915.8,\"used_gb\":402.1,\"available_gb\":467.2},\n"
    " \"ollama\":{\"models_loaded\":[{\"name\":\"qwen3:32b\",\"size_gb\":24.6,"
    "\"requests_active\":0,\"parameter_size\":\"32.8B\",\n"
    "            \"quantization\":\"Q4_K_M\",\"context_length\":40960}],\n"
    "           \"models_available\":[\"qwen3:32b\",\"nomic-embed-text:"
    "latest\"],\"requests_active\":0},\n"
    " \"ollama_host\":\"http://"
    "192.168.1.20:11434\",\"lan_ip\":\"192.168.1.20\","
    "\"draining\":false,\"capacity\":null,\n"
    " \"agent_version\":\"0.6.1\",\"image\":null,\"image_port\":0,"
    "\"transcription\":null,\"transcription_port\":0,\n"
    " \"vision_embedding\":null,\"vision_embedding_port\":0,\n"
    " \"vision_embedding_status\":{\"backend_available\":false,"
    "\"cached_model_count\":0},\n"
    " \"connection_failures\":0,\"connection_failures_total\":0,\n"
    " \"chip\":\"AMD Ryzen 9 7950X 16-Core Processor + NVIDIA GeForce RTX "
    "4090\",\"memory_bandwidth_gbps\":1008.0,\n"
    " \"mlx_servers\":[],\"mlx_bind_host\":\"127.0.0.1\"}";

/* Parses appendix A with one member replaced (path "a.b" or "a"), and
 * returns the error text ("" on success). */
static const char *
mutate(const char *path, json_object *value)
{
    static char err[256];
    json_object *o = json_tokener_parse(appendix_a);
    char key[64];
    snprintf(key, sizeof key, "%s", path);
    char *dot = strchr(key, '.');
    json_object *parent = o;
    if (dot) {
        *dot = '\0';
        parent = json_object_object_get(o, key);
        memmove(key, dot + 1, strlen(dot + 1) + 1);
    }
    if (value)
        json_object_object_add(parent, key, value);
    else
        json_object_object_del(parent, key);
    struct hb_snapshot s;
    err[0] = '\0';
    heartbeat_parse(o, &s, err, sizeof err);
    heartbeat_free(&s);
    json_object_put(o);
    return err;
}

static void
test_appendix_a(void)
{
    json_object *payload = NULL;
    struct hb_snapshot s;
    char err[256] = "";
    int r = heartbeat_parse_text(appendix_a, strlen(appendix_a), 1 << 20,
                                 &payload, &s, err, sizeof err);
    is_int(r, 0, "appendix A payload is accepted");
    if (r != 0)
        diag("error: %s", err);
    is_str(s.node_id, "gpu-box", "node_id");
    is_int(s.cores_physical, 16, "cpu.cores_physical");
    is_double(s.cpu_utilization_pct, 12.5, 1e-9, "cpu.utilization_pct");
    is_double(s.memory_total_gb, 125.7, 1e-9, "memory.total_gb");
    is_double(s.memory_available_gb, 92.4, 1e-9, "memory.available_gb");
    is_int(s.pressure, HERD_PRESSURE_NORMAL, "memory.pressure");
    is_double(s.temperature_c, 61.0, 1e-9, "thermal.temperature_c");
    is_str(s.thermal_state, "nominal", "thermal.state");
    ok(s.has_disk && fabs(s.disk_available_gb - 467.2) < 1e-9, "disk");
    ok(!s.has_capacity, "capacity null means none");
    is_int(s.loaded_count, 1, "one loaded model");
    is_str(s.loaded_count ? s.loaded[0].name : NULL, "qwen3:32b",
           "loaded model name");
    is_int(s.loaded_count ? s.loaded[0].context_length : 0, 40960,
           "loaded context_length");
    is_str(s.loaded_count ? s.loaded[0].quantization : NULL, "Q4_K_M",
           "loaded quantization");
    is_int(s.available_count, 2, "two models on disk");
    is_str(s.available_count > 1 ? s.available[1].name : NULL,
           "nomic-embed-text:latest", "available names");
    is_double(s.memory_bandwidth_gbps, 1008.0, 1e-9, "bandwidth");
    is_int(s.num_parallel, 0, "num_parallel not reported");
    ok(!s.draining && !s.agentless, "not draining, not agentless");

    char url[256];
    is_int(heartbeat_node_url(&s, "192.168.1.20", url, sizeof url), 0,
           "url from a LAN peer");
    is_str(url, "http://192.168.1.20:11434", "LAN peer uses lan_ip");
    heartbeat_node_url(&s, "127.0.0.1", url, sizeof url);
    is_str(url, "http://localhost:11434", "loopback peer uses localhost");
    heartbeat_node_url(&s, "", url, sizeof url);
    is_str(url, "http://localhost:11434", "unknown peer uses localhost");
    heartbeat_node_url(&s, "::1", url, sizeof url);
    is_str(url, "http://localhost:11434", "::1 peer uses localhost");
    free(s.lan_ip);
    s.lan_ip = strdup("127.0.0.1");
    heartbeat_node_url(&s, "10.0.0.9", url, sizeof url);
    is_str(url, "http://192.168.1.20:11434",
           "lan_ip 127.0.0.1 falls back to ollama_host");
    heartbeat_free(&s);
    json_object_put(payload);
}

static void
test_malformed(void)
{
    like(mutate("node_id", NULL), "node_id is required", "missing node_id");
    like(mutate("node_id", json_object_new_int(3)), "node_id must be a string",
         "numeric node_id");
    like(mutate("node_id", json_object_new_string("")),
         "node_id must not be empty", "empty node_id");
    like(mutate("node_id", json_object_new_string("a\nb")),
         "node_id contains a control character", "control char in node_id");
    like(mutate("cpu", NULL), "cpu is required", "missing cpu");
    like(mutate("cpu", json_object_new_string("x")), "cpu must be an object",
         "cpu not an object");
    like(mutate("cpu.cores_physical", json_object_new_string("16")),
         "cpu.cores_physical must be an integer", "cores as string");
    like(mutate("cpu.cores_physical", json_object_new_int(0)),
         "cpu.cores_physical must be at least 1", "zero cores");
    like(mutate("cpu.utilization_pct", json_object_new_double(-1)),
         "cpu.utilization_pct must be a number >= 0", "negative cpu");
    like(mutate("memory", NULL), "memory is required", "missing memory");
    like(mutate("memory.total_gb", json_object_new_string("lots")),
         "memory.total_gb must be a number", "memory.total_gb string");
    like(mutate("memory.available_gb", NULL), "memory.available_gb is required",
         "memory.available_gb missing");
    like(mutate("memory.pressure", json_object_new_string("high")),
         "memory.pressure must be normal, warn or critical", "bad pressure");
    like(mutate("thermal.temperature_c", json_object_new_string("hot")),
         "thermal.temperature_c must be a number", "bad temperature");
    like(mutate("disk.total_gb", json_object_new_boolean(1)),
         "disk.total_gb must be a number", "bad disk");
    like(mutate("ollama.models_loaded", json_object_new_string("x")),
         "ollama.models_loaded must be an array", "models_loaded not array");
    like(mutate("ollama.models_available", json_object_new_int(1)),
         "ollama.models_available must be an array",
         "models_available not array");
    like(mutate("draining", json_object_new_string("yes")),
         "draining must be true or false", "draining not a bool");
    like(mutate("num_parallel", json_object_new_int(-2)),
         "num_parallel must be an integer >= 0", "negative num_parallel");
    like(mutate("capacity", json_object_new_int(2)),
         "capacity must be an object", "capacity not an object");
    like(mutate("lan_ip", json_object_new_int(2)), "lan_ip must be a string",
         "lan_ip not a string");
    like(mutate("lan_ip", json_object_new_string("10.0.0.1/x@evil")),
         "lan_ip must be an IPv4 or IPv6 address", "lan_ip not an address");
    json_object *huge_model = json_object_new_array();
    json_object *hm = json_object_new_object();
    json_object_object_add(hm, "name", json_object_new_string("m:1"));
    json_object_object_add(hm, "size_gb", json_object_new_double(1e300));
    json_object_array_add(huge_model, hm);
    like(mutate("ollama.models_loaded", huge_model),
         "ollama.models_loaded[0].size_gb must be at most",
         "a model size beyond int64 bytes is refused");
    is_str(mutate("lan_ip", json_object_new_string("fd00::2")), "",
           "an IPv6 lan_ip is accepted");
    is_str(mutate("lan_ip", json_object_new_string("")), "",
           "an empty lan_ip (the reference's default) is accepted");

    json_object *bad = json_object_new_array();
    json_object *m = json_object_new_object();
    json_object_object_add(m, "name", json_object_new_string("x"));
    json_object_object_add(m, "size_gb", json_object_new_string("big"));
    json_object_array_add(bad, m);
    like(mutate("ollama.models_loaded", bad),
         "ollama.models_loaded[0].size_gb must be a number",
         "loaded entry field named with its index");

    json_object *avail = json_object_new_array();
    json_object_array_add(avail, json_object_new_string("ok:latest"));
    json_object_array_add(avail, json_object_new_int(5));
    like(mutate("ollama.models_available", avail),
         "ollama.models_available[1] must be a string or an object",
         "available entry of the wrong type");
}

static void
test_ours(void)
{
    /* Drain notice of the reference: node_id and draining only. */
    struct hb_snapshot s;
    char err[256] = "";
    json_object *o =
        json_tokener_parse("{\"node_id\":\"gpu-box\",\"draining\":true}");
    is_int(heartbeat_parse(o, &s, err, sizeof err), 0,
           "drain notice without metrics is accepted");
    ok(s.draining, "drain notice is draining");
    heartbeat_free(&s);
    json_object_put(o);

    /* Agentless report: no cpu/memory, Ollama objects and num_parallel. */
    o = json_tokener_parse(
        "{\"node_id\":\"sim1\",\"agentless\":true,\"num_parallel\":4,"
        "\"ollama_host\":\"http://127.0.0.1:9/\",\"ollama_version\":\"0.9.0\","
        "\"ollama\":{\"models_loaded\":[{\"name\":\"a:1b\",\"num_parallel\":2,"
        "\"size\":123}],\"models_available\":[{\"name\":\"a:1b\",\"digest\":"
        "\"ff\",\"size\":99}]}}");
    is_int(heartbeat_parse(o, &s, err, sizeof err), 0,
           "agentless report without cpu/memory is accepted");
    ok(!s.has_cpu && !s.has_memory, "agentless: machine state unknown");
    is_int(s.num_parallel, 4, "top-level num_parallel");
    is_int(s.loaded_count ? s.loaded[0].num_parallel : 0, 2,
           "per-model num_parallel");
    ok(s.available_count == 1 && s.available[0].raw,
       "object entry kept raw for /api/tags");
    is_str(s.ollama_version, "0.9.0", "ollama_version");
    char url[128];
    heartbeat_node_url(&s, "", url, sizeof url);
    is_str(url, "http://127.0.0.1:9", "agentless url is ollama_host");
    heartbeat_free(&s);
    json_object_put(o);
}

static void
test_garbage(void)
{
    json_object *p;
    struct hb_snapshot s;
    char err[256];
    const char *cases[] = {"",
                           "{",
                           "[]",
                           "null",
                           "42",
                           "{\"node_id\":",
                           "{\"node_id\":\"a\"} trailing",
                           "\xff\xfe"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int r = heartbeat_parse_text(cases[i], strlen(cases[i]), 1 << 20, &p,
                                     &s, err, sizeof err);
        ok(r == -EINVAL && err[0] && !p, "garbage %zu refused: %s", i, err);
    }

    /* A scalar at the very end is a whole value, not a truncated one. */
    int rs = heartbeat_parse_text("42", 2, 1 << 20, &p, &s, err, sizeof err);
    is_int(rs, -EINVAL, "a bare number is refused");
    like(err, "must be a JSON object", "... as not an object: %s", err);
    rs = heartbeat_parse_text("null", 4, 1 << 20, &p, &s, err, sizeof err);
    like(err, "not null", "JSON null is named as such: %s", err);

    size_t big = 2 << 20;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    int r = heartbeat_parse_text(huge, big, 1 << 20, &p, &s, err, sizeof err);
    is_int(r, -E2BIG, "payload over the limit refused");
    like(err, "exceeds", "size error says so");

    /* Deep nesting is refused by the tokenizer, not by the stack. */
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 1);
    for (size_t i = 0; i < depth; i++) {
        deep[i] = '[';
        deep[depth * 2 - 1 - i] = ']';
    }
    deep[depth * 2] = '\0';
    r = heartbeat_parse_text(deep, depth * 2, 1 << 20, &p, &s, err, sizeof err);
    is_int(r, -EINVAL, "deeply nested input refused");
    free(deep);

    /* Too many loaded models. */
    json_object *o = json_tokener_parse(appendix_a);
    json_object *arr = json_object_new_array();
    for (int i = 0; i <= HEARTBEAT_MAX_LOADED; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string("m"));
        json_object_array_add(arr, m);
    }
    json_object_object_add(json_object_object_get(o, "ollama"), "models_loaded",
                           arr);
    r = heartbeat_parse(o, &s, err, sizeof err);
    ok(r == -EINVAL && strstr(err, "more than"), "too many loaded models");
    json_object_put(o);
    free(huge);
}

int
main(void)
{
    test_appendix_a();
    test_malformed();
    test_ours();
    test_garbage();
    return done_testing();
}
