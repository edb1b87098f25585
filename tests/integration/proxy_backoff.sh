#!/usr/bin/env bash
# Back-off: a node that resets or refuses a connection before its answer
# is skipped by every request for node_backoff, then tried again. (The
# other fault tests switch back-off off to test the retry alone.)
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

hot_pair

# polls 30 s apart: the refused requests are the router's chats alone
fleet_router "node_backoff = 3" 30
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node)" "200 s1" "the router prefers s1"

# the kept-alive connection, then the new one it is retried on
fault s1 '{"refuse":{"count":2}}'
rq POST /api/chat "$chat"
t0=$(now_ms)
is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 s2 1" \
    "s1 resets the connection: served by s2 after one retry"
like "$(cat "$TEST_TMP/herd.log")" "node s1 is skipped for 3 s \(node_backoff\)" \
    "the back-off is logged"
for i in 1 2 3; do
    rq POST /api/chat "$chat"
    is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 s2 0" \
        "during the back-off s1 is not tried ($i)"
done
ok $([ $(($(now_ms) - t0)) -lt 3000 ]; echo $?) "(all within the back-off)"
sleep 3.2
rq POST /api/chat "$chat"
is "$STATUS $(hdr X-Fleet-Node) $(hdr X-Fleet-Retries)" "200 s1 0" \
    "after it, s1 serves again"

router_stop
done_testing
