#!/usr/bin/env bash
# herd-sim fault injection: each mode set at run time through /sim/faults
# (and one by flag), proved by what the client sees, timings and counters.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"

# burst writes its whole answer in one loop pass, faster than evhttp writes.
printf '[model.burst]\nsize_gb = 0.1\ntokens_per_sec = 1000000\n' \
    >"$TEST_TMP/sim.ini"
sim_start sim --tokens-per-sec 200 --response-tokens 10 --load-gb-per-sec 100 \
    --model tiny:0.1 --config "$TEST_TMP/sim.ini" --fault error500:count=1
CHAT='{"model":"tiny","messages":[{"role":"user","content":"hi"}]}'
faults() { curl -s -m 10 -X POST "$SIM_URL/sim/faults" -d "$1"; }
triggered() { curl -s -m 10 "$SIM_URL/sim/faults" | jq ".$1.triggered"; }

# --fault from the command line: the first generation fails.
sim_req POST /api/chat "$CHAT"
is "$STATUS $CTYPE" "500 application/json" "--fault error500:count=1 fails the first request"
like "$BODY" '^\{"error":"[^"]+"\}$' "with an Ollama error object"
sim_req POST /api/chat "$CHAT"
is "$STATUS" 200 "then requests succeed"

# refuse: the connection closes with no answer.
faults '{"refuse":{"count":2}}' >/dev/null
curl -s -m 5 -o /dev/null "$SIM_URL/api/tags"; rc1=$?
curl -s -m 5 -o /dev/null "$SIM_URL/api/tags"; rc2=$?
curl -s -m 5 -o /dev/null "$SIM_URL/api/tags"; rc3=$?
is "$rc1 $rc2 $rc3" "52 52 0" "refuse: two empty replies, then normal"
is "$(triggered refuse)" 2 "refuse counted"

# error500 with a probability of 1 until cleared; the OpenAI shape too.
faults '{"error500":{"probability":1}}' >/dev/null
sim_req POST /v1/chat/completions '{"model":"tiny","stream":true,"messages":[{"role":"user","content":"x"}]}'
is "$STATUS $(jq -r .error.type <<<"$BODY")" "500 api_error" "error500 in OpenAI form, before any event"
faults '{"error500":null}' >/dev/null
sim_req POST /api/chat "$CHAT"
is "$STATUS" 200 "cleared with null"

# drop: two chunks, then the connection closes (no done line).
faults '{"drop":{"count":1,"after":2}}' >/dev/null
curl -s -m 10 -o "$TEST_TMP/drop" "$SIM_URL/api/chat" -d "$CHAT"; rc=$?
is "$rc" 18 "drop: transfer closed mid-stream (curl 18)"
is "$(wc -l <"$TEST_TMP/drop")" 2 "after two lines"
is "$(grep -c '"done":true' "$TEST_TMP/drop")" 0 "no done line"
is "$(model_state tiny:latest active)" 0 "the slot is free again"
# The same when the pieces are made faster than they are written: they
# still reach the client before the close (the sim used to drop them).
faults '{"drop":{"count":1,"after":2}}' >/dev/null
curl -s -m 10 -o "$TEST_TMP/drop" "$SIM_URL/api/chat" \
    -d '{"model":"burst","messages":[{"role":"user","content":"hi"}]}'; rc=$?
is "$rc $(wc -l <"$TEST_TMP/drop")" "18 2" "drop at a million tokens/s: two lines, then the close"
# half: the close comes inside the third line
faults '{"drop":{"count":1,"after":2,"half":true}}' >/dev/null
curl -s -m 10 -o "$TEST_TMP/drop" "$SIM_URL/api/chat" -d "$CHAT"; rc=$?
is "$rc $(wc -l <"$TEST_TMP/drop")" "18 2" "drop with half: two whole lines"
ok "$([ -n "$(tail -c 1 "$TEST_TMP/drop")" ] && tail -n 1 "$TEST_TMP/drop" | grep -q '^{"model"'; echo $?)" \
    "... then the start of a third, without its newline"
