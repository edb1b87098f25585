#!/usr/bin/env bash
# Ended requests are kept for later ones, with their buffers (at most 16;
# the sanitizer build frees each instead). Whatever ran before, a request
# starts clean: after a burst of more requests than are kept, after
# clients that left mid-stream and after retried attempts, every answer is
# whole and its own, a request that never reached a node has no token
# counts in its trace, and the router frees everything on SIGTERM (run
# with VALGRIND=1 to check the kept requests too).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 8 --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --num-parallel 8 --time-scale 0.01
# slow streams, for clients that leave in the middle of one
fleet_sim slow --model llama3.2:1b:1 --num-parallel 4 --tokens-per-sec 20 \
    --response-tokens 1000
fleet_router "default_num_parallel = 16
node_backoff = 0
auto_pull = false"

msg='"messages":[{"role":"user","content":"hi"}]'
native="{\"model\":\"qwen3:0.6b\",\"stream\":false,$msg,\"options\":{\"num_predict\":4}}"
native_stream="{\"model\":\"qwen3:0.6b\",$msg,\"options\":{\"num_predict\":4}}"
oai="{\"model\":\"qwen3:0.6b\",$msg,\"max_tokens\":4}"
oai_stream="{\"model\":\"qwen3:0.6b\",\"stream\":true,$msg,\"max_tokens\":4}"

# send KIND N: request N of kind KIND (0-3) in the background, its answer
# in $TEST_TMP/r<N>.out and its status in r<N>.code
send() {
    local path=/api/chat body
    case $1 in
    0) body=$native ;;
    1) body=$native_stream ;;
    2) path=/v1/chat/completions body=$oai ;;
    3) path=/v1/chat/completions body=$oai_stream ;;
    esac
    curl -s -m 60 -o "$TEST_TMP/r$2.out" -w '%{http_code}' "$ROUTER$path" \
        -d "$body" >"$TEST_TMP/r$2.code" &
}
# whole KIND N: whether answer N is a complete one of its kind
whole() {
    local f=$TEST_TMP/r$2.out
    [ "$(cat "$TEST_TMP/r$2.code")" = 200 ] || return 1
    case $1 in
    0) [ "$(jq -r '.done' "$f")" = true ] &&
        [ "$(jq -r '.message.role' "$f")" = assistant ] ;;
    1) [ "$(tail -1 "$f" | jq -r .done)" = true ] &&
        [ "$(grep -c '"done":true' "$f")" = 1 ] ;;
    2) [ "$(jq -r '.object' "$f")" = chat.completion ] &&
        [ "$(jq -r '.choices[0].finish_reason' "$f")" != null ] ;;
    3) [ "$(grep -v '^$' "$f" | tail -1)" = "data: [DONE]" ] &&
        [ "$(grep -c '^data: \[DONE\]' "$f")" = 1 ] ;;
    esac
}
# burst N FIRST: N requests at once, the four kinds in turn; prints how
# many answers were whole (run in a subshell: its wait is for those only)
burst() {
    local i good=0
    for i in $(seq "$2" $(($2 + $1 - 1))); do send $((i % 4)) "$i"; done
    wait
    for i in $(seq "$2" $(($2 + $1 - 1))); do
        whole $((i % 4)) "$i" && good=$((good + 1))
    done
    echo "$good"
}

is "$(burst 40 1)" 40 "40 requests at once, four kinds: every answer whole"
is "$(burst 40 41)" 40 "40 more, on the requests kept: every answer whole"
# one at a time, each kind after each other kind
good=0
for i in $(seq 81 112); do
    send $(((i / 4 + i) % 4)) "$i"
    wait $!
    whole $(((i / 4 + i) % 4)) "$i" && good=$((good + 1))
done
is "$good" 32 "one at a time, every kind after every kind: all whole"

# clients that leave in the middle of a slow stream
slow_chat='{"model":"llama3.2:1b","messages":[{"role":"user","content":"hi"}]}'
pids=()
for i in 1 2 3 4 5 6; do
    curl -s -m 1 -o /dev/null "$ROUTER/api/chat" -d "$slow_chat" &
    pids+=($!)
done
wait "${pids[@]}"
left() { [ "$(grep -c 'client disconnected' "$TEST_TMP/herd.log")" -ge 6 ]; }
wait_for 10 left
ok $? "six clients left mid-stream"
idle() { [ "$(sim_of slow '.models[0].active // 0')" = 0 ]; }
wait_for 10 idle
ok $? "and their node calls were cancelled"
is "$(burst 8 201)" 8 "the requests after them: whole"

# a retried attempt: the node that served the last request fails those
# after it; the first one sent to it first is retried on the other (the
# pick may stay on that node or alternate between the two)
rq POST /api/chat "$native"
first=$(hdr X-Fleet-Node)
fault "$first" '{"error500":{"count":50}}'
retried=1
for i in $(seq 1 20); do
    rq POST /api/chat "$native"
    [ "$STATUS $(hdr X-Fleet-Retries)" = "200 1" ] && { retried=0; break; }
done
ok $retried "a request that failed on $first was retried on the other node"
fault "$first" '{"clear":true}'
rq POST /api/chat "$native"
is "$STATUS $(hdr X-Fleet-Retries) $(jq -r .done <<<"$BODY")" "200 0 true" \
    "the next request shows no retry of its own"

# a request that never reaches a node, after ones that did
if command -v sqlite3 >/dev/null &&
    [ -f "$top_builddir/plugins/storage/sqlite.la" ]; then
    rq POST /api/chat '{"model":"nosuch:1b","stream":false,"messages":[]}'
    is "$STATUS" 404 "a model no node has: 404"
    id=$(hdr X-Request-Id)
    written() {
        [ -n "$(sqlite3 "$TEST_TMP/data/latency.db" \
            "SELECT 1 FROM request_traces WHERE request_id = '$id'")" ]
    }
    wait_for 10 written
    is "$(sqlite3 "$TEST_TMP/data/latency.db" \
        "SELECT status, quote(prompt_tokens), quote(completion_tokens)
         FROM request_traces WHERE request_id = '$id'")" "failed|NULL|NULL" \
        "its trace has no token counts of an earlier request"
else
    diag "sqlite3 or the sqlite storage plugin missing: trace check skipped"
fi

router_stop
done_testing
