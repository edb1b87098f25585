#!/usr/bin/env bash
# The dashboard's JSON endpoints for health and model administration:
# /dashboard/api/health (vitals from the registry, request figures from the
# traces, a node going offline), /dashboard/api/model-management (the sims'
# models, loaded flags, request counts), and POST /dashboard/api/pull and
# /dashboard/api/delete on a named node, with their bad input, the time
# limit and the admin token.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 50
fleet_sim s2 --model llama3.2:3b:2.0 --pull-gb-per-sec 0.5 --load-gb-per-sec 50
fleet_router "heartbeat_timeout = 1
heartbeat_offline = 2
auto_pull_timeout = 2"

mm() { curl -s -m 10 "$ROUTER/dashboard/api/model-management"; }
health() { curl -s -m 10 "$ROUTER/dashboard/api/health"; }
# post PATH BODY [CURL-ARGS]: sets STATUS and BODY
post() {
    local path=$1 body=$2; shift 2
    STATUS=$(curl -s -m 30 "$@" -o "$TEST_TMP/post" -w '%{http_code}' \
        -H 'Content-Type: application/json' --data-binary "$body" "$ROUTER$path")
    BODY=$(cat "$TEST_TMP/post")
}
on_sim() { eval "u=\$SIM_URL_$1"; curl -s -m 5 "$u/api/tags" | jq -e ".models | map(.name) | index(\"$2\")" >/dev/null; }

# one request, so s2 has a loaded model and the traces a row
rq POST /api/chat '{"model":"llama3.2:3b","stream":false,"messages":[{"role":"user","content":"hi"}]}'
is "$STATUS" 200 "a chat on s2"
loaded_seen() { [ "$(mm | jq -r '.nodes[] | select(.node_id=="s2") | .models[] | select(.name=="llama3.2:3b") | .loaded_in_vram')" = true ]; }
wait_for 10 loaded_seen
ok $? "model-management: llama3.2:3b loaded on s2, as the sim's /api/ps says"
is "$(curl -s "$SIM_URL_s2/api/ps" | jq -r '.models[].name')" llama3.2:3b \
    "(the sim has it loaded)"
counted() { [ "$(mm | jq -r '.nodes[] | select(.node_id=="s2") | .models[] | select(.name=="llama3.2:3b") | .total_requests')" = 1 ]; }
wait_for 10 counted
ok $? "model-management: total_requests 1 from the traces"
M=$(mm)
is "$(jq -r '[.nodes[].node_id] | sort | join(",")' <<<"$M")" "s1,s2" "every node listed"
is "$(jq -r '.nodes[] | select(.node_id=="s1") | [.models[].name] | join(",")' <<<"$M")" \
    "$(curl -s "$SIM_URL_s1/api/tags" | jq -r '[.models[].name] | join(",")')" \
    "s1's models are the sim's /api/tags"
is "$(jq -r '.nodes[] | select(.node_id=="s1") | .models[0] | [.loaded_in_vram, .total_requests, .unused, (.last_used == null)] | join(",")' <<<"$M")" \
    "false,0,true,true" "an unused model on s1: not loaded, no requests, unused"
is "$(jq -r '.nodes[] | select(.node_id=="s2") | .models[0] | (.last_used > 0 and .days_unused == 0 and .unused == false)' <<<"$M")" \
    true "the used model has last_used today"
like "$(jq -r '.nodes[] | select(.node_id=="s1") | .models[0] | "\(.size_gb) \(.parameter_size) \(.quantization)"' <<<"$M")" \
    '^0\.5[0-9]* [^ ]+ [^ ]+$' "size_gb, parameter_size, quantization from the node"
is "$(jq -r '.usage_available' <<<"$M")" true "usage from the trace store"

# health: vitals now, then with s1 offline
H=$(health)
is "$(jq -c '.vitals | [.nodes_total, .nodes_online, .nodes_offline, .total_requests_24h, .overall_error_rate_pct]' <<<"$H")" \
    "[2,2,0,1,0]" "health vitals: two nodes online, one request, no errors"
is "$(jq -r '[.recommendations[].check_id] | index("node_offline")' <<<"$H")" null \
    "no node_offline finding"
score1=$(jq -r .vitals.health_score <<<"$H")
like "$(jq -r .checked_at <<<"$H")" '^[0-9]{10}' "checked_at: epoch seconds"
kill -TERM "$PID_s1"; wait "$PID_s1" 2>/dev/null
offline() { [ "$(health | jq -r .vitals.nodes_offline)" = 1 ]; }
wait_for 10 offline
ok $? "health: nodes_offline 1 once s1 stops"
H=$(health)
is "$(jq -c '.recommendations[0] | [.check_id, .severity, .node_id]' <<<"$H")" \
    '["node_offline","critical","s1"]' "a critical node_offline finding for s1, first"
is "$(jq -r '.vitals.total_requests_24h' <<<"$H")" 1 "request figures still there (cached)"
ok $([ "$(jq -r .vitals.health_score <<<"$H")" -lt "$score1" ]; echo $?) \
    "the health score drops"

# pull and delete on a named node
post /dashboard/api/pull '{"node_id":"s2","model":"tiny:0.1b"}'
is "$STATUS $(jq -c . <<<"$BODY")" '200 {"ok":true,"node_id":"s2","model":"tiny:0.1b"}' \
    "pull answers ok when the node has finished"
