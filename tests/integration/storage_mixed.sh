#!/usr/bin/env bash
# Traces of a mixed run through the router, read back from latency.db with
# the reference's documented queries: completed, retried, failed, fallback,
# embeddings, tagged, client-disconnected and incomplete requests each leave
# the rows they should, with the numbers the client saw, and the analytics
# agree. The requests that made a sim load a model are its cold loads, and
# /dashboard/api/health counts exactly those, the disconnect and the
# incomplete streams.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
[ -f "$top_builddir/plugins/storage/sqlite.la" ] ||
    skip_all "the sqlite storage plugin is not built"

# loads slow enough (0.15 to 1 s) to be told from a resident model
fleet_sim s1 --model qwen3:0.6b:0.5 --embed-model nomic-embed-text:0.3 \
    --time-scale 0.01 --load-gb-per-sec 0.02
fleet_sim s2 --model qwen3:0.6b:0.5 --model llama3.2:3b:2.0 \
    --model gemma3:1b:1.0 --time-scale 0.01 --load-gb-per-sec 0.02
fleet_router "default_num_parallel = 2
node_backoff = 0"
db=$TEST_TMP/data/latency.db
q() { sqlite3 "$db" "$1"; }
# qwen3 loaded on both sims (and seen so by the router): equal nodes take
# turns, so the retry below is sure to find s1 first within a few requests
# (with it loaded on one node only, the hot node would win every time)
for s in s1 s2; do
    eval "u=\$SIM_URL_$s"
    curl -s -m 10 -o /dev/null "$u/api/generate" -d '{"model":"qwen3:0.6b","keep_alive":-1}'
done
qwen_on_both() {
    [ "$(curl -s "$ROUTER/api/ps" | jq '[.models[] | select(.name == "qwen3:0.6b")] | length')" = 2 ]
}
wait_for 10 qwen_on_both
ok $? "qwen3 is loaded on both sims"

# Tally of what the client saw: completed requests per node|model.
declare -A completed
ids=()
chat() { # chat MODEL NUM_PREDICT [EXTRA-JSON-MEMBERS]
    rq POST /api/chat "{\"model\":\"$1\",\"stream\":false,${3:+$3,}\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":$2}}"
}
seen() { # after a 200: count it as completed on its node and model
    local key
    key="$(hdr X-Fleet-Node)|$1"
    completed[$key]=$((${completed[$key]:-0} + 1))
    ids+=("$(hdr X-Request-Id) $(hdr X-Fleet-Retries)")
}

for i in 1 2 3; do
    chat qwen3:0.6b 4
    is "$STATUS" 200 "plain chat $i"
    seen qwen3:0.6b
done

# retried: s1 answers 500 before its first byte until the fault is cleared
fault s1 '{"error500":{"probability":1}}'
retried_id=""
for i in 1 2 3 4; do
    chat qwen3:0.6b 4
    [ "$STATUS" = 200 ] || break
    seen qwen3:0.6b
    if [ "$(hdr X-Fleet-Retries)" = 1 ]; then
        retried_id=$(hdr X-Request-Id)
        break
    fi
done
ok "$([ -n "$retried_id" ]; echo $?)" "a request was retried on s2"
fault s1 '{"error500":null}'

# failed: both nodes answer 500
fault s1 '{"error500":{"probability":1}}'
fault s2 '{"error500":{"probability":1}}'
chat qwen3:0.6b 4
is "$STATUS" 500 "every node fails: the last one's 500"
failed_id=$(hdr X-Request-Id)
fault s1 '{"error500":null}'
fault s2 '{"error500":null}'

chat nothere 2 '"fallback_models":["llama3.2:3b"]'
is "$STATUS" 200 "fallback serves"
fallback_id=$(hdr X-Request-Id)
seen llama3.2:3b

rq POST /api/embed '{"model":"nomic-embed-text","input":["a","b"]}'
is "$STATUS" 200 "embeddings"
embed_id=$(hdr X-Request-Id)
seen nomic-embed-text:latest

# two requests at once for a model no node has loaded: s2 loads it once,
# for the first; the second waits for that load and is no cold load
pair_pids=""
for i in 1 2; do
    curl -s -m 30 -D "$TEST_TMP/pair$i.hdr" -o /dev/null -w '%{http_code}' \
        "$ROUTER/api/chat" -d '{"model":"gemma3:1b","stream":false,"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":2}}' \
        >"$TEST_TMP/pair$i.status" &
    pair_pids="$pair_pids $!"
done
wait $pair_pids
pair_ids=()
for i in 1 2; do
    is "$(cat "$TEST_TMP/pair$i.status")" 200 "request $i of the pair"
    HDR=$TEST_TMP/pair$i.hdr seen gemma3:1b
    pair_ids+=("$(HDR=$TEST_TMP/pair$i.hdr hdr X-Request-Id)")
done

STATUS=$(curl -s -m 30 -D "$HDR" -o "$TEST_TMP/rq_body" -w '%{http_code}' \
    -H 'X-Herd-Tags: app-a, app-b' "$ROUTER/api/chat" -d \
    '{"model":"qwen3:0.6b","stream":false,"metadata":{"tags":["team-x"]},"messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}')
