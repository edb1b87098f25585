#!/usr/bin/env bash
# fallback_models when the wait runs out: a request waits for its busy
# first model rather than taking a later one, but before its 503 it tries
# its fallback models once, on a slot free at that moment; the answer
# says which model served (X-Fleet-Fallback).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

slow_slot_sim s1
slow_slot_sim s2 llama3.2:1b:1
fleet_router "default_num_parallel = 1
queue_wait = 1
vram_fallback = false"

hold() { # hold MODEL: a 6 s stream on that model's slot, in the background
    curl -s -m 30 -N -o /dev/null "$ROUTER/api/generate" \
        -d "{\"model\":\"$1\",\"prompt\":\"x\",\"options\":{\"num_predict\":60}}" &
    HOLD_PIDS="$HOLD_PIDS $!"
}
active_on() { [ "$(sim_of "$1" '.models[0].active')" = 1 ]; }
ask='{"model":"qwen3:0.6b","fallback_models":["llama3.2:1b"],"prompt":"x","stream":false,"options":{"num_predict":1}}'

hold qwen3:0.6b
wait_for 5 active_on s1
ok $? "a slow stream holds the only slot of qwen3:0.6b"
t0=$(now_ms)
rq POST /api/generate "$ask"
t1=$(now_ms)
is "$STATUS" 200 "a request for it with a free fallback is served when its wait runs out"
is "$(hdr X-Fleet-Fallback) $(hdr X-Fleet-Node)" "llama3.2:1b s2" \
    "by the fallback model, named in X-Fleet-Fallback"
is "$(jq -r .model <<<"$BODY")" "llama3.2:1b" "the answer is that model's"
ok "$([ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt 3000 ]; echo $?)" \
    "after waiting queue_wait (1 s) for the first model ($((t1 - t0)) ms)"
like "$(cat "$TEST_TMP/herd.log")" "no slot for qwen3:0.6b within queue_wait; fallback to llama3.2:1b on s2" \
    "the log says so"
id=$(hdr X-Request-Id)
if command -v sqlite3 >/dev/null && [ -f "$top_builddir/plugins/storage/sqlite.la" ]; then
    written() {
        [ -n "$(sqlite3 "$TEST_TMP/data/latency.db" \
            "SELECT 1 FROM request_traces WHERE request_id = '$id'" 2>/dev/null)" ]
    }
    wait_for 10 written
    is "$(sqlite3 "$TEST_TMP/data/latency.db" "SELECT model, original_model,
          node_id, fallback_used, status FROM request_traces
          WHERE request_id = '$id'")" "llama3.2:1b|qwen3:0.6b|s2|1|completed" \
        "and so does its trace"
else
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n # SKIP no sqlite storage to read the trace from"
fi

# with the fallback busy too, the 503 stands
hold llama3.2:1b
wait_for 5 active_on s2
rq POST /api/generate "$ask"
is "$STATUS" 503 "with the fallback's slot taken as well: 503"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
is "$(hdr X-Fleet-Fallback)" "" "and no fallback header"

for pid in $HOLD_PIDS; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
router_stop
done_testing
