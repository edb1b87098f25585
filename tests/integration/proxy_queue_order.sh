#!/usr/bin/env bash
# The holding queue is first come, first served, also against a request
# that arrives in the very loop pass in which a slot frees: the slot goes
# to the request that waited, the newcomer queues behind it. The router
# is stopped (SIGSTOP) while the running request ends on the node and the
# newcomer sends its request on a connection it opened before, so that
# both reach the router in one pass when it goes on.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

one_slot_fleet

# gen NAME TOKENS: a non-streamed generation in the background; its
# status, and the time it ended, in NAME.end
gen() {
    (
        code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$ROUTER/api/generate" \
            -d "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"stream\":false,\"options\":{\"num_predict\":$2}}")
        echo "$code $(date +%s.%N)" >"$TEST_TMP/$1.end"
    ) &
}
sim_active() { curl -s -m 2 "$SIM_URL_s1/sim/state" | jq '[.models[].active] | add'; }

# the newcomer's connection, open and used once before the test
hostport=${ROUTER#http://}
exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
printf 'GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&3
timeout 0.5 cat <&3 >/dev/null

gen running 10 # about 1 s on the only slot
sleep 0.3
gen waiting 1 # held in the queue
sleep 0.3
kill -STOP "$PID_herd"
idle() { [ "$(sim_active)" = 0 ]; }
wait_for 10 idle # the running request has ended on the node
sleep 0.2
body='{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":1}}'
printf 'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s' \
    "${#body}" "$body" >&3
sleep 0.3
kill -CONT "$PID_herd"
(
    timeout 20 cat <&3 >"$TEST_TMP/newcomer.out"
    echo "$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$TEST_TMP/newcomer.out") $(date +%s.%N)" \
        >"$TEST_TMP/newcomer.end"
) &
exec 3<&-
ended() { [ -s "$TEST_TMP/waiting.end" ] && [ -s "$TEST_TMP/newcomer.end" ] &&
    [ -s "$TEST_TMP/running.end" ]; }
wait_for 20 ended
read -r wcode wend <"$TEST_TMP/waiting.end"
read -r ncode nend <"$TEST_TMP/newcomer.end"
read -r rcode _ <"$TEST_TMP/running.end"
is "$rcode $wcode $ncode" "200 200 200" "all three answered"
ok "$(awk -v w="$wend" -v n="$nend" 'BEGIN { exit !(w < n) }'; echo $?)" \
    "the request that waited got the freed slot before the newcomer"
done_testing
