#!/usr/bin/env bash
# herd-sim: the native Ollama API with curl, byte for byte where it matters
# (ollama-api.md §9, cases 1-26).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"

cat >"$TEST_TMP/fleet.ini" <<'INI'
[server]
time_scale = 0.01
response_tokens = 12

[model.plain:1b]
size_gb = 0.5
capabilities = completion
INI
sim_start sim --config "$TEST_TMP/fleet.ini" --model tiny:0.1:8192 \
    --model deep-r1:0.2 --embed-model embed:0.1:16

# Basics
sim_req GET /
is "$STATUS $CTYPE $BODY" "200 text/plain; charset=utf-8 Ollama is running" "GET /"
sim_req HEAD /
is "$STATUS ${#BODY}" "200 0" "HEAD / has an empty body"
sim_req GET /api/version
like "$BODY" '^\{"version":"[0-9]+\.[0-9]+\.[0-9]+"\}$' "version"
sim_req HEAD /api/version
is "$STATUS" 200 "HEAD /api/version"
sim_req GET /nope
is "$STATUS $CTYPE $BODY" "404 text/plain 404 page not found" "unknown path"
sim_req GET /api/chat
is "$STATUS $BODY" "405 405 method not allowed" "wrong method"
sim_req POST /api/chat ""
is "$STATUS $BODY" '400 {"error":"missing request body"}' "empty body"
sim_req POST /api/chat "{"
is "$STATUS $BODY" '400 {"error":"unexpected EOF"}' "truncated JSON"
sim_req POST /api/chat 'x'
like "$STATUS $BODY" '^400 \{"error":"invalid character' "bad JSON"
sim_req POST /api/chat '{"model":"tiny","stream":"x"}'
is "$STATUS $BODY" '400 {"error":"json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool"}' "wrong type"
sim_req POST /api/chat '{"model":"tiny","foo":1,"options":{"mirostat":1},"stream":false,"messages":[{"role":"user","content":"hi"}]}'
is "$STATUS" 200 "unknown fields are ignored"

# Chat streaming
sim_req POST /api/chat '{"model":"tiny","messages":[{"role":"user","content":"hello"}]}'
is "$STATUS $CTYPE" "200 application/x-ndjson" "chat streams by default"
lines=$(printf '%s\n' "$BODY" | wc -l)
ok $((lines >= 2 ? 0 : 1)) "several lines ($lines)"
ndone=$(printf '%s\n' "$BODY" | jq -s '[.[] | select(.done)] | length')
is "$ndone" 1 "exactly one done line"
last=$(printf '%s\n' "$BODY" | tail -1)
is "$(jq -r '.message.role + " " + .done_reason' <<<"$last")" "assistant stop" "final line"
is "$(jq -r '[has("total_duration","load_duration","prompt_eval_count","prompt_eval_duration","eval_count","eval_duration")] | all' <<<"$last")" true "all six metrics"
first=$(printf '%s\n' "$BODY" | head -1)
is "$(jq -c 'keys_unsorted' <<<"$first")" '["model","created_at","message","done"]' "chunk keys in Ollama's order"
like "$(jq -r .created_at <<<"$first")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]*[1-9])?Z$' "created_at is RFC 3339 UTC, zeros trimmed"
is "$(tail -c 1 "$TEST_TMP/body" | od -An -c | tr -d ' ')" '\n' "stream ends in a newline"
ok "$(grep -c $'\r' "$TEST_TMP/body" | grep -qx 0; echo $?)" "no CR in the stream"
sim_req POST /api/chat '{"model":"tiny","stream":null,"messages":[{"role":"user","content":"hello"}]}'
is "$CTYPE" "application/x-ndjson" "stream:null streams"
full=$(printf '%s\n' "$BODY" | jq -rj '.message.content')
sim_req POST /api/chat '{"model":"tiny","stream":false,"messages":[{"role":"user","content":"hello"}]}'
is "$STATUS $CTYPE" "200 application/json; charset=utf-8" "stream:false is one object"
is "$(jq -r .message.content <<<"$BODY")" "$full" "same text for the same prompt and seed"
is "$(jq -r .done <<<"$BODY")" true "done:true"
ok "$(tail -c 1 "$TEST_TMP/body" | grep -q '}'; echo $?)" "no trailing newline on plain JSON"
sim_req POST /api/chat '{"model":"tiny","stream":false,"options":{"seed":7},"messages":[{"role":"user","content":"hello"}]}'
ok "$([ "$(jq -r .message.content <<<"$BODY")" != "$full" ]; echo $?)" "another seed, another text"

