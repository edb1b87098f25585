#!/usr/bin/env bash
# herd-node against what can go wrong around it: a router that wants a
# node token, bad options and files (clear message, exit 2, nothing
# started), an Ollama that does not answer, a damaged state file, a seed,
# and GPU figures from an nvidia-smi on PATH (a stand-in script here).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/agent_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

# ---- bad input: exit 2 with a message naming the problem ----
bad() { # bad "PATTERN" DESCRIPTION ARGS...
    local pattern=$1 what=$2 out rc
    shift 2
    out=$(timeout 10 "$(node_bin)" "$@" 2>&1 </dev/null)
    rc=$?
    is "$rc" 2 "$what: exit 2"
    like "$out" "$pattern" "$what: says why"
}
bad "router-url.*http://" "an ftp router URL" --router-url ftp://x:1
bad "heartbeat-interval" "a zero interval" --heartbeat-interval 0 \
    --router-url http://127.0.0.1:9
FLEET_NODE_HEARTBEAT_INTERVAL=soon bad "FLEET_NODE_HEARTBEAT_INTERVAL" \
    "a bad interval in the environment" --router-url http://127.0.0.1:9
bad "capacity-bootstrap" "a negative bootstrap" --capacity-bootstrap -1
bad "unrecognized|unknown" "an unknown option" --no-such-option
printf '[agent]\nheartbeat_intervall = 5\n' >"$TEST_TMP/typo.ini"
bad "typo.ini:2" "a typo in the file" --config "$TEST_TMP/typo.ini"
bad "seed.*no-such-seed.json" "a missing seed" --learn-capacity \
    --capacity-seed "$TEST_TMP/no-such-seed.json" \
    --router-url http://127.0.0.1:9 --data-dir "$TEST_TMP/seedless"
printf '{"format":"herd-capacity/1","first_observation":1,"slots":[]}' \
    >"$TEST_TMP/short-seed.json"
bad "168" "a seed without 168 slots" --learn-capacity \
    --capacity-seed "$TEST_TMP/short-seed.json" \
    --router-url http://127.0.0.1:9 --data-dir "$TEST_TMP/seedless"

# ---- the node token ----
sim_start s1 --model llama3:2
HERD_NODE_TOKEN=s3cret start_herd herd --data-dir "$TEST_TMP/herd.data"
ok $? "router with a node token answers"

start_agent notoken --router-url "$url" --ollama-host "$SIM_URL_s1" \
    --heartbeat-interval 0.2
wait_for 5 grep -q "node token" "$TEST_TMP/notoken.log"
ok $? "without the token: the agent says the router wants one"
grep -q "answered 401" "$TEST_TMP/notoken.log"
ok $? "naming the 401"
is "$(fleet '[.nodes[].node_id] | index("notoken")')" null \
    "and the node is not registered"
kill -0 "$PID_notoken"
ok $? "but it keeps running"
HERD_NODE_TOKEN=wrong start_agent wrongtoken --router-url "$url" \
    --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2
HERD_NODE_TOKEN=s3cret start_agent withtoken --router-url "$url" \
    --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2
on() { node_is withtoken .status online; }
wait_for 5 on
ok $? "with the token: registered"
is "$(fleet '[.nodes[].node_id] | index("wrongtoken")')" null \
    "a wrong token is refused too"

# ---- an Ollama that does not answer ----
dead=$(free_port)
printf '[security]\nnode_token = s3cret\n' >"$TEST_TMP/token.ini"
start_agent noollama --config "$TEST_TMP/token.ini" --router-url "$url" \
    --ollama-host "http://127.0.0.1:$dead" --heartbeat-interval 0.2
on2() { node_is noollama .status online; }
wait_for 5 on2
ok $? "an agent whose Ollama is down still reports (token from the file)"
is "$(node_value noollama '.ollama.models_available | length')" 0 \
    "with no models"
