#!/usr/bin/env bash
# One pull of a model at a time, whoever starts it: a second /api/pull or
# dashboard pull of a model being pulled gets 409; a request for a model
# being pulled by /api/pull waits for that pull instead of starting an
# auto-pull; a model pulled from the dashboard is routable at once. The
# claim on a model ends with its pull, or when its client leaves.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# 1 GB/s: a 0.5b model (0.3 GB) takes 0.3 s, a 4b one (2.4 GB) 2.4 s.
# The router polls the sim every 30 s: what it knows of a pull comes from
# the pull itself.
fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 1 \
    --load-gb-per-sec 50 --tokens-per-sec 1000
fleet_router "auto_pull_timeout = 20" 30
gen() { echo "{\"model\":\"$1\",\"prompt\":\"x\",\"stream\":false,\"options\":{\"num_predict\":2}}"; }
autopulls() { grep -c "no node has $1" "$TEST_TMP/herd.log"; }

rq POST /dashboard/api/pull '{"node_id":"s1","model":"dash:0.5b"}'
is "$STATUS $(jq -r .ok <<<"$BODY")" "200 true" "a dashboard pull"
rq POST /api/generate "$(gen dash:0.5b)"
is "$STATUS" 200 "the model is routable right after it"
is "$(autopulls dash:0.5b)" 0 "without an auto-pull"

# a pull under way
curl -sN -m 30 -o "$TEST_TMP/first.out" "$ROUTER/api/pull" \
    -d '{"model":"big:4b","node_id":"s1"}' &
first=$!
pulling() { grep -q 'pulling big:4b on s1' "$TEST_TMP/herd.log"; }
wait_for 5 pulling || diag "the first pull did not start"
curl -s -m 30 -o /dev/null -w '%{http_code}' "$ROUTER/api/generate" \
    -d "$(gen big:4b)" >"$TEST_TMP/gen.code" &
gen_pid=$!
rq POST /api/pull '{"model":"big:4b","node_id":"s1","stream":false}'
is "$STATUS" 409 "a second /api/pull of the model: 409"
like "$(jq -r .error <<<"$BODY")" "big:4b' is being pulled already" \
    "with Ollama's error shape, saying why"
rq POST /dashboard/api/pull '{"node_id":"s1","model":"big:4b"}'
is "$STATUS" 409 "a dashboard pull of it: 409"
wait $gen_pid
is "$(cat "$TEST_TMP/gen.code")" 200 \
    "a request for it during the pull waits for that pull and is served"
is "$(autopulls big:4b)" 0 "without an auto-pull of its own"
wait $first
is "$(tail -1 "$TEST_TMP/first.out")" '{"status":"success"}' "the first pull succeeded"
rq POST /api/pull '{"model":"big:4b","node_id":"s1","stream":false}'
is "$STATUS" 200 "once it has ended, the model can be pulled again"

# a client that leaves ends its claim
curl -sN -m 1 -o /dev/null "$ROUTER/api/pull" -d '{"model":"left:4b","node_id":"s1"}'
rq POST /api/pull '{"model":"left:4b","node_id":"s1","stream":false}'
is "$STATUS" 200 "a pull whose client left is no longer claimed"
router_stop
done_testing
