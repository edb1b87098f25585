#!/usr/bin/env bash
# herd-sim scheduler: load time, keep_alive, eviction, num_ctx reload,
# parallel slots with FIFO wait and 503, prompt cache, disconnects.
# Every assertion reads /sim/state or measured timings.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"

cat >"$TEST_TMP/fleet.ini" <<'INI'
[server]
memory_gb = 7
load_gb_per_sec = 10
tokens_per_sec = 20
prompt_tokens_per_sec = 100
response_tokens = 10
max_queue = 2
keep_alive = 10m

[model.small]
size_gb = 1

[model.big]
size_gb = 4

[model.duo]
size_gb = 0.1
num_parallel = 2
INI
sim_start sim --config "$TEST_TMP/fleet.ini" --model a:2 --model b:2 --model c:2

gen() { # gen MODEL EXTRA-JSON: one non-streamed generate, body in BODY
    sim_req POST /api/generate '{"model":"'"$1"'","prompt":"hello there","stream":false'"${2:+,$2}"'}'
}
ms() { echo $(( $1 / 1000000 )); }

# Load time is proportional to size (1 GB: 100 ms, 4 GB: 400 ms).
gen small '"options":{"num_predict":1}'
small_ms=$(ms "$(jq .load_duration <<<"$BODY")")
ok $((small_ms >= 95 && small_ms < 300 ? 0 : 1)) "1 GB loads in about 100 ms ($small_ms ms)"
gen big '"options":{"num_predict":1}'
big_ms=$(ms "$(jq .load_duration <<<"$BODY")")
ok $((big_ms >= 395 && big_ms < 700 ? 0 : 1)) "4 GB loads in about 400 ms ($big_ms ms)"
is "$(model_state small:latest loads) $(model_state big:latest loads)" "1 1" "one load each"
gen big '"options":{"num_predict":1}'
warm_ms=$(ms "$(jq .load_duration <<<"$BODY")")
ok $((warm_ms < 100 ? 0 : 1)) "a loaded model starts at once ($warm_ms ms)"
is "$(sim_state .server.memory_used)" $((5 * 1073741824)) "memory used by loaded models"

# Eviction (7 GB): small (keep_alive 1m) and big (forever) are loaded; a
# fits; b must evict the idle ones with the shortest keep_alive first.
gen small '"keep_alive":"1m","options":{"num_predict":1}'
gen big '"keep_alive":-1,"options":{"num_predict":1}'
gen a '"options":{"num_predict":1}'
is "$(model_state small:latest evictions)" 0 "a fits without eviction"
gen b '"options":{"num_predict":1}'
is "$(model_state small:latest evictions) $(model_state a:latest evictions)" "1 1" "shortest keep_alive first, then the next"
is "$(model_state big:latest loaded)" true "keep_alive -1 model stays"
gen c '"options":{"num_predict":1}'
is "$(model_state b:latest evictions) $(model_state big:latest loaded)" "1 true" "forever is evicted last"
is "$(sim_state .server.memory_used)" $((6 * 1073741824)) "memory used after evictions"

# keep_alive: 0 unloads at the end; "1s" unloads about 1 s after.
gen small '"keep_alive":0,"options":{"num_predict":1}'
is "$(model_state small:latest loaded)" false "keep_alive 0: unloaded right after the request"
gen duo '"keep_alive":"1s","options":{"num_predict":1}'
is "$(model_state duo:latest loaded)" true "keep_alive 1s: loaded"
sleep 0.6
gen duo '"options":{"num_predict":1}'
sleep 0.6
is "$(model_state duo:latest loaded)" true "a request in the window resets the timer"
wait_for 3 sh -c "curl -s $SIM_URL/api/ps | jq -e '[.models[].name] | index(\"duo:latest\") == null'"
ok $? "gone from /api/ps after keep_alive"
is "$(model_state duo:latest unloads)" 1 "counted as an unload"

# num_ctx change reloads; temperature does not.
gen c '"options":{"num_ctx":2048,"num_predict":1}'
ctx=$(curl -s "$SIM_URL/api/ps" | jq '.models[] | select(.name=="c:latest") | .context_length')
is "$ctx" 2048 "context_length follows num_ctx"
reloads0=$(model_state c:latest reloads)
gen c '"options":{"num_ctx":8192,"num_predict":1}'
rl_ms=$(ms "$(jq .load_duration <<<"$BODY")")
is "$(model_state c:latest reloads)" $((reloads0 + 1)) "another num_ctx reloads"
ok $((rl_ms >= 195 ? 0 : 1)) "reload costs a full load ($rl_ms ms)"
is "$(curl -s "$SIM_URL/api/ps" | jq '.models[] | select(.name=="c:latest") | .context_length')" 8192 "new context_length"
gen c '"options":{"num_ctx":8192,"temperature":0.1,"num_predict":1}'
t_ms=$(ms "$(jq .load_duration <<<"$BODY")")
is "$(model_state c:latest reloads)" $((reloads0 + 1)) "temperature does not reload"
ok $((t_ms < 100 ? 0 : 1)) "no load time ($t_ms ms)"

