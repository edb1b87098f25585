#!/usr/bin/env bash
# Liveness with short timeouts from a test INI: a silent node goes online
# -> degraded -> offline -> forgotten. SIGHUP re-reads the INI: a valid
# file changes node settings and the token at run time, an invalid one is
# refused and the old settings stay. The log says what a reload changed,
# and which changes wait for a restart; a stream of SIGHUPs does not hold
# the liveness check back.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

ini=$TEST_TMP/herd.ini
cat >"$ini" <<'EOF'
[router]
heartbeat_interval = 0.2
heartbeat_timeout = 1
heartbeat_offline = 2
node_forget_after = 2
EOF
start_herd herd --config "$ini" --data-dir "$TEST_TMP/data"
ok $? "router answers"

beat() { # beat NODE-ID [curl args...]
    local id=$1; shift
    curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$@" --data-binary \
        "{\"node_id\":\"$id\",\"cpu\":{\"cores_physical\":4,\"utilization_pct\":5},
          \"memory\":{\"total_gb\":32,\"used_gb\":8,\"available_gb\":24},
          \"num_parallel\":2,
          \"ollama\":{\"models_loaded\":[{\"name\":\"m:1b\",\"size_gb\":1}],
                      \"models_available\":[\"m:1b\"]}}" "$url/heartbeat"
}
status_of() {
    curl -s -m 5 "$url/fleet/status" |
        jq -r --arg id "$1" '.nodes[] | select(.node_id==$id) | .status'
}
is_status() { [ "$(status_of "$1")" = "$2" ]; }

is "$(beat n1)" 200 "heartbeat accepted"
is "$(status_of n1)" online "node online"
wait_for 3 is_status n1 degraded
ok $? "silent node degraded"
is "$(curl -s "$url/fleet/status" | jq '.nodes[0].missed_heartbeats')" 1 \
    "one missed heartbeat counted"
is "$(curl -s "$url/api/tags" | jq -r '.models[0].name')" "m:1b" \
    "a degraded node still serves its models"
wait_for 4 is_status n1 offline
ok $? "then offline"
is "$(curl -s "$url/api/tags" | jq -c '.models')" '[]' \
    "an offline node's models leave /api/tags"
is "$(curl -s "$url/fleet/status" | jq '.fleet.nodes_online')" 0 \
    "no node online"
gone() { [ "$(curl -s "$url/fleet/status" | jq '.fleet.nodes_total')" = 0 ]; }
wait_for 5 gone
ok $? "offline node forgotten after node_forget_after"

# SIGHUP with a valid file: token and [node.ID] settings apply at once.
is "$(beat n2)" 200 "n2 reports without a token"
cat >>"$ini" <<'EOF'
[security]
node_token = hup-token
[node.n2]
num_parallel = 7
enabled = false
EOF
kill -HUP "$PID_herd"
reloaded() { grep -q "configuration reloaded" "$TEST_TMP/herd.log"; }
wait_for 5 reloaded
ok $? "SIGHUP reloads the configuration"
is "$(beat n2)" 401 "the new token is required"
is "$(beat n2 -H 'Authorization: Bearer hup-token')" 200 "and accepted"
is "$(curl -s "$url/fleet/status" | jq -c '.nodes[] | select(.node_id=="n2") | [.num_parallel,.enabled]')" \
    '[7,false]' "[node.n2] num_parallel and enabled applied"
is "$(curl -s "$url/api/tags" | jq -c '.models')" '[]' \
    "a disabled node's models are not offered"
like "$(cat "$TEST_TMP/herd.log")" \
    'reload: \[security\] node_token: \(unset\) -> \*\*\* \(heartbeats at once' \
    "the log names the changed key, a secret as ***"
ok "$(grep -c 'hup-token' "$TEST_TMP/herd.log" | grep -qx 0; echo $?)" \
    "  and never writes the secret"

# keys read once at start: the reload says they wait for a restart
sed -i 's/^heartbeat_timeout = 1$/heartbeat_timeout = 1\npoll_interval = 9\ntrace_queue_max = 77/' "$ini"
kill -HUP "$PID_herd"
restart_said() { grep -q 'reload: \[router\] trace_queue_max: 10000 -> 77 takes effect on restart' "$TEST_TMP/herd.log"; }
wait_for 5 restart_said
ok $? "trace_queue_max changed: applies on restart, and the log says so"
like "$(cat "$TEST_TMP/herd.log")" \
    'reload: \[router\] poll_interval: [0-9.]+ -> 9 takes effect on restart' \
    "  poll_interval too"

# SIGHUPs every 0.1 s, faster than heartbeat_interval (0.2 s): a silent
# node still goes offline on time
is "$(beat n3 -H 'Authorization: Bearer hup-token')" 200 "n3 reports, then falls silent"
went_offline=no
for i in $(seq 1 40); do
    kill -HUP "$PID_herd"
    sleep 0.1
    [ "$(status_of n3)" = offline ] && went_offline=yes
done
is "$went_offline" yes "during 4 s of SIGHUPs the silent node went offline"

# SIGHUP with a broken file: refused, old settings stay.
echo "no_such_key = 1" >>"$ini"
kill -HUP "$PID_herd"
failed() { grep -q "reload failed" "$TEST_TMP/herd.log"; }
wait_for 5 failed
ok $? "a broken file is refused on SIGHUP"
like "$(grep 'reload failed' "$TEST_TMP/herd.log")" "herd.ini:[0-9]+" \
    "the refusal names file:line"
is "$(beat n2)" 401 "the old token still applies"
is "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/version")" 200 \
    "router still serving"

done_testing
