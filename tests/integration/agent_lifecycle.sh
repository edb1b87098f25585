#!/usr/bin/env bash
# herd-node over its life: the router goes away and comes back (the agent
# keeps trying, counts the failures and registers again), an agent killed
# outright goes degraded then offline on the router's schedule, SIGTERM
# takes the node out of routing at once and exits 0, and the capacity
# learner reports in the heartbeat and saves its state at exit.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/agent_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

cat >"$TEST_TMP/herd.ini" <<'INI'
[router]
heartbeat_interval = 0.2
heartbeat_timeout = 2
heartbeat_offline = 4
INI
sim_start s1 --model llama3:2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/herd.data"
ok $? "router answers"
router_port=$port

start_agent a1 --router-url "$url" --ollama-host "$SIM_URL_s1" \
    --heartbeat-interval 0.3 --learn-capacity --capacity-bootstrap 0
start_agent a2 --router-url "$url" --ollama-host "$SIM_URL_s1" \
    --heartbeat-interval 0.3 --learn-capacity
both() { [ "$(fleet '.fleet.nodes_online')" = 2 ]; }
wait_for 10 both
ok $? "two agents online"

# The learner reports in the heartbeat.
is "$(node_value a2 '.capacity.mode')" bootstrap \
    "a new learner is in bootstrap (7 days by default)"
like "$(node_value a1 '.capacity.mode')" \
    '^(paused|learned_low|learned_medium|learned_high|full)$' \
    "with --capacity-bootstrap 0 the advice counts at once"
like "$(node_value a1 '.capacity.availability_score')" '^(0|1|0\.[0-9]+)$' \
    "availability_score in [0, 1]"
is "$(node_value a1 '.capacity.slot')" \
    "$(( ($(date +%u) - 1) * 24 + 10#$(date +%H) ))" \
    "the slot is this weekday and hour"

# The router goes away: the agents keep trying.
kill -TERM "$PID_herd"
wait "$PID_herd"
sleep 2
kill -0 "$PID_a1" 2>/dev/null
ok $? "a1 still runs while the router is away"
grep -q "retrying with backoff" "$TEST_TMP/a1.log"
ok $? "and says it retries with backoff"
n_fail=$(grep -c "router at" "$TEST_TMP/a1.log")
ok "$([ "$n_fail" -le 3 ]; echo $?)" \
    "without a log line per attempt ($n_fail lines)"

# The router comes back on the same port.
start_bg herd2 "$(herd_bin)" --host 127.0.0.1 --port "$router_port" \
    --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/herd.data"
wait_for 5 grep -q "listening on" "$TEST_TMP/herd2.log"
ok $? "router restarted on port $router_port"
wait_for 15 both
ok $? "both agents registered again"
total=$(node_value a1 '.connection_failures_total')
ok "$([ "$total" -ge 1 ]; echo $?)" \
    "connection_failures_total counts the failed attempts ($total)"
back() { node_is a1 .connection_failures 0; }
wait_for 3 back
ok $? "connection_failures is back to 0 after a success"

# kill -9: no drain notice; the router's liveness takes the node out.
kill -KILL "$PID_a2"
wait "$PID_a2" 2>/dev/null
t0=$(date +%s%N)
first_degraded="" first_offline=""
for i in $(seq 1 80); do
    s=$(node_value a2 .status)
    t=$((($(date +%s%N) - t0) / 1000000))
    [ "$s" = degraded ] && [ -z "$first_degraded" ] && first_degraded=$t
    [ "$s" = offline ] && { first_offline=$t; break; }
    sleep 0.1
done
diag "degraded after ${first_degraded:-never} ms, offline after ${first_offline:-never} ms"
ok "$([ -n "$first_degraded" ] && [ "$first_degraded" -ge 1000 ] &&
    [ "$first_degraded" -le 3500 ]; echo $?)" \
    "a killed agent's node goes degraded after heartbeat_timeout"
ok "$([ -n "$first_offline" ] && [ "$first_offline" -ge 3000 ] &&
    [ "$first_offline" -le 6500 ]; echo $?)" \
    "then offline after heartbeat_offline"

# SIGTERM: offline at once, exit 0, state saved.
kill -TERM "$PID_a1"
t0=$(date +%s%N)
off() { node_is a1 .status offline; }
wait_for 2 off
ok $? "SIGTERM: the node is offline at once"
diag "offline after $((($(date +%s%N) - t0) / 1000000)) ms"
is "$(node_value a1 .draining)" true "and marked draining"
wait "$PID_a1"
is "$?" 0 "herd-node exits 0 after SIGTERM"
state=$TEST_TMP/a1.data/capacity-a1.json
is "$(jq -r .format "$state")" herd-capacity/1 "learner state saved at exit"
is "$(jq '.slots | length' "$state")" 168 "with 168 slots"
ls "$TEST_TMP/a1.data" | grep -q tmp
ok $((!$?)) "no temporary file left"
jq -e 'select(.program == "herd-node")' "$TEST_TMP/a1.data/logs/herd.jsonl" \
    >/dev/null 2>&1
ok $? "herd-node logged to the data dir's logs/herd.jsonl too"
slot=$(( ($(date +%u) - 1) * 24 + 10#$(date +%H) ))
ok "$(jq --argjson s "$slot" '.slots[$s][0] > 0' "$state" | grep -q true; echo $?)" \
    "the current slot has observations"

# Restarted, the learner goes on from its state.
start_agent a1 --router-url "$url" --ollama-host "$SIM_URL_s1" \
    --heartbeat-interval 0.3 --learn-capacity --capacity-bootstrap 0
wait_for 5 grep -q "state from" "$TEST_TMP/a1.log"
ok $? "a restarted learner loads its state"
stop_agent a1
is "$AGENT_RC" 0 "and exits 0 again"
grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/a2.log"
ok $((!$?)) "no sanitizer report from the killed agent"
done_testing
