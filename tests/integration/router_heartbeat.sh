#!/usr/bin/env bash
# POST /heartbeat end to end: the reference agent's payload (Appendix A,
# verbatim) registers a node that then shows in /fleet/status, /api/tags
# and /api/ps; malformed payloads get 400 naming the field and change
# nothing; num_parallel is ours; a drain notice takes the node out at once;
# a node token makes heartbeats without it fail with 401.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

# start_router NAME INI-TEXT: starts herd on a free port; sets $url.
start_router() {
    printf '%s\n' "$2" >"$TEST_TMP/$1.ini"
    start_herd "$1" --config "$TEST_TMP/$1.ini" --data-dir "$TEST_TMP/$1-data"
}

post() { # post URL BODY [HEADER...] -> "STATUS BODY"
    local u=$1 body=$2; shift 2
    curl -s -m 5 -o "$TEST_TMP/out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' "$@" --data-binary "$body" "$u"
    printf ' %s' "$(cat "$TEST_TMP/out")"
}

get() { curl -s -m 5 "$url$1"; }

# herd-reference.md Appendix A, as a Python herd-node sends it.
appendix_a='{"node_id":"gpu-box","arch":"apple_silicon","timestamp":1777400000.1,
 "cpu":{"cores_physical":16,"utilization_pct":12.5},
 "memory":{"total_gb":125.7,"used_gb":31.2,"available_gb":92.4,"pressure":"normal","wired_gb":0.0,"compressed_gb":0.0},
 "thermal":{"state":"nominal","temperature_c":61.0,"source":"psutil:k10temp"},
 "disk":{"total_gb":915.8,"used_gb":402.1,"available_gb":467.2},
 "ollama":{"models_loaded":[{"name":"qwen3:32b","size_gb":24.6,"requests_active":0,"parameter_size":"32.8B",
            "quantization":"Q4_K_M","context_length":40960}],
           "models_available":["qwen3:32b","nomic-embed-text:latest"],"requests_active":0},
 "ollama_host":"http://192.168.1.20:11434","lan_ip":"192.168.1.20","draining":false,"capacity":null,
 "agent_version":"0.6.1","image":null,"image_port":0,"transcription":null,"transcription_port":0,
 "vision_embedding":null,"vision_embedding_port":0,
 "vision_embedding_status":{"backend_available":false,"cached_model_count":0},
 "connection_failures":0,"connection_failures_total":0,
 "chip":"AMD Ryzen 9 7950X 16-Core Processor + NVIDIA GeForce RTX 4090","memory_bandwidth_gbps":1008.0,
 "mlx_servers":[],"mlx_bind_host":"127.0.0.1"}'

start_router r1 '[router]
log_level = debug'
ok $? "router answers"

res=$(post "$url/heartbeat" "$appendix_a")
is "$res" '200 {"status":"ok","node_status":"online"}' \
    "Appendix A heartbeat accepted"

st=$(get /fleet/status)
is "$(jq -c .fleet <<<"$st")" \
    '{"nodes_total":1,"nodes_online":1,"models_loaded":1,"requests_active":0}' \
    "fleet counters"
node=$(jq -c '.nodes[0]' <<<"$st")
is "$(jq -r '[.node_id,.status,.source,.url] | join(" ")' <<<"$node")" \
    "gpu-box online heartbeat http://localhost:11434" \
    "node online, URL derived for a loopback peer"
is "$(jq -r '[.hardware.cores_physical,.hardware.memory_total_gb,.hardware.memory_bandwidth_gbps] | join(" ")' <<<"$node")" \
    "16 125.7 1008" "hardware block"
is "$(jq -r '[.thermal.state,.disk.total_gb,.memory.pressure] | join(" ")' <<<"$node")" \
    "nominal 915.8 normal" "thermal, disk and memory are included"
is "$(jq -c '.vision_embedding_status' <<<"$node")" \
    '{"backend_available":false,"cached_model_count":0}' \
    "fields herd does not model are passed through"
is "$(jq -r '[.missed_heartbeats, (.last_heartbeat_age_s < 5)] | join(" ")' <<<"$node")" \
    "0 true" "liveness fields"
is "$(jq -c '.queues' <<<"$st")" '{}' "queues present"

tags=$(get /api/tags)
is "$(jq -r '[.models[].name] | join(",")' <<<"$tags")" \
    "nomic-embed-text:latest,qwen3:32b" "/api/tags lists the node's models"
is "$(jq -c '.models[] | select(.name=="qwen3:32b") | [.model,.nodes,.details.quantization_level,.details.parameter_size]' <<<"$tags")" \
    '["qwen3:32b",["gpu-box"],"Q4_K_M","32.8B"]' "/api/tags entry fields"
ps=$(get /api/ps)
is "$(jq -c '[.models[] | [.name,.node,.context_length,.size]]' <<<"$ps")" \
    '[["qwen3:32b","gpu-box",40960,26414048870]]' "/api/ps shows the loaded model"