# Generate
sim_req POST /api/generate '{"model":"tiny","prompt":"why is the sky blue?"}'
is "$CTYPE" "application/x-ndjson" "generate streams"
is "$(printf '%s\n' "$BODY" | tail -1 | jq -r '.context | type')" array "final line has context"
is "$(printf '%s\n' "$BODY" | head -1 | jq -r 'has("total_duration") or has("eval_count")')" false "no metrics on chunks"
sim_req POST /api/generate '{"model":"tiny","prompt":"x","raw":true,"stream":false}'
is "$(jq -r 'has("context")' <<<"$BODY")" false "raw: no context"
sim_req POST /api/generate '{"model":"tiny","prompt":"x","raw":true,"system":"s"}'
is "$STATUS $BODY" '400 {"error":"raw mode does not support template, system, or context"}' "raw + system"
sim_req POST /api/generate '{"model":"tiny","prompt":"count","stream":false,"options":{"num_predict":3}}'
is "$(jq -r '"\(.eval_count) \(.done_reason)"' <<<"$BODY")" "3 length" "num_predict"

# Load / unload forms
sim_req POST /api/generate '{"model":"plain:1b"}'
is "$STATUS $CTYPE" "200 application/json; charset=utf-8" "load form is one object"
is "$(jq -c '[.response, .done, .done_reason]' <<<"$BODY")" '["",true,"load"]' "done_reason load"
sim_req GET /api/ps
is "$(jq -r '[.models[].name] | index("plain:1b") != null' <<<"$BODY")" true "loaded model in ps"
sim_req POST /api/generate '{"model":"plain:1b","keep_alive":0}'
is "$(jq -r .done_reason <<<"$BODY")" unload "keep_alive 0 unloads"
sim_req GET /api/ps
is "$(jq -r '[.models[].name] | index("plain:1b")' <<<"$BODY")" null "gone from ps"
sim_req POST /api/chat '{"model":"plain:1b","messages":[]}'
is "$(jq -c '[.message.role, .message.content, .done_reason]' <<<"$BODY")" '["assistant","","load"]' "chat load form"
sim_req POST /api/chat '{"model":"plain:1b","messages":[],"keep_alive":"0s"}'
is "$(jq -r .done_reason <<<"$BODY")" unload "chat unload form"

# Errors
sim_req POST /api/generate '{"model":"nothere","prompt":"x"}'
is "$STATUS $BODY" "404 {\"error\":\"model 'nothere' not found\"}" "unknown model, generate"
sim_req POST /api/chat '{"model":"nothere","messages":[]}'
is "$STATUS $BODY" "404 {\"error\":\"model 'nothere' not found\"}" "unknown model, chat"
sim_req POST /api/embed '{"model":"nothere","input":"x"}'
is "$STATUS $BODY" '404 {"error":"model \"nothere\" not found, try pulling it first"}' "unknown model, embed"
sim_req POST /api/generate '{"model":""}'
is "$STATUS" 404 "empty model on generate"
sim_req POST /api/chat '{"model":""}'
is "$STATUS $BODY" '400 {"error":"model is required"}' "empty model on chat"
sim_req POST /api/generate '{"model":"a b","prompt":"x"}'
is "$STATUS $BODY" '400 {"error":"invalid model name"}' "invalid name"
sim_req POST /api/chat '{"model":"embed","messages":[{"role":"user","content":"x"}]}'
is "$STATUS $BODY" '400 {"error":"\"embed\" does not support chat"}' "embedding model cannot chat"
sim_req POST /api/generate '{"model":"tiny","prompt":"x","options":{"num_ctx":"4096"}}'
is "$STATUS $BODY" '500 {"error":"option \"num_ctx\" must be of type integer"}' "wrongly typed option"

