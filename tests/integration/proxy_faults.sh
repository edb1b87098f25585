#!/usr/bin/env bash
# Faults through the router, injected with /sim/faults: a 500 or a refused
# connection before the first byte is retried on the other node and the
# headers say so; a connection dropped mid-stream ends the client's stream
# with an error in its own format (an NDJSON error line, an SSE error
# event), never a silent truncation; a stream that ends without its final
# chunk says so too.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_router "default_num_parallel = 2
node_backoff = 0"
# the model loaded on both sims (and seen so by the router), so that they
# score alike and take turns
for s in s1 s2; do
    eval "u=\$SIM_URL_$s"
    curl -s -m 10 -o /dev/null "$u/api/generate" -d '{"model":"qwen3:0.6b","keep_alive":-1}'
done
both_loaded() { [ "$(curl -s "$ROUTER/api/ps" | jq '.models | length')" = 2 ]; }
wait_for 10 both_loaded
ok $? "the model is loaded on both sims"

chat='{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":6}}'
both_fault() { fault s1 "$1"; fault s2 "$1"; }
other() { [ "$1" = s1 ] && echo s2 || echo s1; }

# One node fails once: the router's first pick may be either node, and
# equal nodes take turns, so within three requests one lands on s1 first.
first_fault() { # MODE: sets STATUS/BODY/HDR of the request that was retried
    local i
    for i in 1 2 3; do
        rq POST /api/chat "$1"
        [ "$(hdr X-Fleet-Retries)" = 1 ] && return 0
    done
    return 1
}
# (count 2: the router's own polls of s1 may take one of them)
# A refused request on a kept-alive connection is sent once more on a new
# connection by herd's node client itself (a node closing an idle
# connection as herd writes looks the same), so each refused request can
# take two refusals, and the discovery polls take from the same count.
for mode in error500 refuse; do
    count=2
    [ "$mode" = refuse ] && count=8
    fault s1 "{\"$mode\":{\"count\":$count}}"
    first_fault "$chat"
    ok $? "$mode before the first byte: retried (X-Fleet-Retries 1)"
    is "$STATUS" 200 "$mode: the client still gets 200"
    is "$(printf '%s\n' "$BODY" | tail -1 | jq -r .done)" true \
        "$mode: and a complete stream"
    is "$(hdr X-Fleet-Node)" s2 "$mode: X-Fleet-Node names the node that served"
    ok $([ "$(sim_of s1 ".faults.$mode.triggered")" -ge 1 ]; echo $?) \
        "$mode: s1 took the fault"
    both_fault '{"clear":true}'
done

# stream:false: the retry is as invisible
fault s1 '{"error500":{"count":2}}'
first_fault '{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":2}}'
is "$STATUS $(jq -r .done <<<"$BODY") $(hdr X-Fleet-Retries) $(hdr X-Fleet-Node)" \
    "200 true 1 s2" "stream:false retried on the other node"
both_fault '{"clear":true}'

# drop after 3 chunks: the stream ends with an error line
both_fault '{"drop":{"count":2,"after":3}}'
rq POST /api/chat "$chat"
is "$STATUS" 200 "drop mid-stream: the stream had started (200)"
last=$(printf '%s\n' "$BODY" | tail -1)
like "$(jq -r .error <<<"$last")" "failed mid-answer" \
    "the native stream ends with an {\"error\":...} line"
is "$(printf '%s\n' "$BODY" | grep -c '"done":true')" 0 "and no done line"

rq POST /v1/chat/completions '{"model":"qwen3:0.6b","stream":true,"max_tokens":6,"messages":[{"role":"user","content":"hi"}]}'
is "$STATUS" 200 "drop mid-stream (OpenAI): 200"
is "$(hdr Content-Type)" "text/event-stream" "as SSE"
errev=$(printf '%s\n' "$BODY" | grep '^data: {"error"' | head -1)
like "$errev" '"type":"api_error"' "the SSE stream ends with an error event"
is "$(printf '%s\n' "$BODY" | grep -c 'data: \[DONE\]')" 0 "and no [DONE]"
both_fault '{"clear":true}'

# the node's connection closes inside a line: the client's copy of that
# line stays cut, and the error comes on a line of its own
both_fault '{"drop":{"count":1,"after":2,"half":true}}'
rq POST /api/chat "$chat"
lines=$(printf '%s\n' "$BODY" | wc -l)
like "$(printf '%s\n' "$BODY" | tail -1 | jq -r .error)" "failed mid-answer" \
    "a drop inside a line: the last line is an {\"error\":...} object"
is "$lines $(printf '%s\n' "$BODY" | sed -n 3p | cut -c1-9)" '4 {"model":' \
    "... after two lines and the cut one"
both_fault '{"clear":true}'

# the node reports an error inside its stream: relayed, not hidden
both_fault '{"midstream_error":{"count":1,"after":2}}'
rq POST /api/chat "$chat"
last=$(printf '%s\n' "$BODY" | tail -1)
ok $(jq -e '.error' <<<"$last" >/dev/null; echo $?) \
    "an in-band error from the node reaches the client as the last line"
both_fault '{"clear":true}'

# every node fails: the last node's status, with an error that says why,
# in each API's shape (as nginx passes the last answer on)
both_fault '{"error500":{"count":50}}'
rq POST /api/chat "$chat"
is "$STATUS" 500 "500 on every node: 500"
like "$(jq -r .error <<<"$BODY")" "last error: HTTP 500" "naming the last error"
rq POST /v1/chat/completions '{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}]}'
is "$STATUS" 500 "OpenAI: 500 too"
is "$(jq -r .error.type <<<"$BODY")" api_error "in OpenAI's error shape"
both_fault '{"clear":true}'
# no node answers at all: 502
both_fault '{"refuse":{"count":50}}'
rq POST /api/chat "$chat"
is "$STATUS" 502 "no answer from any node: 502"
both_fault '{"clear":true}'

router_stop
done_testing
