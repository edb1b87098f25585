#!/usr/bin/env bash
# auto_pull_timeout changed by SIGHUP bounds the pulls started after it; a
# pull under way keeps the bound it started with (the requests waiting
# for it counted on that one), and its error names that bound.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# a pull of a 3b model takes this sim tens of seconds
fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 0.1
fleet_router "auto_pull_timeout = 3"

chat='{"model":"llama3.2:3b","stream":false,"messages":[{"role":"user","content":"x"}]}'
t0=$(now_ms)
curl -s -m 30 -o "$TEST_TMP/p.body" -w '%{http_code}' "$ROUTER/api/chat" \
    -d "$chat" >"$TEST_TMP/p.code" &
pid=$!
pulling() { grep -q 'no node has llama3.2:3b: pulling it on s1' "$TEST_TMP/herd.log"; }
wait_for 5 pulling
ok $? "a request for a model no node has starts a pull"
sleep 1
reload_router 's/^auto_pull_timeout = 3$/auto_pull_timeout = 100/'
ok $? "SIGHUP raises auto_pull_timeout to 100 s during the pull"
wait "$pid"
took=$(( $(now_ms) - t0 ))
is "$(cat "$TEST_TMP/p.code")" 404 "the pull under way still ends at its 3 s"
ok "$([ "$took" -lt 6000 ]; echo $?)" "($took ms)"
like "$(jq -r .error "$TEST_TMP/p.body")" "no success within 3 s" \
    "and its error names the 3 s that applied, not the new 100 s"
like "$(cat "$TEST_TMP/herd.log")" "pulling llama3.2:3b on s1 failed: no success within 3 s" \
    "as does the log"
router_stop
done_testing