is "$STATUS" 200 "tagged chat"
tagged_id=$(hdr X-Request-Id)
seen qwen3:0.6b

# client disconnect: the nodes stall before their first byte, the client
# gives up after half a second
fault s1 '{"stall":{"count":1,"seconds":3}}'
fault s2 '{"stall":{"count":1,"seconds":3}}'
curl -s -m 0.5 -o /dev/null "$ROUTER/api/chat" -d \
    '{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":4}}'
is "$?" 28 "the client hangs up (curl timeout)"
disconnected() {
    [ "$(curl -s -m 2 "$ROUTER/fleet/status" | jq .traces.submitted)" -gt 0 ] &&
        [ "$(q "SELECT count(*) FROM request_traces
                WHERE status = 'client_disconnected'")" -ge 1 ]
}
wait_for 10 disconnected
ok $? "the disconnect is traced"
fault s1 '{"stall":null}'
fault s2 '{"stall":null}'
# the stalled answer may hold its sim's slot a while; later requests must
# not wait for it
sims_idle() {
    [ "$(sim_of s1 .server.requests_in_flight)" = 0 ] &&
        [ "$(sim_of s2 .server.requests_in_flight)" = 0 ]
}
wait_for 10 sims_idle
ok $? "the sims are idle again"

# incomplete streams: a node drops the connection after 3 chunks, then one
# ends its stream with an error line and no final line (a runner failure);
# the client had its first chunk, so neither is retried
stream_chat() {
    curl -s -m 30 -D "$HDR" -o "$TEST_TMP/stream" "$ROUTER/api/chat" -d \
        '{"model":"qwen3:0.6b","messages":[{"role":"user","content":"hi"}],"options":{"num_predict":12}}'
}
incomplete_ids=()
for f in '"drop":{"count":1,"after":3}' '"midstream_error":{"count":1,"after":2}'; do
    fault s1 "{$f}"
    fault s2 "{$f}"
    stream_chat
    like "$(tail -n 1 "$TEST_TMP/stream")" '^\{"error":' \
        "${f%%\":*}\": the stream ends with an error line"
    incomplete_ids+=("$(hdr X-Request-Id)")
    fault s1 "{${f%%:*}:null}"
    fault s2 "{${f%%:*}:null}"
done
wait_for 10 sims_idle

chat qwen3:0.6b 4
is "$STATUS" 200 "a last plain chat"
last_id=$(hdr X-Request-Id) last_node=$(hdr X-Fleet-Node)
last_score=$(hdr X-Fleet-Score)
seen qwen3:0.6b

all_written() {
    local s
    s=$(curl -s -m 2 "$ROUTER/fleet/status")
    [ "$(jq '.traces.queued' <<<"$s")" = 0 ] &&
        [ "$(jq '.traces.written == .traces.submitted' <<<"$s")" = true ]
}
wait_for 10 all_written
ok $? "every trace written"

