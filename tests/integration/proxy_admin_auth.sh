#!/usr/bin/env bash
# [security] api_key and admin_token together: both are bearer tokens in
# the one Authorization header, so an admin action of the Ollama API
# (/api/pull, /api/delete) takes the admin token for the API-key check
# too; a client key alone does not make an admin, and the admin token is
# no client key for anything else.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_router "[security]
api_key = k1
admin_token = adm"

bearer() { # bearer TOKEN METHOD PATH BODY: status
    curl -s -m 30 -o "$TEST_TMP/out" -w '%{http_code}' \
        ${1:+-H "Authorization: Bearer $1"} -X "$2" "$ROUTER$3" -d "$4"
}
pull='{"model":"extra:1b","node_id":"s1","stream":false}'
is "$(bearer adm POST /api/pull "$pull")" 200 "pull with the admin token: 200"
is "$(sim_of s1 '[.models[].name] | index("extra:1b") != null')" true \
    "  the node has the model"
is "$(bearer k1 POST /api/pull "$pull")" 401 "pull with a client key only: 401"
like "$(cat "$TEST_TMP/out")" "admin token" "  the admin token is what it needs"
is "$(bearer "" POST /api/pull "$pull")" 401 "pull with no token: 401"
is "$(bearer adm DELETE /api/delete '{"model":"extra:1b","node_id":"s1"}')" 200 \
    "delete with the admin token: 200"
chat='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
is "$(bearer adm POST /api/chat "$chat")" 401 "the admin token is no client key for a chat"
is "$(bearer k1 POST /api/chat "$chat")" 200 "a client key is"
router_stop
done_testing
