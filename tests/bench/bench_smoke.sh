#!/usr/bin/env bash
# Smoke run of the benchmarks for make check: each benchmark's one command
# at tiny sizes (seconds), then its results.md and plots are checked. The
# numbers are not judged (sanitizer builds on shared cores); that the
# pipeline runs end to end, every request succeeds through each path and
# herd exits cleanly is.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"

for c in nginx gnuplot jq curl; do
    command -v "$c" >/dev/null 2>&1 || skip_all "$c is not installed"
done
[ -x "$top_builddir/tests/bench/bench_load" ] || skip_all "bench_load not built"

# The load client refuses bad input with a message and status 2.
load=$top_builddir/tests/bench/bench_load
msg=$("$load" --closed 2 127.0.0.1:1 2>&1)
ok $([ $? = 2 ]; echo $?) "bench_load without --body/--duration exits 2"
like "$msg" "usage" "and prints its usage"
msg=$("$load" --closed 1 --duration 1 --body x nohost 2>&1)
like "$msg" "bad target 'nohost'" "a target without a port is named"
printf '5 a /api/chat {}\n1 b /api/chat {}\n' >"$TEST_TMP/bad.sched"
msg=$("$load" --schedule "$TEST_TMP/bad.sched" 127.0.0.1:1 2>&1)
like "$msg" "bad.sched:2: want OFFSET_MS TAG PATH BODY" \
    "a schedule out of order is refused with file:line"

# A refused connection is a failed request, not a hang or a crash.
port=$(free_port)
printf '0 a /api/chat {}\n' >"$TEST_TMP/one.sched"
res=$("$load" --schedule "$TEST_TMP/one.sched" --limit 10 "127.0.0.1:$port")
is "$(jq -r '[.requests, .failed] | join(" ")' <<<"$res")" "1 1" \
    "nothing listening: one request, one failure"

# Overhead, smoke-sized.
ov=$TEST_TMP/overhead
bash "$top_srcdir/tests/bench/overhead/run.sh" --smoke --out "$ov" \
    >"$TEST_TMP/overhead.out" 2>&1
rc=$?
ok $rc "overhead/run.sh --smoke exits 0"
[ $rc = 0 ] || sed 's/^/#   /' "$TEST_TMP/overhead.out" | tail -30
ok $([ -s "$ov/results.md" ]; echo $?) "overhead results.md written"
for f in added_latency throughput latency streams_ttfc streams_gap \
    streams_relay streams_rss scoring; do
    ok $([ -s "$ov/$f.png" ] && [ "$(head -c 4 "$ov/$f.png" | tail -c 3)" = PNG ]
    echo $?) "overhead plot $f.png"
done
for p in direct nginx herd; do
    for kind in chat stream; do
        is "$(jq -r '[.failed, .ok] | join(" ")' "$ov/added-$kind-$p.json")" \
            "0 100" "added latency ($kind) through $p: 100 requests, one at a time"
    done
    is "$(jq -r '[.failed, (.ok > 0)] | join(" ")' "$ov/saturation-$p.json")" \
        "0 true" "saturation through $p: requests, none failed"
    is "$(jq -r '[.failed, .ok] | join(" ")' "$ov/streams-50-$p.json")" \
        "0 50" "50 streams through $p all complete"
done
herd_nodes=$(awk -F'\t' '!/^#/ { print $11 }' "$ov/streams-50-herd.tsv" |
    sort -u | wc -l)
is "$herd_nodes" 2 "herd spread the streams over both sims"
like "$(cat "$ov/results.md")" "herd/direct [0-9.]+, herd/nginx [0-9.]+" \
    "results.md gives herd/direct and herd/nginx ratios"
like "$(cat "$ov/results.md")" "herd - direct: chat p50 [-+][0-9]+ us" \
    "results.md gives herd's added latency one request at a time"
