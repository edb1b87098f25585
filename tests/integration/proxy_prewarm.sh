#!/usr/bin/env bash
# Pre-warm of the runner-up node. A has M loaded with one slot and slow
# tokens; B has M on disk, but an idle X (keep_alive forever) fills its
# memory, so a request's cold load of M does not fit there and the scorer
# offers A only. Requests for M pile up behind A's slot:
#   - prewarm = false: B never loads M, A serves everything;
#   - prewarm = true (SIGHUP), B refusing its first connection: the load
#     fails, B is left alone for the cooldown, then loaded (X is evicted)
#     and the waiting requests are served by both nodes;
#   - both warm: nothing more is loaded.
# Bad pre-warm values stop the router at start with a clear error.
# PREWARM_KIND=embed (proxy_prewarm_embed.sh) runs the scenario with an
# embedding model, which is loaded through /api/embed; PREWARM_MODEL
# names it (proxy_prewarm_embed_unnamed.sh: one whose name does not say
# it embeds, so the router learns it from the node's refusal of generate).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

KIND=${PREWARM_KIND:-chat}
X=llama3.2:3b
# one request holds a slot about a second: 20 tokens at 20/s, or 40 words
# of input at 40 tokens/s
sim_args="--num-parallel 1 --tokens-per-sec 20 --prompt-tokens-per-sec 40 --load-gb-per-sec 40"
if [ "$KIND" = embed ]; then
    M=${PREWARM_MODEL:-bge-large:latest}
    fleet_sim A --memory-gb 16 --embed-model $M:4:16 $sim_args
    fleet_sim B --memory-gb 8 --embed-model $M:4:16 --model $X:6 $sim_args
    endpoint=/api/embed
    # the number first: a shared prefix would be served from the prompt cache
    payload() { echo "{\"model\":\"$M\",\"input\":\"$1 $(printf 'word%.0s ' $(seq 1 40))\"}"; }
else
    M=qwen3:0.6b
    fleet_sim A --memory-gb 16 --model $M:4 $sim_args
    fleet_sim B --memory-gb 8 --model $M:4 --model $X:6 $sim_args
    endpoint=/api/generate
    payload() { echo "{\"model\":\"$M\",\"prompt\":\"hi $1\",\"stream\":false,\"options\":{\"num_predict\":20}}"; }
fi
FLEET_NODES="" # the nodes come by heartbeat: static polls carry no memory
load() { # SIM MODEL: loads MODEL there for good
    local u path=/api/generate input=""
    eval "u=\$SIM_URL_$1"
    [ "$2" = "$M" ] && [ "$KIND" = embed ] && path=/api/embed input=',"input":"x"'
    curl -s -m 10 -o /dev/null -w '%{http_code}' "$u$path" \
        -d "{\"model\":\"$2\",\"keep_alive\":-1$input}"
}
is "$(load A $M)" 200 "A has $M loaded"
is "$(load B $X)" 200 "B has $X loaded: 2 of its 8 GB free, $M needs 4"

# heartbeat SIM: what an agent on that node would report, from the sim's
# /sim/state only (so an injected fault hits the router's calls alone).
heartbeat() {
    local u
    eval "u=\$SIM_URL_$1"
    curl -s -m 2 "$u/sim/state" | jq --arg id "$1" --arg host "$u" '
        (.server.memory_total / 1073741824) as $total |
        (.server.memory_used / 1073741824) as $used |
        {node_id: $id, num_parallel: 1,
         cpu: {cores_physical: 4, utilization_pct: 5},
         memory: {total_gb: $total, used_gb: $used,
                  available_gb: ($total - $used), pressure: "normal"},
         ollama: {models_loaded: [.models[] | select(.loaded) |
                                  {name, size_gb: (.size / 1073741824)}],
                  models_available: [.models[].name]},
         ollama_host: $host}' >"$TEST_TMP/hb-$1.json" &&
        curl -s -m 2 -o /dev/null "$ROUTER/heartbeat" \
            --data-binary "@$TEST_TMP/hb-$1.json"
}
heartbeats() { # every 0.2 s, for at most two minutes
    local i
    for i in $(seq 1 600); do
        heartbeat A
        heartbeat B
        sleep 0.2
    done
}

write_ini() { # PREWARM COOLDOWN
    cat >"$TEST_TMP/herd.ini" <<EOF
[router]
queue_wait = 60
auto_pull = false
vram_fallback = false
prewarm = $1
prewarm_interval = 0.2
prewarm_threshold = 3
prewarm_looks = 2
prewarm_cooldown = $2
EOF
}
write_ini false 60
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
start_bg heartbeats heartbeats
both_online() {
    [ "$(curl -s -m 2 "$ROUTER/fleet/status" |
        jq '[.nodes[] | select(.status == "online")] | length')" = 2 ]
}
wait_for 10 both_online || { echo "Bail out! nodes not online"; exit 1; }
rq POST /fleet/route "$(payload x)"
diag "/fleet/route: $STATUS $(jq -c "[.candidates[].node, .eliminated]" <<<"$BODY" 2>&1 | head -c 300)"
is "$(jq -r '[.candidates[].node] | join(",")' <<<"$BODY")" A \
    "the scorer offers A only for $M"
like "$(jq -r '.eliminated[] | select(.node == "B") | .reason' <<<"$BODY")" \
    "not enough memory" "B is eliminated: a cold load does not fit now"

