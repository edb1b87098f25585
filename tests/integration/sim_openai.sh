#!/usr/bin/env bash
# herd-sim: the OpenAI-compatible layer with curl (ollama-api.md §9, 27-35).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"

sim_start sim --time-scale 0.01 --response-tokens 6 --model tiny:0.1 \
    --model deep-r1:0.1 --embed-model embed:0.1:8
MSG='"messages":[{"role":"user","content":"hello"}]'

sim_req POST /v1/chat/completions '{"model":"tiny",'"$MSG"'}'
is "$STATUS $CTYPE" "200 application/json" "chat without stream is JSON"
is "$(jq -r '[.object, .choices[0].message.role, .choices[0].finish_reason, .system_fingerprint] | join(" ")' <<<"$BODY")" "chat.completion assistant stop fp_ollama" "chat.completion fields"
is "$(jq '.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens' <<<"$BODY")" true "usage adds up"
like "$(jq -r .id <<<"$BODY")" '^chatcmpl-[0-9]+$' "id chatcmpl-N"
is "$(tail -c 1 "$TEST_TMP/body" | od -An -c | tr -d ' ')" '\n' "ends with a newline"

sim_req POST /v1/chat/completions '{"model":"tiny","stream":true,'"$MSG"'}'
is "$STATUS $CTYPE" "200 text/event-stream" "stream:true is SSE"
events=$(grep -c '^data: ' "$TEST_TMP/body")
blank=$(grep -c '^$' "$TEST_TMP/body")
is "$blank" "$events" "every event is data: ...\\n\\n"
is "$(tail -c 14 "$TEST_TMP/body" | od -An -c | tr -s ' ' | tr -d '\n')" " d a t a : [ D O N E ] \n \n" "ends with data: [DONE]"
json=$(sed -n 's/^data: \({.*\)$/\1/p' "$TEST_TMP/body")
is "$(jq -s '[.[].id] | unique | length' <<<"$json")" 1 "one id for the whole stream"
is "$(jq -s '[.[].created] | unique | length' <<<"$json")" 1 "one created for the whole stream"
is "$(jq -s '.[0].choices[0].delta.role' -r <<<"$json")" assistant "role in the first delta"
is "$(jq -s '[.[1:][] | .choices[0].delta | has("role")] | any' <<<"$json")" false "role only in the first"
is "$(jq -s -c '.[-1].choices[0] | [.delta, .finish_reason]' <<<"$json")" '[{},"stop"]' "finish chunk"
is "$(jq -s '[.[] | has("usage")] | any' <<<"$json")" false "no usage without include_usage"

sim_req POST /v1/chat/completions '{"model":"tiny","stream":true,"stream_options":{"include_usage":true},'"$MSG"'}'
json=$(sed -n 's/^data: \({.*\)$/\1/p' "$TEST_TMP/body")
is "$(jq -s -c '.[-1] | [.choices, (.usage.total_tokens > 0)]' <<<"$json")" '[[],true]' "usage chunk before [DONE]"

sim_req POST /v1/chat/completions '{"model":"tiny","max_tokens":2,'"$MSG"'}'
is "$(jq -r '"\(.choices[0].finish_reason) \(.usage.completion_tokens)"' <<<"$BODY")" "length 2" "max_tokens: finish_reason length"

TOOLS='"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}]'
sim_req POST /v1/chat/completions '{"model":"tiny",'"$TOOLS"',"messages":[{"role":"user","content":"please lookup this"}]}'
is "$(jq -r '.choices[0] | "\(.finish_reason) \(.message.tool_calls[0].type) \(.message.tool_calls[0].function.arguments | type)"' <<<"$BODY")" "tool_calls function string" "tool call: arguments as a string"
is "$(jq -r '.choices[0].message.tool_calls[0].function.arguments | fromjson | keys[0]' <<<"$BODY")" q "arguments parse as JSON"
sim_req POST /v1/chat/completions '{"model":"tiny","stream":true,'"$TOOLS"',"messages":[{"role":"user","content":"lookup"}]}'
json=$(sed -n 's/^data: \({.*\)$/\1/p' "$TEST_TMP/body")
is "$(jq -s -r '[.[] | .choices[0].finish_reason // empty] | join(",")' <<<"$json")" tool_calls "streamed finish_reason tool_calls"

