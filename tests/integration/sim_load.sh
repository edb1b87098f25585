#!/usr/bin/env bash
# One herd-sim serves 2,000 concurrent streaming chats on loopback without
# an error, all of them at once (bounded: 120 s at most).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"
N=${SIM_LOAD_STREAMS:-2000}

# Each side holds N sockets.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((N + 200)) ] &&
    skip_all "open files limited to $(ulimit -n)"

# 30 tokens at 10/s: every stream lasts 3 s, so they overlap completely.
sim_start sim --num-parallel "$N" --max-queue $((N * 2)) --tokens-per-sec 10 \
    --response-tokens 30 --load-gb-per-sec 100 --log-level warning \
    --model tiny:0.1
port=${SIM_URL##*:}
out=$("$top_builddir/tests/sim/sim_loadtest" 127.0.0.1 "$port" "$N" tiny 120 2>"$TEST_TMP/load.err")
rc=$?
diag "$out"
[ -s "$TEST_TMP/load.err" ] && sed 's/^/# /' "$TEST_TMP/load.err" | head -10
is "$rc" 0 "$N concurrent streams all end with 200 and done:true"
like "$out" "succeeded $N failed 0 unfinished 0" "no failure"
is "$(model_state tiny:latest max_concurrent)" "$N" "all $N ran at once"
is "$(model_state tiny:latest requests)" "$N" "every one counted as served"
is "$(sim_state .server.requests_in_flight)" 0 "nothing left in flight"
sim_stop sim
done_testing
