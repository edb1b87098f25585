#!/usr/bin/env bash
# Traces carry the score breakdown of the node each attempt ran on: the
# reference's "latest decision" query returns an object with every
# signal's points and the total, and the total is the score the client
# saw in X-Fleet-Score; a retried attempt keeps the breakdown of its own
# node.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
[ -f "$top_builddir/plugins/storage/sqlite.la" ] ||
    skip_all "the sqlite storage plugin is not built"
for s in thermal memory_fit queue_depth wait_time role_affinity \
    availability_trend context_fit; do
    [ -f "$top_builddir/plugins/scoring/$s.la" ] ||
        skip_all "the $s scoring plugin is not built"
done

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_sim s2 --model qwen3:0.6b:0.5 --time-scale 0.01
fleet_router "node_backoff = 0"
db=$TEST_TMP/data/latency.db
q() { sqlite3 "$db" "$1"; }
chat() {
    rq POST /api/chat '{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}'
}
all_written() {
    local s
    s=$(curl -s -m 2 "$ROUTER/fleet/status")
    [ "$(jq '.traces.queued' <<<"$s")" = 0 ] &&
        [ "$(jq '.traces.written == .traces.submitted' <<<"$s")" = true ]
}
keys='["availability_trend","completion_time","context_fit","memory_fit","queue_depth","role_affinity","thermal","total","wait_time"]'

chat
is "$STATUS" 200 "a chat through the router"
id=$(hdr X-Request-Id) node=$(hdr X-Fleet-Node) score=$(hdr X-Fleet-Score)
wait_for 10 all_written
ok $? "its trace is written"

row=$(q "SELECT request_id, model, node_id, score, scores_breakdown
         FROM request_traces ORDER BY timestamp DESC LIMIT 1")
is "$(cut -d'|' -f1-3 <<<"$row")" "$id|qwen3:0.6b|$node" \
    "latest decision: this request, its model and node"
bd=$(cut -d'|' -f5- <<<"$row")
is "$(jq -c 'keys' <<<"$bd")" "$keys" \
    "the breakdown has the eight default signals and total"
is "$(jq '[.[] | numbers] | length' <<<"$bd")" 9 "every value is a number"
is "$(jq '(([to_entries[] | select(.key != "total") | .value] | add) -
          .total) | fabs < 1e-6' <<<"$bd")" true \
    "the signals add up to the total"
is "$(jq --arg s "$score" '(.total - ($s | tonumber)) | fabs < 0.01' \
    <<<"$bd")" true "the total is the X-Fleet-Score the client saw ($score)"
ok "$(awk -v a="$(cut -d'|' -f4 <<<"$row")" -v b="$score" \
    'BEGIN{d=a-b; exit !(d < 0.01 && d > -0.01)}'; echo $?)" \
    "the score column agrees"

# A retry: the first node answers 500 before its first byte. Each attempt
# is traced with the breakdown of the node it ran on.
fault s1 '{"error500":{"probability":1}}'
fault s2 '{"error500":{"probability":1}}'
chat
is "$STATUS" 500 "both nodes fail (the last one's 500)"
rid=$(hdr X-Request-Id)
fault s1 '{"error500":null}'
fault s2 '{"error500":null}'
wait_for 10 all_written
ok $? "its traces are written"
rows=$(q "SELECT node_id, status, score, scores_breakdown FROM request_traces
          WHERE request_id = '$rid' ORDER BY id")
is "$(cut -d'|' -f2 <<<"$rows" | tr '\n' ' ')" "retried retried failed " \
    "two attempts, then failed" || diag "$rows"
is "$(awk -F'|' '$2 == "retried" {print $1}' <<<"$rows" | sort -u |
    tr '\n' ' ')" "s1 s2 " "the attempts ran on s1 and s2"
n=0
while IFS='|' read -r nd st sc b; do
    n=$((n + 1))
    is "$(jq -c 'keys' <<<"$b")" "$keys" "$st row on $nd: a breakdown"
    is "$(jq --arg s "$sc" '(.total - ($s | tonumber)) | fabs < 0.01' \
        <<<"$b")" true "$st row on $nd: its total is the row's score"
done <<<"$rows"
is "$n" 3 "three rows"

router_stop
done_testing
