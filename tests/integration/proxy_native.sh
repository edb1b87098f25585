#!/usr/bin/env bash
# Ollama's native inference API through the router: chat and generate,
# streamed and not, embed and embeddings, the routing headers, fallback
# models, keep_alive default, upstream 4xx relayed as is, bad input as 400,
# unknown models as 404, and /fleet/queue.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --embed-model nomic-embed-text:0.3 \
    --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --model llama3.2:3b:2.0 --time-scale 0.01
fleet_router "default_num_parallel = 2
auto_pull = false
[security]
cors_origins = https://app.example"

chat='{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}'
rq POST /api/chat "$chat"
is "$STATUS" 200 "/api/chat streams"
is "$(hdr Content-Type)" "application/x-ndjson" "as NDJSON"
is "$(printf '%s\n' "$BODY" | wc -l | tr -d ' ')" 5 "four tokens and a final line"
is "$(printf '%s\n' "$BODY" | tail -1 | jq -r '.done, .eval_count' | tr '\n' ' ')" \
    "true 4 " "the final line is Ollama's, with its counts"
like "$(hdr X-Fleet-Node)" '^s[12]$' "X-Fleet-Node names a sim"
is "$(hdr X-Fleet-Retries)" 0 "X-Fleet-Retries 0"
like "$(hdr X-Fleet-Score)" '^-?[0-9]+\.[0-9]+$' "X-Fleet-Score is a number"
like "$(hdr X-Request-Id)" '^[0-9a-f]{32}$' "X-Request-Id"

rq POST /api/chat '{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":3}}'
is "$STATUS" 200 "/api/chat stream:false"
is "$(jq -r '.done, .message.role, .eval_count' <<<"$BODY" | tr '\n' ' ')" \
    "true assistant 3 " "one object with message, done and counts"
is "$(jq -r '.message.thinking' <<<"$BODY" | wc -w | tr -d ' ')" 3 \
    "thinking kept (the model thinks)"

rq POST /api/generate '{"model":"llama3.2:3b","prompt":"hi","stream":false,"options":{"num_predict":2}}'
is "$STATUS" 200 "/api/generate stream:false"
is "$(hdr X-Fleet-Node)" s2 "only s2 has llama3.2:3b"
is "$(jq -r '.done' <<<"$BODY")" true "generate answer complete"
is "$(curl -s "$SIM_URL_s2/api/ps" | jq -r '.models[] | select(.name=="llama3.2:3b") | .expires_at' | cut -c1-4)" \
    2318 "keep_alive defaults to -1: the model stays loaded"

rq POST /api/generate '{"model":"llama3.2","prompt":"hi","options":{"num_predict":2}}'
is "$STATUS" 404 "llama3.2 is llama3.2:latest, which no sim has"
like "$(jq -r .error <<<"$BODY")" "'llama3.2:latest'" "the name is normalised"
rq POST /api/generate '{"model":"llama3.2:3b","prompt":"hi","keep_alive":"7m","stream":false,"options":{"num_predict":1}}'
exp=$(curl -s "$SIM_URL_s2/api/ps" | jq -r '.models[] | select(.name=="llama3.2:3b") | .expires_at' | cut -c1-4)
ok $([ "$exp" != 2318 ]; echo $?) "a client's keep_alive is kept"
# null is "not given": the default again, on the spliced body and on one
# rebuilt (num_ctx stripped)
for body in '{"model":"llama3.2:3b","prompt":"hi","keep_alive":null,"stream":false,"options":{"num_predict":1}}' \
    '{"model":"llama3.2:3b","prompt":"hi","keep_alive":null,"stream":false,"options":{"num_predict":1,"num_ctx":999999}}'; do
    rq POST /api/generate "$body"
    exp=$(curl -s "$SIM_URL_s2/api/ps" | jq -r '.models[] | select(.name=="llama3.2:3b") | .expires_at' | cut -c1-4)
    is "$STATUS $exp" "200 2318" "keep_alive null: the router's default ($(jq -c .options <<<"$body"))"
