#!/usr/bin/env bash
# queue_wait bounds all the time a request spends in the holding queue:
# one that waited, was sent to a node that failed it before the first
# byte, and waits again gets what is left of queue_wait, not a fresh one.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

slow_slot_sim s1
slow_slot_sim s2
fleet_router "default_num_parallel = 1
queue_wait = 2"

gen() { # gen NAME NUM_PREDICT: a background request; status, end time
    (
        code=$(curl -s -m 30 -D "$TEST_TMP/$1.hdr" -o "$TEST_TMP/$1.body" \
            -w '%{http_code}' "$ROUTER/api/generate" \
            -d "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"stream\":false,\"options\":{\"num_predict\":$2}}")
        echo "$code $(now_ms)" >"$TEST_TMP/$1.end"
    ) &
    eval "PID_$1=\$!"
}
active() { # requests the sims are generating
    echo $(( $(sim_of s1 '.models[0].active') + $(sim_of s2 '.models[0].active') ))
}
active_is() { [ "$(active)" = "$1" ]; }
pending_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .pending)" = "$1" ]; }

gen long 60 # 6 s on one node
wait_for 5 active_is 1
gen short 15 # 1.5 s on the other
wait_for 5 active_is 2
ok $? "both nodes are busy"
# the next generation on either node fails with HTTP 500 before a byte
fault s1 '{"error500":{"count":1}}'
fault s2 '{"error500":{"count":1}}'
t0=$(now_ms)
gen b 1
wait_for 5 pending_is 1
ok $? "a third request waits"
# at ~1.5 s the short one ends: b goes to that node, fails there, and
# waits again for the other node, which the long one holds until ~6 s
wait "$PID_b"
read -r code t1 <"$TEST_TMP/b.end"
waited=$((t1 - t0))
is "$code" 503 "it gets 503 in the end"
is "$(tr -d '\r' <"$TEST_TMP/b.hdr" | sed -n 's/^X-Fleet-Retries: //Ip')" 1 \
    "after one failed attempt"
is "$(( $(sim_of s1 .faults.error500.triggered) + $(sim_of s2 .faults.error500.triggered) ))" 1 \
    "(the node it went to answered 500)"
# queue_wait 2 s in all, plus the tick (0.25 s); a fresh queue_wait after
# the failure made it about 1.5 + 2 = 3.5 s
ok "$([ "$waited" -ge 1900 ] && [ "$waited" -lt 2900 ]; echo $?)" \
    "queue_wait in all: $waited ms, not a fresh 2 s after the failure"
like "$(jq -r .error "$TEST_TMP/b.body")" "within 2 s" "saying how long it waited"
kill "$PID_long" 2>/dev/null; wait "$PID_long" "$PID_short" 2>/dev/null
router_stop
done_testing
