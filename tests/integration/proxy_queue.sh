#!/usr/bin/env bash
# The holding queue and slots over time: a request that waits past
# queue_wait gets 503 with Retry-After, a full queue answers 503 at once,
# a waiting request takes the slot a finished one frees, and a client
# that disconnects frees its slot at once (the sim sees the cancel).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

one_slot_fleet "queue_wait = 1
queue_max = 2"

active() { sim_of s1 '.models[0].active'; }
waiting() { curl -s "$ROUTER/fleet/queue" | jq -r .pending; }
active_is() { [ "$(active)" = "$1" ]; }
waiting_is() { [ "$(waiting)" = "$1" ]; }

bg_generate a 50 # holds the slot about 5 s, past the waits below
wait_for 5 active_is 1
is "$(active)" 1 "the first request runs"
st=$(curl -s -m 5 "$ROUTER/fleet/status")
is "$(jq -r .fleet.requests_active <<<"$st")" 1 \
    "/fleet/status counts the request in flight"
is "$(jq -r '.queues["s1:qwen3:0.6b"].in_flight' <<<"$st")" 1 \
    "and shows its node:model queue"
bg_generate b 1
bg_generate c 1
wait_for 5 waiting_is 2
is "$(waiting)" 2 "two more wait in the holding queue"
t0=$(now_ms)
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
t1=$(now_ms)
is "$STATUS" 503 "a full holding queue answers 503"
ok $([ $((t1 - t0)) -lt 500 ]; echo $?) "at once ($((t1 - t0)) ms)"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
like "$(jq -r .error <<<"$BODY")" "queue is full" "saying the queue is full"
wait "$PID_b" "$PID_c"
is "$(cat "$TEST_TMP/b.code") $(cat "$TEST_TMP/c.code")" "503 503" \
    "waits past queue_wait (1 s) end in 503"
like "$(tr -d '\r' <"$TEST_TMP/b.hdr" | grep -i '^Retry-After:')" \
    'Retry-After: [0-9]+' "with Retry-After"
like "$(jq -r .error "$TEST_TMP/b.body")" "within 1 s" "saying how long it waited"
# (counted by the sim, not by its active count at this moment: on a busy
# machine the first request may have finished by now)
is "$(sim_of s1 '.server.requests_total')" 2 \
    "the slot stayed with the first request throughout: the node saw only it (and the preload)"
wait "$PID_a"
is "$(cat "$TEST_TMP/a.code")" 200 "the first request completes"
is "$(sim_of s1 '.models[0].max_concurrent')" 1 "never two at once on 1 slot"

# A waiting request takes the slot as soon as it frees.
bg_generate e 5 # ~0.5 s
wait_for 5 active_is 1
bg_generate f 1
wait "$PID_e" "$PID_f"
is "$(cat "$TEST_TMP/e.code") $(cat "$TEST_TMP/f.code")" "200 200" \
    "a request waiting less than queue_wait gets the freed slot"

# A client that leaves mid-stream frees its slot at once.
curl -s -m 30 -N "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":100}}' \
    >"$TEST_TMP/g.out" &
pid_g=$!
wait_for 5 test -s "$TEST_TMP/g.out"
is "$(active)" 1 "a long stream runs"
kill "$pid_g"; wait "$pid_g" 2>/dev/null
t0=$(now_ms)
wait_for 3 active_is 0
t1=$(now_ms)
is "$(active)" 0 "the sim sees the cancel: nothing active"
ok $([ $((t1 - t0)) -lt 1000 ]; echo $?) "within a second ($((t1 - t0)) ms)"
is "$(curl -s "$ROUTER/fleet/queue" | jq -r .in_flight)" 0 \
    "the router's slot is free again"
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":1}}'
is "$STATUS" 200 "and the next request gets it"

# Before anything was written to it: a client waiting for a slot, and one
# waiting for a non-streamed answer, leave; both are noticed at once.
bg_generate h 20
h_alone() { # h runs, nothing else runs or waits
    [ "$(curl -s "$ROUTER/fleet/queue" | jq -c '[.in_flight, .pending]')" = "[1,0]" ] &&
        active_is 1
}
wait_for 5 h_alone
curl -s -m 0.5 -o /dev/null "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
t0=$(now_ms)
wait_for 3 waiting_is 0
t1=$(now_ms)
is "$(waiting)" 0 "a waiting client that leaves leaves the holding queue"
ok $([ $((t1 - t0)) -lt 1000 ]; echo $?) "at once ($((t1 - t0)) ms), not at queue_wait"
wait "$PID_h"
curl -s -m 0.5 -o /dev/null "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":50}}'
t0=$(now_ms)
router_idle() { [ "$(curl -s "$ROUTER/fleet/queue" | jq -r .in_flight)" = 0 ]; }
wait_for 3 router_idle
rc=$?
t1=$(now_ms)
ok $rc "a client that leaves a non-streamed request frees the router's slot"
ok $([ $((t1 - t0)) -lt 1000 ]; echo $?) "at once ($((t1 - t0)) ms)"
# (the node itself notices when it writes: a non-streamed answer is
# written only at its end)
like "$(cat "$TEST_TMP/herd.log")" "client disconnected while waiting for a slot" \
    "the log says so"
router_stop
done_testing
