#!/usr/bin/env bash
# VRAM fallback: when no node can serve the model asked for (here: it
# does not fit the node's free memory), a loaded model of the same
# category serves instead and X-Fleet-Fallback names it; a chat model never
# stands in for an embedding model, even one whose name does not say it
# embeds (the endpoint does), nor an embedding model for a chat;
# vram_fallback = false turns it off.
# The node reports through POST /heartbeat, with its memory.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --memory-gb 128 --model llama3.2:3b:2.0 --model llama3.1:70b:40 \
    --embed-model nomic-embed-text:0.3 --embed-model qwen3-embed:70b:6 \
    --embed-model paraphrase-multilingual:278m:6 --time-scale 0.01
FLEET_NODES="" # the node comes by heartbeat, not static discovery
heartbeat() { # LOADED-JSON-ARRAY
    curl -s -m 5 -o /dev/null -w '%{http_code}' "$ROUTER/heartbeat" -d "{
      \"node_id\":\"h1\",\"num_parallel\":2,\"cpu\":{\"cores_physical\":4,\"utilization_pct\":5},
      \"memory\":{\"total_gb\":8,\"used_gb\":7,\"available_gb\":1,\"pressure\":\"normal\"},
      \"ollama\":{\"models_loaded\":$1,
        \"models_available\":[\"llama3.2:3b\",\"llama3.1:70b\",\"nomic-embed-text:latest\",\"qwen3-embed:70b\",\"paraphrase-multilingual:278m\"]},
      \"ollama_host\":\"$SIM_URL_s1\"}"
}
start_router() { # NAME EXTRA-INI
    printf '[router]\nqueue_wait = 1\n%s\n' "$2" >"$TEST_TMP/$1.ini"
    start_herd "$1" --config "$TEST_TMP/$1.ini" --data-dir "$TEST_TMP/$1" \
        --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
    ROUTER=$url
    eval "PID_herd=\$PID_$1"
}
llama='[{"name":"llama3.2:3b","size_gb":2,"context_length":4096}]'

start_router herd ""
is "$(heartbeat "$llama")" 200 "the node reports: 1 GB free, llama3.2:3b loaded"
rq POST /api/chat '{"model":"llama3.1:70b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
is "$STATUS" 200 "a 70b model that fits nowhere is served anyway"
is "$(hdr X-Fleet-Fallback)" "llama3.2:3b" "by the loaded general model, named in X-Fleet-Fallback"
is "$(jq -r .model <<<"$BODY")" "llama3.2:3b" "the answer is that model's"
like "$(cat "$TEST_TMP/herd.log")" "VRAM fallback to llama3.2:3b \(general\)" "and the log says so"

rq POST /api/embed '{"model":"qwen3-embed:70b","input":"x"}'
is "$STATUS" 503 "an embedding model that fits nowhere: no chat model stands in (503)"
is "$(hdr X-Fleet-Fallback)" "" "no fallback header"
rq POST /api/embed '{"model":"paraphrase-multilingual:278m","input":"x"}'
is "$STATUS $(hdr X-Fleet-Fallback)" "503 " \
    "nor for one whose name does not say it embeds: the endpoint does"
rq POST /v1/embeddings '{"model":"paraphrase-multilingual:278m","input":"x"}'
is "$STATUS $(hdr X-Fleet-Fallback)" "503 " "  on the OpenAI endpoint too"

curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/embed" -d '{"model":"nomic-embed-text","input":"warm"}'
heartbeat "[{\"name\":\"llama3.2:3b\",\"size_gb\":2},{\"name\":\"nomic-embed-text:latest\",\"size_gb\":0.3}]" >/dev/null
rq POST /api/embed '{"model":"qwen3-embed:70b","input":"x"}'
is "$STATUS" 200 "with an embedding model loaded, it stands in"
is "$(hdr X-Fleet-Fallback)" "nomic-embed-text:latest" "named in X-Fleet-Fallback"
rq POST /api/embed '{"model":"paraphrase-multilingual:278m","input":"x"}'
is "$STATUS $(hdr X-Fleet-Fallback)" "200 nomic-embed-text:latest" \
    "an embedding model not named as one gets an embedding stand-in"
rq POST /api/chat '{"model":"qwen3-embed:70b","stream":false,"messages":[{"role":"user","content":"x"}]}'
is "$STATUS $(hdr X-Fleet-Fallback)" "503 " \
    "a chat for a model named as an embedding one: no embedding model stands in"
router_stop

start_router herd2 "vram_fallback = false"
heartbeat "$llama" >/dev/null
rq POST /api/chat '{"model":"llama3.1:70b","stream":false,"messages":[{"role":"user","content":"x"}]}'
is "$STATUS" 503 "vram_fallback = false: the request waits and gets 503"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
router_stop
done_testing