grep -q "does not answer" "$TEST_TMP/noollama.log"
ok $? "and says Ollama does not answer"

# ---- damaged state, seed ----
mkdir -p "$TEST_TMP/damaged.data"
echo '{"format":"herd-capacity/1", trunc' \
    >"$TEST_TMP/damaged.data/capacity-damaged.json"
HERD_NODE_TOKEN=s3cret start_agent damaged --router-url "$url" \
    --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2 --learn-capacity
on3() { node_is damaged .capacity.mode bootstrap; }
wait_for 5 on3
ok $? "a damaged state file does not stop the agent"
ok "$([ -f "$TEST_TMP/damaged.data/capacity-damaged.json.corrupt" ]; echo $?)" \
    "it is moved aside as .corrupt"
grep -q "capacity-damaged.json" "$TEST_TMP/damaged.log"
ok $? "and the log names it"

now=$(date +%s)
{
    printf '{"format":"herd-capacity/1","first_observation":%d,"slots":[' \
        $((now - 20 * 86400))
    for i in $(seq 0 167); do
        [ "$i" = 0 ] || printf ','
        printf '[10,50,300,%d,4]' $((now - 86400))
    done
    printf ']}\n'
} >"$TEST_TMP/seed.json"
HERD_NODE_TOKEN=s3cret start_agent seeded --router-url "$url" \
    --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2 --learn-capacity \
    --capacity-seed "$TEST_TMP/seed.json"
on4() { node_is seeded .status online; }
wait_for 5 on4
ok $? "a seeded learner registers"
like "$(node_value seeded .capacity.mode)" \
    '^(paused|learned_low|learned_medium|learned_high|full)$' \
    "a 20-day seed ends the 7-day bootstrap"
like "$(node_value seeded .capacity.days_observed)" '^(19\.9[0-9]*|20(\.0[0-9]*)?)$' \
    "days_observed counts from the seed's first observation"

# ---- GPU figures from nvidia-smi ----
mkdir -p "$TEST_TMP/bin"
cat >"$TEST_TMP/bin/nvidia-smi" <<'SH'
#!/bin/sh
echo "NVIDIA GeForce RTX 4090, 24564, 3072"
SH
chmod +x "$TEST_TMP/bin/nvidia-smi"
PATH="$TEST_TMP/bin:$PATH" HERD_NODE_TOKEN=s3cret start_agent gpu \
    --router-url "$url" --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2
gpu_known() { node_is gpu .gpu.source nvidia-smi; }
wait_for 5 gpu_known
ok $? "GPU figures from nvidia-smi"
is "$(node_value gpu .gpu.memory_total_gb)" 23.99 "GPU memory in GiB"
is "$(node_value gpu .gpu.memory_used_gb)" 3 "GPU memory used"
like "$(node_value gpu .hardware.chip)" "\\+ NVIDIA GeForce RTX 4090$" \
    "the GPU joins the chip name"
is "$(node_value gpu .hardware.memory_bandwidth_gbps)" 1008 \
    "and gives the memory bandwidth"

# ---- the router from a discovery plugin: static's router = URL ----
# The file may be shared with the router: its other sections are skipped.
cat >"$TEST_TMP/shared.ini" <<INI
[security]
node_token = s3cret
[scoring.thermal]
weight = 2
[discovery.static]
router = $url
INI
start_agent static --config "$TEST_TMP/shared.ini" \
    --ollama-host "$SIM_URL_s1" --heartbeat-interval 0.2
on5() { node_is static .status online; }
wait_for 5 on5
ok $? "the static plugin's router = URL is followed"
grep -q "router found at $url" "$TEST_TMP/static.log"
ok $? "and logged"

for n in notoken wrongtoken withtoken noollama damaged seeded gpu static; do
    stop_agent $n
    is "$AGENT_RC" 0 "$n exits 0 on SIGTERM, sanitizers quiet"
done
done_testing
