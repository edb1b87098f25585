#!/usr/bin/env bash
# Router throughput with and without trace storage, in one run: two
# routers in front of the same herd-sims, one with the default storage
# (sqlite + jsonl), one with none; rounds of concurrent streaming chats
# alternate between them so that both see the same machine. With the
# defaults each router serves 100,000 requests, so the first one writes
# 100,000 traces. Prints a table; not part of `make check`.
#
#   make bench-storage [BENCH_REQUESTS=100000] [BENCH_CONCURRENCY=200]
#
# Best on a build without sanitizers.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -u
top_builddir=${top_builddir:-.}
requests=${BENCH_REQUESTS:-100000}
conc=${BENCH_CONCURRENCY:-200}
rounds=$(((requests + conc - 1) / conc))
loadtest=$top_builddir/tests/sim/sim_loadtest
b=$(cd "$top_builddir" && pwd)
export HERD_PLUGIN_PATH=${HERD_PLUGIN_PATH:-$b/plugins/scoring:$b/plugins/discovery:$b/plugins/storage}
for f in "$top_builddir/herd" "$top_builddir/herd-sim" "$loadtest"; do
    [ -x "$f" ] || { echo "bench: $f is not built (make check builds it)"; exit 1; }
done
command -v jq >/dev/null || { echo "bench: jq is needed"; exit 1; }
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is needed"; exit 1; }

tmp=$(mktemp -d /tmp/herd-bench-storage.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    return 1
}
# start NAME CMD...: background process on a free port (every @PORT@ in
# CMD), waits for its "listening on" line; tries other ports when one was
# taken meanwhile. Sets $port.
start() {
    local name=$1 arg pid
    shift
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        local argv=()
        for arg in "$@"; do argv+=("${arg//@PORT@/$port}"); done
        : >"$tmp/$name.log"
        "${argv[@]}" >"$tmp/$name.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 200); do
            grep -q "listening on" "$tmp/$name.log" && { pids+=("$pid"); return 0; }
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        grep -qi "in use" "$tmp/$name.log" || break
    done
    echo "bench: $name did not start:"; tail -5 "$tmp/$name.log"; exit 1
}

nodes=""
for s in s1 s2; do
    start "$s" "$top_builddir/herd-sim" --host 127.0.0.1 \
        --port @PORT@ --model bench:0.5 --num-parallel 256 \
        --max-queue 100000 --response-tokens 8 --thinking-tokens 0 \
        --tokens-per-sec 100000 --prompt-tokens-per-sec 100000 \
        --time-scale 0.001
    nodes="$nodes
node = $s http://127.0.0.1:$port"
done

declare -A url rpid
# cpu_s PID: user + system CPU seconds of a process so far.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}
for cfg in storage none; do
    extra=""
    [ "$cfg" = none ] && extra="
[storage.sqlite]
enabled = false
[storage.jsonl]
enabled = false"
    cat >"$tmp/$cfg.ini" <<EOF2
[router]
log_level = warning
default_num_parallel = 256
queue_max = 100000
heartbeat_interval = 0.5
$extra

[discovery.static]
interval = 0.5
$nodes
EOF2
    start "herd-$cfg" "$top_builddir/herd" --host 127.0.0.1 --port @PORT@ \
        --config "$tmp/$cfg.ini" --data-dir "$tmp/data-$cfg" --log-level info
    url[$cfg]=http://127.0.0.1:$port
    rpid[$cfg]=${pids[-1]}
    online=0
    for _ in $(seq 1 100); do
        online=$(curl -s -m 2 "${url[$cfg]}/fleet/status" |
            jq '[.nodes[] | select(.status == "online")] | length')
        [ "$online" = 2 ] && break
        sleep 0.1
    done
    [ "$online" = 2 ] || { echo "bench: the sims are not online"; exit 1; }
done

declare -A secs failed
secs[storage]=0 secs[none]=0 failed[storage]=0 failed[none]=0
echo "# $rounds rounds of $conc concurrent streaming chats per router"
for r in $(seq 1 "$rounds"); do
    # alternate which router goes first, so neither always meets the
    # other's leftovers
    order="storage none"
    [ $((r % 2)) = 0 ] && order="none storage"
    for cfg in $order; do
        port=${url[$cfg]##*:}
        t0=$(date +%s%N)
        "$loadtest" 127.0.0.1 "$port" "$conc" bench 120 >"$tmp/lt.out" 2>&1 ||
            { failed[$cfg]=$((failed[$cfg] + 1)); [ "${failed[$cfg]}" = 1 ] && sed "s/^/# $cfg: /" "$tmp/lt.out" | head -3; }
        t1=$(date +%s%N)
        secs[$cfg]=$((secs[$cfg] + (t1 - t0) / 1000))
    done
    [ $((r % 50)) = 0 ] && echo "# round $r of $rounds"
done

# Wait for the writer to catch up, then read its counters.
for _ in $(seq 1 300); do
    s=$(curl -s -m 5 "${url[storage]}/fleet/status")
    [ "$(jq '.traces.queued' <<<"$s")" = 0 ] && break
    sleep 0.1
done
printf '\n| %-22s | %9s | %14s | %8s | %9s | %9s | %8s | %7s |\n' config \
    requests "failed rounds" seconds "req/s" "herd CPU s" written dropped
printf '|%s|\n' "------------------------|-----------|----------------|----------|-----------|-----------|----------|---------"
for cfg in storage none; do
    s=$(curl -s -m 5 "${url[$cfg]}/fleet/status")
    n=$((rounds * conc))
    awk -v c="$cfg" -v n="$n" -v f="${failed[$cfg]}" -v us="${secs[$cfg]}" \
        -v w="$(jq .traces.written <<<"$s")" -v d="$(jq .traces.dropped <<<"$s")" \
        -v cpu="$(cpu_s "${rpid[$cfg]}")" \
        'BEGIN { name = c == "storage" ? "sqlite + jsonl" : "no storage";
                 printf "| %-22s | %9d | %14d | %8.1f | %9.0f | %9.1f | %8d | %7d |\n",
                 name, n, f, us / 1e6, n / (us / 1e6), cpu, w, d }'
done
rows=$(sqlite3 "$tmp/data-storage/latency.db" 'SELECT count(*) FROM request_traces')
echo
echo "latency.db rows: $rows; herd.jsonl lines: $(grep -c '"component":"trace"' "$tmp/data-storage/logs/herd.jsonl")"
awk -v a="${secs[storage]}" -v b="${secs[none]}" \
    'BEGIN { printf "throughput with storage: %.1f%% of without\n", 100 * b / a }'
