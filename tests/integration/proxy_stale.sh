#!/usr/bin/env bash
# A node that lost a model since it last reported (here: deleted on the
# node itself, with the router's next poll 30 s away) answers "model not
# found". While another node lists the model the request is retried there
# and the client never sees the 404; when none does, the node's 404 is the
# answer. The other way round, a model pulled through the router (or by
# an auto-pull) is routable at once, before the node next reports.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

hot_pair

fleet_router "auto_pull = false" 30
both() { [ "$(curl -s "$ROUTER/api/tags" | jq -c '.models[] | select(.name == "qwen3:0.6b") | .nodes | sort')" = '["s1","s2"]' ]; }
wait_for 10 both
ok $? "the router lists qwen3:0.6b on s1 and s2"
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" "a chat goes to s1, where the model is loaded"

curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s1/api/delete" -d '{"model":"qwen3:0.6b"}'
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 s2 1" \
    "deleted on s1 behind the router's back: served by s2 after one retry"
is "$(jq -r .done <<<"$BODY")" true "with a complete answer"
like "$(cat "$TEST_TMP/herd.log")" "qwen3:0.6b on s1 failed before the first byte: HTTP 404: model .qwen3:0.6b. not found" \
    "the 404 and the retry are logged"

curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s2/api/delete" -d '{"model":"qwen3:0.6b"}'
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Retries)" "404 1" \
    "gone from both: the client gets the second node's 404"
like "$(jq -r .error <<<"$BODY")" "not found" "with its message"

# The other way round: a model pulled through the router is routable at
# once, not only from the node's next report (30 s away here).
rq POST /api/pull '{"model":"qwen3:0.6b","node_id":"s2","stream":false}'
is "$STATUS" 200 "pulled again on s2 through the router"
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node)" "200 s2" "and served by s2 right after"
rq POST /api/pull '{"model":"tinyllama:1b","node_id":"s1"}'
is "$STATUS $(printf '%s\n' "$BODY" | tail -1 | jq -r .status)" "200 success" \
    "a streamed pull through the router"
rq POST /api/chat '{"model":"tinyllama:1b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" "is routable at once too"
router_stop

# An auto-pull likewise: the waiting request is served when the pull ends.
sed -i 's/auto_pull = false/auto_pull = true/' "$TEST_TMP/herd.ini"
router_with herd2 "$TEST_TMP/herd.ini"
t0=$(now_ms)
rq POST /api/chat '{"model":"smollm:135m","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
ms=$(($(now_ms) - t0))
is "$STATUS" 200 "a model no node had is pulled and served"
ok $([ "$ms" -lt 15000 ]; echo $?) "before the next poll ($ms ms)"
router_stop

# With no retry left (max_retries = 0), the node's 404 is the answer.
curl -s -m 30 -o /dev/null "$SIM_URL_s1/api/pull" -d '{"model":"qwen3:0.6b","stream":false}'
curl -s -m 30 -o /dev/null "$SIM_URL_s2/api/pull" -d '{"model":"qwen3:0.6b","stream":false}'
curl -s -m 30 -o /dev/null "$SIM_URL_s2/api/generate" -d '{"model":"qwen3:0.6b","keep_alive":0}'
curl -s -m 30 -o /dev/null "$SIM_URL_s1/api/chat" -d "$chat"
sed 's/auto_pull = true/auto_pull = false\nmax_retries = 0/' "$TEST_TMP/herd.ini" \
    >"$TEST_TMP/noretry.ini"
router_with noretry "$TEST_TMP/noretry.ini"
curl -s -m 10 -o /dev/null -X DELETE "$SIM_URL_s1/api/delete" -d '{"model":"qwen3:0.6b"}'
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "404 s1 0" \
    "max_retries = 0: s1's 404 is the answer (no 502)"
router_stop
done_testing