# The reference's first documented query, unchanged: the latest decision.
row=$(q "SELECT request_id, model, node_id, score, scores_breakdown
         FROM request_traces ORDER BY timestamp DESC LIMIT 1")
is "$(cut -d'|' -f1-3 <<<"$row")" "$last_id|qwen3:0.6b|$last_node" \
    "latest decision: the last request, its model and node"
ok "$(awk -v a="$(cut -d'|' -f4 <<<"$row")" -v b="$last_score" \
    'BEGIN{d=a-b; exit !(d < 0.01 && d > -0.01)}'; echo $?)" \
    "its score is the X-Fleet-Score the client saw ($last_score)"

# The second: tokens per second per node and model, completed only.
tps=$(q "SELECT node_id, model, COUNT(*) AS requests,
                ROUND(AVG(latency_ms)) AS avg_ms,
                ROUND(AVG(completion_tokens)) AS avg_tokens,
                ROUND(AVG(completion_tokens) * 1000.0 / AVG(latency_ms), 1)
                  AS tokens_per_sec
         FROM request_traces WHERE status = 'completed'
         GROUP BY node_id, model")
for key in "${!completed[@]}"; do
    n=$(awk -F'|' -v k="$key" '$1 "|" $2 == k {print $3}' <<<"$tps")
    is "${n:-0}" "${completed[$key]}" "completed on $key: as the client saw"
done
is "$(awk -F'|' '$1 "|" $2 == "s1|qwen3:0.6b" || $1 "|" $2 == "s2|qwen3:0.6b" {print $5}' <<<"$tps" | sort -u)" \
    "4.0" "chat: 4 completion tokens on average, as asked"
ok "$(awk -F'|' '$2 == "qwen3:0.6b" && !($4 > 0 && $6 > 0) {bad=1} END{exit bad}' <<<"$tps"; echo $?)" \
    "latency and tokens per second are positive"

# Each request's rows, in order.
for entry in "${ids[@]}"; do
    set -- $entry
    want=completed
    [ "$2" = 1 ] && want=retried,completed
    is "$(q "SELECT group_concat(status) FROM (SELECT status
             FROM request_traces WHERE request_id = '$1' ORDER BY id)")" \
        "$want" "request $1: $want"
done
like "$(q "SELECT group_concat(status) FROM (SELECT status
           FROM request_traces WHERE request_id = '$failed_id' ORDER BY id)")" \
    "^retried,retried,failed$" "the failed request: two attempts, then failed"
is "$(q "SELECT node_id FROM request_traces
         WHERE request_id = '$retried_id' AND status = 'retried'")" s1 \
    "the retried attempt ran on s1"
like "$(q "SELECT error_message FROM request_traces
           WHERE request_id = '$retried_id' AND status = 'retried'")" "." \
    "with its error"
is "$(q "SELECT retry_count, excluded_nodes FROM request_traces
         WHERE request_id = '$retried_id' AND status = 'completed'")" \
    '1|["s1"]' "the completed row counts the retry and excludes s1"
is "$(q "SELECT model, original_model, fallback_used FROM request_traces
         WHERE request_id = '$fallback_id'")" "llama3.2:3b|nothere:latest|1" \
    "fallback: served and requested model, fallback_used"
is "$(q "SELECT endpoint, status FROM request_traces
         WHERE request_id = '$embed_id'")" "/api/embed|completed" \
    "embeddings are traced"
is "$(q "SELECT tags FROM request_traces WHERE request_id = '$tagged_id'")" \
    '["team-x","app-a","app-b"]' "tags from body and header"
is "$(q "SELECT count(*) FROM request_traces WHERE client_ip != '127.0.0.1'")" \
    0 "client_ip filled on every row"
for id in "${incomplete_ids[@]}"; do
    is "$(q "SELECT group_concat(status) FROM request_traces
             WHERE request_id = '$id'")" incomplete "request $id: incomplete"
done
is "$(q "SELECT group_concat(DISTINCT status) FROM (SELECT status
         FROM request_traces ORDER BY status)")" \
    "client_disconnected,completed,failed,incomplete,retried" \
    "every status as it happened"

# Cold loads: the sims say how often they loaded a model (each loaded
# qwen3 once before the router's requests); the fallback (llama3.2 on s2),
# the embeddings (on s1) and one of the pair (gemma3 on s2) made one load
# each, and they are the rows marked, with the node's load time.
loads=0
for s in s1 s2; do
    loads=$((loads + $(sim_of $s '[.models[].loads] | add') - 1))
done
is "$loads" 3 "the sims loaded a model three times for the router's requests"
pair_in="'${pair_ids[0]}','${pair_ids[1]}'"
is "$(q "SELECT group_concat(request_id) FROM (SELECT request_id
         FROM request_traces WHERE cold_load = 1
         AND request_id NOT IN ($pair_in) ORDER BY id)")" \
    "$fallback_id,$embed_id" "cold_load marks the fallback and the embeddings"
is "$(q "SELECT sum(cold_load) FROM request_traces
         WHERE request_id IN ($pair_in)")" 1 "and one request of the pair"
diag "the pair's load_duration: $(q "SELECT group_concat(round(load_ms))
      FROM request_traces WHERE request_id IN ($pair_in)") ms"
is "$(q "SELECT count(*) FROM request_traces
         WHERE cold_load = 1 AND load_ms >= 100")" 3 \
    "with the node's load_duration (at least 100 ms)"
is "$(q "SELECT count(*) FROM request_traces WHERE cold_load IS NULL")" 0 \
    "cold_load is set on every row"
is "$(q "SELECT group_concat(request_id) FROM (SELECT request_id
         FROM request_traces WHERE cold_load = 1 ORDER BY id)")" \
    "$(jq -rR 'fromjson? | select(.component == "trace" and .cold_load)
        | .request_id' "$TEST_TMP/data/logs/herd.jsonl" | paste -sd, -)" \
    "the jsonl trace lines say the same"

# The analytics say the same.
total=0
for key in "${!completed[@]}"; do total=$((total + ${completed[$key]})); done
is "$(curl -s "$ROUTER/dashboard/api/overview" | jq .total_requests)" \
    "$total" "overview: completed requests"
is "$(curl -s "$ROUTER/dashboard/api/tags?days=1" |
    jq -c '[.data[] | [.tag, .request_count]] | sort')" \
    '[["app-a",1],["app-b",1],["team-x",1]]' "tags: one request each"
is "$(curl -s "$ROUTER/dashboard/api/traces?limit=1" |
    jq -r '.traces[0].request_id')" "$last_id" "traces: newest first"
is "$(curl -s "$ROUTER/dashboard/api/usage?days=1" | jq -c '[.data[] |
    [.cold_load_count, .client_disconnected_count, .incomplete_count]] |
    transpose | map(add)')" "[3,1,2]" \
    "usage: cold loads, client disconnects, incomplete streams"
H=$(curl -s -m 10 "$ROUTER/dashboard/api/health")
is "$(jq -c '.vitals | [.cold_loads_24h, .client_disconnects_24h,
    .incomplete_streams_24h]' <<<"$H")" "[3,1,2]" \
    "health vitals: 3 cold loads, 1 client disconnect, 2 incomplete streams"

router_stop
done_testing
