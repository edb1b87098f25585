#!/usr/bin/env bash
# A non-streamed answer larger than max_body_bytes: the router stops
# reading it as soon as it is over, answers 502 at once and frees the
# slot, rather than reading a node that may never stop to the end. The
# node is tests/image_server, whose /api/generate sends 64 KiB every
# 50 ms for 10 s and records how many pieces went out before the router
# closed the connection. An error answer over 64 KiB: a 4xx is relayed
# with a JSON message of the router's (the node's, cut off, would not be
# JSON), a 5xx is a failed attempt.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

need_image_server

head -c 100 /dev/urandom >"$TEST_TMP/img.png"
rec=$TEST_TMP/recorded.txt
start_image_server node --file "$TEST_TMP/img.png" --record "$rec"
NODE=$url

cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
max_body_bytes = 256K
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
hb=$(llava_node_report drip "$NODE" 1)
is "$hb" 200 "the node reports llava:7b, one slot"

gen='{"model":"llava:7b","prompt":"go on","stream":false}'
# ask NAME: one non-streamed generation; its status and seconds in NAME.out
ask() {
    curl -s -m 8 -o "$TEST_TMP/$1.body" -w '%{http_code} %{time_total}' \
        "$ROUTER/api/generate" -d "$gen" >"$TEST_TMP/$1.out"
}
ask first
read -r code secs <"$TEST_TMP/first.out"
is "$code" 502 "an answer over max_body_bytes: 502"
like "$(jq -r .error "$TEST_TMP/first.body")" "larger than max_body_bytes" \
    "... saying why"
ok "$(awk -v s="$secs" 'BEGIN { exit !(s < 3) }'; echo $?)" \
    "... at once (${secs}s), not after the node's 10 s"
recorded() { grep -q . "$rec" 2>/dev/null; }
wait_for 5 recorded
like "$(cat "$rec" 2>/dev/null)" "^closed after [0-9]+ pieces" \
    "the router closed the node's connection"
pieces=$(sed -n 's/^closed after \([0-9]*\) pieces/\1/p' "$rec")
ok "$([ "${pieces:-999}" -lt 20 ]; echo $?)" \
    "... after ${pieces:-?} of 200 pieces (256 KiB is 4 of them)"

# the one slot is free again: a second request is not queued behind the first
rm -f "$rec"
ask second
read -r code secs <"$TEST_TMP/second.out"
is "$code" 502 "the slot was freed: the next request runs at once"
ok "$(awk -v s="$secs" 'BEGIN { exit !(s < 3) }'; echo $?)" \
    "... and ends at once as well (${secs}s)"
like "$(grep -c 'answer too large\|larger than max_body_bytes' "$TEST_TMP/herd.log")" \
    "^[1-9]" "the router's log says why"

# error answers over 64 KiB (/api/embed: 400, /api/embeddings: 500)
rq POST /api/embed '{"model":"llava:7b","input":"x"}'
is "$STATUS" 400 "a 4xx with a 100 KB error: its status relayed"
is "$(jq -r .error <<<"$BODY")" \
    "node drip answered HTTP 400 with an error of more than 65536 bytes" \
    "... as a JSON error that says what happened"
rq POST /v1/embeddings '{"model":"llava:7b","input":"x"}'
is "$STATUS" 400 "the same through the OpenAI API"
like "$(jq -r .error.message <<<"$BODY")" "more than 65536 bytes" \
    "... in OpenAI's error shape"
rq POST /api/embeddings '{"model":"llava:7b","prompt":"x"}'
like "$STATUS" "^5" "a 5xx with a 100 KB error: a failed attempt ($STATUS)"
ok "$(jq -e .error <<<"$BODY" >/dev/null; echo $?)" "... answered with a JSON error"

done_testing
