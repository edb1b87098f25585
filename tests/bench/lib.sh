# Helpers shared by the benchmarks (sourced by overhead/run.sh and
# fleet/run.sh after tests/integration/lib.sh and router_lib.sh, which give
# free ports and background processes that are always stopped). Loopback
# only; every wait is bounded.

# Uninstalled plugins of the build tree, as make check sets them.
: "${HERD_PLUGIN_PATH:=$top_builddir/plugins/scoring:$top_builddir/plugins/discovery:$top_builddir/plugins/storage}"
export HERD_PLUGIN_PATH
# As in make check: no router under benchmark announces itself by mDNS.
: "${DBUS_SYSTEM_BUS_ADDRESS:=unix:path=/nonexistent/herd-bench}"
export DBUS_SYSTEM_BUS_ADDRESS

bench_load_bin() { echo "$top_builddir/tests/bench/bench_load"; }
bench_policy_dir() { echo "$top_builddir/tests/bench/policies"; }

# bench_need CMD...: stops with a message naming what is missing.
bench_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 && continue
        echo "benchmark: '$c' is not installed (see .ci/deps.sh)" >&2
        exit 2
    done
}

# bench_files_ok: the programs the benchmarks run are built.
bench_files_ok() {
    local f
    for f in "$(herd_bin)" "$(sim_bin)" "$(bench_load_bin)"; do
        [ -x "$f" ] && continue
        echo "benchmark: $f is not built (make check builds it)" >&2
        exit 2
    done
}

# bench_sim NAME ARGS...: a herd-sim on a free port; sets $url.
bench_sim() {
    local name=$1
    shift
    start_listening "$name" "listening on 127\.0\.0\.1:@PORT@" "$(sim_bin)" \
        --host 127.0.0.1 --port @PORT@ --log-level info "$@" || {
        echo "benchmark: herd-sim $name did not start" >&2
        tail -5 "$TEST_TMP/$name.log" >&2
        exit 1
    }
}

# bench_herd NAME INI [ARGS...]: herd on a free port; sets $url. Waits until
# WANT (default: every node) nodes are online.
bench_herd() {
    local name=$1 ini=$2 want
    shift 2
    start_listening "$name" "listening on 127\.0\.0\.1:@PORT@" "$(herd_bin)" \
        --host 127.0.0.1 --port @PORT@ --config "$ini" \
        --data-dir "$TEST_TMP/data-$name" --log-level info "$@" || {
        echo "benchmark: herd $name did not start" >&2
        tail -5 "$TEST_TMP/$name.log" >&2
        exit 1
    }
    want=$(grep -c '^node = ' "$ini")
    bench_online() {
        [ "$(curl -s -m 2 "$url/fleet/status" |
            jq '[.nodes[] | select(.status == "online")] | length')" = "$want" ]
    }
    wait_for 20 bench_online || {
        echo "benchmark: herd $name: nodes not online" >&2
        exit 1
    }
}

# bench_nginx NAME UPSTREAM-SERVERS...: nginx with its own prefix in
# $TEST_TMP/NAME, least_conn with upstream keep-alive, listening on a free
# loopback port; sets $url. Stopped at exit like every start_bg process.
# $BENCH_NGINX_EXTRA, when set, is added to the location (retry rules).
bench_nginx() {
    local name=$1 prefix="$TEST_TMP/$1" s servers="" user=""
    shift
    for s in "$@"; do servers="$servers        server $s;
"; done
    mkdir -p "$prefix/logs" "$prefix/tmp"
    [ "$(id -u)" = 0 ] && user="user root;"
    bench_nginx_conf() {
        cat >"$prefix/nginx.conf" <<EOF
$user
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 16000; }
http {
    access_log off;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    upstream sims {
        least_conn;
$servers        keepalive 1024;
    }
    server {
        listen 127.0.0.1:$1;
        location / {
            proxy_pass http://sims;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host localhost;
            proxy_buffering off;
            proxy_read_timeout 600s;
            add_header X-Bench-Upstream \$upstream_addr always;
            ${BENCH_NGINX_EXTRA:-}
        }
    }
}
EOF
    }
    local try p i
    for try in 1 2 3 4 5; do
        p=$(free_port) || break
        bench_nginx_conf "$p"
        start_bg "$name" nginx -p "$prefix" -c "$prefix/nginx.conf"
        url=http://127.0.0.1:$p
        for i in $(seq 1 100); do
            curl -s -o /dev/null -m 1 "$url/" && return 0
            sleep 0.05
        done
        grep -q "in use" "$TEST_TMP/$name.log" "$prefix/logs/error.log" ||
            break
    done
    echo "benchmark: nginx did not start" >&2
    cat "$TEST_TMP/$name.log" "$prefix/logs/error.log" >&2
    exit 1
}

# bench_rss_kb PID...: VmRSS and VmHWM summed over the processes, "RSS HWM".
bench_rss_kb() {
    local pid rss=0 hwm=0 r h
    for pid in "$@"; do
        r=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        h=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        rss=$((rss + ${r:-0}))
        hwm=$((hwm + ${h:-0}))
    done
    echo "$rss $hwm"
}

# bench_children PID: PID and its direct children (nginx's workers).
bench_children() {
    echo "$1"
    cat "/proc/$1/task/$1/children" 2>/dev/null | tr ' ' '\n' | grep .
}

# bench_listen_overflows: the kernel's count of connections dropped by a
# full accept backlog (TcpExtListenOverflows), machine-wide.
bench_listen_overflows() {
    awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) n[$i] = i; h = 1; next }
        $1 == "TcpExt:" { print $n["ListenOverflows"] + 0; exit }' /proc/net/netstat
}

# bench_hostinfo: one line naming the machine, for results.md.
bench_hostinfo() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    printf '%s, %s cores, %s MiB RAM, %s %s%s' "${cpu:-unknown CPU}" \
        "$(nproc)" "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)" \
        "$(uname -s)" "$(uname -r)" "$(bench_idleinfo)"
}

# bench_idleinfo: how an idle CPU waits, when the kernel says. In a
# virtual machine that sets what waking a process on another CPU costs:
# a CPU that polls before halting is woken cheaply, a halted one through
# the hypervisor (tens of microseconds on the machine of doc/benchmarks.md).
bench_idleinfo() {
    local drv poll=/sys/module/haltpoll/parameters/guest_halt_poll_ns
    drv=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)
    [ -n "$drv" ] || return 0
    printf ', cpuidle %s' "$drv"
    [ -r "$poll" ] && printf ' (guest halt-polling %s ns)' "$(cat "$poll")"
    return 0
}

# bench_ratio A B: A/B with two decimals ("n/a" when B is 0).
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a";
        else printf "%.2f\n", a / b }'
}

# bench_diff A B: A-B with two decimals.
bench_diff() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a - b }'
}
