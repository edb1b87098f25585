# Helpers for the router's integration tests (sourced after lib.sh).

# start_listening NAME READY CMD...: runs CMD in the background on a free
# loopback port, where every argument @PORT@ of CMD is replaced by the
# port. Waits (bounded) until NAME's log matches READY (grep -E, with
# @PORT@ replaced too). When the process dies first because another test
# took the port between free_port and bind, tries again with another one.
# Sets $port and $url (http://127.0.0.1:PORT). Returns 1 on failure.
start_listening() {
    local name=$1 ready=$2 try i pid arg
    shift 2
    for try in 1 2 3 4 5; do
        port=$(free_port) || return 1
        local argv=()
        for arg in "$@"; do argv+=("${arg//@PORT@/$port}"); done
        start_bg "$name" "${argv[@]}"
        eval "pid=\$PID_$name"
        for i in $(seq 1 200); do
            if grep -Eq -- "${ready//@PORT@/$port}" "$TEST_TMP/$name.log"; then
                url=http://127.0.0.1:$port
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        grep -Eqi "in use|cannot listen|cannot bind" "$TEST_TMP/$name.log" ||
            return 1
        diag "port $port was taken, trying another"
    done
    return 1
}

# start_herd NAME ARGS...: herd on 127.0.0.1 and a free port.
start_herd() {
    local name=$1
    shift
    start_listening "$name" "listening on 127\.0\.0\.1:@PORT@" \
        "$(herd_bin)" --host 127.0.0.1 --port @PORT@ "$@"
}
