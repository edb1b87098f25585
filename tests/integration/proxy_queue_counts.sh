#!/usr/bin/env bash
# /fleet/queue tells the truth about the holding queue: waiting requests
# have no node yet, so they are counted per model ("models"), and so are
# the requests the queue turned away (503); the node:model entries carry
# no rejected count of their own; and the estimated wait counts only the
# slots of nodes that can take requests (an offline node frees none).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

slow_slot_sim s1
slow_slot_sim s2
fleet_router "default_num_parallel = 1
queue_wait = 2
queue_max = 2
heartbeat_timeout = 0.5
heartbeat_offline = 1"
M=qwen3:0.6b

fq() { curl -s -m 5 "$ROUTER/fleet/queue" | jq -c "$1"; }
hold() { # a stream that holds a slot until killed (it never completes, so
    # it adds no latency to the history)
    curl -s -m 30 -N -o /dev/null "$ROUTER/api/generate" \
        -d "{\"model\":\"$M\",\"prompt\":\"x\",\"options\":{\"num_predict\":150}}" &
    HOLD_PIDS="$HOLD_PIDS $!"
}
unhold() {
    for pid in $HOLD_PIDS; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    HOLD_PIDS=""
}
active() { # requests the sims are generating
    local n=0 s v
    for s in "$@"; do
        v=$(sim_of "$s" '.models[0].active')
        n=$((n + ${v:-0}))
    done
    echo "$n"
}
active_is() { local want=$1; shift; [ "$(active "$@")" = "$want" ]; }
pending_is() { [ "$(fq .pending)" = "$1" ]; }

# history on both nodes: two at once go one to each slot, twice
for round in 1 2; do
    bg_generate h1 5
    bg_generate h2 5
    wait "$PID_h1" "$PID_h2"
done
is "$(fq '[.queues[].completed]')" "[2,2]" "two completed on each node"
is "$(fq ".models[\"$M\"] | [.pending, .in_flight, .concurrency, .rejected, .estimated_wait_ms]")" \
    "[0,0,2,0,null]" "the model: nothing waiting, 2 slots, none rejected"
is "$(fq '[.queues[] | has("rejected")] | any')" false \
    "no node:model entry claims rejections of its own"

# both slots held; two wait, a third finds the queue full
hold
hold
wait_for 5 active_is 2 s1 s2
bg_generate w1 1
bg_generate w2 1
wait_for 5 pending_is 2
is "$(fq ".models[\"$M\"] | [.pending, .in_flight]")" "[2,2]" \
    "the model: 2 waiting, 2 running"
is "$(fq '[.queues[].pending]')" "[2,2]" \
    "each of its entries shows the model's queue"
est_both=$(fq .estimated_wait_ms)
is "$(fq ".models[\"$M\"].estimated_wait_ms")" "$est_both" \
    "the model's estimate is the router's (it is the only model)"
rq POST /api/generate "{\"model\":\"$M\",\"prompt\":\"x\",\"stream\":false}"
is "$STATUS" 503 "a third request finds the queue full"
is "$(fq "[.rejected, .models[\"$M\"].rejected]")" "[1,1]" \
    "counted for the model, and in all"
wait "$PID_w1" "$PID_w2"
is "$(cat "$TEST_TMP/w1.code") $(cat "$TEST_TMP/w2.code")" "503 503" \
    "the two waiting ones run out of queue_wait"
is "$(fq "[.rejected, .models[\"$M\"].rejected]")" "[3,3]" "counted too"
unhold

# s2 goes offline: its slot no longer counts toward the wait
sim_stop s2
s2_offline() {
    [ "$(curl -s -m 2 "$ROUTER/fleet/status" |
        jq -r '.nodes[] | select(.node_id == "s2") | .status')" = offline ]
}
wait_for 10 s2_offline
ok $? "s2 is offline"
hold
wait_for 5 active_is 1 s1
bg_generate w3 1
wait_for 5 pending_is 1
est_one=$(fq .estimated_wait_ms)
is "$(fq ".models[\"$M\"].concurrency")" 1 "the model has one usable slot now"
# both: 2 waiting x p75 / 2 slots; s1 alone: 1 waiting x p75 / 1 slot;
# with s2's slot still counted it would be half that
ok "$(awk -v a="$est_one" -v b="$est_both" 'BEGIN { r = a / b; exit !(r > 0.8 && r < 1.25) }'
    echo $?)" "one waiting on s1 alone: as long as two on both ($est_one ms vs $est_both ms)"
wait "$PID_w3"
unhold
router_stop
done_testing
