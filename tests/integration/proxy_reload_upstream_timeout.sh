#!/usr/bin/env bash
# upstream_timeout changed by SIGHUP applies to a call already waiting
# for its node: the wait is armed again with the new value, from the
# reload on.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# every generation stays silent for 8 s before its first byte
fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01 --fault stall:seconds=8
fleet_router "max_retries = 0
upstream_timeout = 3"

t0=$(now_ms)
bg_generate g 2
sleep 1
reload_router 's/^upstream_timeout = 3$/upstream_timeout = 30/'
ok $? "SIGHUP raises upstream_timeout to 30 s while the node is silent"
wait "$PID_g"
took=$(( $(now_ms) - t0 ))
is "$(cat "$TEST_TMP/g.code")" 200 "the running request is answered"
ok "$([ "$took" -ge 7500 ]; echo $?)" \
    "after the node's 8 s of silence ($took ms), not cut at the old 3 s"
router_stop
done_testing
