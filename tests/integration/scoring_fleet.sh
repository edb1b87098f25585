#!/usr/bin/env bash
# Scoring over a fleet of three herd-sims of different memory and speed,
# reported to the router by heartbeats built from each sim's own
# /api/ps and /api/tags (as herd-node would): the hot node wins; a cold
# node with more memory and bandwidth wins when the hot one is saturated
# (shown with /fleet/route's what-if load, and with real requests while
# the hot node's only slot is busy); a node at critical memory pressure is
# never chosen.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
[ -e "$top_builddir/plugins/scoring/thermal.la" ] &&
    [ -e "$top_builddir/plugins/scoring/memory_fit.la" ] &&
    [ -e "$top_builddir/plugins/scoring/role_affinity.la" ] ||
    skip_all "scoring plugins disabled at configure time"

M=qwen3:32b
# small: 32 GB, slow memory, one slot, long answers; it holds the model.
sim_start small --memory-gb 32 --model "$M:24:40960" --num-parallel 1 \
    --tokens-per-sec 20 --response-tokens 200 --load-gb-per-sec 1000
# big: 128 GB, fast memory, four slots, short answers; cold.
sim_start big --memory-gb 128 --model "$M:24:40960" --num-parallel 4 \
    --tokens-per-sec 200 --response-tokens 8 --load-gb-per-sec 1000
# crit: plenty of everything but its memory pressure is critical.
sim_start crit --memory-gb 256 --model "$M:24:40960" --num-parallel 4 \
    --tokens-per-sec 400 --response-tokens 8 --load-gb-per-sec 1000

# Load the model on small and on crit (so crit would even be hot).
for s in small crit; do
    eval "u=\$SIM_URL_$s"
    curl -s -m 30 -o /dev/null "$u/api/generate" \
        -d "{\"model\":\"$M\",\"prompt\":\"\",\"keep_alive\":-1}"
done

start_herd r --data-dir "$TEST_TMP/data"
ok $? "router answers"

post() { # post PATH BODY -> "STATUS BODY"
    curl -s -m 5 -o "$TEST_TMP/out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$2" "$url$1"
    printf ' %s' "$(cat "$TEST_TMP/out")"
}

# heartbeat NAME TOTAL_GB AVAILABLE_GB PRESSURE BANDWIDTH SLOTS
heartbeat() {
    local u ps tags
    eval "u=\$SIM_URL_$1"
    ps=$(curl -s -m 5 "$u/api/ps")
    tags=$(curl -s -m 5 "$u/api/tags")
    jq -nc --arg id "$1" --arg host "$u" --argjson total "$2" \
        --argjson avail "$3" --arg pressure "$4" --argjson bw "$5" \
        --argjson slots "$6" --argjson ps "$ps" --argjson tags "$tags" '{
        node_id: $id, ollama_host: $host, num_parallel: $slots,
        cpu: {cores_physical: 8, utilization_pct: 10},
        memory: {total_gb: $total, used_gb: ($total - $avail),
                 available_gb: $avail, pressure: $pressure},
        memory_bandwidth_gbps: $bw,
        ollama: {models_loaded: [$ps.models[] | {name, context_length,
                     size_gb: (.size / 1073741824)}],
                 models_available: [$tags.models[].name]}}' \
        >"$TEST_TMP/hb-$1.json"
    post /heartbeat "$(cat "$TEST_TMP/hb-$1.json")"
}
beats() {
    heartbeat small 32 8 normal 100 1 &&
        heartbeat big 128 100 normal 800 4 &&
        heartbeat crit 256 200 critical 400 4
}
like "$(beats)" '^200 .*200 .*200 ' "three heartbeats accepted"
is "$(jq -c '.ollama.models_loaded | map(.name)' "$TEST_TMP/hb-small.json")" \
    "[\"$M\"]" "small reports the model loaded (from its /api/ps)"

