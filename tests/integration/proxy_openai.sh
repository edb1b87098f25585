#!/usr/bin/env bash
# OpenAI requests are converted by the router: the node is sent the
# native API (so the router's body rules — keep_alive, thinking budget —
# apply to OpenAI clients too) and the answer comes back in OpenAI's
# shape: one id per response, role delta first, finish_reason, a usage
# chunk only when asked, [DONE] last; a node's in-band error becomes an
# SSE error event; a node's 4xx an OpenAI error object; requests Ollama
# cannot serve faithfully are a 400 that says why. (The official npm
# client's view of the same conversion: router_compat.sh.)
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model tiny:0.5 --model deepseek-r1:0.5 --embed-model embed:0.1:8 \
    --time-scale 0.01 --response-tokens 8 --thinking-tokens 4
fleet_router "keep_alive = 2h
auto_pull = false"
msg='"messages":[{"role":"user","content":"hi"}]'
# sse BODY: streams a chat; its data: payloads one per line in $EVENTS
sse() {
    curl -s -m 30 -D "$HDR" "$ROUTER/v1/chat/completions" -d "$1" |
        tr -d '\r' | sed -n 's/^data: //p' >"$TEST_TMP/events"
    EVENTS=$(cat "$TEST_TMP/events")
}
chunks() { grep -v '^\[DONE\]$' "$TEST_TMP/events"; }

sse "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":3,$msg,\"stream_options\":{\"include_usage\":true}}"
is "$(hdr Content-Type)" text/event-stream "a stream is SSE"
is "$(tail -1 <<<"$EVENTS")" "[DONE]" "[DONE] comes last"
is "$(grep -c '^\[DONE\]$' <<<"$EVENTS")" 1 "and once"
is "$(chunks | jq -r .id | sort -u)" "chatcmpl-$(hdr X-Request-Id)" \
    "one id for every chunk, made from the request id"
is "$(chunks | head -1 | jq -r .choices[0].delta.role)" assistant \
    "the role delta comes first"
is "$(chunks | jq -r .object | sort -u)" chat.completion.chunk "chunk objects"
is "$(chunks | jq -r '.choices[0].finish_reason // empty')" length \
    "one finish chunk: length at max_tokens"
usage=$(chunks | tail -1)
is "$(jq -c '[.choices, .usage.completion_tokens]' <<<"$usage")" "[[],3]" \
    "a usage chunk (no choices) before [DONE], as include_usage asked"
text=$(chunks | jq -j '.choices[0].delta.content // empty')
ok "$([ -n "$text" ]; echo $?)" "the text arrives in deltas: '$text'"

sse "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":3,$msg}"
is "$(chunks | jq -c 'select(.usage != null)' | wc -l)" 0 \
    "no usage chunk unless asked"
is "$(tail -1 <<<"$EVENTS")" "[DONE]" "[DONE] last without usage too"

rq POST /v1/chat/completions "{\"model\":\"tiny\",\"max_tokens\":3,$msg}"
is "$STATUS $(jq -r .object <<<"$BODY")" "200 chat.completion" "stream defaults to false"
is "$(jq -r .id <<<"$BODY")" "chatcmpl-$(hdr X-Request-Id)" "its id"
is "$(hdr Content-Type)" application/json "as JSON"
is "$(jq -r '.usage | "\(.completion_tokens) \(.total_tokens - .prompt_tokens)"' <<<"$BODY")" \
    "3 3" "usage from the native counts"

# the router's keep_alive (2 h) went to the node: Ollama's OpenAI layer
# would have left the sim's default of 5 minutes
exp=$(curl -s "$SIM_URL_s1/api/ps" | jq -r '.models[] | select(.name == "tiny:latest") | .expires_at')
left=$(( $(date -d "$exp" +%s) - $(date +%s) ))
ok "$([ "$left" -gt 3600 ]; echo $?)" "keep_alive from [router] applies ($left s left)"

# thinking budget: max_tokens 2 on a thinking model is raised, so the
# thinking does not eat the answer
rq POST /v1/chat/completions "{\"model\":\"deepseek-r1\",\"max_tokens\":2,$msg}"
is "$STATUS $(jq -r .choices[0].finish_reason <<<"$BODY")" "200 stop" \
    "thinking model: the answer is complete"
ok "$([ -n "$(jq -r '.choices[0].message.reasoning // empty' <<<"$BODY")" ]; echo $?)" \
    "its reasoning is kept"

# an in-band error of the native stream -> an SSE error event, no [DONE]
fault s1 '{"midstream_error":{"count":1,"after":2}}'
sse "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":6,$msg}"
is "$(tail -1 <<<"$EVENTS" | jq -r .error.type)" api_error \
    "a node's error mid-stream ends the SSE stream with an error event"
is "$(grep -c '^\[DONE\]$' <<<"$EVENTS")" 0 "and no [DONE]"
fault s1 '{"midstream_error":null}'

# a native line that is not JSON cannot be converted: an error event, not
# a silent hole in the text followed by [DONE]
fault s1 '{"malformed":{"count":1}}'
sse "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":6,$msg}"
like "$(tail -1 <<<"$EVENTS" | jq -r .error.message)" "not JSON" \
    "a line that is not JSON ends the SSE stream with an error event"
is "$(grep -c '^\[DONE\]$' <<<"$EVENTS")" 0 "and no [DONE]"
fault s1 '{"malformed":null}'

