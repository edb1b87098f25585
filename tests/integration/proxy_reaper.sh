#!/usr/bin/env bash
# The reaper, a safety net under upstream_timeout: a slot held while no
# byte comes from the node for stale_timeout is freed and logged. A node
# that stalls before its first byte (herd-sim's stall fault) is reaped and
# the request tried elsewhere; a client that stops reading (so the router
# stops reading from the node) gets its stream ended with an error; a
# long stream whose bytes flow is never reaped.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --tokens-per-sec 10 --num-parallel 2
fleet_sim s2 --model qwen3:0.6b:0.5 --tokens-per-sec 10 --num-parallel 2
fleet_sim s3 --model fastgen:1b:0.5 --tokens-per-sec 1000000 \
    --response-tokens 100000 --num-parallel 2
fleet_router "default_num_parallel = 2
stale_timeout = 1
upstream_timeout = 60
node_backoff = 0"
for s in "$SIM_URL_s1" "$SIM_URL_s2"; do
    curl -s -m 10 -o /dev/null "$s/api/generate" -d '{"model":"qwen3:0.6b"}'
done
curl -s -m 10 -o /dev/null "$SIM_URL_s3/api/generate" -d '{"model":"fastgen:1b"}'
reaped() { grep -c 'reaper frees the slot' "$TEST_TMP/herd.log"; }
in_flight() { curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .in_flight; }

# A long stream with bytes flowing: 30 tokens at 10/s, 3 s > stale_timeout
t0=$(now_ms)
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":30}}'
t1=$(now_ms)
is "$STATUS" 200 "a 3 s stream"
ok "$([ $((t1 - t0)) -ge 2500 ]; echo $?)" "took its time ($((t1 - t0)) ms)"
is "$(tail -1 "$TEST_TMP/rq_body" | jq -r .done)" true "and ended complete"
is "$(reaped)" 0 "nothing reaped while bytes flow"

# Both nodes stall 5 s before their first byte: each attempt is reaped
# after about 1 s and the next node tried; then no node is left.
fault s1 '{"stall":{"count":1,"seconds":5}}'
fault s2 '{"stall":{"count":1,"seconds":5}}'
t0=$(now_ms)
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":2}}'
t1=$(now_ms)
is "$STATUS" 502 "stalled on both nodes: 502"
like "$(jq -r .error <<<"$BODY")" "no bytes from s[12] for 1\.[0-9] s \(stale_timeout 1 s\): reaped" \
    "naming the reaper"
ok "$([ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 4500 ]; echo $?)" \
    "after two reaps, not the 5 s stall ($((t1 - t0)) ms)"
is "$(reaped)" 2 "two reaps logged"
is "$(hdr X-Fleet-Retries)" 2 "each counted as a retry"
wait_for 5 eval '[ "$(in_flight)" = 0 ]'
ok $? "no slot held afterwards"
fault s1 '{"stall":null}'
fault s2 '{"stall":null}'

# A client that stops reading: past 1 MiB unsent the router stops reading
# from the node, no bytes flow, and the reaper ends the stream; the
# client, reading at last, finds an error line at the end.
port=${ROUTER##*:}
body='{"model":"fastgen:1b","prompt":"x","options":{"num_predict":100000}}'
before=$(reaped)
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "${#body}" "$body" >&3
reaped_more() { [ "$(reaped)" -gt "$before" ]; }
wait_for 15 reaped_more
ok $? "a stream paused by its client is reaped"
like "$(grep 'reaper frees' "$TEST_TMP/herd.log" | tail -1)" \
    "fastgen:1b on s3, held .* \(the client stopped reading\)" \
    "the log says the client stopped reading"
timeout 30 cat <&3 >"$TEST_TMP/slow.out"
is "$?" 0 "the client then reads to the end"
exec 3<&-
like "$(grep -a '"error"' "$TEST_TMP/slow.out" | tail -1)" \
    "no bytes from s3 for .*: reaped" "its stream ends with the reaper's error"
is "$(grep -ac '"done":true' "$TEST_TMP/slow.out")" 0 "and no final chunk"
wait_for 5 eval '[ "$(in_flight)" = 0 ]'
ok $? "the slot is free"
rq POST /api/generate '{"model":"fastgen:1b","prompt":"x","stream":false,"options":{"num_predict":5}}'
is "$STATUS $(jq -r .done <<<"$BODY")" "200 true" "the node serves the next one"

router_stop
done_testing