# Tools and thinking
TOOLS='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}}]'
sim_req POST /api/chat '{"model":"tiny","stream":false,'"$TOOLS"',"messages":[{"role":"user","content":"use get_weather for Paris"}]}'
is "$(jq -r '.message.tool_calls[0].function.name' <<<"$BODY")" get_weather "tool call"
is "$(jq -r '.message.tool_calls[0].function.arguments | type' <<<"$BODY")" object "native arguments are an object"
is "$(jq -c '.message.tool_calls[0].function.arguments | keys_unsorted' <<<"$BODY")" '["city","days"]' "arguments follow the parameters"
like "$(jq -r '.message.tool_calls[0].id' <<<"$BODY")" '^call_[a-z0-9]{8}$' "tool call id"
is "$(jq -r .done_reason <<<"$BODY")" stop "native done_reason stays stop"
sim_req POST /api/chat '{"model":"tiny",'"$TOOLS"',"messages":[{"role":"user","content":"use get_weather"}]}'
is "$(printf '%s\n' "$BODY" | jq -s '[.[] | select(.done == false and (.message.tool_calls | length) == 1)] | length')" 1 "streamed tool call in a done:false chunk"
sim_req POST /api/chat '{"model":"tiny","stream":false,'"$TOOLS"',"messages":[{"role":"user","content":"just talk"}]}'
is "$(jq -r '.message | has("tool_calls")' <<<"$BODY")" false "no tool named, no tool call"
sim_req POST /api/chat '{"model":"plain:1b",'"$TOOLS"',"messages":[{"role":"user","content":"x"}]}'
is "$STATUS $BODY" '400 {"error":"registry.ollama.ai/library/plain:1b does not support tools"}' "tools on an incapable model"
sim_req POST /api/chat '{"model":"tiny","think":true,"messages":[{"role":"user","content":"x"}]}'
is "$STATUS $BODY" '400 {"error":"\"tiny\" does not support thinking"}' "think on a non-thinking model"
sim_req POST /api/chat '{"model":"tiny","think":"hot","messages":[{"role":"user","content":"x"}]}'
like "$STATUS $BODY" '^400 .*invalid think value' "invalid think value"
sim_req POST /api/chat '{"model":"deep-r1","stream":false,"messages":[{"role":"user","content":"x"}]}'
ok "$([ -n "$(jq -r '.message.thinking // empty' <<<"$BODY")" ]; echo $?)" "thinking model thinks by default"
sim_req POST /api/chat '{"model":"deep-r1","think":false,"stream":false,"messages":[{"role":"user","content":"x"}]}'
is "$(jq -r '.message | has("thinking")' <<<"$BODY")" false "think:false"
sim_req POST /api/generate '{"model":"deep-r1","prompt":"x"}'
ok "$(printf '%s\n' "$BODY" | head -1 | jq -e '.thinking | length > 0' >/dev/null; echo $?)" "generate streams thinking"

# keep_alive forms
for ka in '"5m"' 300 -1 '"-1m"' 0 '"1.5h"' '"2h45m"' '"300ms"' 42.5 '"0s"'; do
    sim_req POST /api/generate '{"model":"tiny","prompt":"x","stream":false,"keep_alive":'"$ka"'}'
    is "$STATUS" 200 "keep_alive $ka accepted"
done
sim_req POST /api/generate '{"model":"tiny","prompt":"x","keep_alive":"300"}'
is "$STATUS $BODY" '400 {"error":"time: missing unit in duration \"300\""}' "keep_alive \"300\" refused"
sim_req POST /api/generate '{"model":"tiny","prompt":"x","keep_alive":"10x"}'
is "$STATUS $BODY" '400 {"error":"time: unknown unit \"x\" in duration \"10x\""}' "unknown unit"
sim_req POST /api/generate '{"model":"tiny","prompt":"x","keep_alive":"soon"}'
is "$STATUS $BODY" '400 {"error":"time: invalid duration \"soon\""}' "invalid duration"

# Names: tag, namespace and host defaults, case, echo as sent.
for name in tiny TINY:Latest library/tiny registry.ollama.ai/library/tiny:latest; do
    sim_req POST /api/generate '{"model":"'"$name"'","prompt":"x","stream":false,"options":{"num_predict":1}}'
    is "$STATUS $(jq -r .model <<<"$BODY")" "200 $name" "model $name found and echoed as sent"
done
sim_req POST /api/generate '{"model":"tiny","prompt":"x","stream":false,"keep_alive":-1}'
sim_req GET /api/ps
like "$(jq -r '.models[] | select(.name=="tiny:latest") | .expires_at' <<<"$BODY")" '^2[3-9][0-9]{2}-' "keep_alive -1: far-future expires_at"
is "$(jq -r '.models[] | select(.name=="tiny:latest") | [has("size_vram"), .context_length] | map(tostring) | join(" ")' <<<"$BODY")" "true 4096" "ps fields"

# Embeddings
sim_req POST /api/embed '{"model":"embed","input":"one"}'
is "$(jq '.embeddings | length' <<<"$BODY")" 1 "embed a string"
is "$(jq '.embeddings[0] | length' <<<"$BODY")" 16 "dimension"
sim_req POST /api/embed '{"model":"embed","input":["a","b"]}'
is "$(jq '.embeddings | length' <<<"$BODY")" 2 "embed two"
is "$(jq '[.embeddings[] | (map(.*.) | add) | . * 1000 | round] | unique' -c <<<"$BODY")" "[1000]" "unit L2 norm"
one=$(jq -c '.embeddings[1]' <<<"$BODY")
sim_req POST /api/embed '{"model":"embed","input":"b"}'
is "$(jq -c '.embeddings[0]' <<<"$BODY")" "$one" "in input order, deterministic"
sim_req POST /api/embed '{"model":"embed","input":[]}'
is "$BODY" '{"model":"embed","embeddings":[]}' "empty input only loads"
sim_req POST /api/embed '{"model":"embed","input":[1]}'
is "$STATUS $BODY" '400 {"error":"invalid input type"}' "non-string input"
sim_req POST /api/embeddings '{"model":"embed","prompt":"x"}'
is "$(jq '.embedding | length' <<<"$BODY")" 16 "legacy embeddings"