# a node's 4xx comes back in OpenAI's error shape with its status
rq POST /v1/embeddings '{"model":"tiny","input":"x"}'
is "$STATUS" 400 "a chat model asked for embeddings: the node's 400"
is "$(jq -r .error.type <<<"$BODY")" invalid_request_error "OpenAI error shape"
like "$(jq -r .error.message <<<"$BODY")" "does not support embeddings" \
    "with the node's message"

rq POST /v1/embeddings '{"model":"embed","input":["a","b"],"encoding_format":"base64"}'
is "$STATUS $(jq -r '.data | length' <<<"$BODY")" "200 2" "embeddings"
is "$(jq -r .data[1].embedding <<<"$BODY" | base64 -d | wc -c)" 32 \
    "base64: 8 float32 values"
rq POST /v1/embeddings '{"model":"embed","input":"a"}'
is "$(jq -r '.data[0].embedding | length' <<<"$BODY")" 8 "floats by default"
rq POST /v1/embeddings '{"model":"embed","input":"a","encoding_format":"Base64"}'
is "$(jq -r .data[0].embedding <<<"$BODY" | base64 -d | wc -c)" 32 \
    "encoding_format in any case: Base64 is base64"

# completions' logprobs in their own shape: tokens, token_logprobs,
# top_logprobs (token -> logprob), text_offset into the text
rq POST /v1/completions '{"model":"tiny","prompt":"x","max_tokens":4,"logprobs":2}'
lp=$(jq -c '.choices[0].logprobs' <<<"$BODY")
is "$(jq -r '.tokens | join("")' <<<"$lp")" "$(jq -r .choices[0].text <<<"$BODY")" \
    "completions logprobs: the tokens make the text"
is "$(jq -c '[(.tokens | length), (.token_logprobs | length), (.top_logprobs | map(length)), .text_offset[0]]' <<<"$lp")" \
    "[4,4,[2,2,2,2],0]" "... a logprob and two alternatives for each, offsets from 0"
is "$(jq -r '[.text_offset[1], (.tokens[0] | length)] | map(tostring) | unique | length' <<<"$lp")" 1 \
    "... the second offset past the first token"
curl -s -m 30 "$ROUTER/v1/completions" \
    -d '{"model":"tiny","prompt":"x","max_tokens":3,"logprobs":1,"stream":true}' |
    tr -d '\r' | sed -n 's/^data: {/{/p' >"$TEST_TMP/lp_events"
is "$(jq -c 'select(.choices[0].logprobs) | .choices[0].logprobs.text_offset[0]' "$TEST_TMP/lp_events" | tr '\n' ' ')" \
    "0 $(jq -r 'select(.choices[0].logprobs) | .choices[0].text' "$TEST_TMP/lp_events" | head -1 | tr -d '\n' | wc -c) $(jq -r 'select(.choices[0].logprobs) | .choices[0].text' "$TEST_TMP/lp_events" | head -2 | tr -d '\n' | wc -c) " \
    "streamed, each chunk's offset goes on from the last"

# what Ollama cannot do faithfully is refused, not silently changed
rq POST /v1/completions '{"model":"tiny","prompt":"x","echo":true}'
is "$STATUS $(jq -r .error.type <<<"$BODY")" "400 invalid_request_error" \
    "completions echo: 400"
like "$(jq -r .error.message <<<"$BODY")" "echo" "naming echo"
rq POST /v1/embeddings '{"model":"embed","input":[[1,2,3]]}'
is "$STATUS" 400 "token arrays as embedding input: 400"
rq POST /v1/chat/completions "{\"model\":\"tiny\",\"n\":3,$msg}"
is "$STATUS $(jq -r .error.message <<<"$BODY")" \
    "400 n: only 1 is supported (Ollama makes one choice per request)" \
    "n 3: 400, not one choice where three were asked for"
rq POST /v1/chat/completions '{"model":"tiny","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}'
is "$STATUS" 400 "an audio part: 400"
like "$(jq -r .error.message <<<"$BODY")" "input_audio" "naming the part"
rq POST /v1/chat/completions "{\"model\":\"nothere\",$msg}"
is "$STATUS $(jq -r .error.type <<<"$BODY")" "404 not_found_error" \
    "an unknown model: 404 not_found_error"

router_stop

# max_body_bytes bounds what the relay keeps of an unfinished line, not a
# line that arrives whole: /api/generate's last line, which carries the
# prompt's tokens as "context", is longer than 1024 bytes here and is
# still converted (a line that outgrows the bound unfinished ends the
# stream with an error event; tests/unit/test_relay)
fleet_router "max_body_bytes = 1024
auto_pull = false"
long=$(printf 'word %.0s' $(seq 1 150))
curl -s -m 30 "$ROUTER/v1/completions" \
    -d "{\"model\":\"tiny\",\"stream\":true,\"prompt\":\"$long\"}" |
    tr -d '\r' | sed -n 's/^data: //p' >"$TEST_TMP/events"
is "$(tail -1 "$TEST_TMP/events")" "[DONE]" \
    "a native line longer than max_body_bytes, read whole, is converted"
is "$(grep -v '^\[DONE\]$' "$TEST_TMP/events" | jq -r '.choices[0].finish_reason // empty')" \
    stop "up to its finish chunk"
router_stop
done_testing
