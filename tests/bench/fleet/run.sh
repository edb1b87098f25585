#!/usr/bin/env bash
# Scheduling quality: one heterogeneous fleet of herd-sims, the same
# workloads (same seed, same requests) sent through five policies -- herd's
# default scoring; herd_seven (herd with completion_time disabled: the
# reference's seven signals only); round_robin, random and
# least_connections (benchmark scoring plugins under tests/bench/policies,
# loaded into the same herd with herd's signals disabled); and nginx least_conn in front
# of the same sims. Every run starts from fresh, cold sims. Writes
# results.md, the raw data and PNG plots to --out.
#
#   run.sh --out DIR [--smoke] [--workloads "steady burst multiturn switch
#          dies"] [--policies "herd herd_seven round_robin random
#          least_connections nginx"] [--duration S] [--rate R] [--seed N] [--time-scale F]
#          [--victim gpu|mac|laptop|cpu]
#
# See doc/benchmarks.md. Loopback only; every run is bounded in time.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../../.." && pwd)}"
: "${top_builddir:=$PWD}"
out="" smoke=0 seed=42 duration=60 rate=4 scale=0.1 victim=mac
workloads="steady burst multiturn switch dies"
policies="herd round_robin random least_connections nginx"

usage() {
    echo "usage: $0 --out DIR [--smoke] [--workloads \"W...\"]" \
        "[--policies \"P...\"] [--duration S] [--rate R] [--seed N]" \
        "[--time-scale F] [--victim NODE]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=${2-}; shift ;;
    --smoke) smoke=1 ;;
    --workloads) workloads=${2-}; shift ;;
    --policies) policies=${2-}; shift ;;
    --duration) duration=${2-}; shift ;;
    --rate) rate=${2-}; shift ;;
    --seed) seed=${2-}; shift ;;
    --time-scale) scale=${2-}; shift ;;
    --victim) victim=${2-}; shift ;;
    *) usage ;;
    esac
    shift || usage
done
[ -n "$out" ] || usage
for w in $workloads; do
    case $w in steady | burst | multiturn | switch | dies) ;;
    *) echo "$0: unknown workload '$w'" >&2; exit 2 ;; esac
done
for p in $policies; do
    case $p in herd | herd_seven | round_robin | random | least_connections | nginx) ;;
    *) echo "$0: unknown policy '$p'" >&2; exit 2 ;; esac
done
case $victim in gpu | mac | laptop | cpu) ;;
*) echo "$0: --victim is one of gpu, mac, laptop, cpu" >&2; exit 2 ;; esac
num() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {
    exit !(v ~ /^[0-9]+(\.[0-9]+)?$/ && v + 0 >= lo && v + 0 <= hi) }'; }
num "$duration" 1 600 || { echo "$0: --duration is 1..600 seconds" >&2; exit 2; }
num "$rate" 0.1 200 || { echo "$0: --rate is 0.1..200 requests/s" >&2; exit 2; }
num "$seed" 0 2147483647 || { echo "$0: --seed is a whole number" >&2; exit 2; }
num "$scale" 0.001 10 || { echo "$0: --time-scale is 0.001..10" >&2; exit 2; }
if [ "$smoke" = 1 ]; then
    duration=4 rate=3 scale=0.02 workloads="steady dies"
fi

. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/bench/lib.sh"
bench_need nginx gnuplot jq curl awk
bench_files_ok
for p in round_robin random least_connections; do
    case " $policies " in *" $p "*) ;; *) continue ;; esac
    [ -e "$(bench_policy_dir)/$p.la" ] || {
        echo "$0: $(bench_policy_dir)/$p.la is not built (make check" \
            "builds it)" >&2
        exit 2
    }