# Model management
sim_req GET /api/tags
is "$(jq -r '.models[0] | [has("name","model","modified_at","size","digest")] | all' <<<"$BODY")" true "tags entry fields"
is "$(jq -c '.models[0].details | keys_unsorted' <<<"$BODY")" '["parent_model","format","family","families","parameter_size","quantization_level"]' "details keys"
like "$(jq -r '.models[0].digest' <<<"$BODY")" '^[0-9a-f]{64}$' "digest without prefix"
sim_req POST /api/show '{"model":"tiny"}'
is "$(jq -r '.model_info["general.architecture"] as $a | .model_info[$a + ".context_length"]' <<<"$BODY")" 8192 "show: <arch>.context_length"
is "$(jq -c .capabilities <<<"$BODY")" '["completion","tools"]' "show: capabilities"
sim_req POST /api/show '{"model":"ghost"}'
is "$STATUS $BODY" "404 {\"error\":\"model 'ghost:latest' not found\"}" "show unknown"
sim_req POST /api/pull '{"model":"newone:7b"}'
is "$(printf '%s\n' "$BODY" | head -1)" '{"status":"pulling manifest"}' "pull starts with the manifest"
is "$(printf '%s\n' "$BODY" | tail -1)" '{"status":"success"}' "pull ends with success"
ok "$(printf '%s\n' "$BODY" | jq -se 'map(select(.completed == .total and .total > 0)) | length >= 1' >/dev/null; echo $?)" "progress reaches total"
sim_req POST /api/generate '{"model":"newone:7b","prompt":"x","stream":false}'
is "$STATUS" 200 "pulled model answers"
sim_req POST /api/pull '{"name":"other","stream":false}'
is "$STATUS $BODY" '200 {"status":"success"}' "pull stream:false with name"
sim_req POST /api/copy '{"source":"tiny","destination":"tiny-copy"}'
is "$STATUS ${#BODY}" "200 0" "copy: empty body"
sim_req POST /api/copy '{"source":"ghost","destination":"g2"}'
is "$STATUS $BODY" '404 {"error":"model \"ghost\" not found"}' "copy: missing source"
sim_req DELETE /api/delete '{"name":"tiny-copy"}'
is "$STATUS ${#BODY}" "200 0" "delete: empty body"
sim_req DELETE /api/delete '{"name":"tiny-copy"}'
is "$STATUS $BODY" "404 {\"error\":\"model 'tiny-copy' not found\"}" "delete twice"
sim_req GET /api/tags
is "$(jq -r '[.models[].name] | index("tiny-copy:latest")' <<<"$BODY")" null "deleted model not listed"

# Guards of a loopback-bound server: Host (DNS rebinding) and Origin (CORS).
code() { curl -s -o "$TEST_TMP/g" -w '%{http_code}' "$@"; }
is "$(code -H 'Host: evil.example' "$SIM_URL/api/version") $(wc -c <"$TEST_TMP/g")" "403 0" "foreign Host: bare 403"
is "$(code -H 'Host: localhost:11434' "$SIM_URL/api/version")" 200 "Host localhost"
is "$(code -H 'Host: box.local' "$SIM_URL/api/version")" 200 "Host *.local"
is "$(code -H 'Host: 192.168.1.5:11434' "$SIM_URL/api/version")" 200 "Host private IP"
is "$(code -H 'Origin: https://evil.example' "$SIM_URL/api/tags")" 403 "foreign Origin: 403"
hdrs=$(curl -s -D - -o /dev/null -H 'Origin: http://localhost:3000' "$SIM_URL/api/tags" | tr -d '\r')
like "$hdrs" 'Access-Control-Allow-Origin: http://localhost:3000' "local Origin allowed with CORS headers"
is "$(code -X OPTIONS -H 'Origin: app://desktop' "$SIM_URL/api/chat")" 204 "preflight"

# Go's HTML-safe escaping
sim_req POST /api/show '{"model":"a<b"}'
ok "$(grep -q 'u003c' "$TEST_TMP/body"; echo $?)" "< is escaped as \\u003c"

sim_stop sim
done_testing
