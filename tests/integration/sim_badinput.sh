#!/usr/bin/env bash
# herd-sim never crashes on bad input: every endpoint gets malformed,
# mistyped and oversized bodies; each answer is a 4xx (or Ollama's 500 for
# a wrongly typed option) with a JSON error, and the sanitizers stay quiet.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"

sim_start sim --time-scale 0.01 --model tiny:0.1 --embed-model embed:0.1:8

bodies=(
    '' '{' 'null' '[]' '"x"' '5' '{"model":5}' '{"model":null}'
    '{"model":"tiny","messages":5}' '{"model":"tiny","messages":[5]}'
    '{"model":"tiny","messages":[{"role":"user","content":{"a":1}}]}'
    '{"model":"tiny","prompt":["x"]}' '{"model":"tiny","options":[]}'
    '{"model":"tiny","prompt":"x","options":{"num_predict":"many"}}'
    '{"model":"tiny","prompt":"x","keep_alive":true}'
    '{"model":"tiny","prompt":"x","keep_alive":"forever"}'
    '{"model":"tiny","prompt":"x","think":[1]}'
    '{"model":"tiny","prompt":"x","format":"xml"}'
    '{"model":"tiny","prompt":"x","top_logprobs":99}'
    '{"model":"tiny","tools":{},"messages":[]}'
    '{"model":"tiny","tools":[5],"messages":[{"role":"user","content":"5"}]}'
    '{"model":"embed","input":{"a":1}}' '{"model":"embed","input":[null]}'
    '{"model":"tiny","stream_options":7,"messages":[{"role":"user","content":"x"}]}'
    '{"model":"tiny","max_tokens":"3","messages":[{"role":"user","content":"x"}]}'
    '{"model":"tiny","reasoning_effort":5,"messages":[{"role":"user","content":"x"}]}'
    '{"source":5,"destination":[]}' '{"name":"../../etc/passwd"}'
    '{"stall":{"count":"x"}}' '{"clear":1}'
)
paths="/api/generate /api/chat /api/embed /api/embeddings /api/show /api/pull /api/copy /v1/chat/completions /v1/completions /v1/embeddings /sim/faults"
bad=""
for p in $paths; do
    for b in "${bodies[@]}"; do
        sim_req POST "$p" "$b"
        case "$STATUS" in
        4??|500) jq -e '.error' >/dev/null 2>&1 <<<"$BODY" || bad="$bad [$p $b: $STATUS not JSON]" ;;
        200) ;;
        *) bad="$bad [$p $b: $STATUS]" ;;
        esac
    done
done
is "$bad" "" "every bad body gets a JSON error (or is served)"
sim_req DELETE /api/delete '{"name":5}'
is "$STATUS" 400 "delete with a bad name"
sim_req GET /v1/models/%00
ok "$([ "$STATUS" = 404 ]; echo $?)" "odd model id"
# An oversized body is refused before it is read whole.
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$TEST_TMP/big"
status=$(curl -s -m 30 -o /dev/null -w '%{http_code}' --data-binary @"$TEST_TMP/big" "$SIM_URL/api/chat")
is "$status" 413 "body over 8 MiB: 413"
# A prompt longer than the context is cut to it.
words=$(printf 'word %.0s' $(seq 1 20000))
sim_req POST /api/generate '{"model":"tiny","prompt":"'"$words"'","stream":false,"options":{"num_ctx":2048,"num_predict":1}}'
is "$(jq -c '[.prompt_eval_count <= 2048, (.context | length) <= 2048]' <<<"$BODY")" "[true,true]" "long prompt truncated to num_ctx"
sim_req GET /api/tags
is "$STATUS" 200 "still serving"
sim_stop sim

# A client that does not read: generation pauses instead of buffering
# 100,000 lines, and resumes when the client reads.
sim_start slow --tokens-per-sec 100000000 --response-tokens 100000 --model tiny:0.1
port=${SIM_URL##*:}
body='{"model":"tiny","prompt":"x"}'
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' \
    "${#body}" "$body" >&3
sleep 1.5
is "$(sim_state '[.server.requests_in_flight, (.models[] | select(.name == "tiny:latest") | .requests)] | map(tostring) | join(" ")')" "1 0" "a slow reader pauses its generation"
timeout 60 cat <&3 >"$TEST_TMP/slow.body"
exec 3<&-
is "$(grep -c '"done":true' "$TEST_TMP/slow.body") $(grep -c '"done":false' "$TEST_TMP/slow.body")" "1 100000" "and gets every line once it reads"
sim_stop slow
done_testing
