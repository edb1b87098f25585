#!/usr/bin/env bash
# A model deleted through the router (DELETE /api/delete, POST
# /dashboard/api/delete) leaves the router's view of that node at once:
# requests for it go to another node that has it, or find that no node has
# it (404, or an auto-pull), without waiting for the node's next report.
# And the shape of /api/delete's answers: the node's own with node_id, a
# per-node summary without, the reasons of the nodes that failed, and an
# unknown node_id named as such.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model llama3.2:3b:2.0 --model multi:1b:0.5 --model again:1b:0.5 \
    --time-scale 0.01 --pull-gb-per-sec 50
fleet_sim s2 --model llama3.2:3b:2.0 --model multi:1b:0.5 --model solo:1b:0.5 \
    --model dash:1b:0.5 --time-scale 0.01
fleet_sim s3 --model llama3.2:3b:2.0 --model multi:1b:0.5 --time-scale 0.01
# loaded on s2 before the router looks, so that the router prefers s2
curl -s -m 30 -o /dev/null "$SIM_URL_s2/api/generate" -d '{"model":"llama3.2:3b"}'
# Polled once a minute: within this test the router learns of a delete
# only from the delete itself, never from a later report.
fleet_router "auto_pull = false
heartbeat_timeout = 120
heartbeat_offline = 240" 60

gen() { rq POST /api/generate "{\"model\":\"$1\",\"prompt\":\"hi\",\"stream\":false,\"options\":{\"num_predict\":2}}"; }
holders() { curl -s -m 10 "$ROUTER/api/tags" | jq -c "[.models[] | select(.name==\"$1\") | .nodes[]] | sort"; }
on_sim() { eval "u=\$SIM_URL_$1"; curl -s -m 5 "$u/api/tags" | jq -e ".models | map(.name) | index(\"$2\")" >/dev/null; }

gen llama3.2:3b
is "$STATUS $(hdr X-Fleet-Node)" "200 s2" "llama3.2:3b is served by s2, where it is loaded"

# with node_id: that node's own answer
rq DELETE /api/delete '{"model":"llama3.2:3b","node_id":"s2"}'
is "$STATUS $(hdr X-Fleet-Node) [$BODY]" "200 s2 []" \
    "delete with node_id: the node's own answer (200, empty), X-Fleet-Node"
is "$(holders llama3.2:3b)" '["s1","s3"]' "/api/tags no longer names s2, at once"
is "$(curl -s "$ROUTER/api/ps" | jq -c '[.models[] | select(.name=="llama3.2:3b")] | length')" 0 \
    "/api/ps no longer has it loaded on s2"
gen llama3.2:3b
is "$STATUS $(hdr X-Fleet-Retries)" "200 0" \
    "the next request is served at the first try ..."
like "$(hdr X-Fleet-Node)" '^s[13]$' "... by a node that still has the model"

# without node_id: a summary, even when one node has the model
rq DELETE /api/delete '{"model":"solo:1b"}'
is "$STATUS $BODY" '200 {"nodes":{"s2":200}}' \
    "delete without node_id on the one node that has it: {\"nodes\":{...}}"
on_sim s2 solo:1b
is "$?" 1 "gone from s2"
is "$(holders solo:1b)" '[]' "and from the router's /api/tags"
gen solo:1b
is "$STATUS $(hdr X-Fleet-Node)" "404 " \
    "a request for it: the router's 404, no node asked (auto_pull off)"
like "$(jq -r .error <<<"$BODY")" "not found on any node" "saying no node has it"

# the dashboard's delete, the same
rq POST /dashboard/api/delete '{"node_id":"s2","model":"dash:1b"}'
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "/dashboard/api/delete"
is "$(holders dash:1b)" '[]' "the router no longer lists it"
is "$(curl -s "$ROUTER/dashboard/api/model-management" |
    jq -c '[.nodes[] | select(.node_id=="s2") | .models[] | select(.name=="dash:1b")] | length')" 0 \
    "nor does model-management"
gen dash:1b
is "$STATUS $(hdr X-Fleet-Node)" "404 " "a request for it: the router's 404"

# a partial failure names each failed node and why; the rest is noted
curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s2/api/delete" -d '{"model":"multi:1b"}'
fault s3 '{"refuse":{"count":3}}'
rq DELETE /api/delete '{"model":"multi:1b"}'
is "$STATUS $(jq -cS .nodes <<<"$BODY")" '502 {"s1":200,"s2":404,"s3":0}' \
    "s1 deleted, s2 had it no more, s3 refused: 502 with each node's status"
why=$(jq -r .error <<<"$BODY")
like "$why" "node s2 answered 404: model 'multi:1b' not found(;|\$)" \
    "error names s2 with the node's own text ..."
like "$why" "node s3 did not answer: [A-Za-z]" "... and s3 with why it had no answer"
ok $(grep -q "node s1" <<<"$why"; [ $? = 1 ]; echo $?) "... and not s1, which deleted it"
fault s3 '{"clear":true}'
is "$(holders multi:1b)" '["s3"]' \
    "s1, which deleted it, and s2, which said it had it no more, leave the list"

# an unknown node_id is named as such, as /api/pull and the dashboard do
rq DELETE /api/delete '{"model":"multi:1b","node_id":"nope"}'
is "$STATUS $(jq -r .error <<<"$BODY")" "404 node 'nope' is unknown or offline" \
    "delete on an unknown node: 404 naming the node"
rq POST /dashboard/api/delete '{"model":"multi:1b","node_id":"nope"}'
is "$STATUS $(jq -r .error <<<"$BODY")" "404 node 'nope' is unknown or offline" \
    "the dashboard's delete says the same"
rq DELETE /api/delete '{"model":"solo:1b","node_id":"s2"}'
is "$STATUS $(jq -r .error <<<"$BODY")" "404 model 'solo:1b' not found on s2" \
    "a known node without the model: 404 naming the model"
router_stop

# with auto-pull on, a model deleted from its only node is pulled again
sed 's/^auto_pull = false$/auto_pull = true/' "$TEST_TMP/herd.ini" >"$TEST_TMP/herd2.ini"
start_herd herd2 --config "$TEST_TMP/herd2.ini" --data-dir "$TEST_TMP/data2" --log-level debug ||
    { echo "Bail out! herd2 did not start"; exit 1; }
ROUTER=$url
PID_herd=$PID_herd2
knows_again() { [ "$(holders again:1b)" = '["s1"]' ]; }
wait_for 10 knows_again
rq DELETE /api/delete '{"model":"again:1b","node_id":"s1"}'
is "$STATUS" 200 "again:1b deleted from s1, the only node with it"
gen again:1b
is "$STATUS" 200 "a request for it is served ..."
like "$(cat "$TEST_TMP/herd2.log")" "autopull: no node has again:1b: pulling it on" \
    "... after the router pulled it"
router_stop herd2
done_testing