done

rq POST /api/embed '{"model":"nomic-embed-text","input":["a","b"]}'
is "$STATUS" 200 "/api/embed"
is "$(jq '.embeddings | length' <<<"$BODY")" 2 "two vectors"
is "$(hdr X-Fleet-Node)" s1 "embedding model only on s1"
rq POST /api/embeddings '{"model":"nomic-embed-text","prompt":"a"}'
is "$STATUS" 200 "/api/embeddings (legacy)"
is "$(jq '.embedding | length' <<<"$BODY")" 768 "one vector of 768"

rq POST /api/chat '{"model":"nothere","fallback_models":["gone","llama3.2:3b"],"stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":1}}'
is "$STATUS" 200 "fallback_models: the first that exists serves"
is "$(hdr X-Fleet-Fallback)" "llama3.2:3b" "X-Fleet-Fallback names it"
is "$(jq -r .model <<<"$BODY")" "llama3.2:3b" "the answer is that model's"

# read as json-c and the nodes' Go decoder read it: a key given twice
# counts as its last value, an escaped key as its decoded self
rq POST /api/chat '{"model":"nothere","stream":true,"model":"llama3.2:3b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":1}}'
is "$STATUS $(hdr X-Fleet-Node) $(jq -r .model <<<"$BODY")" "200 s2 llama3.2:3b" \
    "model and stream given twice: the last ones are routed and sent"
rq POST /api/chat '{"mo\u0064el":"\u006clama3.2:3b","stre\u0061m":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":1}}'
is "$STATUS $(hdr X-Fleet-Node) $(jq -r .model <<<"$BODY")" "200 s2 llama3.2:3b" \
    "escaped keys and model name: read decoded"
rq POST /api/generate '{"model":"llama3.2:3b","prompt":"hi","stream":false,"options":{"num_predict":1},"model":"nothere"}'
is "$STATUS" 404 "a model given twice: not the first one"

rq POST /api/chat '{"model":"nothere","messages":[]}'
is "$STATUS" 404 "unknown model: 404"
like "$(jq -r .error <<<"$BODY")" "nothere:latest.*not found" "naming it"

# an upstream 4xx: its status and message reach the client
rq POST /api/chat '{"model":"qwen3:0.6b","top_logprobs":99,"logprobs":true,"messages":[{"role":"user","content":"x"}]}'
is "$STATUS" 400 "upstream 400 relayed with its status"
is "$(jq -r .error <<<"$BODY")" "top_logprobs must be between 0 and 20" \
    "and the node's message"
is "$(hdr X-Fleet-Retries)" 0 "a 4xx is not retried"
# a 5xx on every node: retried, then the last node's status, with an
# error that says what happened
rq POST /api/chat '{"model":"qwen3:0.6b","messages":[{"role":"user","content":"x"}],"options":{"num_predict":"x"}}'
is "$STATUS" 500 "a 5xx on every node ends in that 5xx"
like "$(jq -r .error <<<"$BODY")" 'num_predict.*must be of type integer' \
    "with the last node error"
is "$(hdr X-Fleet-Retries)" 2 "after trying both nodes"

for bad in '' '{' '[]' '{"model":""}' '{"model":"m","stream":"no"}' \
    '{"model":"m","messages":"x"}' '{"model":"m","options":3}' \
    '{"model":"m","fallback_models":"x"}'; do
    rq POST /api/chat "$bad"
    is "$STATUS" 400 "400 for /api/chat body '$bad'"
done
# a JSON schema nested 40 deep is taken (json-c's default stopped at 32);
# past 128 levels, a 400
deep() { printf '%*s' "$1" '' | sed 's/ /{"a":/g'; printf 1; printf '%*s' "$1" '' | tr ' ' '}'; }
rq POST /api/generate "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"stream\":false,\"options\":{\"num_predict\":1},\"format\":$(deep 40)}"
is "$STATUS" 200 "a body nested 42 deep is served"
rq POST /api/generate "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"format\":$(deep 130)}"
is "$STATUS $(jq -r .error <<<"$BODY" | cut -c1-12)" "400 invalid JSON" "one nested 132 deep: 400"

