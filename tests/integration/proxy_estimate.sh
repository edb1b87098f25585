#!/usr/bin/env bash
# /fleet/queue's estimated_wait_ms (reference §7.3): null while nothing
# waits; with requests held, pending x mean(p75 of the queues with
# history) / total concurrency, the p75 being that of the completed
# requests' latencies the traces recorded.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
[ -f "$top_builddir/plugins/storage/sqlite.la" ] ||
    skip_all "the sqlite storage plugin is not built"

one_slot_fleet "queue_wait = 20"
db=$TEST_TMP/data/latency.db

fq() { curl -s -m 5 "$ROUTER/fleet/queue" | jq -r "$1"; }
pending_is() { [ "$(fq .pending)" = "$1" ]; }
active_is() { [ "$(sim_of s1 '.models[0].active')" = "$1" ]; }
all_written() {
    local s
    s=$(curl -s -m 2 "$ROUTER/fleet/status")
    [ "$(jq '.traces.queued' <<<"$s")" = 0 ] &&
        [ "$(jq '.traces.written == .traces.submitted' <<<"$s")" = true ]
}

is "$(fq .estimated_wait_ms)" null "no history, nothing waiting: null"
bg_generate a 30 # holds the slot about 3 s
wait_for 5 active_is 1
bg_generate b 1
wait_for 5 pending_is 1
is "$(fq .estimated_wait_ms)" null "one waiting but no latency history: null"
wait "$PID_a" "$PID_b"
is "$(cat "$TEST_TMP/a.code") $(cat "$TEST_TMP/b.code")" "200 200" \
    "both complete"
for n in 2 3 4 5; do
    bg_generate h$n "$n"
    w=PID_h$n
    wait "${!w}"
done
is "$(fq .estimated_wait_ms)" null "history, nothing waiting: null"

wait_for 10 all_written
ok $? "the traces are written"
# p75 as the router keeps it: element floor(n * 0.75) of the sorted samples
p75=$(sqlite3 "$db" "SELECT latency_ms FROM request_traces
                     WHERE status = 'completed' AND node_id = 's1'
                     ORDER BY latency_ms" |
    awk '{v[NR] = $1} END {print v[int(NR * 0.75) + 1]}')
diag "p75 of the completed requests: $p75 ms"
like "$p75" '^[0-9.]+$' "the completed latencies are recorded"

bg_generate c 30
wait_for 5 active_is 1
bg_generate d 1
wait_for 5 pending_is 1
est1=$(fq .estimated_wait_ms)
ok "$(awk -v a="$est1" -v b="$p75" 'BEGIN{d=a-b; exit !(d < 0.01 && d > -0.01)}'
    echo $?)" "one waiting on one slot: the p75 ($est1 ms)"
bg_generate e 1
wait_for 5 pending_is 2
est2=$(fq .estimated_wait_ms)
ok "$(awk -v a="$est2" -v b="$p75" 'BEGIN{d=a-2*b; exit !(d < 0.02 && d > -0.02)}'
    echo $?)" "two waiting: twice that ($est2 ms)"
wait "$PID_c" "$PID_d" "$PID_e"
is "$(fq .estimated_wait_ms)" null "nothing waiting again: null"

router_stop
done_testing
