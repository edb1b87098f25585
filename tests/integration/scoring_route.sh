#!/usr/bin/env bash
# POST /fleet/route end to end: the reference's worked example (Appendix
# B) from two heartbeats, A = 96.8 and B = 40 over its seven signals, plus
# herd's eighth, completion_time; bad bodies get 400, an unknown model 404;
# weights and enabled change the ranking after SIGHUP without a restart,
# and a reload with a bad value keeps the old signals.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
[ -e "$top_builddir/plugins/scoring/thermal.la" ] &&
    [ -e "$top_builddir/plugins/scoring/context_fit.la" ] &&
    [ -e "$top_builddir/plugins/scoring/queue_depth.la" ] ||
    skip_all "scoring plugins disabled at configure time"

post() { # post PATH BODY -> "STATUS BODY"
    curl -s -m 5 -o "$TEST_TMP/out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$2" "$url$1"
    printf ' %s' "$(cat "$TEST_TMP/out")"
}
route() { post /fleet/route "$1" | cut -d' ' -f2-; }
round1() { jq -r "$1 * 10 | round / 10"; }

# Appendix B: A has qwen3:32b loaded (24.6 GB, 40960 context) at 1008 GB/s,
# B has it on disk with 60 GB free at 200 GB/s.
node_a='{"node_id":"A","cpu":{"cores_physical":16,"utilization_pct":20},
 "memory":{"total_gb":128,"used_gb":60,"available_gb":68,"pressure":"normal"},
 "memory_bandwidth_gbps":1008,"ollama_host":"http://127.0.0.1:1",
 "ollama":{"models_loaded":[{"name":"qwen3:32b","size_gb":24.6,
   "context_length":40960}],"models_available":["qwen3:32b"]}}'
node_b='{"node_id":"B","cpu":{"cores_physical":8,"utilization_pct":5},
 "memory":{"total_gb":96,"used_gb":36,"available_gb":60,"pressure":"normal"},
 "memory_bandwidth_gbps":200,"ollama_host":"http://127.0.0.1:2",
 "ollama":{"models_loaded":[],"models_available":["qwen3:32b","llama3.2:3b"]}}'
# 7984 characters + 16 per message = 8000 characters = 2000 tokens.
prompt=$(head -c 7984 /dev/zero | tr '\0' 'x')
chat='{"model":"qwen3:32b","messages":[{"role":"user","content":"'$prompt'"}]}'
what_if='{"A":{"queue_depth":2,"p75_latency_ms":30000}}'
chat_a2=$(jq -c --argjson w "$what_if" '.what_if = $w' <<<"$chat")

# completion_time learns a calibration from every history it sees (the
# what-if's too); without it its points are exact.
cat >"$TEST_TMP/herd.ini" <<'INI'
[scoring.queue_depth]
weight = 1
[scoring.completion_time]
calibration_weight = 0
INI
start_herd r --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data"
ok $? "router answers"
like "$(cat "$TEST_TMP/r.log")" "scoring with 8 signals" \
    "the seven signals of the reference and completion_time load by default"
like "$(post /heartbeat "$node_a")" '^200 ' "heartbeat of A"
like "$(post /heartbeat "$node_b")" '^200 ' "heartbeat of B"

res=$(route "$chat_a2")
is "$(jq -r '[.model,.estimated_tokens,.winner] | join(" ")' <<<"$res")" \
    "qwen3:32b 2000 A" "model, 2000 estimated tokens, A wins"
# completion_time: the reference time is 2000 prompt tokens and 100 answer
# tokens at the median 604 GB/s (14.7 tokens/s): 20.36 s. A (a free slot:
# no wait) is estimated at 12.2 s; its p75 of 30 s is 2.46x that, beyond
# the 1.5x tolerated, so it counts 12.2 x 2.46 / 1.5 = 20 s. B: 61.5 s at
# 200 GB/s + 16.4 s to load 24.6 GB.
seven='del(.completion_time) | add'
is "$(round1 ".candidates[0].scores | $seven" <<<"$res")" 96.8 \
    "A = 96.8 over the seven signals"
is "$(round1 ".candidates[1].scores | $seven" <<<"$res")" 40 \
    "B = 40 over the seven signals"