done
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
rm -f "$out"/*.json "$out"/*.tsv "$out"/*.dat "$out"/*.png "$out"/results.md \
    "$out"/*.sched "$out"/*.sims "$out"/*.names "$out"/gnuplot.err

# The fleet. Token rates fall with model size and memory bandwidth; load
# time is size / load_gb_per_sec; everything runs --time-scale faster.
#   name   memory slots loaded load_GB/s bandwidth cores prompt_tok/s
nodes="gpu laptop mac cpu"
node_spec() {
    case $1 in
    gpu) echo "24 4 2 3.0 900 16 3000" ;;    # fast GPU box, little memory
    mac) echo "128 4 4 2.0 400 16 600" ;;    # big unified memory
    laptop) echo "16 2 2 1.0 100 8 200" ;;   # slow laptop
    cpu) echo "256 4 4 1.5 80 32 120" ;;     # CPU server, lots of RAM
    esac
}
# model size_GB, then tokens/s on gpu mac laptop cpu (0: not installed)
models="llama3.2:3b llama3.1:8b qwen2.5:32b llama3.1:70b"
model_spec() {
    case $1 in
    llama3.2:3b) echo "2.0 150 90 30 20" ;;
    llama3.1:8b) echo "4.9 110 55 14 10" ;;
    qwen2.5:32b) echo "19 35 18 0 3" ;;
    llama3.1:70b) echo "40 0 8 0 1.5" ;;
    esac
}
node_col() { case $1 in gpu) echo 2 ;; mac) echo 3 ;; laptop) echo 4 ;; cpu) echo 5 ;; esac; }
for n in $nodes; do
    set -- $(node_spec "$n")
    {
        echo "[server]"
        echo "memory_gb = $1"
        echo "num_parallel = $2"
        echo "max_loaded_models = $3"
        echo "load_gb_per_sec = $4"
        echo "prompt_tokens_per_sec = $7"
        echo "time_scale = $scale"
        echo "response_tokens = 64"
        echo "seed = $seed"
        for m in $models; do
            set -- $(model_spec "$m")
            tps=$(eval echo "\${$(node_col "$n")}")
            [ "$tps" = 0 ] && continue
            printf '[model.%s]\nsize_gb = %s\ntokens_per_sec = %s\n' "$m" "$1" "$tps"
        done
        printf '[model.nomic-embed-text]\nsize_gb = 0.27\nembedding_length = 768\n'
    } >"$TEST_TMP/sim-$n.ini"
done

# herd-node would report the simulated machine: a heartbeat built from the
# sim's own state every second (memory in use from the loaded models).
beat() { # beat NODE SIM_URL ROUTER_URL
    local st
    set -- "$1" "$2" "$3" $(node_spec "$1")
    st=$(curl -s -m 2 "$2/sim/state") || return 1
    jq -nc --arg id "$1" --arg host "$2" --argjson total "$4" \
        --argjson slots "$5" --argjson bw "$8" --argjson cores "$9" \
        --argjson st "$st" '
        ($st.server.memory_used / 1073741824) as $used |
        {node_id: $id, ollama_host: $host, num_parallel: $slots,
         cpu: {cores_physical: $cores, utilization_pct: 20},
         memory: {total_gb: $total, used_gb: $used,
                  available_gb: ($total - $used),
                  pressure: (if $used > 0.9 * $total then "warn"
                             else "normal" end)},
         memory_bandwidth_gbps: $bw,
         ollama: {models_loaded: [$st.models[] | select(.loaded) |
                      {name, context_length, size_gb: (.size / 1073741824)}],
                  models_available: [$st.models[].name]}}' |
        curl -s -m 2 -o /dev/null -X POST -H 'Content-Type: application/json' \
            --data-binary @- "$3/heartbeat"
}
beat_loop() { # beat_loop NODE SIM_URL ROUTER_URL END_EPOCH
    while [ "$(date +%s)" -lt "$4" ]; do
        beat "$1" "$2" "$3"
        sleep 1
    done
}

# sim_totals URL: "loads reloads cache_hits" summed over the sim's models.
sim_totals() {
    curl -s -m 5 "$1/sim/state" |
        jq -r '[([.models[].loads] | add), ([.models[].reloads] | add),
            ([.models[].prompt_cache_hits] | add)] | join(" ")'
}

stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# One run: workload $1 through policy $2. Writes $out/$1-$2.{tsv,json,sims}.
run_one() {
    local w=$1 p=$2 n sched="$out/$w.sched" target end rc
    local -A url_of pid_of
    local names=""
    for n in $nodes; do
        bench_sim "sim_${w}_${p}_$n" --config "$TEST_TMP/sim-$n.ini"
        eval "pid_of[$n]=\$PID_sim_${w}_${p}_$n"
        url_of[$n]=$url
        names="$names ${url#http://}=$n"
    done
    end=$(($(date +%s) + ${duration%.*} * 3 + 150))
    local hb_pids="" router_pid=""
    if [ "$p" = nginx ]; then
        BENCH_NGINX_EXTRA="proxy_next_upstream error timeout http_404 http_502 http_503 non_idempotent; proxy_next_upstream_tries 4;" \
            bench_nginx "nginx_$w" $(for n in $nodes; do echo "${url_of[$n]#http://}"; done)
        eval "router_pid=\$PID_nginx_$w"
    else
        {
            echo "[router]"
            echo "heartbeat_interval = 1"
            echo "heartbeat_timeout = 3"
            echo "heartbeat_offline = 6"
            case $p in
            herd) ;;
            herd_seven) printf '[scoring.completion_time]\nenabled = false\n' ;;
            *)
                for s in thermal memory_fit queue_depth wait_time \
                    role_affinity availability_trend context_fit \
                    completion_time; do
                    printf '[scoring.%s]\nenabled = false\n' "$s"
                done
                echo "[scoring.$p]"
                [ "$p" = random ] && echo "seed = $seed"
                ;;
            esac
        } >"$TEST_TMP/herd-$w-$p.ini"
        local extra=()
        case $p in herd | herd_seven) ;;
        *) extra=(--plugin-dir "$(bench_policy_dir)") ;; esac
        start_listening "herd_${w}_$p" "listening on 127\.0\.0\.1:@PORT@" \
            "$(herd_bin)" --host 127.0.0.1 --port @PORT@ \
            --config "$TEST_TMP/herd-$w-$p.ini" --data-dir "$TEST_TMP/data-$w-$p" \
            --log-level info "${extra[@]}" || {
            echo "fleet: herd did not start for $p" >&2
            tail -5 "$TEST_TMP/herd_${w}_$p.log" >&2
            exit 1
        }
        local router=$url
        eval "router_pid=\$PID_herd_${w}_$p"
        for n in $nodes; do
            beat_loop "$n" "${url_of[$n]}" "$router" "$end" &
            hb_pids="$hb_pids $!"
        done
        fleet_up() {
            [ "$(curl -s -m 2 "$router/fleet/status" |
                jq '[.nodes[] | select(.status == "online")] | length')" = 4 ]
        }
        wait_for 20 fleet_up || { echo "fleet: nodes not online ($p)" >&2; exit 1; }
    fi
    target=${url#http://}
    # the node that dies (--victim), half way through
    local killer="" dead=""
    if [ "$w" = dies ]; then
        dead=$victim
        (
            sleep "$(awk -v d="$duration" 'BEGIN { print d / 2 }')"
            sim_totals "${url_of[$dead]}" >"$out/$w-$p.victim"
            kill -9 "${pid_of[$dead]}"
        ) &
        killer=$!
    fi
    "$(bench_load_bin)" --schedule "$sched" --timeout 120 \
        --limit $((${duration%.*} * 3 + 120)) --out "$out/$w-$p.tsv" "$target" \
        >"$out/$w-$p.json" 2>>"$TEST_TMP/load.err"
    rc=$?
    [ -n "$killer" ] && wait "$killer"
    : >"$out/$w-$p.sims"
    for n in $nodes; do
        if [ "$n" = "$dead" ]; then
            echo "$n $(cat "$out/$w-$p.victim" 2>/dev/null || echo '0 0 0')" >>"$out/$w-$p.sims"
        else
            echo "$n $(sim_totals "${url_of[$n]}")" >>"$out/$w-$p.sims"
        fi
    done
    rm -f "$out/$w-$p.victim"
    # nginx names upstreams by address
    printf '%s\n' $names >"$out/$w-$p.names"
    for pid in $hb_pids; do stop_pid "$pid"; done
    [ -n "$router_pid" ] && stop_pid "$router_pid"
    for n in $nodes; do stop_pid "${pid_of[$n]}"; done
    [ "$rc" = 0 ] || echo "# $w/$p: the load client hit its time limit" >&2
}

for w in $workloads; do
    awk -v kind="$w" -v seed="$seed" -v dur="$duration" -v rate="$rate" \
        -f "$here/workload.awk" | sort -s -g -k1,1 >"$out/$w.sched" || exit 1
    for p in $policies; do
        echo "# fleet: $w through $p" >&2
        run_one "$w" "$p"
    done
done

# ---- metrics of one run, from its TSV, JSON and sim totals ----
# prints: mean p95 p99 ttft_mean ttft_p95 ttft_p99 rps cold reloads failed
#         maxload minload
metrics() {
    local f=$out/$1-$2
    awk -F'\t' -v names="$f.names" -v sims="$f.sims" '
    function pct(a, n, p,   k) { if (n == 0) return 0
        k = int(p / 100 * n + 0.999999); if (k < 1) k = 1; if (k > n) k = n
        return a[k] }
    function sort(a, n,   i, j, t) { # shell sort: a few thousand values
        for (g = int(n / 2); g > 0; g = int(g / 2))
            for (i = g + 1; i <= n; i++) {
                t = a[i]
                for (j = i; j > g && a[j - g] > t; j -= g) a[j] = a[j - g]
                a[j] = t } }
    BEGIN {
        while ((getline l < names) > 0) { split(l, kv, "="); name[kv[1]] = kv[2] }
        while ((getline l < sims) > 0) { split(l, s, " "); cold += s[2]
            rel += s[3]; hits += s[4]; load[s[1]] = 0 }
    }
    /^#/ { next }
    { total++
      if ($11 in name) $11 = name[$11]
      if ($5 != 1) { failed++; next }
      n++; lat[n] = $7; lsum += $7
      if ($1 !~ /:embed$/) { m++; tt[m] = $6; tsum += $6 }
      if ($2 + $7 > end) end = $2 + $7
      load[$11]++ }
    END {
        sort(lat, n); sort(tt, m)
        max = -1; min = -1
        for (k in load) { if (max < 0 || load[k] > max) max = load[k]
                          if (min < 0 || load[k] < min) min = load[k] }
        printf "%.0f %.0f %.0f %.0f %.0f %.0f %.2f %d %d %d %d %d %d\n",
            n ? lsum / n : 0, pct(lat, n, 95), pct(lat, n, 99),
            m ? tsum / m : 0, pct(tt, m, 95), pct(tt, m, 99),
            (end > 0 ? n / (end / 1000) : 0), cold, rel, failed + 0, max, min,
            hits
    }' "$f.tsv"
}
for w in $workloads; do
    {
        printf 'policy\tmean\tp95\tp99\tttft_mean\tttft_p95\tttft_p99\trps\tcold\treloads\tfailed\tmaxload\tminload\tcache_hits\n'
        for p in $policies; do
            printf '%s\t%s\n' "$p" "$(metrics "$w" "$p" | tr ' ' '\t')"
        done
    } >"$out/$w.dat"
done

# ---- plots ----
plot() { gnuplot -e "set terminal pngcairo size 900,480 font 'sans,10'" \
    -e "set output '$out/$1.png'" -e "$2" 2>>"$out/gnuplot.err"; }
for w in $workloads; do
    plot "latency_$w" "set title 'Workload $w: end-to-end latency and time to first token (time scale $scale)';
set ylabel 'ms'; set style data histograms; set style histogram clustered gap 1;
set style fill solid 0.7; set yrange [0:*]; set grid ytics; set key top left;
set xtics noenhanced; set key autotitle columnhead;
plot '$out/$w.dat' using 2:xtic(1) title 'mean', '' using 3 title 'p95', \
    '' using 4 title 'p99', '' using 5 title 'TTFT mean', \
    '' using 6 title 'TTFT p95'"
done
{
    printf 'workload'
    for p in $policies; do printf '\t%s' "$p"; done
    printf '\n'
    for w in $workloads; do
        printf '%s' "$w"
        for p in $policies; do
            printf '\t%s' "$(awk -F'\t' -v p="$p" '$1 == p { print $9 }' "$out/$w.dat")"
        done
        printf '\n'
    done
} >"$out/cold.dat"
np=$(echo $policies | wc -w)
plot cold_loads "set title 'Model loads (cold starts) per workload and policy';
set ylabel 'loads, all sims'; set style data histograms;
set style histogram clustered gap 1; set style fill solid 0.7; set yrange [0:*];
set grid ytics; set key top left noenhanced;
plot for [i=2:$((np + 1))] '$out/cold.dat' using i:xtic(1) title columnheader(i)"
first=$(echo $workloads | awk '{ print $1 }')
{
    printf 'node'
    for p in $policies; do printf '\t%s' "$p"; done
    printf '\n'
    for n in $nodes; do
        printf '%s' "$n"
        for p in $policies; do
            printf '\t%s' "$(awk -F'\t' -v n="$n" 'FILENAME ~ /names$/ {
                split($0, kv, "="); name[kv[1]] = kv[2]; next }
                /^#/ { next } $5 == 1 { x = ($11 in name) ? name[$11] : $11
                if (x == n) c++ } END { print c + 0 }' \
                "$out/$first-$p.names" "$out/$first-$p.tsv")"
        done
        printf '\n'
    done
} >"$out/nodes_$first.dat"
plot "nodes_$first" "set title 'Workload $first: requests completed per node';
set ylabel 'requests'; set style data histograms;
set style histogram clustered gap 1; set style fill solid 0.7; set yrange [0:*];
set grid ytics; set key top right noenhanced;
plot for [i=2:$((np + 1))] '$out/nodes_$first.dat' using i:xtic(1) title columnheader(i)"

# ---- results.md ----
{
    echo "# herd scheduling benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(bench_hostinfo)"
    echo "- command: \`tests/bench/fleet/run.sh --out $out$([ "$smoke" = 1 ] && echo ' --smoke')\`" \
        "(or \`make bench-fleet\`); seed $seed, $duration s per run at $rate req/s," \
        "time scale $scale (every simulated delay x $scale)"
    echo "- nginx $(nginx -v 2>&1 | sed 's/.*\///') least_conn, upstream keep-alive, retrying the next" \
        "sim on errors and 404 (a sim without the model)"
    echo
    echo "## Fleet"
    echo
    echo "| node | memory GB | slots/model | models at once | load GB/s | bandwidth GB/s | 3B | 8B | 32B | 70B tok/s |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for n in $nodes; do
        set -- $(node_spec "$n")
        row="| $n | $1 | $2 | $3 | $4 | $5 |"
        for m in $models; do
            set -- $(model_spec "$m")
            v=$(eval echo "\${$(node_col "$n")}")
            row="$row $([ "$v" = 0 ] && echo - || echo "$v") |"
        done
        echo "$row"
    done
    echo
    echo "Every node also has nomic-embed-text (0.27 GB). Sizes: 3B 2.0 GB, 8B"
    echo "4.9 GB, 32B 19 GB, 70B 40 GB; answers of up to 64 tokens."
    echo "Latencies are wall-clock ms at time scale $scale (divide by $scale"
    echo "for the simulated fleet's seconds). Cold loads and reloads come from"
    echo "each sim's /sim/state (prompt cache hits too: requests whose prompt"
    echo "began with one the node had just evaluated); node load counts"
    echo "completed requests. In the workload dies, $victim is killed (kill -9)"
    echo "half way through (--victim)."
    echo
    for w in $workloads; do
        echo "## Workload: $w ($(wc -l <"$out/$w.sched") requests)"
        echo
        echo "| policy | mean ms | p95 | p99 | TTFT mean | TTFT p95 | TTFT p99 | req/s | cold loads | reloads | prompt cache hits | failed | max/min node load |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n",
            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $14, $11, $12, $13 }' "$out/$w.dat"
        echo
        echo "![latency_$w](latency_$w.png)"
        echo
    done
    echo "![cold_loads](cold_loads.png)"
    echo "![nodes_$first](nodes_$first.png)"
    echo
    if [ -f "$out/steady.dat" ]; then
        echo "## Steady mixed chat: herd against the other policies"
        echo
        awk -F'\t' 'NR > 1 { mean[$1] = $2; p95[$1] = $3; cold[$1] = $9 }
        END {
            split("round_robin least_connections nginx herd_seven", others, " ")
            for (b = 1; b <= 4; b++) {
                o = others[b]
                if (!(o in mean) || !("herd" in mean)) continue
                printf "- vs %s: mean %s (%s vs %s ms), p95 %s (%s vs %s ms), cold loads %s (%s vs %s)\n", o,
                    mean["herd"] < mean[o] ? "better" : "NOT better", mean["herd"], mean[o],
                    p95["herd"] < p95[o] ? "better" : "NOT better", p95["herd"], p95[o],
                    cold["herd"] < cold[o] ? "fewer" : "NOT fewer", cold["herd"], cold[o]
            }
        }' "$out/steady.dat"
        echo
    fi
} >"$out/results.md"
echo "fleet: results in $out/results.md"