on_sim s2 tiny:0.1b
ok $? "the model is in s2's /api/tags"
post /dashboard/api/delete '{"node_id":"s2","model":"tiny:0.1b"}'
is "$STATUS $(jq -c . <<<"$BODY")" '200 {"ok":true,"node_id":"s2","model":"tiny:0.1b"}' \
    "delete answers ok"
on_sim s2 tiny:0.1b
is "$?" 1 "the model is gone from s2"
post /dashboard/api/delete '{"node_id":"s2","model":"tiny:0.1b"}'
is "$STATUS $(jq -r '.ok' <<<"$BODY")" "502 false" "deleting it again: the node's refusal"
like "$(jq -r .error <<<"$BODY")" 'node s2 answered 404' "with the node's answer in error"
t0=$(now_ms)
post /dashboard/api/pull '{"node_id":"s2","model":"big:70b"}'
t=$(( $(now_ms) - t0 ))
is "$STATUS $(jq -r .ok <<<"$BODY")" "504 false" "a pull longer than auto_pull_timeout: 504"
ok $([ "$t" -ge 1800 ] && [ "$t" -lt 10000 ]; echo $?) "after about 2 s ($t ms)"
like "$(jq -r .error <<<"$BODY")" 'did not finish within 2 s' "the error says so"

# at most 64 pulls and deletes at once (of different models: a model
# being pulled is not pulled twice); the slots come back
many=""
for i in $(seq 1 64); do
    curl -s -m 20 -o "$TEST_TMP/many.$i" -w '%{http_code}' \
        "$ROUTER/dashboard/api/pull" -d "{\"node_id\":\"s2\",\"model\":\"big$i:70b\"}" \
        >"$TEST_TMP/many_status.$i" &
    many="$many $!"
done
# each pull logs its start; once 64 run, the next is refused
running() { [ "$(grep -Ec 'dashboard: pull big[0-9]*:70b on s2$' "$TEST_TMP/herd.log")" -ge 65 ]; }
wait_for 5 running
post /dashboard/api/pull '{"node_id":"s2","model":"big:70b"}'
is "$STATUS" 503 "the 65th at once: 503"
like "$(jq -r .error <<<"$BODY")" '64 pulls and deletes are running' "saying why"
wait $many
is "$(cat "$TEST_TMP"/many_status.* | fold -w3 | sort -u)" 504 "the 64 ended by the time limit"
post /dashboard/api/pull '{"node_id":"s2","model":"tiny:0.1b"}'
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "then a pull runs again"

# bad input changes nothing
post /dashboard/api/pull '{"model":"x"}'
is "$STATUS" 400 "no node_id: 400"
like "$(jq -r .error <<<"$BODY")" node_id "naming node_id"
post /dashboard/api/pull '{"node_id":"s2"}'
is "$STATUS" 400 "no model: 400"
like "$(jq -r .error <<<"$BODY")" model "naming model"
post /dashboard/api/pull '{"node_id":7,"model":"x"}'
is "$STATUS" 400 "node_id not a string: 400"
post /dashboard/api/delete 'not json'
is "$STATUS" 400 "a body that is not JSON: 400"
post /dashboard/api/pull '["s2"]'
is "$STATUS" 400 "a body that is not an object: 400"
post /dashboard/api/pull '{"node_id":"nope","model":"x"}'
is "$STATUS" 404 "an unknown node: 404"
post /dashboard/api/pull '{"node_id":"s1","model":"x"}'
is "$STATUS" 404 "an offline node: 404"
rq GET /dashboard/api/pull
is "$STATUS" 405 "GET /dashboard/api/pull: 405"
rq POST /dashboard/api/health
is "$STATUS" 405 "POST /dashboard/api/health: 405"
router_stop

# with an admin token, pull and delete need it
cat >>"$TEST_TMP/herd.ini" <<EOF2
[security]
admin_token = sesame
EOF2
start_herd herd2 --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data2"
ROUTER=$url
PID_herd=$PID_herd2
s2_up() { [ "$(curl -s -m 2 "$ROUTER/fleet/status" | jq -r '.nodes[] | select(.node_id=="s2") | .status')" = online ]; }
wait_for 10 s2_up
post /dashboard/api/pull '{"node_id":"s2","model":"tok:0.1b"}'
is "$STATUS" 401 "pull without the admin token: 401"
on_sim s2 tok:0.1b
is "$?" 1 "nothing pulled"
post /dashboard/api/pull '{"node_id":"s2","model":"tok:0.1b"}' -H 'Authorization: Bearer wrong'
is "$STATUS" 401 "with a wrong token: 401"
post /dashboard/api/pull '{"node_id":"s2","model":"tok:0.1b"}' -H 'Authorization: Bearer sesame'
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "with it: pulled"
post /dashboard/api/delete '{"node_id":"s2","model":"tok:0.1b"}'
is "$STATUS" 401 "delete without the token: 401"
on_sim s2 tok:0.1b
ok $? "still there"
post /dashboard/api/delete '{"node_id":"s2","model":"tok:0.1b"}' -H 'Authorization: Bearer sesame'
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "delete with it"
router_stop
done_testing
