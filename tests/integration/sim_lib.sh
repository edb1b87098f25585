# Helpers for the herd-sim tests (sourced after lib.sh).

# sim_start NAME ARGS...: starts herd-sim on a free port; sets SIM_URL
# (and SIM_URL_NAME) or fails the whole test.
# A port that free_port found unused can be taken before the sim binds it
# (other tests' client sockets share the range): then try another.
sim_start() {
    local name=$1 port attempt i pid; shift
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || { echo "Bail out! no free port"; exit 1; }
        start_bg "$name" "$(sim_bin)" --port "$port" "$@"
        eval "pid=\$PID_$name"
        SIM_URL="http://127.0.0.1:$port"
        eval "SIM_URL_$name=\$SIM_URL"
        for i in $(seq 1 400); do
            curl -s -o /dev/null -m 1 "$SIM_URL/" && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -0 "$pid" 2>/dev/null && break
        grep -q 'cannot listen' "$TEST_TMP/$name.log" || break
        diag "port $port was taken, trying another"
    done
    echo "Bail out! herd-sim did not start"
    sed 's/^/# /' "$TEST_TMP/$name.log"
    exit 1
}

# sim_req METHOD PATH [BODY]: sets STATUS, CTYPE and BODY (file $TEST_TMP/body).
sim_req() {
    local method=$1 path=$2 data=${3-} hdr="$TEST_TMP/hdr"
    if [ "$method" = HEAD ]; then
        STATUS=$(curl -s -m 30 -I -D "$hdr" -o "$TEST_TMP/body" \
            -w '%{http_code}' "$SIM_URL$path")
        : >"$TEST_TMP/body"
    elif [ $# -ge 3 ]; then
        STATUS=$(curl -s -m 30 -X "$method" -D "$hdr" -o "$TEST_TMP/body" \
            -w '%{http_code}' --data-binary "$data" "$SIM_URL$path")
    else
        STATUS=$(curl -s -m 30 -X "$method" -D "$hdr" -o "$TEST_TMP/body" \
            -w '%{http_code}' "$SIM_URL$path")
    fi
    CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$hdr" | tr -d '\r')
    BODY=$(cat "$TEST_TMP/body")
}

# sim_state JQ-FILTER: a value from /sim/state.
sim_state() {
    curl -s -m 10 "$SIM_URL/sim/state" | jq -r "$1"
}

# model_state MODEL FIELD
model_state() {
    sim_state ".models[] | select(.name == \"$1\") | .$2"
}

now_ms() { date +%s%3N; }

# sim_stop NAME: stops that sim with SIGTERM and checks that it exited 0
# with no sanitizer report (leaks included) in its log.
sim_stop() {
    local name=$1 pid rc
    eval "pid=\$PID_$name"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    if grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/$name.log"; then
        rc=99
        grep -E -A12 'Sanitizer|runtime error' "$TEST_TMP/$name.log" | head -40 | sed 's/^/#   /'
    fi
    is "$rc" 0 "herd-sim $name exits cleanly on SIGTERM"
}
