/* herd-node's heartbeat must pass the router's own parser
 * (core/heartbeat.c), carry what Ollama said and what the machine measured,
 * and the drain notice must be accepted too. */
#include "autoconfig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "heartbeat.h"
#include "tap.h"

static const char *ps_json =
    "{\"models\":[{\"name\":\"llama3:latest\",\"model\":\"llama3:latest\","
    "\"size\":2147483648,\"digest\":\"caaa\",\"details\":{\"parent_model\":"
    "\"\",\"format\":\"gguf\",\"family\":\"llama\",\"parameter_size\":\"3.3B\","
    "\"quantization_level\":\"Q4_K_M\"},\"expires_at\":\"2026-11-27T01:20:"
    "50Z\","
    "\"size_vram\":2147483648,\"context_length\":4096}]}";
static const char *tags_json =
    "{\"models\":[{\"name\":\"qwen3:latest\",\"model\":\"qwen3:latest\","
    "\"size\":5368709120,\"digest\":\"3818\"},{\"name\":\"llama3:latest\","
    "\"model\":\"llama3:latest\",\"size\":2147483648,\"digest\":\"caaa\"}]}";

int
main(void)
{
    struct herd_config cfg;
    struct agent a;
    struct agent_memory mem = {31.2, 12.5, 18.7, "warn", "psi", 11.0, 0.5};
    struct agent_disk disk = {915.8, 402.1, 467.2};
    struct agent_thermal th = {61.0, "nominal", "hwmon:k10temp"};
    struct capacity_result cap = {0};
    struct hb_snapshot s;
    char err[512];

    plan(27);
    memset(&cfg, 0, sizeof cfg);
    memset(&a, 0, sizeof a);
    cfg.agent_node_id = (char *)"gpu-box";
    cfg.agent_num_parallel = 2;
    a.cfg = &cfg;
    a.cores = 16;
    snprintf(a.arch, sizeof a.arch, "x86_64");
    snprintf(a.chip, sizeof a.chip, "AMD Ryzen + NVIDIA GeForce RTX 4090");
    a.bandwidth_gbps = 1008;
    a.router.failures = 3;
    a.router.failures_total = 7;
    agent_url_parse("http://127.0.0.1:11434", 11434, &a.ollama.url, err,
                    sizeof err);
    a.ollama.result[AGENT_OLLAMA_PS] = json_tokener_parse(ps_json);
    a.ollama.result[AGENT_OLLAMA_TAGS] = json_tokener_parse(tags_json);
    a.ollama.result[AGENT_OLLAMA_VERSION] =
        json_tokener_parse("{\"version\":\"0.12.6\"}");
    cap.mode = "learned_high";
    cap.reason = "good_availability";
    cap.score = 0.7;
    cap.ceiling_gb = 15.6;
    cap.slot_cpu = -1;

    json_object *p = agent_payload_build(&a, 42.25, &mem, &disk, 1, &th, &cap);
    int rc = heartbeat_parse(p, &s, err, sizeof err);
    is_int(rc, 0, "the router's parser accepts the heartbeat");
    if (rc != 0)
        diag("%s", err);
    is_str(s.node_id, "gpu-box", "node_id");
    ok(s.has_cpu && s.cores_physical == 16, "cores");
    is_double(s.cpu_utilization_pct, 42.3, 1e-9, "CPU rounded to 0.1");
    is_double(s.memory_total_gb, 31.2, 1e-9, "memory total");
    is_int(s.pressure, HERD_PRESSURE_WARN, "pressure");
    is_double(s.temperature_c, 61, 1e-9, "temperature");
    ok(s.has_disk && fabs(s.disk_available_gb - 467.2) < 1e-9, "disk");
    is_int(s.loaded_count, 1, "one model loaded");
    is_str(s.loaded[0].name, "llama3:latest", "its name");
    is_double(s.loaded[0].size_gb, 2, 1e-9, "size_gb from bytes");
    is_int(s.loaded[0].context_length, 4096, "context_length");
    is_int(s.loaded[0].num_parallel, 2, "per-model num_parallel");
    is_str(s.loaded[0].quantization, "Q4_K_M", "quantization");
    is_int(s.available_count, 2, "two models on disk");
    ok(s.available[0].raw != NULL, "as whole /api/tags objects");
    is_int(s.num_parallel, 2, "top-level num_parallel");
    ok(s.has_capacity && !strcmp(s.capacity_mode, "learned_high") &&
           fabs(s.availability_score - 0.7) < 1e-9 &&
           fabs(s.capacity_ceiling_gb - 15.6) < 1e-9,
       "capacity mode, score, ceiling");
    is_str(s.agent_version, PACKAGE_VERSION, "agent_version");
    is_str(s.ollama_version, "0.12.6", "ollama_version");
    is_double(s.memory_bandwidth_gbps, 1008, 0, "bandwidth");
    is_str(s.arch, "x86_64", "arch is the real one");
    json_object *v = NULL;
    json_object_object_get_ex(p, "connection_failures_total", &v);
    is_int(json_object_get_int(v), 7, "connection_failures_total");
    json_object_object_get_ex(p, "ollama_host", &v);
    ok(s.lan_ip && (strcmp(s.lan_ip, "127.0.0.1") == 0
                        ? strcmp(json_object_get_string(v),
                                 "http://127.0.0.1:11434") == 0
                        : strstr(json_object_get_string(v), s.lan_ip) != NULL),
       "a loopback ollama_host is given as the LAN address (%s)",
       json_object_get_string(v));
    heartbeat_free(&s);
    json_object_put(p);

    /* no Ollama answer, no learner: still a valid heartbeat */
    for (int i = 0; i < AGENT_OLLAMA_STEPS; i++) {
        json_object_put(a.ollama.result[i]);
        a.ollama.result[i] = NULL;
    }
    p = agent_payload_build(&a, 0, &mem, &disk, 0, &th, NULL);
    rc = heartbeat_parse(p, &s, err, sizeof err);
    ok(rc == 0 && s.loaded_count == 0 && !s.has_capacity && !s.has_disk,
       "without Ollama, disk or learner: accepted, no models");
    heartbeat_free(&s);
    json_object_put(p);

    p = agent_payload_drain(&a);
    rc = heartbeat_parse(p, &s, err, sizeof err);
    ok(rc == 0 && s.draining, "the drain notice is accepted as draining");
    json_object_object_get_ex(p, "node_id", &v);
    is_str(json_object_get_string(v), "gpu-box", "and names the node");
    heartbeat_free(&s);
    json_object_put(p);
    return done_testing();
}
