#!/usr/bin/env bash
# SIGHUP during a drain: the new drain_timeout counts for the running drain,
# from the drain's start. Shorter, it cuts sooner and Retry-After follows;
# already past, the drain ends at once; longer, a request it would have cut
# finishes.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# 20 tokens/s: num_predict 20 is about one second
fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 4 --tokens-per-sec 20 \
    --response-tokens 1000
curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/generate" -d '{"model":"qwen3:0.6b"}'

# draining_router NAME DRAIN-TIMEOUT TOKENS: router NAME with that
# drain_timeout, one stream of TOKENS tokens running through it (into
# $TEST_TMP/NAME.out), then SIGTERM; t0 is when the drain began.
draining_router() {
    printf '[router]\ndrain_timeout = %s\n[discovery.static]\ninterval = 0.2\nnode = s1 %s\n' \
        "$2" "$SIM_URL_s1" >"$TEST_TMP/$1.ini"
    router_with "$1" "$TEST_TMP/$1.ini"
    out=$TEST_TMP/$1.out
    curl -s -m 30 -o "$out" -w '%{http_code}' "$ROUTER/api/generate" \
        -d "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"options\":{\"num_predict\":$3}}" \
        >"$TEST_TMP/$1.code" &
    pid_stream=$!
    streaming() { [ -s "$out" ]; }
    wait_for 5 streaming || diag "no stream through $1"
    t0=$(now_ms)
    kill -TERM "$PID_herd"
    drain_logged() { grep -q "SIGTERM received, draining" "$TEST_TMP/$1.log"; }
    wait_for 5 drain_logged $1 || diag "$1 logged no drain"
}
# reload_with NAME DRAIN-TIMEOUT: rewrites NAME's drain_timeout, SIGHUP,
# and waits until herd has reloaded.
reload_with() {
    sed -i "s/^drain_timeout = .*/drain_timeout = $2/" "$TEST_TMP/$1.ini"
    kill -HUP "$PID_herd"
    reloaded() { grep -q "configuration reloaded" "$TEST_TMP/$1.log"; }
    wait_for 5 reloaded $1
}
# stopped: waits for herd; sets rc and ms (since the drain began)
stopped() {
    wait "$PID_herd"
    rc=$?
    ms=$(($(now_ms) - t0))
}

# 20 s, then 2: a 10 s stream is cut at about 2 s
draining_router shorter 20 200
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
like "$STATUS $(hdr Retry-After)" "^503 (19|20)$" \
    "while draining with drain_timeout 20: 503, Retry-After what is left of 20 s"
reload_with shorter 2
ok $? "SIGHUP with drain_timeout = 2 during the drain"
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
like "$STATUS $(hdr Retry-After)" "^503 [12]$" \
    "then Retry-After follows the new drain_timeout"
like "$(cat "$TEST_TMP/shorter.log")" \
    "drain_timeout is 2 s now: the running drain ends in [0-9.]+ s at the latest" \
    "the new deadline is logged"
stopped
is "$rc" 0 "herd exits 0"
ok $([ $ms -ge 1500 ] && [ $ms -lt 3500 ]; echo $?) \
    "at about 2 s after the drain began ($ms ms)"
wait "$pid_stream" 2>/dev/null
like "$(tail -1 "$out" | jq -r .error)" "router stopped before the answer was complete" \
    "the stream is cut with an error line"

# 20 s, then 0.5 when 1 s has passed: the drain ends at once
draining_router past 20 200
sleep 1
t1=$(now_ms)
reload_with past 0.5
stopped
is "$rc" 0 "a drain_timeout already past: herd exits 0"
ok $([ $(($(now_ms) - t1)) -lt 1500 ]; echo $?) \
    "at once after SIGHUP ($ms ms after the drain began)"
like "$(cat "$TEST_TMP/past.log")" \
    "drain_timeout is 0.5 s now, already past for the running drain: it ends now" \
    "logged"
like "$(cat "$TEST_TMP/past.log")" "drain timeout: 1 request\(s\) .* cut" \
    "and the cut as for any drain timeout"
wait "$pid_stream" 2>/dev/null

# 1 s, then 10: a 5 s stream finishes
draining_router longer 1 100
reload_with longer 10
stopped
is "$rc" 0 "drain_timeout 1 raised to 10: herd exits 0"
ok $([ $ms -ge 1500 ]; echo $?) "once the stream has ended ($ms ms)"
wait "$pid_stream"
is "$(cat "$TEST_TMP/longer.code") $(tail -1 "$out" | jq -r .done)" "200 true" \
    "the stream the old timeout would have cut completed"

ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP"/{shorter,past,longer}.log; echo $?) \
    "sanitizers quiet"
done_testing
