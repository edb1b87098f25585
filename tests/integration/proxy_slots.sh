#!/usr/bin/env bash
# Admission under a burst: 200 concurrent requests against two sims with
# 2 slots each. No sim ever runs more than 2 at once (its own
# max_concurrent says so), every request completes or gets 503 with
# Retry-After, none hangs.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

# 20 tokens at 1000/s: each request holds its slot about 20 ms
fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 2 --tokens-per-sec 1000 \
    --max-queue 1000
fleet_sim s2 --model qwen3:0.6b:0.5 --num-parallel 2 --tokens-per-sec 1000 \
    --max-queue 1000
fleet_router "queue_wait = 60
default_num_parallel = 2"
# both sims load the model first, so the burst measures slots only
for s in s1 s2; do
    eval "u=\$SIM_URL_$s"
    curl -s -m 10 -o /dev/null "$u/api/generate" -d '{"model":"qwen3:0.6b"}'
done

n=200
body='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"go"}],"options":{"num_predict":20}}'
mkdir -p "$TEST_TMP/burst"
start=$(now_ms)
pids=()
for i in $(seq 1 $n); do
    curl -s -m 60 -o "$TEST_TMP/burst/$i.body" -D "$TEST_TMP/burst/$i.hdr" \
        -w '%{http_code}\n' "$ROUTER/api/chat" -d "$body" \
        >"$TEST_TMP/burst/$i.code" 2>/dev/null &
    pids+=($!)
done
wait "${pids[@]}"
diag "$n requests in $(($(now_ms) - start)) ms"
codes=$(cat "$TEST_TMP/burst/"*.code | sort | uniq -c | tr -s ' ' | tr '\n' ';')
diag "status codes: $codes"
ok200=$(grep -l '^200$' "$TEST_TMP/burst/"*.code | wc -l)
ok503=$(grep -l '^503$' "$TEST_TMP/burst/"*.code | wc -l)
is "$((ok200 + ok503))" "$n" "every request got 200 or 503 (none hung, none lost)"
ok $([ "$ok200" -gt 0 ]; echo $?) "requests completed ($ok200)"
done_ok=0
for f in "$TEST_TMP/burst/"*.body; do
    c=${f%.body}.code
    [ "$(cat "$c")" = 200 ] || continue
    [ "$(jq -r .done "$f" 2>/dev/null)" = true ] && done_ok=$((done_ok + 1))
done
is "$done_ok" "$ok200" "every 200 is a complete answer"
ra_ok=1
for c in $(grep -l '^503$' "$TEST_TMP/burst/"*.code 2>/dev/null); do
    grep -qi '^Retry-After: [0-9]' "${c%.code}.hdr" || ra_ok=0
done
is "$ra_ok" 1 "every 503 has Retry-After"
for s in s1 s2; do
    is "$(sim_of $s '.models[] | select(.name=="qwen3:0.6b") | .max_concurrent')" 2 \
        "$s ran at most its 2 slots at once (and used both)"
done
total=$(( $(sim_of s1 '.models[0].requests') + $(sim_of s2 '.models[0].requests') ))
is "$total" "$ok200" "the sims served exactly the completed requests"
q=$(curl -s "$ROUTER/fleet/queue")
is "$(jq -r '[.in_flight, .pending] | join(" ")' <<<"$q")" "0 0" \
    "nothing left in flight or waiting"
is "$(jq -r '[.queues[] | .max_in_flight] | max' <<<"$q")" 2 \
    "the router never had more than 2 in flight per node:model"
router_stop
done_testing
