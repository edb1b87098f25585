#!/usr/bin/env bash
# Context upgrade (reference 6.2, strip mode): a num_ctx larger than the
# context the serving node has loaded for the model goes to a node that
# has a larger model of the same family loaded with enough context, and
# runs there (the reference rewrote the model but still sent the body to
# the first node). The trace keeps original_model and model; the answer's
# X-Fleet-Context-Overflow says what happened. context_upgrade = false
# turns it off.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
[ -f "$top_builddir/plugins/storage/sqlite.la" ] ||
    skip_all "the sqlite storage plugin is not built"

fleet_sim small --model llama3:8b:5 --embed-model qwen3-embedding:0.6b:0.6 \
    --time-scale 0.01 --default-num-ctx 4096
fleet_sim big --model llama3:70b:40 --model qwen3:32b:20 --memory-gb 128 \
    --time-scale 0.01 --default-num-ctx 4096
fleet_sim emb --embed-model qwen3-embedding:8b:8 --time-scale 0.01 \
    --default-num-ctx 32768
fleet_router "context_upgrade = true"
db=$TEST_TMP/data/latency.db

chat() { # chat MODEL [NUM_CTX]
    rq POST /api/chat "{\"model\":\"$1\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":2${2:+,\"num_ctx\":$2}}}"
}
reloads() { # reloads SIM MODEL
    sim_of "$1" ".models[] | select(.name == \"$2\") | .reloads"
}
ctx_seen() { # ctx_seen MODEL CTX: the router knows MODEL loaded at CTX
    [ "$(curl -s -m 2 "$ROUTER/api/ps" |
        jq "[.models[] | select(.name == \"$1\") | .context_length][0]")" = "$2" ]
}

chat llama3:8b
is "$(hdr X-Fleet-Node)" small "llama3:8b loads on the only node that has it"
SIM_URL=$SIM_URL_big
sim_req POST /api/generate '{"model":"llama3:70b","prompt":"hi","stream":false,"options":{"num_predict":1,"num_ctx":32768}}'
is "$STATUS" 200 "llama3:70b loaded on big at 32768"
sim_req POST /api/generate '{"model":"qwen3:32b","prompt":"hi","stream":false,"options":{"num_predict":1,"num_ctx":65536}}'
is "$STATUS" 200 "qwen3:32b (another family) loaded on big at 65536"
wait_for 10 ctx_seen llama3:8b 4096
ok $? "the router sees llama3:8b at 4096"
wait_for 10 ctx_seen llama3:70b 32768
ok $? "and llama3:70b at 32768"

chat llama3:8b 16000
is "$STATUS" 200 "num_ctx 16000 for llama3:8b is served"
is "$(hdr X-Fleet-Node)" big "on the node where the larger model is loaded"
is "$(hdr X-Fleet-Context-Overflow)" "upgraded llama3:8b to llama3:70b" \
    "X-Fleet-Context-Overflow says what happened"
is "$(jq -r .model <<<"$BODY")" llama3:70b "llama3:70b answered"
id=$(hdr X-Request-Id)
is "$(reloads big llama3:70b)" 0 "no reload on big (num_ctx = its loaded 32768)"
is "$(reloads small llama3:8b)" 0 "small was not asked to reload"
wait_for 10 sh -c "[ -n \"\$(sqlite3 '$db' \"SELECT 1 FROM request_traces WHERE request_id = '$id'\")\" ]"
is "$(sqlite3 "$db" "SELECT original_model || ' ' || model || ' ' || node_id FROM request_traces WHERE request_id = '$id'")" \
    "llama3:8b llama3:70b big" "the trace keeps original_model and model"

reconfigure() { # reconfigure true|false
    reload_router "s/^context_upgrade = .*/context_upgrade = $1/"
}
reconfigure false
chat llama3:8b 16000
is "$(hdr X-Fleet-Node)" small "context_upgrade = false: no upgrade"
is "$(hdr X-Fleet-Context-Overflow)" true "only the overflow flag"
wait_for 10 ctx_seen llama3:8b 16000
ok $? "small reloaded llama3:8b at 16000 (the cost an upgrade avoids)"

reconfigure true
chat llama3:8b 100000
is "$STATUS" 200 "num_ctx 100000: nothing of the family is that large"
is "$(hdr X-Fleet-Node)" small "served where it was scored"
is "$(hdr X-Fleet-Context-Overflow)" true "flagged as an overflow"

# never for embeddings: another model's vectors would not match the
# client's (the larger one of the family is loaded with room to spare)
SIM_URL=$SIM_URL_emb
sim_req POST /api/embed '{"model":"qwen3-embedding:8b","input":"x"}'
is "$STATUS" 200 "qwen3-embedding:8b loaded on emb at 8192 (its trained context)"
SIM_URL=$SIM_URL_small
sim_req POST /api/embed '{"model":"qwen3-embedding:0.6b","input":"x"}'
is "$STATUS" 200 "qwen3-embedding:0.6b loaded on small at 4096"
wait_for 10 ctx_seen qwen3-embedding:8b 8192
ok $? "the router sees it"
rq POST /api/embed '{"model":"qwen3-embedding:0.6b","input":"x","options":{"num_ctx":8000}}'
is "$STATUS $(hdr X-Fleet-Node) $(jq -r .model <<<"$BODY")" \
    "200 small qwen3-embedding:0.6b" "num_ctx 8000: an embedding keeps its model and node"
is "$(hdr X-Fleet-Context-Overflow)" "" "and its body is left as sent"
router_stop
done_testing
