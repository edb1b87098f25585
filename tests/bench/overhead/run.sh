#!/usr/bin/env bash
# Router overhead: the same herd-sim backends and the same load client
# (bench_load) reached three ways -- directly, through nginx least_conn
# with upstream keep-alive, and through herd -- in one run, so every herd
# figure is a ratio against baselines measured minutes apart on the same
# machine. Writes results.md, the raw data and PNG plots to --out.
#
#   run.sh --out DIR [--smoke] [--streams "100 1000 5000"] [--duration S]
#          [--connections N] [--serial N] [--phases "added saturation
#          fixed streams scoring"]
#
# See doc/benchmarks.md. Loopback only; every phase is bounded in time.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../../.." && pwd)}"
: "${top_builddir:=$PWD}"
out="" smoke=0 streams="100 1000 5000" duration=10 conns=32 serial=5000
all_phases="added saturation fixed streams scoring" phases=""

usage() {
    echo "usage: $0 --out DIR [--smoke] [--streams \"N...\"] [--duration S]" \
        "[--connections N] [--serial N] [--phases \"$all_phases\"]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=${2-}; shift ;;
    --smoke) smoke=1 ;;
    --streams) streams=${2-}; shift ;;
    --duration) duration=${2-}; shift ;;
    --connections) conns=${2-}; shift ;;
    --serial) serial=${2-}; shift ;;
    --phases) phases=${2-}; shift ;;
    *) usage ;;
    esac
    shift || usage
done
[ -n "$out" ] || usage
case "$duration $conns $serial $streams" in
*[!0-9\ ]* | "") echo "$0: --duration, --connections, --serial and" \
    "--streams take whole numbers" >&2; exit 2 ;;
esac
: "${phases:=$all_phases}"
for ph in $phases; do
    case " $all_phases " in
    *" $ph "*) ;;
    *) echo "$0: unknown phase '$ph' (phases: $all_phases)" >&2; exit 2 ;;
    esac
done
phase() { case " $phases " in *" $1 "*) return 0 ;; esac; return 1; }
if phase fixed && ! phase saturation; then
    echo "$0: phase fixed runs at a rate derived from phase saturation" >&2
    exit 2
fi
for n in $streams; do
    [ "$n" -ge 1 ] && [ "$n" -le 5000 ] ||
        { echo "$0: stream levels go from 1 to 5000, not $n" >&2; exit 2; }
done
[ "$duration" -ge 1 ] && [ "$duration" -le 120 ] ||
    { echo "$0: --duration is 1..120 seconds" >&2; exit 2; }
[ "$conns" -ge 1 ] && [ "$conns" -le 1000 ] ||
    { echo "$0: --connections is 1..1000" >&2; exit 2; }
[ "$serial" -ge 1 ] && [ "$serial" -le 100000 ] ||
    { echo "$0: --serial is 1..100000" >&2; exit 2; }
if [ "$smoke" = 1 ]; then
    streams="10 50" duration=1 conns=4 serial=100
fi
phase streams || streams=""
# the added-latency phase stops after this long per kind of request
serial_time=$([ "$smoke" = 1 ] && echo 10 || echo 60)

. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/bench/lib.sh"
bench_need nginx gnuplot jq curl awk
bench_files_ok
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
rm -f "$out"/*.json "$out"/*.tsv "$out"/*.dat "$out"/*.png "$out"/results.md \
    "$out"/gnuplot.err "$out"/*.rss

# Each stream holds a client and an upstream socket in the router.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
maxfd=$(ulimit -n)
levels=""
for n in $streams; do
    if [ "$maxfd" != unlimited ] && [ $((2 * n + 200)) -gt "$maxfd" ]; then
        echo "# skipping $n streams: ulimit -n is $maxfd" >&2
        continue
    fi
    levels="$levels $n"
done

# Backends: slots for every stream, no load time in the measurements;
# "fast" answers at once (router cost dominates), "stream" emits a token
# every 50 ms (20 tokens/s, a busy real node) so the relay delay shows
# against a steady cadence. "instant" and "paced" are for the added
# latency: their prompts take under a microsecond, so the sim arms no
# timer that the event loop would round up to a millisecond (fast's 5 us
# prompt does) and a request's time is the paths' own; instant's tokens
# come all at once (a whole answer), paced's first token at once and the
# next a millisecond later, so the first chunk travels alone as it does
# from a real model.
nsims=$([ "$smoke" = 1 ] && echo 2 || echo 5)
cat >"$TEST_TMP/sim.ini" <<EOF
[server]
num_parallel = 1024
max_queue = 20000
max_loaded_models = 4
memory_gb = 64
load_gb_per_sec = 1000
[model.fast:1b]
size_gb = 1
tokens_per_sec = 1000000
prompt_tokens_per_sec = 1000000
[model.stream:1b]
size_gb = 1
tokens_per_sec = 20
prompt_tokens_per_sec = 1000000
[model.instant:1b]
size_gb = 1
tokens_per_sec = 1000000000
prompt_tokens_per_sec = 1000000000
[model.paced:1b]
size_gb = 1
tokens_per_sec = 1000
prompt_tokens_per_sec = 1000000000
EOF
direct="" nginx_up="" nodes=""
for i in $(seq 1 "$nsims"); do
    bench_sim "sim$i" --config "$TEST_TMP/sim.ini"
    direct="$direct 127.0.0.1:$port"
    nginx_up="$nginx_up 127.0.0.1:$port"
    nodes="$nodes
node = sim$i $url"
    for m in fast:1b stream:1b instant:1b paced:1b; do
        curl -s -m 30 -o /dev/null "$url/api/generate" \
            -d "{\"model\":\"$m\",\"prompt\":\"warm\",\"stream\":false}"
    done
done

cat >"$TEST_TMP/herd.ini" <<EOF
[router]
default_num_parallel = 1024
queue_max = 20000

[discovery.static]
interval = 1
$nodes
EOF
bench_herd herd "$TEST_TMP/herd.ini"
herd_url=$url herd_pid=$PID_herd
bench_nginx nginx $nginx_up
nginx_url=$url nginx_pid=$PID_nginx
first_sim=$(set -- $direct; echo "$1")
# The floor under any proxy's added latency on this machine: a forwarder
# that parses nothing, to the first sim (the added-latency phase only).
forward_url=""
if phase added; then
    start_listening forward "listening on 127\.0\.0\.1:@PORT@" \
        "$top_builddir/tests/bench/bench_forward" --listen @PORT@ \
        --to "$first_sim" || { echo "benchmark: bench_forward did not start" >&2; exit 1; }
    forward_url=$url
fi
target_of() {
    case $1 in
    direct) echo $direct ;;
    forward) echo "${forward_url#http://}" ;;
    nginx) echo "${nginx_url#http://}" ;;
    herd) echo "${herd_url#http://}" ;;
    esac
}
pids_of() {
    case $1 in
    nginx) bench_children "$nginx_pid" ;;
    herd) echo "$herd_pid" ;;
    esac
}
paths="direct nginx herd"
added_paths="direct forward nginx herd"
small='{"model":"fast:1b","stream":false,"messages":[{"role":"user","content":"Say hi in one word."}]}'
streamed='{"model":"stream:1b","messages":[{"role":"user","content":"Tell a short story."}],"options":{"num_predict":32}}'
instant='{"model":"instant:1b","stream":false,"messages":[{"role":"user","content":"Say hi in one word."}]}'
first_token='{"model":"paced:1b","messages":[{"role":"user","content":"Say hi in one word."}],"options":{"num_predict":2}}'
limit=$((duration * 3 + 120))

# 1. Added latency: what one request costs on each path with nothing else
# running. One keep-alive connection per path, one request at a time, the
# three paths in turn (each round starting one path further), so the
# machine's drift and the other work on its shared cores hit all three
# alike; herd - direct is then the router's own cost. Non-streaming chat
# (latency) and a streamed chat (time to first chunk). Direct goes to the
# first sim; herd and nginx spread over all of them (the sims are alike).
# CPU time in clock ticks (user + system) of processes, or of one thread
# with "PID/task/TID": the router's own cost per request, which moves less
# with the machine's other work than latency does.
cpu_ticks() {
    local t=0 f
    for f in "$@"; do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$f/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
# added_run PREFIX [taskset -c CPU]: the measurement above, results in
# $out/PREFIX-KIND-PATH.json; the load client runs under the given prefix.
added_run() {
    local pre=$1 kind body p t
    shift
    for kind in chat stream; do
        body=$instant
        [ "$kind" = stream ] && body=$first_token
        cpu0="$(cpu_ticks "$herd_pid/task/$herd_pid") $(cpu_ticks "$herd_pid")"
        cpu0="$cpu0 $(cpu_ticks $(pids_of nginx))"
        "$@" "$(bench_load_bin)" --alternate "$serial" --duration "$serial_time" \
            --warmup 20 --body "$body" --limit $((serial_time + 60)) \
            --out "$out/$pre-$kind.tsv" "$first_sim" \
            "$(target_of forward)" "$(target_of nginx)" "$(target_of herd)" \
            >"$TEST_TMP/$pre-$kind.jsonl" 2>>"$TEST_TMP/load.err" ||
            echo "# $pre latency ($kind): load client failed" >&2
        echo "$cpu0 $(cpu_ticks "$herd_pid/task/$herd_pid")" \
            "$(cpu_ticks "$herd_pid") $(cpu_ticks $(pids_of nginx))" \
            >"$TEST_TMP/$pre-$kind.cpu"
        for p in $added_paths; do
            t=$(target_of "$p")
            [ "$p" = direct ] && t=$first_sim
            jq -c --arg t "$t" 'select(.target == $t)' \
                "$TEST_TMP/$pre-$kind.jsonl" >"$out/$pre-$kind-$p.json"
        done
    done
}
# Every process of the benchmark (sims, forwarder, nginx, herd and the
# load client): their threads onto CPU list $1.
pin_all() {
    local pid
    for pid in $(for i in $(seq 1 "$nsims"); do eval "echo \$PID_sim$i"; done) \
        $PID_forward $(pids_of nginx) "$herd_pid"; do
        taskset -a -p -c "$1" "$pid" >/dev/null ||
            { echo "benchmark: cannot set the CPU affinity of $pid" >&2; return 1; }
    done
}
if phase added; then
    added_run added
    # 1b. The same on one CPU. Above, most hops wake a process on the
    # other CPU, and in a virtual machine that wake-up (an inter-processor
    # interrupt through the hypervisor) costs tens of microseconds: it is
    # most of what the forwarder adds. With every process on one CPU a hop
    # is a plain switch between processes, so what a path adds there is
    # its own work: the router's cost apart from the machine's.
    cpus=$(taskset -p -c $$ | sed 's/.*: *//')
    one_cpu=$(echo "$cpus" | sed 's/[,-].*//')
    if pin_all "$one_cpu"; then
        added_run added1 taskset -c "$one_cpu"
        pin_all "$cpus"
    fi
