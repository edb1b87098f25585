#!/usr/bin/env bash
# queue_wait changed by SIGHUP applies to the requests already waiting:
# a higher one extends their wait, a lower one ends the overdue ones at
# once, and the 503 names the limit that applied.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

slow_slot_sim s1 # one slot, 0.1 s a token
fleet_router "default_num_parallel = 1
queue_wait = 3"

active_is() { [ "$(sim_of s1 '.models[0].active')" = "$1" ]; }
pending_is() { [ "$(curl -s -m 2 "$ROUTER/fleet/queue" | jq -r .pending)" = "$1" ]; }
reload_with() { reload_router "s/^queue_wait = .*/queue_wait = $1/"; }

# Raised: 3 s -> 30 s one second into the wait.
bg_generate long 70 # holds the one slot for 7 s
wait_for 5 active_is 1
t0=$(now_ms)
bg_generate b 1
wait_for 5 pending_is 1
ok $? "a request waits for the slot"
sleep 1
reload_with 30
ok $? "SIGHUP raises queue_wait to 30 s"
wait "$PID_b"
took=$(( $(now_ms) - t0 ))
is "$(cat "$TEST_TMP/b.code")" 200 "the waiting request is served"
ok "$([ "$took" -ge 5000 ]; echo $?)" \
    "once the slot is free ($took ms), not turned away at the old 3 s"
wait "$PID_long"

# Lowered: 30 s -> 1 s two seconds into the wait: overdue, it ends now.
bg_generate long2 70
wait_for 5 active_is 1
bg_generate c 1
wait_for 5 pending_is 1
sleep 2
t0=$(now_ms)
reload_with 1
wait "$PID_c"
took=$(( $(now_ms) - t0 ))
is "$(cat "$TEST_TMP/c.code")" 503 "SIGHUP lowering queue_wait to 1 s: 503"
ok "$([ "$took" -lt 1500 ]; echo $?)" "at once ($took ms after the signal)"
like "$(jq -r .error "$TEST_TMP/c.body")" "within 1 s" \
    "naming the limit that applied"

# The 503 names the limit the waiter had, not one set after it ended.
bg_generate d 1
wait "$PID_d"
is "$(cat "$TEST_TMP/d.code")" 503 "a new request waits 1 s"
like "$(jq -r .error "$TEST_TMP/d.body")" "within 1 s" "and says so"
kill "$PID_long2" 2>/dev/null; wait "$PID_long2" 2>/dev/null
router_stop
done_testing