# what json-c takes but is not JSON (a node's decoder refuses it)
for bad in '{"model":"qwen3:0.6b","options":{"temperature":NaN}}' \
    '{"model":"qwen3:0.6b","options":{"temperature":-Infinity}}' \
    "{'model':'qwen3:0.6b'}" '{"model":"qwen3:0.6b" /* c */}' \
    '{"model":"qwen3:0.6b","stop":["a",]}' \
    "$(printf '{"model":"qwen3:0.6b","prompt":"a\tb"}')"; do
    rq POST /api/generate "$bad"
    is "$STATUS $(jq -r .error <<<"$BODY" | cut -c1-12)" "400 invalid JSON" \
        "400 for a body that is not JSON: $bad"
done
# without input, an embedding request only loads the model (as Ollama)
rq POST /api/embed '{"model":"nomic-embed-text"}'
is "$STATUS $(jq -c .embeddings <<<"$BODY")" "200 []" \
    "/api/embed without input: the load form, 200 with no embeddings"
rq POST /api/embeddings '{"model":"nomic-embed-text","prompt":null}'
is "$STATUS $(jq -c .embedding <<<"$BODY")" "200 []" \
    "/api/embeddings without a prompt: the same"
rq POST /api/embed '{"model":"nomic-embed-text","input":3}'
is "$STATUS $(jq -r .error <<<"$BODY")" "400 input must be a string or an array" \
    "an input of another type: 400"
rq GET /api/chat
is "$STATUS" 405 "GET /api/chat: 405"

# HTTP/1.0 clients: a stream is not chunked and ends with the connection
# (evhttp may end it inside its last call); a whole answer closes too
for i in 1 2 3 4 5; do
    out=$(curl -0 -sN -m 20 "$ROUTER/api/chat" -d '{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}')
    [ "$(printf '%s\n' "$out" | tail -1 | jq -r .done 2>/dev/null)" = true ] || break
done
is "$i $(printf '%s\n' "$out" | tail -1 | jq -r .done)" "5 true" \
    "HTTP/1.0 streams end with their final line, five times"
out=$(curl -0 -s -m 20 "$ROUTER/api/chat" -d '{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}')
is "$(jq -r .done <<<"$out")" true "an HTTP/1.0 whole answer"

rq GET /fleet/queue
is "$STATUS" 200 "/fleet/queue"
is "$(jq -r '.in_flight, .pending' <<<"$BODY" | tr '\n' ' ')" "0 0 " \
    "nothing in flight or waiting now"
diag "$(jq -c '[.completed, .failed, (.queues | keys)]' <<<"$BODY")"
ok $(jq -e '.completed >= 13 and (.queues | length) >= 3' <<<"$BODY" >/dev/null; echo $?) \
    "completed requests counted per node:model"
is "$(jq -r '.queues["s1:nomic-embed-text:latest"].concurrency' <<<"$BODY")" 2 \
    "slots from default_num_parallel"

# A browser's Origin is the router's business, not the node's: a
# loopback-bound Ollama refuses one outside its own list (403), and the
# router, which allows it ([security] cors_origins), does not pass it on.
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Origin: https://app.example' \
    "$SIM_URL_s1/api/tags")
is "$code" 403 "a sim refuses an Origin outside Ollama's list"
code=$(curl -s -m 30 -o "$TEST_TMP/origin.out" -w '%{http_code}' \
    -H 'Origin: https://app.example' "$ROUTER/api/chat" -d "$chat")
is "$code $(tail -1 "$TEST_TMP/origin.out" | jq -r .done)" "200 true" \
    "through the router, which allows it, the Origin reaches no node: 200"

router_stop
done_testing
