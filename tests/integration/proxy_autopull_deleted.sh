#!/usr/bin/env bash
# A remembered auto-pull success counts only while a node still has the
# model: deleted after the pull, the model is pulled again by the next
# request, which does not wait for a model that will not come.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 50 --time-scale 0.01
fleet_router "auto_pull_timeout = 4
queue_wait = 2"
gen='{"model":"newm:1b","prompt":"x","stream":false,"options":{"num_predict":2}}'

rq POST /api/generate "$gen"
is "$STATUS" 200 "a model no node had: auto-pulled and served"
rq DELETE /api/delete '{"model":"newm:1b"}'
is "$STATUS" 200 "then deleted"
gone() { ! curl -s -m 2 "$ROUTER/api/tags" | jq -e '.models | map(.name) | index("newm:1b")' >/dev/null; }
wait_for 5 gone || diag "the router still lists newm:1b"
t0=$(now_ms)
rq POST /api/generate "$gen"
t=$(( $(now_ms) - t0 ))
is "$STATUS" 200 "a request for it after the delete is served"
ok $([ "$t" -lt 2000 ]; echo $?) "without waiting out the limit ($t ms)"
is "$(grep -c 'no node has newm:1b: pulling it on s1' "$TEST_TMP/herd.log")" 2 \
    "by a second pull"
router_stop
done_testing