is "$(round1 '.candidates[0].total' <<<"$res")" 97.6 \
    "A = 96.8 + 0.8 with completion_time: 30 log2(20.36 / 20)"
is "$(round1 '.candidates[1].total' <<<"$res")" -18.1 \
    "B = 40 - 58.1: 30 log2(20.36 / 77.9)"
is "$(jq -cS '.candidates[0].scores | map_values(. * 10 | round / 10)' <<<"$res")" \
    '{"availability_trend":0,"completion_time":0.8,"context_fit":15,"memory_fit":20,"queue_depth":-7.2,"role_affinity":25,"thermal":50,"wait_time":-6}' \
    "A's points per signal"
is "$(jq -cS '.candidates[1].scores | map_values(. * 10 | round / 10)' <<<"$res")" \
    '{"availability_trend":0,"completion_time":-58.1,"context_fit":0,"memory_fit":20,"queue_depth":0,"role_affinity":10,"thermal":10,"wait_time":0}' \
    "B's points per signal"
is "$(jq -c '.eliminated' <<<"$res")" '[]' "nothing eliminated"
res=$(route "$chat")
is "$(jq -r '.candidates[0] | [.node, (.total * 10 | round / 10)] | join(" ")' <<<"$res")" \
    "A 132.2" \
    "without the what-if load: no queue penalty, 110, and its estimated 12.2 s: +22.2"

# generate and embed bodies, and the OpenAI shape
res=$(route '{"model":"llama3.2:3b","prompt":"hi"}')
is "$(jq -r '[.winner, .estimated_tokens, (.eliminated[0] | .node, .reason)] | join(" ")' <<<"$res")" \
    "B 4 A model not on node" "generate body: B wins, A has no such model"
like "$(post /fleet/route '{"model":"llama3.2","input":["a","b"]}')" \
    "^404 .*'llama3.2:latest' not found" \
    "embed body: the name gets :latest before the look-up"
res=$(post /fleet/route '{"model":"qwen3:32b","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]}')
is "$(cut -d' ' -f2- <<<"$res" | jq -r '[.winner, .estimated_tokens] | join(" ")')" \
    "A 154" "OpenAI content parts: (2 + 16) / 4 + 150 for the image"

# Bad input: 400 with a clear message; unknown model: 404.
like "$(post /fleet/route '')" '^400 .*missing request body' "empty body: 400"
like "$(post /fleet/route '{"model":')" '^400 .*JSON' "broken JSON: 400"
like "$(post /fleet/route '{"messages":[]}')" '^400 .*model is required' \
    "no model: 400"
like "$(post /fleet/route '{"model":"qwen3:32b"}')" \
    '^400 .*needs messages, prompt or input' "nothing to estimate: 400"
like "$(post /fleet/route '{"model":"qwen3:32b","messages":"hi"}')" \
    '^400 .*messages must be an array' "messages not an array: 400"
like "$(post /fleet/route '{"model":"qwen3:32b","prompt":"x","options":{"num_ctx":"big"}}')" \
    '^400 .*options.num_ctx must be a non-negative integer' "bad num_ctx: 400"
like "$(post /fleet/route '{"model":"qwen3:32b","prompt":"x","what_if":{"A":{"queue_depth":-1}}}')" \
    '^400 .*what_if.A.queue_depth must be a non-negative integer' \
    "negative what-if depth: 400"
like "$(post /fleet/route '{"model":"qwen3:32b","prompt":"x","what_if":{"A":{"depth":1}}}')" \
    '^400 .*what_if.A.depth is not one of' "unknown what-if key: 400"
like "$(post /fleet/route '{"model":"nope:7b","prompt":"x"}')" \
    "^404 .*model\(s\) 'nope:7b' not found on any node" "unknown model: 404"
is "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/fleet/route")" 405 \
    "GET /fleet/route: 405"

# SIGHUP: a heavier queue penalty turns the ranking around (over the
# reference's seven signals, as in Appendix B, from here on).
off='[scoring.completion_time]\nenabled = false\n'
printf "$off"'[scoring.queue_depth]\nweight = 10\n' >"$TEST_TMP/herd.ini"
kill -HUP "$PID_r"
wait_for 5 grep -q 'reload: scoring with 7 signals' "$TEST_TMP/r.log"
ok $? "SIGHUP reloads the signals (completion_time off: seven)"
res=$(route "$chat_a2")
is "$(jq -r '.winner' <<<"$res")" B "queue_depth weight 10: B wins now"
is "$(round1 '.candidates[] | select(.node=="A") | .scores.queue_depth' <<<"$res")" \
    -71.9 "A's queue points are ten times heavier"