sim_req POST /v1/chat/completions '{"model":"deep-r1",'"$MSG"'}'
ok "$(jq -e '.choices[0].message.reasoning | length > 0' <<<"$BODY" >/dev/null; echo $?)" "reasoning field"
sim_req POST /v1/chat/completions '{"model":"deep-r1","reasoning_effort":"none",'"$MSG"'}'
is "$(jq -r '.choices[0].message | has("reasoning")' <<<"$BODY")" false "reasoning_effort none"
sim_req POST /v1/chat/completions '{"model":"deep-r1","reasoning_effort":"loud",'"$MSG"'}'
like "$STATUS $BODY" '^400 .*invalid reasoning value' "bad reasoning_effort"

sim_req POST /v1/chat/completions '{"model":"ghost",'"$MSG"'}'
is "$STATUS $BODY" "404 {\"error\":{\"message\":\"model 'ghost' not found\",\"type\":\"not_found_error\",\"param\":null,\"code\":null}}" "unknown model in OpenAI form"
sim_req POST /v1/chat/completions '{"model":"tiny","messages":[]}'
is "$STATUS $(jq -r .error.type <<<"$BODY")" "400 invalid_request_error" "empty messages"
sim_req POST /v1/chat/completions '{"model":"tiny","messages":[{"role":"user","content":5}]}'
like "$STATUS $BODY" '^400 .*invalid message content type' "bad content type"
sim_req POST /v1/chat/completions '{"model":"tiny","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}'
is "$STATUS" 200 "content as parts"

sim_req POST /v1/completions '{"model":"tiny","prompt":"once upon","stream":true}'
json=$(sed -n 's/^data: \({.*\)$/\1/p' "$TEST_TMP/body")
is "$(jq -s -r '[.[].object] | unique | join(",")' <<<"$json")" text_completion "text_completion chunks"
is "$(jq -s -r '.[0].choices[0].text | length > 0' <<<"$json")" true "text in choices[0].text"
is "$(jq -s -r '.[-1].choices[0].finish_reason' <<<"$json")" stop "last chunk has finish_reason"
is "$(tail -c 8 "$TEST_TMP/body" | head -c 6)" "[DONE]" "then [DONE]"
sim_req POST /v1/completions '{"model":"tiny","prompt":"once upon","stream":true,"stream_options":{"include_usage":true}}'
json=$(sed -n 's/^data: \({.*\)$/\1/p' "$TEST_TMP/body")
is "$(jq -s '[.[0:-1][] | .usage.total_tokens] | unique' -c <<<"$json")" "[0]" "completions: zeroed usage on every chunk"
is "$(jq -s '.[-1] | (.choices | length == 0) and .usage.total_tokens > 0' <<<"$json")" true "then the real usage"
sim_req POST /v1/completions '{"model":"tiny","prompt":"x"}'
is "$(jq -r '"\(.object) \(.choices[0].finish_reason)"' <<<"$BODY")" "text_completion stop" "completion without stream"
like "$(jq -r .id <<<"$BODY")" '^cmpl-[0-9]+$' "id cmpl-N"
sim_req POST /v1/completions '{"model":"tiny","prompt":["x"]}'
is "$STATUS" 400 "prompt must be a string"

sim_req POST /v1/embeddings '{"model":"embed","input":["a","b"]}'
is "$(jq -c '[.object, .data[0].index, .data[1].index, (.data[0].embedding | length)]' <<<"$BODY")" '["list",0,1,8]' "embeddings list"
sim_req POST /v1/embeddings '{"model":"embed","input":"a","encoding_format":"base64"}'
is "$(jq -r '.data[0].embedding | type' <<<"$BODY")" string "base64 embeddings"
is "$(jq -r '.data[0].embedding' <<<"$BODY" | base64 -d | wc -c)" 32 "8 little-endian floats"
sim_req POST /v1/embeddings '{"model":"embed","input":[]}'
is "$STATUS" 400 "empty input"
sim_req POST /v1/embeddings '{"model":"embed","input":"a","encoding_format":"hex"}'
like "$STATUS $BODY" "^400 .*Supported values: \\['float', 'base64'\\]" "bad encoding_format"

sim_req GET /v1/models
is "$(jq -r '[.object, (.data | length), (.data | map(.owned_by) | unique | join(","))] | join(" ")' <<<"$BODY")" "list 3 library" "models list"
tags=$(curl -s "$SIM_URL/api/tags" | jq -c '[.models[].name] | sort')
is "$(jq -c '[.data[].id] | sort' <<<"$BODY")" "$tags" "ids are the tags names"
sim_req GET /v1/models/tiny
is "$(jq -r '"\(.id) \(.object)"' <<<"$BODY")" "tiny model" "retrieve one: id as given"
sim_req GET /v1/models/nope
is "$STATUS $(jq -r .error.type <<<"$BODY")" "404 not_found_error" "retrieve unknown"

sim_stop sim
done_testing