fi

# 2. Throughput at saturation (closed loop, keep-alive connections).
if phase saturation; then
    for p in $paths; do
        "$(bench_load_bin)" --closed "$conns" --duration "$duration" \
            --body "$small" --limit "$limit" $(target_of "$p") \
            >"$out/saturation-$p.json" 2>>"$TEST_TMP/load.err" ||
            echo "# saturation $p: load client failed" >&2
    done
fi
rps() { jq -r ".rps // 0" "$out/saturation-$1.json" 2>/dev/null || echo 0; }

# 3. Latency at a fixed rate: 40% of the slowest path's saturation, the
# same rate for all three (an open loop: queueing shows up as latency).
if phase fixed; then
    rate=$(for p in $paths; do rps "$p"; done | sort -g | head -1)
    rate=$(awk -v r="$rate" 'BEGIN { r = int(r * 0.4); print (r < 5 ? 5 : r) }')
    awk -v r="$rate" -v d="$duration" -v b="$small" 'BEGIN {
        n = r * d; for (i = 0; i < n; i++) printf "%.3f fixed /api/chat %s\n", i * 1000 / r, b }' \
        >"$TEST_TMP/fixed.sched"
    for p in $paths; do
        "$(bench_load_bin)" --schedule "$TEST_TMP/fixed.sched" --limit "$limit" \
            $(target_of "$p") >"$out/fixed-$p.json" 2>>"$TEST_TMP/load.err" ||
            echo "# fixed rate $p: load client failed" >&2
    done