# Malformed reports: 400 with the field named, and nothing changes.
before=$(get /fleet/status | jq -c '[.nodes[] | del(.last_heartbeat_age_s)]')
bad=$(jq -c '.memory.total_gb = "lots" | .cpu.utilization_pct = 99' <<<"$appendix_a")
res=$(post "$url/heartbeat" "$bad")
like "$res" '^400 .*memory\.total_gb must be a number' \
    "wrong type: 400 naming memory.total_gb"
bad=$(jq -c 'del(.cpu.cores_physical) | .node_id = "intruder"' <<<"$appendix_a")
like "$(post "$url/heartbeat" "$bad")" '^400 .*cpu\.cores_physical is required' \
    "missing field: 400 naming cpu.cores_physical"
bad=$(jq -c '.ollama.models_loaded[0].context_length = -1' <<<"$appendix_a")
like "$(post "$url/heartbeat" "$bad")" \
    '^400 .*ollama\.models_loaded\[0\]\.context_length' \
    "bad loaded model: 400 naming the entry"
bad=$(jq -c '.ollama.models_loaded[0].size_gb = 1e300' <<<"$appendix_a")
like "$(post "$url/heartbeat" "$bad")" \
    '^400 .*models_loaded\[0\]\.size_gb must be at most' \
    "a model size past int64 bytes: 400, not a negative size in /api/ps"
bad=$(jq -c '.lan_ip = "10.0.0.9/evil"' <<<"$appendix_a")
like "$(post "$url/heartbeat" "$bad")" '^400 .*lan_ip must be an IPv4 or IPv6' \
    "lan_ip that is not an address: 400"
like "$(post "$url/heartbeat" '{"node_id": ')" '^400 .*invalid JSON' \
    "truncated JSON: 400"
like "$(post "$url/heartbeat" '[1,2]')" '^400 .*must be a JSON object' \
    "a JSON array: 400"
like "$(post "$url/heartbeat" '')" '^400 .*missing request body' \
    "empty body: 400"
like "$(post "$url/heartbeat" '7')" '^400 .*must be a JSON object' \
    "a bare number: 400 saying an object is needed"
like "$(post "$url/heartbeat" 'null')" '^400 .*not null' \
    "JSON null: 400 naming null"
after=$(get /fleet/status | jq -c '[.nodes[] | del(.last_heartbeat_age_s)]')
is "$after" "$before" "rejected heartbeats changed nothing"

# Our additions: num_parallel, here from a second node.
second=$(jq -c '.node_id = "box2" | .num_parallel = 4 | .ollama.models_loaded = [] | .ollama.models_available = ["tiny:1b"]' <<<"$appendix_a")
like "$(post "$url/heartbeat" "$second")" '^200 ' "second node accepted"
is "$(get /fleet/status | jq -r '.nodes[] | select(.node_id=="box2") | .num_parallel')" \
    4 "num_parallel is reported"

# Drain: out of routing at once.
res=$(post "$url/heartbeat" '{"node_id":"gpu-box","draining":true}')
is "$res" '200 {"status":"draining","node_id":"gpu-box"}' "drain notice answered"
is "$(get /fleet/status | jq -r '.nodes[] | select(.node_id=="gpu-box") | [.status,.draining] | join(" ")')" \
    "offline true" "draining node is offline"
is "$(get /api/tags | jq -r '[.models[].name] | join(",")')" "tiny:1b" \
    "draining node's models leave /api/tags"
is "$(get /api/ps | jq -c '.models')" '[]' "and /api/ps"
is "$(get /fleet/status | jq -c '.fleet.nodes_online')" 1 "one node online"
like "$(post "$url/heartbeat" "$appendix_a")" '^200 ' "a new heartbeat..."
is "$(get /fleet/status | jq -r '.nodes[] | select(.node_id=="gpu-box") | .status')" \
    online "...brings the node back"

# Token.
start_router r2 '[security]
node_token = s3cret-token'
ok $? "router with a node token answers"
like "$(post "$url/heartbeat" "$appendix_a")" '^401 .*node token' \
    "no token: 401"
like "$(post "$url/heartbeat" "$appendix_a" -H 'Authorization: Bearer s3cret-tokeX')" \
    '^401 ' "wrong token: 401"
like "$(post "$url/heartbeat" "$appendix_a" -H 'Authorization: Bearer s3cret')" \
    '^401 ' "token prefix: 401"
is "$(get /fleet/status | jq -c .fleet.nodes_total)" 0 "refused heartbeats register nothing"
like "$(post "$url/heartbeat" "$appendix_a" -H 'Authorization: Bearer s3cret-token')" \
    '^200 ' "right token: 200"
is "$(get /fleet/status | jq -c .fleet.nodes_total)" 1 "node registered"

done_testing