body="{\"model\":\"$M\",\"prompt\":\"hello\"}"
res=$(post /fleet/route "$body" | cut -d' ' -f2-)
is "$(jq -r '[.candidates[].node] | join(" ")' <<<"$res")" "small big" \
    "ranking: the hot node first, then the cold one"
# completion_time's points depend on the latency history (and the
# calibration it teaches), so totals are checked over the seven others.
seven='.scores | del(.completion_time) | add * 10 | round / 10'
is "$(jq -r "[.candidates[] | $seven] | join(\" \")" <<<"$res")" \
    "92.5 55" "seven signals: small 50+20+7.5+15, big 10+20+25"
is "$(jq -r '[.candidates[] | .scores.completion_time * 10 | round / 10] | join(" ")' <<<"$res")" \
    "-60 -31.9" \
    "completion_time: against 10 s at the median 400 GB/s, small 40 s (-60 at most), big 16 s of load + 5 s"
is "$(jq -r '.eliminated[] | select(.node=="crit") | .reason' <<<"$res")" \
    "memory_fit: memory pressure critical" "crit is eliminated for its pressure"

# Saturated: two requests queued on small with a minute of p75 each.
sat=$(jq -c '.what_if = {small: {queue_depth: 2, p75_latency_ms: 60000}}' \
    <<<"$body")
res=$(post /fleet/route "$sat" | cut -d' ' -f2-)
is "$(jq -r '.winner' <<<"$res")" big \
    "what-if: with small saturated the cold, bigger, faster node wins"
is "$(jq -r '.candidates[] | select(.node=="small") | [.scores.queue_depth, .scores.wait_time] | join(" ")' <<<"$res")" \
    "-30 -12" "small: queue -30 (slow node, capped), wait -12"

# Real requests.
hdr() { # hdr BODY -> the X-Fleet-Node of a non-streaming generate
    curl -s -m 60 -D "$TEST_TMP/h" -o "$TEST_TMP/gen" "$url/api/generate" \
        -d "$(jq -c '.stream = false' <<<"$1")"
    sed -n 's/^X-Fleet-Node: *//Ip' "$TEST_TMP/h" | tr -d '\r'
}
# small's only slot is taken by a long stream (200 tokens at 20/s).
curl -s -m 60 -o "$TEST_TMP/long" "$url/api/generate" -d "$body" &
long=$!
wait_for 10 sh -c "curl -s '$SIM_URL_small/sim/state' |
    jq -e '.server.requests_in_flight == 1' >/dev/null"
ok $? "a long request runs on small"
is "$(hdr "$body")" big "the next request goes to big while small is busy"
like "$(jq -r .response "$TEST_TMP/gen")" '.' "with an answer"
wait "$long"
ok $? "the long request on small completes"
like "$(tail -1 "$TEST_TMP/long")" '"done":true' "its stream ends with done"

# big has loaded the model meanwhile: with both hot, its bandwidth wins
# (role_affinity 25 against 7.5); crit never, whatever happens.
beats >/dev/null
is "$(jq -c '.ollama.models_loaded | map(.name)' "$TEST_TMP/hb-big.json")" \
    "[\"$M\"]" "big reports the model loaded now"
res=$(post /fleet/route "$body" | cut -d' ' -f2-)
is "$(jq -r "[.candidates[] | \"\\(.node)=\\($seven)\"] | join(\" \")" <<<"$res")" \
    "big=110 small=92.5" "both hot: big 50+20+25+15 over small"
is "$(jq -r '[.candidates[] | .scores.completion_time > 0] | join(" ")' <<<"$res")" \
    "true false" "completion_time: big, hot, beats the reference time, small not"
nodes=""
for i in 1 2 3; do nodes="$nodes $(hdr "$body")"; done
is "$nodes" " big big big" "idle: every request goes to the best hot node"
crit_reqs=$(curl -s "$SIM_URL_crit/sim/state" | jq '[.models[].requests] | add')
is "$crit_reqs" 0 "crit served no request at all"

done_testing
