#!/usr/bin/env bash
# Added latency of this build's herd against a baseline build's (the tree
# before a change, built elsewhere), measured in one run: one sim, both
# routers in front of it, a non-streaming chat sent one at a time to the
# sim, to one router and to the other in turn, so the machine's slow and
# fast moments fall on all three alike. The routers' order swaps every
# round (the one asked right after the sim may be favoured). Loopback only.
#
#   ab.sh --base DIR [--requests N] [--rounds R] [--one-cpu]
#
# DIR: the baseline's build directory (its herd and plugins). Prints each
# round's p50s and the difference (this - base), then the median
# difference; negative means this build adds less.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$PWD}"
base="" requests=5000 rounds=5 one_cpu=0
while [ $# -gt 0 ]; do
    case $1 in
    --base) base=${2-}; shift ;;
    --requests) requests=${2-}; shift ;;
    --rounds) rounds=${2-}; shift ;;
    --one-cpu) one_cpu=1 ;;
    *) echo "usage: $0 --base DIR [--requests N] [--rounds R] [--one-cpu]" >&2
        exit 2 ;;
    esac
    shift
done
case "$requests $rounds" in
*[!0-9\ ]* | " "* | *" ") echo "$0: --requests and --rounds are numbers" >&2; exit 2 ;;
esac
[ "$requests" -ge 100 ] && [ "$requests" -le 100000 ] &&
    [ "$rounds" -ge 1 ] && [ "$rounds" -le 50 ] ||
    { echo "$0: --requests is 100..100000, --rounds 1..50" >&2; exit 2; }
[ -x "$base/herd" ] || { echo "$0: no herd built in --base '$base'" >&2; exit 2; }
base=$(cd "$base" && pwd)

. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/bench/lib.sh"
bench_need jq curl
bench_files_ok

cat >"$TEST_TMP/sim.ini" <<EOF
[server]
num_parallel = 1024
max_queue = 20000
[model.instant:1b]
size_gb = 1
tokens_per_sec = 1000000000
prompt_tokens_per_sec = 1000000000
EOF
bench_sim sim --config "$TEST_TMP/sim.ini"
sim=${url#http://}
curl -s -m 30 -o /dev/null "$url/api/generate" \
    -d '{"model":"instant:1b","prompt":"warm","stream":false}'
printf '[router]\ndefault_num_parallel = 1024\n[discovery.static]\ninterval = 1\nnode = sim %s\n' \
    "$url" >"$TEST_TMP/herd.ini"
bench_herd this "$TEST_TMP/herd.ini"
this=${url#http://} pids="$PID_this $PID_sim"
start_listening base "listening on 127\.0\.0\.1:@PORT@" env \
    HERD_PLUGIN_PATH="$base/plugins/scoring:$base/plugins/discovery:$base/plugins/storage" \
    "$base/herd" --host 127.0.0.1 --port @PORT@ --config "$TEST_TMP/herd.ini" \
    --data-dir "$TEST_TMP/data-base" --log-level info ||
    { echo "benchmark: the base herd did not start" >&2; exit 1; }
base_up() { curl -s -m 2 "$url/fleet/status" | grep -q '"nodes_online":1'; }
wait_for 20 base_up || { echo "benchmark: base herd: node not online" >&2; exit 1; }
based=${url#http://} pids="$pids $PID_base"

pin=""
if [ "$one_cpu" = 1 ]; then
    cpu=$(taskset -p -c $$ | sed 's/.*: *//; s/[,-].*//')
    for p in $pids; do taskset -a -p -c "$cpu" "$p" >/dev/null || exit 1; done
    pin="taskset -c $cpu"
fi

body='{"model":"instant:1b","stream":false,"messages":[{"role":"user","content":"Say hi in one word."}]}'
diffs=""
echo "round direct base this this-base (chat p50, us)"
for r in $(seq 1 "$rounds"); do
    order="$based $this"
    [ $((r % 2)) = 0 ] && order="$this $based"
    $pin "$(bench_load_bin)" --alternate "$requests" --warmup 20 --duration 120 \
        --limit 150 --body "$body" "$sim" $order >"$TEST_TMP/ab$r.json" ||
        { echo "benchmark: bench_load failed" >&2; exit 1; }
    p50() { jq -r --arg t "$1" 'select(.target == $t) | .lat_p50 * 1000 | floor' \
        "$TEST_TMP/ab$r.json"; }
    d=$(p50 "$sim") b=$(p50 "$based") t=$(p50 "$this")
    echo "$r $d $b $t $((t - b))"
    diffs="$diffs $((t - b))"
done
med=$(printf '%s\n' $diffs | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
echo "median this-base: $med us over $rounds rounds of $requests requests per path"
