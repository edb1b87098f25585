# Helpers for the dashboard tests (sourced after lib.sh, router_lib.sh and
# sim_lib.sh).

# dash_ini FILE NODE=URL...: a router config with static nodes polled
# every second and no mDNS announcement.
dash_ini() {
    local file=$1 n
    shift
    {
        echo "[discovery.mdns]"
        echo "enabled = false"
        if [ $# -gt 0 ]; then
            echo "[discovery.static]"
            echo "interval = 1"
        fi
        for n in "$@"; do echo "node = ${n%%=*} ${n#*=}"; done
    } >"$file"
}

# dash_herd NAME ARGS...: herd on a free port with its own data directory;
# sets $port and $url, or bails out.
dash_herd() {
    local name=$1
    shift
    start_herd "$name" --data-dir "$TEST_TMP/data-$name" "$@" || {
        echo "Bail out! herd did not start"
        sed 's/^/# /' "$TEST_TMP/$name.log"
        exit 1
    }
}

# dash_stop NAME: SIGTERM; herd must exit 0 with no sanitizer report.
dash_stop() {
    local name=$1 pid rc
    eval "pid=\$PID_$name"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    if grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/$name.log"; then
        rc=99
        grep -E -A12 'Sanitizer|runtime error' "$TEST_TMP/$name.log" |
            head -40 | sed 's/^/#   /'
    fi
    is "$rc" 0 "herd $name exits cleanly on SIGTERM (no sanitizer report)"
}

# dash_get PATH [CURL-ARGS...]: sets STATUS, CTYPE, HDR (file) and BODY
# (file $TEST_TMP/body) for $url PATH.
dash_get() {
    local path=$1
    shift
    HDR=$TEST_TMP/hdr
    rm -f "$HDR" "$TEST_TMP/body" # curl writes no file for an empty body
    STATUS=$(curl -s -m 10 -D "$HDR" -o "$TEST_TMP/body" -w '%{http_code}' \
        "$@" "$url$path")
    CTYPE=$(header Content-Type)
    BODY=$TEST_TMP/body
}

# header NAME: that header of the last dash_get.
header() {
    sed -n "s/^$1: *//Ip" "$HDR" | tr -d '\r' | head -n 1
}
