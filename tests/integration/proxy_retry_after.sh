#!/usr/bin/env bash
# Retry-After of a 503 says what the router knows: for the holding queue
# (full, or a wait that ran out), the estimated wait for the model of one
# more request behind those waiting (p75 latency x requests / slots, as
# /fleet/queue estimates it), rounded up, 1 to 60 s; 5 s while the model
# has no history; during a drain, the time left until the drain timeout.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

slow_slot_sim s1
fleet_router "default_num_parallel = 1
queue_wait = 1
queue_max = 1
drain_timeout = 30"
curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/generate" -d '{"model":"qwen3:0.6b"}'

retry_after() { tr -d '\r' <"$TEST_TMP/$1.hdr" | sed -n 's/^Retry-After: //Ip'; }
active_is() { [ "$(sim_of s1 '.models[0].active')" = "$1" ]; }
pending_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .pending)" = "$1" ]; }
ceil_s() { awk -v ms="$1" -v k="$2" 'BEGIN { s = ms * k / 1000; c = int(s);
    if (c < s) c++; if (c < 1) c = 1; if (c > 60) c = 60; print c }'; }

# no history yet: nothing to go by
bg_generate a 17 # 1.7 s on the slot, past b's wait
wait_for 5 active_is 1
bg_generate b 1
wait "$PID_b"
is "$(cat "$TEST_TMP/b.code") $(retry_after b)" "503 5" \
    "a wait that runs out with no history: Retry-After 5"
wait "$PID_a"
is "$(cat "$TEST_TMP/a.code")" 200 "the first request completes: history"

# the history is a's 1.7 s; c waits behind another such request
bg_generate hold 17
wait_for 5 active_is 1
bg_generate c 1
wait_for 5 pending_is 1
est=$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r '.models["qwen3:0.6b"].estimated_wait_ms')
like "$est" '^[0-9.]+$' "one waiting: /fleet/queue estimates its wait ($est ms)"
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
is "$STATUS" 503 "a request that finds the queue full gets 503"
full=$(hdr Retry-After)
is "$full" "$(ceil_s "$est" 2)" \
    "Retry-After: the wait of one more behind the one waiting ($full s)"
wait "$PID_c"
expired=$(retry_after c)
is "$(cat "$TEST_TMP/c.code") $expired" "503 $(ceil_s "$est" 1)" \
    "a wait that runs out: the wait of one more request ($expired s)"
ok "$([ "$full" != "$expired" ]; echo $?)" "Retry-After follows the queue ($full s, $expired s)"
wait "$PID_hold"

# a drain: the time left until drain_timeout
curl -s -m 30 -N -o /dev/null "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":150}}' &
pid_stream=$!
wait_for 5 active_is 1
kill -TERM "$PID_herd"
draining() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .draining)" = true ]; }
wait_for 5 draining
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
is "$STATUS" 503 "while draining a new request gets 503"
ra=$(hdr Retry-After)
ok "$([ "$ra" -ge 25 ] && [ "$ra" -le 30 ]; echo $?)" \
    "Retry-After: the drain's time left of its 30 s ($ra s)"
kill "$pid_stream" 2>/dev/null; wait "$pid_stream" 2>/dev/null
wait "$PID_herd"
rc=$?
grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd.log" && rc=99
is "$rc" 0 "the drain ends once the stream is gone: exit 0, sanitizers quiet"
done_testing