like "$(faults '{"drop":{"half":2}}')" "half must be true or false" \
    "half must be a boolean"

# stall: no byte for the given time, then a normal answer.
faults '{"stall":{"count":1,"seconds":1}}' >/dev/null
ttfb=$(curl -s -m 10 -o "$TEST_TMP/stall" -w '%{time_starttransfer}' "$SIM_URL/api/chat" -d "$CHAT")
ok "$(awk -v t="$ttfb" 'BEGIN{exit !(t >= 1.0 && t < 3)}'; echo $?)" "stall: first byte after 1 s ($ttfb s)"
is "$(tail -1 "$TEST_TMP/stall" | jq .done)" true "then the answer completes"

# slow: the token rate is divided by the factor.
sim_req POST /api/chat '{"model":"tiny","stream":false,"messages":[{"role":"user","content":"x"}]}'
fast=$(jq .eval_duration <<<"$BODY")
faults '{"slow":{"count":1,"factor":8}}' >/dev/null
sim_req POST /api/chat '{"model":"tiny","stream":false,"messages":[{"role":"user","content":"x"}]}'
slow=$(jq .eval_duration <<<"$BODY")
ok $((slow > fast * 5 ? 0 : 1)) "slow: eval_duration $fast -> $slow ns"

# malformed: one line is not JSON, the stream goes on.
faults '{"malformed":{"count":1,"after":1}}' >/dev/null
sim_req POST /api/chat "$CHAT"
bad=0
while IFS= read -r line; do jq -e . >/dev/null 2>&1 <<<"$line" || bad=$((bad + 1)); done <"$TEST_TMP/body"
is "$bad" 1 "malformed: exactly one broken line"
is "$(tail -1 "$TEST_TMP/body" | jq .done)" true "the stream still ends with done"

# midstream_error: two lines, then Ollama's error line (native) or an
# empty chunk and no [DONE] (OpenAI); the status is already 200.
faults '{"midstream_error":{"count":2,"after":2}}' >/dev/null
sim_req POST /api/chat "$CHAT"
is "$STATUS $(wc -l <"$TEST_TMP/body")" "200 3" "midstream_error: 200, two lines and one more"
is "$(tail -1 "$TEST_TMP/body" | jq -r 'keys | join(",")')" error "the last line is an error object"
is "$(grep -c '"done":true' "$TEST_TMP/body")" 0 "no done line"
sim_req POST /v1/chat/completions '{"model":"tiny","stream":true,"messages":[{"role":"user","content":"x"}]}'
is "$(grep -c '^data: ' "$TEST_TMP/body") $(grep -c 'DONE' "$TEST_TMP/body")" "3 0" "OpenAI stream cut without [DONE]"
is "$(grep '^data: ' "$TEST_TMP/body" | tail -1 | sed 's/^data: //' | jq -c '.choices[0] | [.delta.content, .finish_reason]')" '["",null]' "ending with an empty content chunk"

is "$(curl -s "$SIM_URL/sim/state" | jq -c '[.faults.drop.triggered, .faults.stall.triggered, .faults.slow.triggered, .faults.malformed.triggered, .faults.error500.triggered, .faults.midstream_error.triggered]')" "[3,1,1,1,2,2]" "/sim/state counts every fault"

# Bad settings change nothing.
sim_req POST /sim/faults '{"stall":{"count":1},"nope":{}}'
like "$STATUS $BODY" '^400 .*unknown fault mode' "unknown mode refused"
sim_req POST /sim/faults '{"stall":{"seconds":-1}}'
like "$STATUS $BODY" '^400 .*seconds' "bad value refused"
is "$(curl -s "$SIM_URL/sim/faults" | jq '.stall.count')" 0 "and nothing changed"
faults '{"slow":{"probability":0.5},"stall":{"count":3}}' >/dev/null
faults '{"clear":true}' >/dev/null
is "$(curl -s "$SIM_URL/sim/faults" | jq '[.[] | .count + .probability] | add')" 0 "clear turns everything off"

sim_stop sim
done_testing
