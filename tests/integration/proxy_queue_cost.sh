#!/usr/bin/env bash
# What a deep holding queue costs: with every slot of four nodes busy,
# 600 requests waiting and each node polled every 0.2 s, the router ranks
# the oldest waiter per model on each poll (the younger ones would be
# refused alike), not all 600, and its tick only expires waits. Its CPU
# time (from /proc) over a few seconds shows the difference: re-ranking
# the whole queue on every poll and tick took a quarter of a CPU.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

[ -r /proc/self/stat ] || skip_all "no /proc"
N=600 # two curls of 300, curl's most transfers at once

for s in s1 s2 s3 s4; do
    fleet_sim "$s" --model qwen3:0.6b:0.5 --num-parallel 1 --tokens-per-sec 10 \
        --response-tokens 1000
done
fleet_router "default_num_parallel = 1
queue_wait = 60
queue_max = 1000"

# the four slots, held for a minute by streams killed at the end
for i in 1 2 3 4; do
    curl -s -m 70 -N -o /dev/null "$ROUTER/api/generate" \
        -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":600}}' &
    eval "PID_hold$i=\$!"
done
in_flight_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .in_flight)" = "$1" ]; }
wait_for 10 in_flight_is 4
ok $? "four streams hold the four slots"

# the waiters: two curls of N/2 requests at once
printf '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":1}}' \
    >"$TEST_TMP/body.json"
{
    printf 'data = "@%s"\n' "$TEST_TMP/body.json"
    for i in $(seq 1 $((N / 2))); do
        printf 'url = "%s/api/generate"\noutput = "/dev/null"\n' "$ROUTER"
    done
} >"$TEST_TMP/waiters.cfg"
WAITER_PIDS=""
for i in 1 2; do
    curl -s -m 70 -Z --parallel-max $((N / 2)) --parallel-immediate \
        -K "$TEST_TMP/waiters.cfg" 2>/dev/null &
    WAITER_PIDS="$WAITER_PIDS $!"
done
pending_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .pending)" = "$1" ]; }
wait_for 20 pending_is "$N"
ok $? "$N requests wait in the holding queue"

cpu_ticks() { # utime + stime of the router, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$PID_herd/stat"
}
hz=$(getconf CLK_TCK)
sleep 0.5 # the burst of arrivals is over
t0=$(now_ms)
c0=$(cpu_ticks)
sleep 4
c1=$(cpu_ticks)
t1=$(now_ms)
pct=$(( (c1 - c0) * 1000 * 100 / hz / (t1 - t0) ))
diag "router CPU with $N waiting and 20 polls/s: $pct % ($((c1 - c0)) ticks in $((t1 - t0)) ms)"
# Re-ranking the whole queue on every poll and tick took 28 % of a CPU
# here (7 % with 300 waiting: it grows as the square of the queue);
# ranking one waiter per poll takes about 1 %, with sanitizers too.
ok "$([ "$pct" -lt 10 ]; echo $?)" "the router idles while they wait ($pct % of a CPU)"
is "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .pending)" "$N" \
    "and they all still wait"

# the waiters leave, then the streams: the router is idle again
for pid in $WAITER_PIDS; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
wait_for 10 pending_is 0
ok $? "the waiters that left are out of the queue"
for i in 1 2 3 4; do
    eval "kill \$PID_hold$i 2>/dev/null; wait \$PID_hold$i 2>/dev/null"
done
wait_for 10 in_flight_is 0
ok $? "the slots are free again"
router_stop
done_testing
