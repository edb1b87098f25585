#!/usr/bin/env bash
# A request waiting for a slot goes to a node as soon as that node's
# back-off ends, though no heartbeat and no freed slot says so: the
# holding queue's tick kicks the queue when a back-off ends (it does not
# kick it otherwise).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 1 --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --num-parallel 1 --time-scale 0.01
chat='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
curl -s -m 30 -o /dev/null "$SIM_URL_s1/api/chat" -d "$chat" # loaded on s1
# polls 30 s apart: no heartbeat kicks the queue during the test
fleet_router "node_backoff = 2
default_num_parallel = 1
queue_wait = 20" 30
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" "the router prefers s1"

# s1 resets the kept-alive connection and the new one: 2 s of back-off
fault s1 '{"refuse":{"count":2}}'
rq POST /api/chat "$chat"
t0=$(now_ms)
is "$STATUS $(hdr X-Fleet-Node)" "200 s2" "s1 refuses: s2 serves, s1 is backed off"

# s2's only slot is held 6 s by a stalled answer; the next request waits
fault s2 '{"stall":{"count":1,"seconds":6}}'
curl -s -m 30 -o /dev/null "$ROUTER/api/chat" -d "$chat" &
pid_stalled=$!
in_flight_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .in_flight)" = "$1" ]; }
wait_for 5 in_flight_is 1
ok $? "a stalled answer holds s2's slot"
STATUS=$(curl -s -m 30 -D "$HDR" -o /dev/null -w '%{http_code}' \
    "$ROUTER/api/chat" -d "$chat")
t1=$(now_ms)
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" \
    "the waiting request went to s1 once its back-off ended"
ok "$([ $((t1 - t0)) -lt 4500 ]; echo $?)" \
    "$((t1 - t0)) ms after the back-off began (2 s), not when s2's slot freed (6 s)"
kill "$pid_stalled" 2>/dev/null; wait "$pid_stalled" 2>/dev/null
router_stop
done_testing