# (a smoke run is too short for clock ticks to count: only the shape)
is "$(awk -F'\t' '/^(chat|stream)\t/ && NF == 4 && $2 $3 $4 ~ /^[0-9]+$/' \
    "$ov/added_cpu.dat" | wc -l)" 2 \
    "CPU per request of herd and nginx, for chat and stream, in added_cpu.dat"
# the paths took turns: every round starts one further, so each path
# follows each other path
is "$(awk -F'\t' '!/^#/ { print $1 }' "$ov/added-chat.tsv" | head -8 | sort -u | wc -l)" 4 \
    "the added-latency requests alternate between the four paths"
like "$(cat "$ov/results.md")" "forward - direct: chat p50 [-+][0-9]+ us" \
    "results.md gives the forwarder's added latency (the floor)"
# and again with every process on one CPU
for p in direct forward nginx herd; do
    is "$(jq -r '[.failed, .ok] | join(" ")' "$ov/added1-chat-$p.json")" \
        "0 100" "added latency on one CPU (chat) through $p: 100 requests"
done
like "$(sed -n '/^## Added latency on one CPU/,/^## [^A]/p' "$ov/results.md")" \
    "herd - direct: chat p50 [-+][0-9]+ us" \
    "results.md gives herd's added latency on one CPU"

# A/B against a baseline build, smoke-sized: this build against itself.
out=$(bash "$top_srcdir/tests/bench/overhead/ab.sh" --base "$top_builddir" \
    --requests 100 --rounds 2 2>&1)
ok $? "overhead/ab.sh exits 0"
is "$(grep -Ec '^[12] [0-9]+ [0-9]+ [0-9]+ -?[0-9]+$' <<<"$out")" 2 \
    "ab.sh prints two rounds: p50 direct, base, this and the difference" ||
    diag "$out"
like "$out" "^median this-base: -?[0-9]+ us over 2 rounds of 100" \
    "and the median difference"
out=$(bash "$top_srcdir/tests/bench/overhead/ab.sh" --base /nonexistent 2>&1)
is "$? $out" "2 $top_srcdir/tests/bench/overhead/ab.sh: no herd built in --base '/nonexistent'" \
    "ab.sh without a built base exits 2 and says why"

# Scheduling quality, smoke-sized: both workloads through the five policies.
fl=$TEST_TMP/fleet
bash "$top_srcdir/tests/bench/fleet/run.sh" --smoke --out "$fl" \
    >"$TEST_TMP/fleet.out" 2>&1
rc=$?
ok $rc "fleet/run.sh --smoke exits 0"
[ $rc = 0 ] || sed 's/^/#   /' "$TEST_TMP/fleet.out" | tail -30
ok $([ -s "$fl/results.md" ]; echo $?) "fleet results.md written"
for f in latency_steady latency_dies cold_loads nodes_steady; do
    ok $([ -s "$fl/$f.png" ] && [ "$(head -c 4 "$fl/$f.png" | tail -c 3)" = PNG ]
    echo $?) "fleet plot $f.png"
done
n=$(wc -l <"$fl/steady.sched")
for p in herd round_robin random least_connections nginx; do
    is "$(jq -r '[.requests, .failed] | join(" ")' "$fl/steady-$p.json")" \
        "$n 0" "steady through $p: all $n requests succeed"
done
# round_robin takes turns: every node serves some of the steady requests
is "$(awk -F'\t' '$1 == "round_robin" { print ($13 >= 1) }' "$fl/steady.dat")" 1 \
    "round_robin: every node served requests"
# the same seed gives the same requests to every policy
is "$(awk -F'\t' '!/^#/ { print $1, $2 }' "$fl/steady-herd.tsv" | md5sum)" \
    "$(awk -F'\t' '!/^#/ { print $1, $2 }' "$fl/steady-nginx.tsv" | md5sum)" \
    "herd and nginx saw the same schedule"
like "$(cat "$fl/results.md")" "vs round_robin: mean (better|NOT better)" \
    "results.md compares herd with round-robin on the steady workload"

done_testing