# round NAME N: N requests for M at once, in the background (1 s each on
# one slot); waits for all.
round() {
    local i pids=""
    for i in $(seq 1 "$2"); do
        curl -s -m 60 -D "$TEST_TMP/$1-$i.hdr" -o "$TEST_TMP/$1-$i.body" \
            -w '%{http_code}\n' "$ROUTER$endpoint" -d "$(payload "$i")" \
            >"$TEST_TMP/$1-$i.code" &
        pids="$pids $!"
    done
    wait $pids
}
codes() { cat "$TEST_TMP/$1"-*.code | sort | uniq -c | awk '{print $2 "x" $1}' | xargs; }
served_by() { # NAME NODE: how many of the round NODE served
    cat "$TEST_TMP/$1"-*.hdr | tr -d '\r' |
        grep -ci "^X-Fleet-Node: $2\$"
}
model_loaded() { sim_of "$1" ".models[] | select(.name == \"$2\") | .loaded"; }
prewarm_stat() { curl -s -m 2 "$ROUTER/fleet/queue" | jq -r ".prewarm.$1"; }

# ---- prewarm = false --------------------------------------------------------
round off 6
is "$(codes off)" "200x6" "prewarm = false: all 6 requests complete"
is "$(served_by off A)" 6 "all served by A"
is "$(model_loaded B $M)" false "B never loaded $M"
is "$(model_loaded B $X)" true "and still has $X"
is "$(prewarm_stat enabled) $(prewarm_stat sent)" "false 0" \
    "/fleet/queue: pre-warm off, nothing sent"

# ---- prewarm = true, by SIGHUP; the first load fails -------------------------
fault B '{"refuse":{"count":1}}'
write_ini true 1.5
kill -HUP "$PID_herd"
wait_for 5 grep -q "pre-warm is on now" "$TEST_TMP/herd.log"
ok $? "SIGHUP turns pre-warm on"
round on 8
is "$(codes on)" "200x8" "prewarm = true: all 8 requests complete"
is "$(model_loaded B $M)" true "B has $M loaded now"
is "$(model_loaded B $X)" false "and $X was evicted for it"
on_b=$(served_by on B)
ok "$([ "$on_b" -ge 1 ]; echo $?)" "B served some of them ($on_b of 8)"
is "$(($(served_by on A) + on_b))" 8 "A served the rest"
log=$(grep 'prewarm: ' "$TEST_TMP/herd.log")
like "$log" \
    "[0-9]+ requests have waited for $M for 2 looks; loading it \(4\.0 GB\) on B \(on disk, 8\.0 GB total, 2\.0 GB free now, idle\)" \
    "the log says why"
like "$log" "warn.*loading $M on B failed after [0-9.]+ s: " \
    "a failed load is logged with the reason"
like "$log" "$M is loaded on B" "and so is a load that worked"
if [ -n "${PREWARM_MODEL-}" ]; then
    like "$log" "$M on B does not generate: trying /api/embed" \
        "a model not named as an embedding one: /api/embed after the node refused generate"
fi
# seconds of the day of each "loading it" line
starts=$(grep 'loading it' <<<"$log" |
    sed -E 's/^[0-9-]+T([0-9]+):([0-9]+):([0-9.]+)Z.*/\1 \2 \3/' |
    awk '{printf "%.3f\n", $1 * 3600 + $2 * 60 + $3}' | xargs)
diag "$(grep -m1 "failed after" <<<"$log")"
diag "loads started at (s of the day): $starts"
ok "$(awk -v s="$starts" 'BEGIN { n = split(s, t, " ");
    exit !(n == 2 && t[2] - t[1] >= 1.5) }'; echo $?)" \
    "B was tried again only after the cooldown (1.5 s)"
is "$(curl -s -m 2 "$ROUTER/fleet/queue" |
    jq -c '.prewarm | [.enabled, .sent, .succeeded, .failed, .in_flight]')" \
    "[true,2,1,1,0]" "/fleet/queue: two loads sent, one failed, one worked"
# Once B has M loaded it is a candidate: a deep queue loads nothing more.
round again 8
is "$(codes again)" "200x8" "a third round completes"
is "$(prewarm_stat sent)" 2 "with both nodes warm, nothing more is loaded"

kill "$PID_heartbeats" 2>/dev/null
router_stop
[ "$KIND" = chat ] || done_testing

# ---- bad values stop the router at start ------------------------------------
bad() { # KEY VALUE -> the router's exit status and first error line
    printf '[router]\n%s = %s\n' "$1" "$2" >"$TEST_TMP/bad.ini"
    timeout 10 "$(herd_bin)" --config "$TEST_TMP/bad.ini" --host 127.0.0.1 \
        --port "$(free_port)" --data-dir "$TEST_TMP/bad" >"$TEST_TMP/bad.log" 2>&1
    echo "$? $(grep -i -m1 "$1" "$TEST_TMP/bad.log")"
}
like "$(bad prewarm_threshold 0)" "^[12] .*prewarm_threshold" \
    "prewarm_threshold = 0 is refused, naming the key"
like "$(bad prewarm_looks many)" "^[12] .*prewarm_looks" \
    "prewarm_looks = many is refused"
like "$(bad prewarm_interval 0)" "^[12] .*prewarm_interval" \
    "prewarm_interval = 0 is refused"
like "$(bad prewarm maybe)" "^[12] .*prewarm" "prewarm = maybe is refused"
like "$(bad prewarm_cooldown -5)" "^[12] .*prewarm_cooldown" \
    "prewarm_cooldown = -5 is refused"
is "$(HERD_PREWARM_LOOKS=7 "$(herd_bin)" --config /dev/null --print-config |
    grep -E '^prewarm_looks')" "prewarm_looks = 7  ; from HERD_PREWARM_LOOKS" \
    "HERD_PREWARM_LOOKS overrides the file"

done_testing
