#!/usr/bin/env bash
# A client that reads slower than its node sends: the router stops reading
# from the node while more than 1 MiB waits for the client (memory stays
# bounded) and goes on when the client catches up, so the slow stream
# still ends complete; another client is served normally meanwhile.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --tokens-per-sec 1000000 \
    --response-tokens 100000 --num-parallel 2
fleet_router "default_num_parallel = 2"
curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/generate" -d '{"model":"qwen3:0.6b"}'

# A client that sends its request and then reads nothing for a while.
port=${ROUTER##*:}
body='{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":100000}}'
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "${#body}" "$body" >&3
paused() { grep -q 'reads slower than s1 sends' "$TEST_TMP/herd.log"; }
wait_for 15 paused
ok $? "the router stops reading from the node while the client lags"
t0=$(now_ms)
rq POST /api/generate '{"model":"qwen3:0.6b","prompt":"x","stream":false,"options":{"num_predict":5}}'
t1=$(now_ms)
is "$STATUS $(jq -r .done <<<"$BODY")" "200 true" "another client is served meanwhile"
ok $([ $((t1 - t0)) -lt 2000 ]; echo $?) "promptly ($((t1 - t0)) ms)"
timeout 60 cat <&3 >"$TEST_TMP/slow.out"
is "$?" 0 "the lagging client then reads to the end"
exec 3<&-
# the body without its chunked framing: the router passes bytes on as
# they come, so a chunk may end inside a line, the final one included
dechunk() {
    perl -0777 -ne 's/\A.*?\r\n\r\n//s; my $o = "";
        while (s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1; last unless $n;
            $o .= substr($_, 0, $n, ""); s/\A\r\n//;
        }
        print $o' "$1"
}
is "$(dechunk "$TEST_TMP/slow.out" | grep -c '"done":true')" 1 \
    "and gets the complete stream, final line included"
is "$(tail -c 5 "$TEST_TMP/slow.out" | od -An -c | tr -d ' ')" '0\r\n\r\n' \
    "ended as a chunked stream should"
router_stop
done_testing
