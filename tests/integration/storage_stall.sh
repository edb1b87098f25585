#!/usr/bin/env bash
# A stalled disk through the router: while the test_storage_gate plugin
# holds its write (a gate file exists), requests keep being answered at
# full speed, the trace queue fills to trace_queue_max, further traces are
# dropped and counted in /fleet/status and (once) in the log; when the
# disk comes back everything queued is written.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

[ -f "$top_builddir/tests/plugins/test_storage_gate.la" ] ||
    skip_all "the test storage plugin is not built"

gate=$TEST_TMP/gate
fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01 --num-parallel 4
fleet_router "plugin_dir = $top_builddir/tests/plugins
trace_queue_max = 5

[storage.test_storage_gate]
gate = $gate
log = $TEST_TMP/gate.log"

chat='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":2}}'
status() { curl -s -m 5 "$ROUTER/fleet/status" | jq -r ".traces.$1"; }
burst() { # burst N: N chats one after the other; prints "failures seconds"
    local i bad=0 t0 t1
    t0=$(date +%s%N)
    for i in $(seq 1 "$1"); do
        [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$ROUTER/api/chat" \
            -d "$chat")" = 200 ] || bad=$((bad + 1))
    done
    t1=$(date +%s%N)
    echo "$bad $(((t1 - t0) / 1000000))"
}

is "$(curl -s "$ROUTER/fleet/status" | jq -c .traces.backends)" \
    '["test_storage_gate","sqlite","jsonl"]' \
    "the gate plugin is loaded beside the defaults"

read -r bad fast_ms <<<"$(burst 20)"
is "$bad" 0 "20 requests with a healthy disk"
written_all() { [ "$(status written)" = "$(status submitted)" ]; }
wait_for 10 written_all
ok $? "their traces are written"
before_written=$(status written)

: >"$gate"
read -r bad stalled_ms <<<"$(burst 40)"
diag "20 requests took $fast_ms ms with a healthy disk; 40 took $stalled_ms ms while it stalled"
is "$bad" 0 "40 requests answered while the disk stalls"
ok "$([ "$stalled_ms" -lt $((fast_ms * 2 * 3 + 2000)) ]; echo $?)" \
    "and not slowed ($stalled_ms ms for 40, $fast_ms ms for 20)"
is "$(status queued)" 5 "the queue holds trace_queue_max traces"
dropped=$(status dropped)
ok "$([ "$dropped" -ge 30 ] && [ "$dropped" -le 35 ]; echo $?)" \
    "the rest are dropped and counted ($dropped)"
is "$(status written)" "$before_written" "nothing written while stalled"
is "$(grep -c 'trace queue full' "$TEST_TMP/herd.log")" 1 \
    "one warning in the log, not one per trace"
like "$(grep 'trace queue full' "$TEST_TMP/herd.log")" "traces dropped" \
    "saying how many were dropped"

rm -f "$gate"
wait_for 10 written_all
ok $? "the disk is back: everything queued is written"
is "$(status written)" $((before_written + 40 - dropped)) \
    "written = accepted"
is "$(wc -l <"$TEST_TMP/gate.log" | tr -d ' ')" "$(status written)" \
    "the plugin saw each written trace once"
is "$(status dropped)" "$dropped" "the drop count stays"
read -r bad _ <<<"$(burst 3)"
is "$bad" 0 "requests after the stall"

router_stop
done_testing
