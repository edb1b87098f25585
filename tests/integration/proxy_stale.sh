#!/usr/bin/env bash
# A node that lost a model since it last reported (here: deleted on the
# node itself, with the router's next poll 30 s away) answers "model not
# found". While another node lists the model the request is retried there
# and the client never sees the 404; when none does, the node's 404 is the
# answer.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --time-scale 0.01
chat='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
# loaded on s1 only, so the router prefers s1
curl -s -m 30 -o /dev/null "$SIM_URL_s1/api/chat" -d "$chat"

cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
auto_pull = false
[discovery.static]
interval = 30
node = s1 $SIM_URL_s1
node = s2 $SIM_URL_s2
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
both() { [ "$(curl -s "$ROUTER/api/tags" | jq -c '.models[] | select(.name == "qwen3:0.6b") | .nodes | sort')" = '["s1","s2"]' ]; }
wait_for 10 both
ok $? "the router lists qwen3:0.6b on s1 and s2"
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" "a chat goes to s1, where the model is loaded"

curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s1/api/delete" -d '{"model":"qwen3:0.6b"}'
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 s2 1" \
    "deleted on s1 behind the router's back: served by s2 after one retry"
is "$(jq -r .done <<<"$BODY")" true "with a complete answer"
like "$(cat "$TEST_TMP/herd.log")" "qwen3:0.6b on s1 failed before the first byte: HTTP 404: model .qwen3:0.6b. not found" \
    "the 404 and the retry are logged"

curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s2/api/delete" -d '{"model":"qwen3:0.6b"}'
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Retries)" "404 1" \
    "gone from both: the client gets the second node's 404"
like "$(jq -r .error <<<"$BODY")" "not found" "with its message"

router_stop
done_testing
