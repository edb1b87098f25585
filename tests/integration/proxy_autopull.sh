#!/usr/bin/env bash
# Auto-pull: a request for a model no node has pulls it onto the node with
# the most free memory and is served once the node reports it; concurrent
# requests share one pull; a failed pull answers 404 with the reason;
# auto_pull = false answers 404 at once.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 5 --time-scale 0.01
fleet_router "default_num_parallel = 2
auto_pull_timeout = 20"

body='{"model":"smollm:135m","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
pids=()
for i in 1 2 3; do
    curl -s -m 30 -o "$TEST_TMP/p$i.body" -w '%{http_code}' "$ROUTER/api/chat" \
        -d "$body" >"$TEST_TMP/p$i.code" &
    pids+=($!)
done
wait "${pids[@]}"
is "$(cat "$TEST_TMP"/p{1,2,3}.code)" "200200200" \
    "three requests for a model no node had are served"
is "$(jq -r .done "$TEST_TMP/p1.body")" true "with a complete answer"
is "$(grep -c 'no node has smollm:135m: pulling it on s1' "$TEST_TMP/herd.log")" 1 \
    "by one pull on s1"
ok $(curl -s "$SIM_URL_s1/api/tags" | jq -e '.models | map(.name) | index("smollm:135m")' >/dev/null; echo $?) \
    "the model is on s1 now"

# A node that reports the most free memory but does not answer: the pull
# goes there and fails.
dead=$(free_port)
curl -s -m 5 -o /dev/null "$ROUTER/heartbeat" -d "{\"node_id\":\"dead\",
  \"cpu\":{\"cores_physical\":4,\"utilization_pct\":1},
  \"memory\":{\"total_gb\":512,\"used_gb\":1,\"available_gb\":511},
  \"ollama\":{\"models_loaded\":[],\"models_available\":[]},
  \"ollama_host\":\"http://127.0.0.1:$dead\"}"
rq POST /api/chat '{"model":"failing:1b","messages":[{"role":"user","content":"x"}]}'
is "$STATUS" 404 "a failed pull: 404"
like "$(jq -r .error <<<"$BODY")" "pulling failing:1b failed: " "with the reason"
like "$(cat "$TEST_TMP/herd.log")" "pulling failing:1b on dead failed" "logged"
rq POST /api/chat '{"model":"failing:1b","messages":[{"role":"user","content":"x"}]}'
is "$STATUS" 404 "the failure is remembered for a while"
is "$(grep -c 'no node has failing:1b' "$TEST_TMP/herd.log")" 1 \
    "so no second pull is started at once"
router_stop

cat >"$TEST_TMP/off.ini" <<EOF2
[router]
auto_pull = false
[discovery.static]
interval = 0.2
node = s1 $SIM_URL_s1
EOF2
router_with herd2 "$TEST_TMP/off.ini"
t0=$(now_ms)
rq POST /api/chat '{"model":"other:1b","messages":[{"role":"user","content":"x"}]}'
t1=$(now_ms)
is "$STATUS" 404 "auto_pull = false: 404"
ok $([ $((t1 - t0)) -lt 1000 ]; echo $?) "at once ($((t1 - t0)) ms)"
ok $(! curl -s "$SIM_URL_s1/api/tags" | jq -e '.models | map(.name) | index("other:1b")' >/dev/null; echo $?) \
    "and nothing was pulled"
router_stop
done_testing