# Slots: num_parallel 1, max_queue 2 -> one runs, two wait FIFO, 503.
# Each next request is sent once the sim has the one before (not after a
# fixed sleep: a busy machine may start curl late).
gen small '"keep_alive":"10m","options":{"num_predict":1}'
slot_rq() { # slot_rq I [PROMPT]: in the background; writes "CODE SECONDS" then the end time
    { curl -s -m 20 -o "$TEST_TMP/slot$1" -w '%{http_code} %{time_total}\n' \
        "$SIM_URL/api/generate" \
        -d '{"model":"small","prompt":"'"${2:-}"'slot '$1'","stream":false}'
      now_ms; } >"$TEST_TMP/slot$1.st" &
}
# the first holds the slot about 2.5 s (200 prompt tokens at 100/s, then
# 10 at 20/s), time for the others to queue up behind it
slot_rq 1 "$(printf 'wait %.0s' $(seq 1 160))"
held() { [ "$(model_state small:latest active) $(model_state small:latest waiting)" = "$1 $2" ]; }
wait_for 5 held 1 0
slot_rq 2; wait_for 5 held 1 1
slot_rq 3; wait_for 5 held 1 2
slot_rq 4
wait_for 10 sh -c "[ \$(cat $TEST_TMP/slot*.st | wc -l) -eq 8 ]"
{ read -r s1 t1; read -r e1; } <"$TEST_TMP/slot1.st"
{ read -r s2 t2; read -r e2; } <"$TEST_TMP/slot2.st"
{ read -r s3 t3; read -r e3; } <"$TEST_TMP/slot3.st"
{ read -r s4 t4; read -r e4; } <"$TEST_TMP/slot4.st"
is "$s1 $s2 $s3 $s4" "200 200 200 503" "past the queue limit: 503"
is "$(cat "$TEST_TMP/slot4")" '{"error":"server busy, please try again.  maximum pending requests exceeded"}' "503 message as Ollama's"
ok "$(awk -v a="$t4" 'BEGIN{exit !(a < 0.2)}'; echo $?)" "503 at once ($t4 s)"
ok "$([ "$e1" -lt "$e2" ] && [ "$e2" -lt "$e3" ]; echo $?)" \
    "FIFO: they end in the order they came ($e1 $e2 $e3 ms)"
is "$(model_state small:latest max_concurrent)" 1 "never more than one at once"
is "$(sim_state .server.rejected_busy)" 1 "rejections counted"

# num_parallel 2: two run together.
gen duo '"options":{"num_predict":1}'
for i in 1 2; do
    curl -s -m 20 -o /dev/null -w '%{time_total}\n' "$SIM_URL/api/generate" \
        -d '{"model":"duo","prompt":"p'$i'","stream":false}' >"$TEST_TMP/duo$i" &
done
wait_for 10 sh -c "[ -s $TEST_TMP/duo1 ] && [ -s $TEST_TMP/duo2 ]"
is "$(model_state duo:latest max_concurrent)" 2 "num_parallel 2 runs two at once"

# Prompt cache: same prefix on the same slot evaluates only the new part.
long="In a distant fleet of machines a router chooses where every request should go, and this prompt is long enough to matter."
sim_req POST /api/generate '{"model":"small","prompt":"'"$long"'","stream":false,"options":{"num_predict":1}}'
first=$(jq .prompt_eval_count <<<"$BODY")
p0=$(ms "$(jq .prompt_eval_duration <<<"$BODY")")
ok $((p0 >= first * 10 - 5 && p0 < first * 10 + 150 ? 0 : 1)) "prompt evaluated at 100 tokens/s ($first tokens in $p0 ms)"
hits0=$(model_state small:latest prompt_cache_hits)
sim_req POST /api/generate '{"model":"small","prompt":"'"$long"' And more.","stream":false,"options":{"num_predict":1}}'
second=$(jq .prompt_eval_count <<<"$BODY")
p1=$(ms "$(jq .prompt_eval_duration <<<"$BODY")")
is "$(model_state small:latest prompt_cache_hits)" $((hits0 + 1)) "prompt-cache hit counted"
ok $((second < first / 4 ? 0 : 1)) "only the new part is evaluated ($first then $second tokens)"
ok $((p1 < p0 / 3 ? 0 : 1)) "and faster ($p0 then $p1 ms)"
eval_ms=$(ms "$(jq .eval_duration <<<"$BODY")")
sim_req POST /api/generate '{"model":"small","prompt":"rate","stream":false}'
eval_ms=$(ms "$(jq .eval_duration <<<"$BODY")")
ok $((eval_ms >= 450 && eval_ms < 800 ? 0 : 1)) "10 tokens at 20 tokens/s take about 500 ms ($eval_ms ms)"

