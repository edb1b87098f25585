#!/usr/bin/env bash
# Three herd-node agents beside three herd-sims report to one router: they
# appear in /fleet/status with this machine's real metrics (checked
# against /proc/meminfo), their sims' models and their parallel slots,
# and the router serves those models.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/agent_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

sim_start s1 --model llama3:2 --model qwen3:5 --num-parallel 2
sim_start s2 --model phi3:1 --num-parallel 1
sim_start s3 --model mistral:4 --embed-model nomic-embed-text:0.3
start_herd herd --data-dir "$TEST_TMP/herd.data"
ok $? "router answers"
t0=$(date +%s%N)

start_agent a1 --router-url "$url" --ollama-host "$SIM_URL_s1" \
    --heartbeat-interval 0.5 --num-parallel 2
start_agent a2 --router-url "$url" --ollama-host "$SIM_URL_s2" \
    --heartbeat-interval 0.5
FLEET_NODE_HEARTBEAT_INTERVAL=0.5 FLEET_NODE_OLLAMA_HOST=$SIM_URL_s3 \
    FLEET_NODE_ROUTER_URL=$url start_agent a3

three_online() { [ "$(fleet '.fleet.nodes_online')" = 3 ]; }
wait_for 10 three_online
ok $? "three agents online within 10 s"
t1=$(date +%s%N)
diag "registered after $(((t1 - t0) / 1000000)) ms"

# Real metrics: /proc/meminfo in GiB with two decimals, as the agent says.
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
want_total=$(awk -v kb="$(kb MemTotal)" 'BEGIN { printf "%.2f", kb / 1048576 }')
got_total=$(node_value a1 '.memory.total_gb')
is "$(printf '%.2f' "$got_total")" "$want_total" \
    "memory.total_gb is MemTotal of /proc/meminfo"
avail=$(node_value a2 '.memory.available_gb')
want_avail=$(awk -v kb="$(kb MemAvailable)" 'BEGIN { print kb / 1048576 }')
close() { awk -v a="$1" -v b="$2" -v d="$3" \
    'BEGIN { exit !((a - b < d) && (b - a < d)) }'; }
close "$avail" "$want_avail" 1.0
ok $? "memory.available_gb is MemAvailable ($avail vs $want_avail GiB)"
cores=$(node_value a3 '.cpu.cores_physical')
online=$(getconf _NPROCESSORS_ONLN)
ok "$([ "$cores" -ge 1 ] && [ "$cores" -le "$online" ]; echo $?)" \
    "cores_physical is between 1 and the online CPUs ($cores)"
util=$(node_value a1 '.cpu.utilization_pct')
close "$util" 50 50.001
ok $? "cpu.utilization_pct is a percentage ($util)"
like "$(node_value a1 '.memory.pressure')" '^(normal|warn|critical)$' \
    "memory pressure reported"
like "$(node_value a1 '.memory.pressure_source')" '^(psi|meminfo)$' \
    "with its source"
if [ -r /proc/pressure/memory ]; then
    is "$(node_value a1 '.memory.pressure_source')" psi "PSI used when present"
else
    is "$(node_value a1 '.memory.pressure_source')" meminfo "no PSI here"
fi
df_total=$(df -k / | awk 'NR == 2 { print $2 / 1048576 }')
close "$(node_value a2 '.disk.total_gb')" "$df_total" 0.5
ok $? "disk.total_gb matches df /"
like "$(node_value a1 '.thermal.state')" '^(nominal|warning|unknown)$' \
    "thermal state"
is "$(node_value a1 '.hardware.arch')" "$(uname -m)" "arch is uname -m"
cpu_name=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -1 |
    sed 's/[[:space:]]*$//')
[ -n "$cpu_name" ] || cpu_name=null
is "$(node_value a1 '.hardware.chip // "null"')" "$cpu_name" \
    "chip is the CPU's model name"
is "$(node_value a1 '.agent_version')" \
    "$("$(node_bin)" --version | awk '{ print $2 }')" "agent_version"
is "$(node_value a1 '.ollama_version')" \
    "$(curl -s "$SIM_URL_s1/api/version" | jq -r .version)" \
    "ollama_version from /api/version"

# The sims' models.
is "$(node_value a1 '[.ollama.models_available[].name] | sort | join(",")')" \
    "llama3:latest,qwen3:latest" "a1 has s1's models"
is "$(node_value a3 '[.ollama.models_available[].name] | sort | join(",")')" \
    "mistral:latest,nomic-embed-text:latest" "a3 has s3's models"
is "$(curl -s "$url/api/tags" | jq -r '[.models[].name] | sort | join(",")')" \
    "llama3:latest,mistral:latest,nomic-embed-text:latest,phi3:latest,qwen3:latest" \
    "the router's /api/tags has every model"
is "$(node_value a1 '.num_parallel')" 2 "a1 reports num_parallel 2"
is "$(node_value a2 '.num_parallel')" null "a2 does not know it"
port_s2=${SIM_URL_s2##*:}
is "$(node_value a2 '.url')" "http://localhost:$port_s2" \
    "the router reaches a co-located agent's Ollama on localhost"
is "$(node_value a1 '.capacity')" null "no capacity without learning"

# A model loaded in the sim shows up with its slots at the next heartbeat.
curl -s -m 30 "$SIM_URL_s1/api/generate" \
    -d '{"model":"qwen3","prompt":"hi","stream":false}' >/dev/null
loaded() { node_is a1 '[.ollama.models_loaded[].name] | join(",")' \
    qwen3:latest; }
wait_for 5 loaded
ok $? "a model loaded in Ollama appears in models_loaded"
is "$(node_value a1 '.ollama.models_loaded[0].num_parallel')" 2 \
    "with its num_parallel"
close "$(node_value a1 '.ollama.models_loaded[0].size_gb')" 5 0.01
ok $? "and its size in GiB"
is "$(curl -s "$url/api/ps" | jq -r '.models[0].name')" qwen3:latest \
    "the router's /api/ps lists it"

for n in a1 a2 a3; do
    stop_agent $n
    is "$AGENT_RC" 0 "$n exits 0 on SIGTERM, sanitizers quiet"
done
is "$(fleet '.fleet.nodes_online')" 0 "no node online after the drains"
done_testing