# SIGHUP: a signal turned off leaves the breakdown.
printf "$off"'[scoring.queue_depth]\nweight = 1\n[scoring.context_fit]\nenabled = false\n' \
    >"$TEST_TMP/herd.ini"
kill -HUP "$PID_r"
wait_for 5 grep -q 'reload: scoring with 6 signals' "$TEST_TMP/r.log"
ok $? "SIGHUP with context_fit disabled: six signals"
res=$(route "$chat_a2")
is "$(jq -r '[.winner, (.candidates[0].scores | has("context_fit"))] | join(" ")' <<<"$res")" \
    "A false" "A wins again, context_fit is gone"
is "$(round1 '.candidates[0].total' <<<"$res")" 81.8 "A = 96.8 - 15"
! grep -q 'take effect on restart' "$TEST_TMP/r.log"
ok $? "scoring-only reloads do not warn about a restart"

# A new discovery section needs a restart, and the log says so.
printf "$off"'[scoring.queue_depth]\nweight = 1\n[scoring.context_fit]\nenabled = false\n[discovery.static]\nnode = x http://127.0.0.1:9\n' \
    >"$TEST_TMP/herd.ini"
kill -HUP "$PID_r"
wait_for 5 grep -q 'take effect on restart' "$TEST_TMP/r.log"
ok $? "a changed [discovery.static] is reported as needing a restart"

# A bad plugin value: the reload is refused, the signals stay as they were.
printf '[scoring.thermal]\nhot_points = lots\n' >"$TEST_TMP/herd.ini"
kill -HUP "$PID_r"
wait_for 5 grep -q 'reload failed, keeping the old config (the scoring plugins did not load)' "$TEST_TMP/r.log"
ok $? "bad hot_points: reload refused"
like "$(cat "$TEST_TMP/r.log")" "hot_points must be a number, not 'lots'" \
    "the log says why"
res=$(route "$chat_a2")
is "$(round1 '.candidates[0].total' <<<"$res")" 81.8 \
    "the previous signals still score"
curl -s -m 5 -o /dev/null "$url/"
ok $? "router still serving"

# Built-in signals that are not installed are skipped; a signal the file
# asks for must exist.
mkdir -p "$TEST_TMP/empty"
HERD_PLUGIN_PATH=$TEST_TMP/empty start_herd bare --data-dir "$TEST_TMP/d-bare"
ok $? "router starts with no scoring plugin installed"
like "$(cat "$TEST_TMP/bare.log")" "default signal scoring/thermal is not installed" \
    "each missing default signal is logged and skipped"
! grep -q ' error .*not found' "$TEST_TMP/bare.log"
ok $? "missing defaults are not logged as errors"
like "$(post /heartbeat "$node_b")" '^200 ' "heartbeat of B"
res=$(route '{"model":"qwen3:32b","prompt":"x"}')
is "$(jq -c '[.winner, .candidates[0].total, .candidates[0].scores]' <<<"$res")" \
    '["B",0,{}]' "no signal: B is still routable, with no points"
printf '[scoring.nope]\n' >"$TEST_TMP/nope.ini"
out=$("$(herd_bin)" --host 127.0.0.1 --port "$(free_port)" \
    --config "$TEST_TMP/nope.ini" --data-dir "$TEST_TMP/d-nope" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "a signal named in the file but missing: exit 1"
like "$out" 'scoring plugin "nope" not found' "naming it"

# --print-config shows the built-in sections as defaults.
printf '[scoring.thermal]\nweight = 2\n' >"$TEST_TMP/p.ini"
out=$("$(herd_bin)" --config "$TEST_TMP/p.ini" --print-config)
like "$out" "weight = 2  ; from $TEST_TMP/p.ini:2" "a file section"
like "$(grep -A1 '^\[scoring.context_fit\]' <<<"$out" | tail -1)" \
    'enabled = true  ; default' "a built-in section, marked default"

done_testing