fi

# 4. Streams: N at once, time to first chunk, gaps between chunks, and the
# router's memory while they run (sampled, plus the high-water mark).
for n in $levels; do
    awk -v n="$n" -v b="$streamed" 'BEGIN {
        for (i = 0; i < n; i++) printf "0 stream /api/chat %s\n", b }' \
        >"$TEST_TMP/streams-$n.sched"
    for p in $paths; do
        "$(bench_load_bin)" --schedule "$TEST_TMP/streams-$n.sched" \
            --limit 300 --timeout 120 --out "$out/streams-$n-$p.tsv" \
            $(target_of "$p") >"$out/streams-$n-$p.json" \
            2>>"$TEST_TMP/load.err" &
        load=$!
        peak=0 over0=$(bench_listen_overflows)
        while kill -0 "$load" 2>/dev/null; do
            if [ "$p" != direct ]; then
                set -- $(bench_rss_kb $(pids_of "$p"))
                [ "$1" -gt "$peak" ] && peak=$1
            fi
            sleep 0.1
        done
        wait "$load" || echo "# $n streams $p: load client failed" >&2
        hwm=0
        [ "$p" != direct ] && { set -- $(bench_rss_kb $(pids_of "$p")); hwm=$2; }
        echo "$peak $hwm $(($(bench_listen_overflows) - over0))" \
            >"$out/streams-$n-$p.rss"
    done
done

# 5. Scoring cost per request (the scoring engineer's benchmark).
scoring_bin=$top_builddir/tests/bench/scoring/bench_scoring
if ! phase scoring; then
    :
elif [ -x "$scoring_bin" ]; then
    if [ "$smoke" = 1 ]; then
        HERD_PLUGIN_PATH=$top_builddir/plugins/scoring "$scoring_bin" \
            >"$out/scoring.txt" 2>&1
    else
        HERD_PLUGIN_PATH=$top_builddir/plugins/scoring "$scoring_bin" --full \
            >"$out/scoring.txt" 2>&1
    fi
else
    echo "# $scoring_bin is not built" >"$out/scoring.txt"
fi

# herd must have stayed healthy through all of it.
kill -TERM "$herd_pid" 2>/dev/null
wait "$herd_pid"
herd_rc=$?
sanitizer=$(grep -Ec 'Sanitizer|runtime error' "$TEST_TMP/herd.log")
cp "$TEST_TMP/herd.log" "$out/herd.log"
[ -s "$TEST_TMP/load.err" ] && cp "$TEST_TMP/load.err" "$out/load.err"

# ---- tables ----
j() {
    local v
    v=$(jq -r "$2 // 0" "$out/$1.json" 2>/dev/null)
    echo "${v:-0}"
}
# microseconds from bench_load's milliseconds
us() { awk -v m="$1" 'BEGIN { printf "%.0f\n", m * 1000 }'; }
# dus A B: A - B (milliseconds) in signed microseconds
dus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.0f\n", (a - b) * 1000 }'; }
# added latency: chat end to end and stream time to first chunk, in us
added_field() { [ "$1" = chat ] && echo lat || echo ttfc; }
if phase added; then
    for pre in added added1; do
        [ -s "$out/$pre-chat-herd.json" ] || continue
        {
            printf 'path\tchat_p50\tchat_p99\tchat_mean\tttfc_p50\tttfc_p99\tttfc_mean\n'
            for p in $added_paths; do
                printf '%s' "$p"
                for kind in chat stream; do
                    f=$(added_field "$kind")
                    printf '\t%s\t%s\t%s' "$(us "$(j "$pre-$kind-$p" ".${f}_p50")")" \
                        "$(us "$(j "$pre-$kind-$p" ".${f}_p99")")" \
                        "$(us "$(j "$pre-$kind-$p" ".${f}_mean")")"
                done
                printf '\n'
            done
        } >"$out/$pre.dat"
    done
    # microseconds of CPU per request: herd's loop thread, herd's whole
    # process (its storage thread writes each request's trace), nginx
    hz=$(getconf CLK_TCK)
    {
        printf 'kind\therd_loop_us\therd_process_us\tnginx_us\n'
        for kind in chat stream; do
            read -r l0 h0 n0 l1 h1 n1 <"$TEST_TMP/added-$kind.cpu"
            awk -v k="$kind" -v hz="$hz" -v nh="$(j "added-$kind-herd" .requests)" \
                -v nn="$(j "added-$kind-nginx" .requests)" \
                -v l=$((l1 - l0)) -v h=$((h1 - h0)) -v n=$((n1 - n0)) 'BEGIN {
                    f = 1e6 / hz
                    printf "%s\t%.0f\t%.0f\t%.0f\n", k, nh ? l * f / nh : 0,
                        nh ? h * f / nh : 0, nn ? n * f / nn : 0 }'
        done
    } >"$out/added_cpu.dat"
