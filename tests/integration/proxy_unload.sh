#!/usr/bin/env bash
# An unload (keep_alive 0 with no prompt, or no messages) goes to every node
# that has the model loaded, not to one: the client gets one answer with
# done_reason "unload", X-Fleet-Unloaded names the nodes. With the model
# loaded nowhere it is routed as any request; a generate with a prompt and
# keep_alive 0 is no unload.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

for s in s1 s2 s3; do
    fleet_sim "$s" --model qwen3:0.6b:0.5 --time-scale 0.01
done
fleet_router ""

load_on() { # load_on SIM...: the model loaded there, and the router knows
    local s u
    for s in "$@"; do
        eval "u=\$SIM_URL_$s"
        curl -s -m 10 -o /dev/null "$u/api/generate" -d '{"model":"qwen3:0.6b"}'
    done
    seen() { [ "$(curl -s "$ROUTER/api/ps" | jq '.models | length')" = $# ]; }
    wait_for 10 seen "$@"
}
loaded_on() { sim_of "$1" '[.models[] | select(.loaded) | .name] | join(",")'; }

load_on s1 s2
ok $? "qwen3:0.6b is loaded on s1 and s2, and the router sees it"
rq POST /api/generate '{"model":"qwen3:0.6b","keep_alive":0}'
is "$STATUS $(jq -r '[.done, .done_reason] | join(" ")' <<<"$BODY")" \
    "200 true unload" "generate with no prompt and keep_alive 0: one unload answer"
is "$(hdr X-Fleet-Unloaded | tr ',' '\n' | sort | paste -sd,)" "s1,s2" \
    "X-Fleet-Unloaded names both nodes"
like "$(hdr X-Fleet-Node)" '^s[12]$' "X-Fleet-Node names one of them"
like "$(hdr X-Request-Id)/$(hdr X-Fleet-Retries)" '^[0-9a-f]{32}/0$' "with a request id"
is "$(curl -s "$ROUTER/api/ps" | jq '.models | length')" 0 \
    "the router's /api/ps says so at once, before the nodes report again"
is "$(loaded_on s1)|$(loaded_on s2)|$(loaded_on s3)" "||" "unloaded on both"
like "$(cat "$TEST_TMP/herd.log")" "unloaded qwen3:0.6b on s[12],s[12]" "and logged"

load_on s1
rq POST /api/generate '{"model":"library/qwen3:0.6b","keep_alive":0}'
is "$STATUS $(jq -r '[.model, .done_reason] | join(" ")' <<<"$BODY")" \
    "200 library/qwen3:0.6b unload" "the answer echoes the client's own spelling"

load_on s1 s3
rq POST /api/chat '{"model":"Qwen3:0.6b","messages":[],"keep_alive":"0s"}'
is "$STATUS $(jq -r .done_reason <<<"$BODY") $(hdr X-Fleet-Unloaded | tr ',' '\n' | sort | paste -sd,)" \
    "200 unload s1,s3" "chat with no messages and keep_alive \"0s\": unloaded on s1 and s3"

none_loaded() { [ "$(curl -s "$ROUTER/api/ps" | jq '.models | length')" = 0 ]; }
wait_for 10 none_loaded
rq POST /api/generate '{"model":"qwen3:0.6b","keep_alive":0}'
is "$STATUS $(jq -r .done_reason <<<"$BODY") [$(hdr X-Fleet-Unloaded)]" "200 unload []" \
    "loaded nowhere: one node answers it as any request"

rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"hi","stream":false,"keep_alive":0,"options":{"num_predict":2}}'
is "$STATUS $(jq -r .done_reason <<<"$BODY") [$(hdr X-Fleet-Unloaded)]" "200 length []" \
    "a prompt with keep_alive 0 is an answer, not an unload"

router_stop
done_testing
