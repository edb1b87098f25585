#!/usr/bin/env bash
# Model names as Ollama reads them: the default host and namespace
# ("registry.ollama.ai/library/x", "library/x") name the model a node lists
# as "x", and a name matches one listed in another case. Such requests are
# served at once by the node that has the model, not held for a pull that
# could never make the name appear; /api/show and /v1/models/{id} read
# names the same way. A name no node lists in any case still gets its 404.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_sim s2 --model llama3.2:latest:2 --model hf.co/unsloth/tiny:q4:0.1 \
    --time-scale 0.01
fleet_router "auto_pull = false"

chat() { printf '{"model":"%s","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}' "$1"; }
for pair in "library/qwen3:0.6b s1" "registry.ollama.ai/library/qwen3:0.6b s1" \
    "QWEN3:0.6B s1" "Registry.Ollama.AI/Library/Llama3.2 s2" "LLAMA3.2 s2"; do
    set -- $pair
    t0=$(date +%s%N)
    rq POST /api/chat "$(chat "$1")"
    ms=$((($(date +%s%N) - t0) / 1000000))
    is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 $2 0" \
        "$1: served by $2 at once ($ms ms)"
    is "$(hdr X-Fleet-Fallback)" "" "$1: not counted as a fallback"
done
is "$(jq -r .done <<<"$BODY")" true "with a complete answer"
# answers echo the client's own string, as Ollama's do
for name in llama3.2 library/qwen3:0.6b; do
    rq POST /api/chat "$(chat "$name")"
    is "$STATUS $(jq -r .model <<<"$BODY")" "200 $name" "$name: the answer names it as asked"
done
rq POST /api/chat "$(printf '{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}')"
is "$(printf '%s\n' "$BODY" | jq -r .model | sort -u)" llama3.2 "and so does every line of a stream"
rq POST /v1/chat/completions '{"model":"library/qwen3:0.6b","messages":[{"role":"user","content":"x"}],"max_tokens":2}'
is "$STATUS $(jq -r .model <<<"$BODY")" "200 library/qwen3:0.6b" "so does an OpenAI answer"
# a name found only in another case goes as the node lists it (not every
# Ollama finds a model under another case)
rq POST /api/chat "$(chat LLAMA3.2)"
is "$STATUS $(jq -r .model <<<"$BODY")" "200 llama3.2:latest" \
    "LLAMA3.2: sent, and so answered, as the node lists it"
like "$(cat "$TEST_TMP/herd.log")" "LLAMA3.2:latest is listed as llama3.2:latest" \
    "the new spelling is logged"

rq POST /api/show '{"model":"Library/Qwen3:0.6B"}'
is "$STATUS" 200 "/api/show reads the name the same way"
rq GET /v1/models/QWEN3:0.6b
is "$STATUS $(jq -r .id <<<"$BODY")" "200 qwen3:0.6b" \
    "/v1/models/{id} finds the model in another case"
is "$(jq -r .owned_by <<<"$BODY")" library "owned by the library namespace"
rq GET /v1/models
is "$(jq -r '.data[] | select(.id == "hf.co/unsloth/tiny:q4") | .owned_by' <<<"$BODY")" unsloth \
    "a namespaced model is owned by its namespace"
rq GET /v1/models/qwen3%00x
is "$STATUS $(jq -r .error.type <<<"$BODY")" "400 invalid_request_error" \
    "an id with a NUL byte: 400, not the name cut short"
rq GET /v1/models/nothing:1b
is "$STATUS $(jq -r .error.type <<<"$BODY")" "404 not_found_error" \
    "an unknown id: 404 not_found_error"
rq GET /v1/models/
is "$STATUS $(jq -r .error.type <<<"$BODY")" "404 invalid_request_error" \
    "no id: 404 in OpenAI's shape"

rq POST /api/chat "$(chat 'library/nothing:1b')"
is "$STATUS" 404 "a model no node has, in any case: 404"
like "$(jq -r .error <<<"$BODY")" "nothing:1b" "naming it"

router_stop
done_testing