fi
if phase saturation; then
    {
        printf 'path\trps\n'
        for p in $paths; do printf '%s\t%s\n' "$p" "$(rps "$p")"; done
    } >"$out/saturation.dat"
fi
if phase fixed; then
    {
        printf 'path\tp50\tp99\n'
        for p in $paths; do
            printf '%s\t%s\t%s\n' "$p" "$(j "fixed-$p" .lat_p50)" \
                "$(j "fixed-$p" .lat_p99)"
        done
    } >"$out/fixed.dat"
fi
{
    printf 'streams'
    for p in $paths; do
        printf '\t%s_ttfc50\t%s_ttfc99\t%s_gap\t%s_gap99\t%s_rss\t%s_failed' \
            "$p" "$p" "$p" "$p" "$p" "$p"
        printf '\t%s_delay50\t%s_delay99\t%s_overflows' "$p" "$p" "$p"
    done
    printf '\n'
    for n in $levels; do
        printf '%s' "$n"
        for p in $paths; do
            read -r peak hwm over <"$out/streams-$n-$p.rss"
            printf '\t%s\t%s\t%s\t%s\t%s\t%s' "$(j "streams-$n-$p" .ttfc_p50)" \
                "$(j "streams-$n-$p" .ttfc_p99)" "$(j "streams-$n-$p" .gap_mean)" \
                "$(j "streams-$n-$p" .gap_p99)" \
                "$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')" \
                "$(j "streams-$n-$p" .failed)"
            printf '\t%s\t%s\t%s' "$(j "streams-$n-$p" .delay_p50)" \
                "$(j "streams-$n-$p" .delay_p99)" "$over"
        done
        printf '\n'
    done
} >"$out/streams.dat"
# the --full table ("nodes eligible rounds us/request ns/node"), or the
# smoke run's TAP lines ("ok 1 - 10 nodes: 6 eligible, 3.10 us per ...")
[ -f "$out/scoring.txt" ] && awk '/^[0-9]/ && NF >= 5 { print $1 "\t" $4 }
    /^ok .* nodes: .* us per request/ {
        for (i = 1; i < NF; i++) {
            if ($(i + 1) == "nodes:") n = $i
            if ($(i + 1) == "us") us = $i
        }
        print n "\t" us }' "$out/scoring.txt" >"$out/scoring.dat"

# ---- plots ----
plot() { gnuplot -e "set terminal pngcairo size 800,480 font 'sans,10'" \
    -e "set output '$out/$1.png'" -e "$2" 2>>"$out/gnuplot.err"; }
phase added && plot added_latency "set title 'One request at a time: chat latency and stream time to first chunk';
set ylabel 'microseconds (log scale)'; set style data histograms;
set style histogram clustered; set style fill solid 0.6; set logscale y;
set yrange [10:*]; set grid ytics; set key outside bottom center horizontal;
plot '$out/added.dat' skip 1 using 2:xtic(1) title 'chat p50', '' skip 1 using 3 title 'chat p99', \
    '' skip 1 using 5 title 'first chunk p50', '' skip 1 using 6 title 'first chunk p99'"
