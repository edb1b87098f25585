# Helpers for the herd-node tests (sourced after lib.sh, sim_lib.sh and
# router_lib.sh).

# No configuration file of the person running the tests.
XDG_CONFIG_HOME=$TEST_TMP/xdg
export XDG_CONFIG_HOME
unset HERD_CONFIG FLEET_NODE_ROUTER_URL FLEET_NODE_NODE_ID HERD_NODE_TOKEN \
    FLEET_NODE_OLLAMA_HOST OLLAMA_NUM_PARALLEL FLEET_NODE_DATA_DIR

node_bin() { echo "$top_builddir/herd-node"; }

# start_agent NAME ARGS...: herd-node in the background, its state in
# $TEST_TMP/NAME.data (log in $TEST_TMP/NAME.log).
start_agent() {
    local name=$1
    shift
    start_bg "$name" "$(node_bin)" --node-id "$name" \
        --data-dir "$TEST_TMP/$name.data" "$@"
}

# fleet JQ-FILTER: a value of the router's /fleet/status ($url).
fleet() { curl -s -m 5 "$url/fleet/status" | jq -r "$1"; }

# node_value ID JQ-PATH: e.g. node_value a1 .status
node_value() {
    curl -s -m 5 "$url/fleet/status" |
        jq -r --arg id "$1" ".nodes[] | select(.node_id==\$id) | $2"
}
node_is() { [ "$(node_value "$1" "$2")" = "$3" ]; }

# stop_agent NAME: SIGTERM, and checks that it exited 0 with no sanitizer
# report in its log. Sets AGENT_RC.
stop_agent() {
    local name=$1 pid
    eval "pid=\$PID_$name"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    AGENT_RC=$?
    if grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/$name.log"; then
        AGENT_RC=99
        grep -E -A12 'Sanitizer|runtime error' "$TEST_TMP/$name.log" |
            head -40 | sed 's/^/#   /'
    fi
}