# A client that leaves frees its slot at once.
curl -s -m 0.3 -o /dev/null "$SIM_URL/api/generate" -d '{"model":"small","prompt":"leave"}'
sleep 0.1
is "$(model_state small:latest active) $(sim_state .server.requests_in_flight)" "0 0" "disconnect frees the slot"
gen small '"options":{"num_predict":1}'
# the sim's own clock, not the wall clock of a busy machine: the model is
# loaded, so time spent neither evaluating nor generating is time waiting
# for the slot (the sim counts it in load_duration; the abandoned answer
# would have held the slot ~500 ms)
waited=$(ms "$(jq '.total_duration - .prompt_eval_duration - .eval_duration' <<<"$BODY")")
ok $((waited < 200 ? 0 : 1)) "the next request starts at once (waited $waited ms)"

# A client that leaves before anything was written (waiting for the slot,
# not streamed) is noticed at once too, as Ollama does; the slot's holder
# (a long prompt) runs on.
hold=$(printf 'hold %.0s' $(seq 1 300)) # 375 tokens: about 4 s of prompt
curl -s -m 10 -o "$TEST_TMP/holder" "$SIM_URL/api/generate" \
    -d '{"model":"small","prompt":"'"$hold"'","stream":false}' &
holder=$!
holder_runs() { [ "$(model_state small:latest active)" = 1 ]; }
wait_for 5 holder_runs
curl -s -m 0.3 -o /dev/null "$SIM_URL/api/generate" \
    -d '{"model":"small","prompt":"gone","stream":false}'
sleep 0.2
is "$(model_state small:latest waiting) $(sim_state .server.requests_in_flight)" "0 1" \
    "a non-streamed client that left while waiting gives up its place"
wait "$holder"
is "$(jq -r .done_reason "$TEST_TMP/holder")" stop "the holder's request completes"

# Too big for memory.
sim_req POST /api/generate '{"model":"big","prompt":"x"}'
is "$STATUS" 200 "big model still answers"
sim_stop sim
sim_start sim2 --memory-gb 1 --model huge:2
sim_req POST /api/generate '{"model":"huge","prompt":"x","stream":false}'
like "$STATUS $BODY" '^500 .*requires more system memory' "a model larger than memory fails with 500"
sim_stop sim2

# time_scale halves every delay; max_loaded_models 1: B waits for A's
# request, then A is evicted.
sim_start sim3 --time-scale 0.5 --load-gb-per-sec 10 --tokens-per-sec 10 \
    --response-tokens 30 --max-loaded-models 1 --model m4:4 --model other:0.1
sim_req POST /api/generate '{"model":"m4","prompt":"x","stream":false,"options":{"num_predict":1}}'
l_ms=$(ms "$(jq .load_duration <<<"$BODY")")
ok $((l_ms >= 195 && l_ms < 400 ? 0 : 1)) "time_scale 0.5: 4 GB at 10 GB/s loads in 200 ms ($l_ms ms)"
curl -s -m 10 -o "$TEST_TMP/busy" "$SIM_URL/api/generate" -d '{"model":"m4","prompt":"busy","stream":false}' &
a_running() { [ "$(model_state m4:latest active)" = 1 ]; }
wait_for 5 a_running
# A holds m4 for 1.5 s (30 tokens at 10/s, time_scale 0.5); B alone
# would load in 5 ms, so a good part of A's time means it waited
sim_req POST /api/generate '{"model":"other","prompt":"x","stream":false,"options":{"num_predict":1}}'
w_ms=$(ms "$(jq .load_duration <<<"$BODY")")
ok $((w_ms >= 500 ? 0 : 1)) "B waited for A's request to end ($w_ms ms)"
wait_for 5 test -s "$TEST_TMP/busy"
is "$(jq -r .done_reason "$TEST_TMP/busy")" stop "A's request completed"
is "$(model_state m4:latest evictions) $(sim_state .server.loaded_models)" "1 1" "then A was evicted for B"
sim_stop sim3
done_testing