phase saturation && plot throughput "set title 'Non-streaming chat at saturation ($conns connections)';
set ylabel 'requests/s'; set style fill solid 0.6; set boxwidth 0.6;
set yrange [0:*]; set grid ytics; unset key;
plot '$out/saturation.dat' skip 1 using 0:2:xtic(1) with boxes lc rgb '#4477aa'"
phase fixed && plot latency "set title 'Latency at a fixed $rate requests/s';
set ylabel 'ms'; set style data histograms; set style histogram clustered;
set style fill solid 0.6; set yrange [0:*]; set grid ytics; set key top left;
set key autotitle columnhead;
plot '$out/fixed.dat' using 2:xtic(1) title 'p50', '' using 3 title 'p99'"
if [ -n "$levels" ]; then
    plot streams_ttfc "set title 'Time to first chunk, N concurrent streams';
set xlabel 'concurrent streams'; set ylabel 'ms'; set logscale x; set grid;
set key top left;
plot for [i=0:2] '$out/streams.dat' skip 1 using 1:(column(2+9*i)) with linespoints lc i+1 \
    title word('direct nginx herd', i+1).' p50', \
    for [i=0:2] '' skip 1 using 1:(column(3+9*i)) with linespoints lc i+1 dt 2 \
    title word('direct nginx herd', i+1).' p99'"
    plot streams_gap "set title 'Mean gap between chunks (the sim emits one every 50 ms)';
set xlabel 'concurrent streams'; set ylabel 'ms'; set logscale x; set grid;
set key top left;
plot for [i=0:2] '$out/streams.dat' skip 1 using 1:(column(4+9*i)) with linespoints lc i+1 \
    title word('direct nginx herd', i+1).' mean', \
    for [i=0:2] '' skip 1 using 1:(column(5+9*i)) with linespoints lc i+1 dt 2 \
    title word('direct nginx herd', i+1).' p99 of stream means'"
    plot streams_relay "set title 'Relay delay per chunk: arrival minus created_at stamped by the sim' noenhanced;
set xlabel 'concurrent streams'; set ylabel 'ms'; set logscale xy; set grid;
set key top left;
plot for [i=0:2] '$out/streams.dat' skip 1 using 1:(column(8+9*i)) with linespoints lc i+1 \
    title word('direct nginx herd', i+1).' p50', \
    for [i=0:2] '' skip 1 using 1:(column(9+9*i)) with linespoints lc i+1 dt 2 \
    title word('direct nginx herd', i+1).' p99'"
    plot streams_rss "set title 'Router resident memory while N streams run';
set xlabel 'concurrent streams'; set ylabel 'MiB (peak VmRSS)'; set logscale x;
set grid; set yrange [0:*]; set key top left;
plot '$out/streams.dat' skip 1 using 1:15 with linespoints lc 2 title 'nginx (master + worker)', \
    '' skip 1 using 1:24 with linespoints lc 3 title 'herd'"
fi
if [ -s "$out/scoring.dat" ]; then
    plot scoring "set title 'Scoring one request, eight signals';
set xlabel 'registered nodes'; set ylabel 'microseconds per request';
set logscale xy; set grid; unset key;
plot '$out/scoring.dat' using 1:2 with linespoints lw 2"
fi

