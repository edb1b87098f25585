#!/usr/bin/env bash
# Model management through the router: /api/show from a node that has the
# model, /api/pull to a named node or the one with most free memory with
# progress streamed, DELETE /api/delete on one node or on all, and the
# admin token that guards pull and delete.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 50
fleet_sim s2 --model llama3.2:3b:2.0 --pull-gb-per-sec 50
fleet_router ""

rq POST /api/show '{"model":"llama3.2:3b"}'
is "$STATUS" 200 "/api/show"
is "$(hdr X-Fleet-Node)" s2 "answered by the node that has the model"
is "$(jq -c .details <<<"$BODY")" \
    "$(curl -s "$SIM_URL_s2/api/show" -d '{"model":"llama3.2:3b"}' | jq -c .details)" \
    "Ollama's answer as the node gave it"
rq POST /api/show '{"name":"nothere"}'
is "$STATUS" 404 "/api/show of an unknown model: 404"
rq POST /api/show '{}'
is "$STATUS" 400 "/api/show without a model: 400"

rq POST /api/pull '{"model":"phi3:mini","node_id":"s1"}'
is "$STATUS" 200 "/api/pull to a named node"
is "$(hdr X-Fleet-Node)" s1 "on that node"
is "$(hdr Content-Type)" application/x-ndjson "progress streamed as NDJSON"
is "$(printf '%s\n' "$BODY" | tail -1 | jq -r .status)" success \
    "the last progress line is success"
ok $(curl -s "$SIM_URL_s1/api/tags" | jq -e '.models | map(.name) | index("phi3:mini")' >/dev/null; echo $?) \
    "the model is on s1 now"
out=$(curl -0 -sN -m 30 "$ROUTER/api/pull" -d '{"model":"phi3:mini","node_id":"s2"}')
is "$(printf '%s\n' "$out" | tail -1 | jq -r .status)" success \
    "an HTTP/1.0 client's streamed pull ends with success (and the connection)"
rq POST /api/pull '{"model":"tinyllama","stream":false}'
is "$STATUS $(jq -r .status <<<"$BODY")" "200 success" "/api/pull stream:false"
like "$(hdr X-Fleet-Node)" '^s[12]$' "to a node chosen by the router"
rq POST /api/pull '{"model":"x","node_id":"nope"}'
is "$STATUS" 404 "/api/pull to an unknown node: 404"
rq POST /api/pull '{"model":"x","node_id":7}'
is "$STATUS" 400 "node_id must be a string"

# both sims get the same model, then one delete removes it everywhere
for s in s1 s2; do
    rq POST /api/pull "{\"model\":\"dup:1b\",\"node_id\":\"$s\",\"stream\":false}"
done
on() { eval "u=\$SIM_URL_$1"; curl -s "$u/api/tags" | jq -e ".models | map(.name) | index(\"$2\")" >/dev/null; }
both() { on s1 dup:1b && on s2 dup:1b && [ "$(curl -s "$ROUTER/api/tags" | jq -c '.models[] | select(.name=="dup:1b") | .nodes | length')" = 2 ]; }
wait_for 5 both
STATUS=$(curl -s -o "$TEST_TMP/del" -w '%{http_code}' -X DELETE "$ROUTER/api/delete" -d '{"model":"dup:1b","node_id":"s2"}')
is "$STATUS" 200 "DELETE /api/delete on one node"
on s2 dup:1b; is "$?" 1 "gone from s2"
on s1 dup:1b; is "$?" 0 "still on s1"
for s in s2; do
    rq POST /api/pull "{\"model\":\"dup:1b\",\"node_id\":\"$s\",\"stream\":false}"
done
wait_for 5 both
STATUS=$(curl -s -o "$TEST_TMP/del" -w '%{http_code}' -X DELETE "$ROUTER/api/delete" -d '{"model":"dup:1b"}')
is "$STATUS" 200 "DELETE /api/delete on every node"
is "$(jq -cS '.nodes' "$TEST_TMP/del")" '{"s1":200,"s2":200}' "each node's answer"
on s1 dup:1b; a=$?; on s2 dup:1b; b=$?
is "$a$b" 11 "gone from both"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$ROUTER/api/delete" -d '{"model":"dup:1b","node_id":"s1"}')
is "$STATUS" 404 "deleting what no node has: 404"
router_stop

# with an admin token, pull and delete need it
cat >>"$TEST_TMP/herd.ini" <<EOF2
[security]
admin_token = sesame
EOF2
start_herd herd2 --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data2"
ROUTER=$url
PID_herd=$PID_herd2
rq POST /api/pull '{"model":"x"}'
is "$STATUS" 401 "pull without the admin token: 401"
# the new router must know s1 first (its first poll; slow under valgrind)
s1_up() { [ "$(curl -s -m 2 "$ROUTER/fleet/status" | jq -r '.nodes[] | select(.node_id=="s1") | .status')" = online ]; }
wait_for 30 s1_up
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sesame' \
    "$ROUTER/api/pull" -d '{"model":"y:1b","node_id":"s1","stream":false}')
is "$STATUS" 200 "with it: 200"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$ROUTER/api/delete" -d '{"model":"y:1b"}')
is "$STATUS" 401 "delete without the admin token: 401"
router_stop
done_testing
