#!/usr/bin/env bash
# SIGTERM drains: requests in flight complete, new ones get 503 with
# Retry-After meanwhile, the router exits 0 when the last one ends; a
# second signal stops at once; drain_timeout bounds the wait.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# statuses DATA-DIR: the trace statuses written there, sorted, one line
statuses() {
    sqlite3 "$1/latency.db" "SELECT status FROM request_traces ORDER BY status" |
        tr '\n' ' '
}
have_sqlite=$(command -v sqlite3 >/dev/null && echo 1)

# stop_timed SIGNAL PID: signals the router and waits for it; sets rc (its
# exit status) and ms (how long it took).
stop_timed() {
    local t0
    t0=$(now_ms)
    kill "-$1" "$2"
    wait "$2"
    rc=$?
    ms=$(($(now_ms) - t0))
}

# 20 tokens/s: num_predict 20 is about one second
fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 4 --tokens-per-sec 20 \
    --response-tokens 1000
fleet_router "default_num_parallel = 4
drain_timeout = 20"
curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/generate" -d '{"model":"qwen3:0.6b"}'

pids=()
for i in 1 2 3; do
    curl -s -m 30 -o "$TEST_TMP/d$i.out" -w '%{http_code}' \
        "$ROUTER/api/generate" \
        -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":20}}' \
        >"$TEST_TMP/d$i.code" &
    pids+=($!)
done
running() { [ "$(sim_of s1 '.models[0].active')" = 3 ]; }
wait_for 5 running
ok $? "three streams in flight"
kill -TERM "$PID_herd"
sleep 0.2
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false}'
is "$STATUS" 503 "while draining, a new request gets 503"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
like "$(jq -r .error <<<"$BODY")" "shutting down" "saying why"
kill -0 "$PID_herd" 2>/dev/null
ok $? "the router is still running for its in-flight requests"
wait "${pids[@]}"
for i in 1 2 3; do
    is "$(cat "$TEST_TMP/d$i.code") $(tail -1 "$TEST_TMP/d$i.out" | jq -r .done)" \
        "200 true" "in-flight request $i completed"
    [ "$(tail -1 "$TEST_TMP/d$i.out" | jq -r .done)" = true ] ||
        diag "$(tail -2 "$TEST_TMP/d$i.out")"
done
wait "$PID_herd"
is "$?" 0 "then herd exits 0"
ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd.log"; echo $?) \
    "sanitizers quiet"
if [ -n "$have_sqlite" ]; then
    is "$(statuses "$TEST_TMP/data")" "completed completed completed rejected " \
        "a trace for each: the three completed, the 503 rejected"
else
    ok 0 "traces # SKIP sqlite3 is not installed"
fi

# A request waiting for a slot when the drain starts gets 503 at once,
# with Retry-After; the one running finishes.
cat >"$TEST_TMP/one.ini" <<EOF2
[router]
default_num_parallel = 1
[discovery.static]
interval = 0.2
node = s1 $SIM_URL_s1
EOF2
router_with herd1 "$TEST_TMP/one.ini"
curl -s -m 30 -o "$TEST_TMP/run.out" -w '%{http_code}' "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":80}}' \
    >"$TEST_TMP/run.code" &
pid_run=$!
has_run() { [ -s "$TEST_TMP/run.out" ]; }
wait_for 5 has_run
curl -s -m 30 -D "$TEST_TMP/wait.h" -o "$TEST_TMP/wait.out" -w '%{http_code}' \
    "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":2}}' \
    >"$TEST_TMP/wait.code" &
pid_wait=$!
queued() { [ "$(curl -s "$ROUTER/fleet/queue" | jq .pending)" = 1 ]; }
wait_for 5 queued
ok $? "one request runs, one waits for the slot"
t0=$(now_ms)
kill -TERM "$PID_herd1"
wait "$pid_wait"
ms=$(($(now_ms) - t0))
is "$(cat "$TEST_TMP/wait.code")" 503 "the waiting one gets 503 when the drain starts"
ok $([ $ms -lt 2000 ]; echo $?) "at once ($ms ms)"
like "$(tr -d '\r' <"$TEST_TMP/wait.h")" "Retry-After: [0-9]+" "with Retry-After"
wait "$pid_run"
is "$(cat "$TEST_TMP/run.code") $(tail -1 "$TEST_TMP/run.out" | jq -r .done)" "200 true" \
    "the running one completes"
wait "$PID_herd1"
is "$?" 0 "and herd exits 0"

# drain_timeout bounds the wait; a second signal stops at once
cat >"$TEST_TMP/short.ini" <<EOF2
[router]
default_num_parallel = 4
drain_timeout = 0.5
heartbeat_interval = 0.2
[discovery.static]
interval = 0.2
node = s1 $SIM_URL_s1
EOF2
start_herd herd2 --config "$TEST_TMP/short.ini" --data-dir "$TEST_TMP/data2" --log-level debug
ROUTER=$url
online() { curl -s "$ROUTER/api/tags" | jq -e '.models | length > 0'; }
wait_for 10 online
curl -s -m 30 -o "$TEST_TMP/long.out" "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":200}}' &
pid_long=$!
has_out() { [ -s "$TEST_TMP/long.out" ]; }
wait_for 5 has_out
# and one that a node has not answered yet (a non-streamed answer)
curl -s -m 30 -o "$TEST_TMP/whole.out" -w '%{http_code}' "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":200}}' \
    >"$TEST_TMP/whole.code" &