# ---- results.md ----
r2() { bench_ratio "$1" "$2"; }
# added_table PREFIX: the latencies of each path, from PREFIX.dat
added_table() {
    local p
    echo "| path | chat p50 | chat p99 | chat mean | first chunk p50 | p99 | mean | failed |"
    echo "|---|---|---|---|---|---|---|---|"
    for p in $added_paths; do
        echo "| $p | $(awk -F'\t' -v p="$p" '$1 == p { print $2 " | " $3 " | " $4 " | " $5 " | " $6 " | " $7 }' "$out/$1.dat") |" \
            "$(($(j "$1-chat-$p" .failed) + $(j "$1-stream-$p" .failed))) |"
    done
}
# added_lines PREFIX: each router's added latency over direct
added_lines() {
    local p
    for p in herd nginx forward; do
        echo "- $p - direct: chat p50" \
            "$(dus "$(j "$1-chat-$p" .lat_p50)" "$(j "$1-chat-direct" .lat_p50)") us," \
            "p99 $(dus "$(j "$1-chat-$p" .lat_p99)" "$(j "$1-chat-direct" .lat_p99)") us;" \
            "first chunk p50" \
            "$(dus "$(j "$1-stream-$p" .ttfc_p50)" "$(j "$1-stream-direct" .ttfc_p50)") us," \
            "p99 $(dus "$(j "$1-stream-$p" .ttfc_p99)" "$(j "$1-stream-direct" .ttfc_p99)") us"
    done
}
col() { awk -v n="$1" -v c="$2" -F'\t' '$1 == n { print $c }' "$out/streams.dat"; }
{
    echo "# herd overhead benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(bench_hostinfo)"
    echo "- command: \`tests/bench/overhead/run.sh --out $out$([ "$smoke" = 1 ] && echo ' --smoke')\`" \
        "(or \`make bench-overhead\`)"
    echo "- herd $("$(herd_bin)" --version 2>/dev/null | head -1), nginx $(nginx -v 2>&1 | sed 's/.*\///')," \
        "$nsims herd-sim backends, load client tests/bench/bench_load"
    echo "- herd exit status after SIGTERM: $herd_rc; sanitizer reports: $sanitizer"
    echo
    echo "Ratios compare paths measured in this run; on 2 shared cores the"
    echo "client, the router and the sims compete for CPU, so absolute"
    echo "numbers move between runs more than the ratios do."
    echo
    if phase added; then
        echo "## Added latency, one request at a time"
        echo
        echo "One keep-alive connection per path, one request in flight, the"
        echo "four paths in turn ($(j added-chat-herd .requests) requests per path and kind"
        echo "after 20 warm-up rounds): what a request costs on each path without"
        echo "contention. Microseconds; chat is the whole non-streaming answer,"
        echo "first chunk the first chunk of a streamed chat. forward is a TCP"
        echo "forwarder that parses nothing (tests/bench/bench_forward.c): what it"
        echo "adds is the cost of two more loopback hops on this machine, the floor"
        echo "under any proxy's added latency."
        echo
        added_table added
        echo
        cpu() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { print $c }' "$out/added_cpu.dat"; }
        echo "- CPU per request (/proc, over this phase): herd's loop thread" \
            "$(cpu chat 2) us for a chat, $(cpu stream 2) us for a stream (whole" \
            "process with the storage thread $(cpu chat 3) and $(cpu stream 3) us);" \
            "nginx $(cpu chat 4) and $(cpu stream 4) us"
        added_lines added
        echo
        if [ -s "$out/added1.dat" ]; then
            echo "## Added latency on one CPU"
            echo
            echo "The same requests with every process of the benchmark on CPU"
            echo "$one_cpu. Above, a hop usually wakes a process on the other CPU,"
            echo "which a virtual machine pays for with an interrupt through the"
            echo "hypervisor: tens of microseconds, most of what the forwarder adds."
            echo "Here a hop is a switch between processes on one CPU, so what a"
            echo "path adds is its own work, apart from the machine's wake-ups."
            echo
            added_table added1
            echo
            added_lines added1
            echo
        fi
    fi
    if phase saturation; then
        echo "## Non-streaming chat"
        echo
        if phase fixed; then
            echo "| path | req/s at saturation ($conns conns, ${duration} s) | p50 ms at $rate req/s | p99 ms | failed |"
            echo "|---|---|---|---|---|"
            for p in $paths; do
                echo "| $p | $(rps "$p") | $(j "fixed-$p" .lat_p50) | $(j "fixed-$p" .lat_p99) |" \
                    "$(($(j "saturation-$p" .failed) + $(j "fixed-$p" .failed))) |"
            done
        else
            echo "| path | req/s at saturation ($conns conns, ${duration} s) | p50 ms | p99 ms | failed |"
            echo "|---|---|---|---|---|"
            for p in $paths; do
                echo "| $p | $(rps "$p") | $(j "saturation-$p" .lat_p50) |" \
                    "$(j "saturation-$p" .lat_p99) | $(j "saturation-$p" .failed) |"
            done
        fi
        echo
        echo "- throughput herd/direct $(r2 "$(rps herd)" "$(rps direct)")," \
            "herd/nginx $(r2 "$(rps herd)" "$(rps nginx)")"
    fi
    if phase fixed; then
        echo "- added latency at $rate req/s (herd - direct): p50" \
            "$(bench_diff "$(j fixed-herd .lat_p50)" "$(j fixed-direct .lat_p50)") ms," \
            "p99 $(bench_diff "$(j fixed-herd .lat_p99)" "$(j fixed-direct .lat_p99)") ms;" \
            "nginx - direct: p50" \
            "$(bench_diff "$(j fixed-nginx .lat_p50)" "$(j fixed-direct .lat_p50)") ms," \
            "p99 $(bench_diff "$(j fixed-nginx .lat_p99)" "$(j fixed-direct .lat_p99)") ms"
        echo "- p50 latency herd/direct $(r2 "$(j fixed-herd .lat_p50)" "$(j fixed-direct .lat_p50)")," \
            "herd/nginx $(r2 "$(j fixed-herd .lat_p50)" "$(j fixed-nginx .lat_p50)")"
        echo
    fi
    if [ -n "$levels" ]; then
        echo "## Streaming (32 chunks per stream, one every 50 ms at the sim)"
        echo
        echo "| streams | path | TTFC p50 ms | TTFC p99 ms | chunk gap mean ms | gap p99 ms | chunk delay p50 ms | p99 ms | router RSS MiB | listen overflows | failed |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|"
        for n in $levels; do
            i=0
            for p in $paths; do
                b=$((2 + 9 * i))
                rss=$(col "$n" $((b + 4)))
                [ "$p" = direct ] && rss=-
                echo "| $n | $p | $(col "$n" "$b") | $(col "$n" $((b + 1))) |" \
                    "$(col "$n" $((b + 2))) | $(col "$n" $((b + 3))) |" \
                    "$(col "$n" $((b + 6))) | $(col "$n" $((b + 7))) | $rss |" \
                    "$(col "$n" $((b + 8))) | $(col "$n" $((b + 5))) |"
                i=$((i + 1))
            done
        done
        echo
        echo "| streams | TTFC p50 herd-direct ms | herd/direct | herd/nginx | chunk delay p50 herd-direct ms | p99 herd-direct ms | p50 herd/nginx | RSS herd/nginx |"
        echo "|---|---|---|---|---|---|---|---|"
        for n in $levels; do
            echo "| $n | $(bench_diff "$(col "$n" 20)" "$(col "$n" 2)") |" \
                "$(r2 "$(col "$n" 20)" "$(col "$n" 2)") | $(r2 "$(col "$n" 20)" "$(col "$n" 11)") |" \
                "$(bench_diff "$(col "$n" 26)" "$(col "$n" 8)") |" \
                "$(bench_diff "$(col "$n" 27)" "$(col "$n" 9)") |" \
                "$(r2 "$(col "$n" 26)" "$(col "$n" 17)") | $(r2 "$(col "$n" 24)" "$(col "$n" 15)") |"
        done
        echo
        echo "Chunk delay: each chunk's arrival at the client minus the created_at"
        echo "the sim stamped on it (one clock): the relay delay per chunk."
        echo "Listen overflows: the kernel's TcpExtListenOverflows while the level"
        echo "ran (connections whose SYN was dropped by a full accept backlog and"
        echo "retried a second later; machine-wide, so other work may add some)."
        echo "Router RSS is the peak VmRSS sampled every 0.1 s while the level ran;"
        echo "herd's VmHWM over the whole run: $(awk '{ printf "%.1f", $2 / 1024 }' \
            "$out/streams-$(echo $levels | awk '{ print $NF }')-herd.rss") MiB."
        echo
    fi
    if phase scoring; then
        echo "## Scoring cost per request"
        echo
        echo '```'
        cat "$out/scoring.txt"
        echo '```'
        echo
    fi
    echo "## Plots"
    echo
    for f in added_latency throughput latency streams_ttfc streams_gap streams_relay \
        streams_rss scoring; do
        [ -f "$out/$f.png" ] && echo "![$f]($f.png)"
    done
} >"$out/results.md"
echo "overhead: results in $out/results.md"
[ "$herd_rc" = 0 ] && [ "$sanitizer" = 0 ]