pid_whole=$!
two() { [ "$(sim_of s1 '.models[0].active')" = 2 ]; }
wait_for 5 two
stop_timed TERM "$PID_herd2"
is "$rc" 0 "past drain_timeout herd exits 0 anyway"
ok $([ $ms -lt 3000 ]; echo $?) "after about drain_timeout ($ms ms)"
wait "$pid_long" 2>/dev/null
wait "$pid_whole" 2>/dev/null
like "$(tail -1 "$TEST_TMP/long.out" | jq -r .error)" "router stopped before the answer was complete" \
    "the stream it cut ends with an error line"
is "$(cat "$TEST_TMP/whole.code")" 503 "the answer not started yet: 503"
if [ -n "$have_sqlite" ]; then
    is "$(statuses "$TEST_TMP/data2")" "failed incomplete " \
        "both traced: failed, incomplete"
else
    ok 0 "traces # SKIP sqlite3 is not installed"
fi

sed -i 's/drain_timeout = 0.5/drain_timeout = 60/' "$TEST_TMP/short.ini"
start_herd herd3 --config "$TEST_TMP/short.ini" --data-dir "$TEST_TMP/data3" --log-level debug
ROUTER=$url
wait_for 10 online
curl -s -m 30 -o "$TEST_TMP/long2.out" "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":200}}' &
pid_long=$!
has_out2() { [ -s "$TEST_TMP/long2.out" ]; }
wait_for 5 has_out2
diag "stream so far: $(head -c 200 "$TEST_TMP/long2.out")"
kill -TERM "$PID_herd3"
sleep 0.2
stop_timed INT "$PID_herd3"
is "$rc" 0 "a second signal stops at once, exit 0"
ok $([ $ms -lt 1500 ]; echo $?) "promptly ($ms ms)"
wait "$pid_long" 2>/dev/null
like "$(tail -1 "$TEST_TMP/long2.out" | jq -r .error)" "router stopped before the answer was complete" \
    "the stream it cut ends with an error line"
if [ -n "$have_sqlite" ]; then
    is "$(statuses "$TEST_TMP/data3")" "incomplete " "and is traced incomplete"
else
    ok 0 "traces # SKIP sqlite3 is not installed"
fi
ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd2.log" "$TEST_TMP/herd3.log"; echo $?) \
    "sanitizers quiet after a cut drain"

# Model calls through the router drain too: a pull in flight streams to
# its end, a new one gets 503; cut by drain_timeout, the router still
# exits cleanly (it freed the upstream pool under a running pull before).
fleet_sim s2 --model qwen3:0.6b:0.5 --pull-gb-per-sec 3
pull_router() { # NAME DRAIN-TIMEOUT
    printf '[router]\ndrain_timeout = %s\n[discovery.static]\ninterval = 0.2\nnode = s2 %s\n' \
        "$2" "$SIM_URL_s2" >"$TEST_TMP/$1.ini"
    router_with "$1" "$TEST_TMP/$1.ini"
}
pull_router herd4 20
curl -s -N -m 30 -o "$TEST_TMP/pull.out" -w '%{http_code}' "$ROUTER/api/pull" \
    -d '{"model":"llama3.1:8b"}' >"$TEST_TMP/pull.code" &
pid_pull=$!
has_pull() { grep -q completed "$TEST_TMP/pull.out" 2>/dev/null; }
wait_for 5 has_pull
kill -TERM "$PID_herd4"
sleep 0.2
rq POST /api/pull '{"model":"other:1b"}'
like "$STATUS $(hdr Retry-After)" "^503 (19|20)$" \
    "while draining, a new pull gets 503 with Retry-After: what is left of the drain's 20 s"
wait "$pid_pull"
is "$(cat "$TEST_TMP/pull.code") $(tail -1 "$TEST_TMP/pull.out" | jq -r .status)" \
    "200 success" "the pull in flight streamed to its end"
wait "$PID_herd4"
is "$?" 0 "then herd exits 0"
pull_router herd5 0.5
curl -s -N -m 30 -o "$TEST_TMP/pull2.out" "$ROUTER/api/pull" \
    -d '{"model":"llama3.1:70b"}' &
pid_pull=$!
has_pull2() { grep -q completed "$TEST_TMP/pull2.out" 2>/dev/null; }
wait_for 5 has_pull2
kill -TERM "$PID_herd5"
wait "$PID_herd5"
is "$?" 0 "a pull cut by drain_timeout: herd exits 0"
wait "$pid_pull" 2>/dev/null
ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd4.log" "$TEST_TMP/herd5.log"; echo $?) \
    "sanitizers quiet after draining model calls"

# A client that resets its connection while a large answer is still
# being written leaves nothing for a later drain to wait for.
big_answer_router herd6 "drain_timeout = 20"
body=$BIG_EMBED
exec 3<>"/dev/tcp/127.0.0.1/${ROUTER##*:}"
printf 'POST /api/embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
    "${#body}" "$body" >&3
# the node's answer (5.7 MB) is in; its write to the client, who reads
# nothing, cannot finish
answered() { [ "$(curl -s "$ROUTER/fleet/queue" | jq .completed)" = 1 ]; }
wait_for 10 answered
ok $? "the answer is being written to a client that does not read"
sleep 0.3
exec 3<&- # unread bytes in its buffer: the kernel resets the connection
sleep 0.3
stop_timed TERM "$PID_herd6"
is "$rc" 0 "after a client reset mid-answer, SIGTERM: exit 0"
ok $([ $ms -lt 5000 ]; echo $?) "at once, not after drain_timeout ($ms ms)"
done_testing
