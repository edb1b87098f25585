#!/usr/bin/env bash
# The router's HTTP/1.1 server on the wire, request by raw request:
# chunked bodies, Expect: 100-continue, pipelining, HTTP/1.0 keep-alive
# and close, blank lines before a request, absolute-form targets, every
# malformed or oversized request refused with its status and a JSON error,
# and the client timeout closing an idle connection, a half-sent request
# and an answer its client stopped reading.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

printf '[router]\nmax_body_bytes = 4K\nmax_header_bytes = 2K\nclient_timeout = 1\n' \
    >"$TEST_TMP/wire.ini"
start_herd herd --config "$TEST_TMP/wire.ini" --data-dir "$TEST_TMP/data"
ok $? "router answers"

# raw TEXT: sends TEXT (printf escapes) on a new connection and prints all
# that comes back until the router closes it (at most 5 s), CRs removed.
raw() {
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
        printf "$1" >&3; cat <&3' _ "$1" | tr -d '\r'
}
status_of() { printf '%s\n' "$1" | head -1 | cut -d' ' -f2; }
body_of() { printf '%s\n' "$1" | sed '1,/^$/d'; }

hb='{"node_id":"NODE","agentless":true,"ollama_host":"http://127.0.0.1:9"}'
len() { printf '%s' "$1" | wc -c; }
nodes() { curl -s "$url/fleet/status" | jq -c '[.nodes[].node_id] | sort'; }

# A chunked body, in three chunks with an extension and a trailer.
b=${hb/NODE/chunky}
c1=${b:0:10} c2=${b:10:20} c3=${b:30}
out=$(raw "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n$(printf %x ${#c1})\r\n$c1\r\n$(printf %x ${#c2});ext=1\r\n$c2\r\n$(printf %x ${#c3})\r\n$c3\r\n0\r\nX-Trailer: t\r\n\r\n")
is "$(status_of "$out")" 200 "chunked request body: 200"
like "$(nodes)" '"chunky"' "and its heartbeat was read whole"

# Expect: 100-continue: the go-ahead comes before the body is sent.
b=${hb/NODE/expecting}
out=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
    printf "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: %s\r\nConnection: close\r\n\r\n" "$2" >&3
    IFS= read -r -t 3 first <&3; printf "%s\n" "$first"
    printf "%s" "$1" >&3; cat <&3' _ "$b" "$(len "$b")" | tr -d '\r')
is "$(printf '%s\n' "$out" | head -1)" "HTTP/1.1 100 Continue" \
    "Expect: 100-continue: 100 Continue before the body"
like "$(printf '%s\n' "$out" | grep -o 'HTTP/1.1 [0-9]*' | tail -1)" '^HTTP/1\.1 200' \
    "then the answer"
like "$(nodes)" '"expecting"' "and the body was read"
out=$(raw "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: tea\r\nContent-Length: 2\r\n\r\n{}")
is "$(status_of "$out")" 417 "another expectation: 417"

# Pipelining: three requests in one write, three answers in order.
out=$(raw "GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /no/such HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
is "$(printf '%s\n' "$out" | grep -o 'HTTP/1.1 [0-9]*' | cut -d' ' -f2 | tr '\n' ' ')" \
    "200 404 200 " "pipelined requests: answered in order"
like "$(printf '%s\n' "$out" | grep -i '^Connection:' | tail -1)" "close" \
    "the last, which asked for it, closes the connection"

# HTTP/1.0: keep-alive when asked for, else closed after the answer.
out=$(raw "GET /api/version HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /api/version HTTP/1.0\r\n\r\n")
is "$(printf '%s\n' "$out" | grep -o 'HTTP/1.1 200' | wc -l)" 2 \
    "HTTP/1.0 keep-alive: two answers on one connection"
like "$(printf '%s\n' "$out" | grep -i '^Connection:' | head -1)" "keep-alive" \
    "the first says keep-alive"
like "$(printf '%s\n' "$out" | grep -i '^Connection:' | tail -1)" "close" \
    "the second closes"

# Blank lines before a request, and an absolute-form target.
out=$(raw "\r\n\r\nGET http://t/api/version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
is "$(status_of "$out")" 200 "blank lines first, absolute-form target: 200"
is "$(body_of "$out" | jq -r .version)" "unknown" "the path was routed"

# Refusals: status, a JSON error, and the connection closed.
refused() { # refused REQUEST STATUS WHAT
    local out
    out=$(raw "$1")
    is "$(status_of "$out")" "$2" "$3: $2"
    like "$(body_of "$out" | jq -r .error 2>/dev/null)" "." "$3: a JSON error"
    like "$(printf '%s\n' "$out" | grep -i '^Connection:')" "close" \
        "$3: the connection closes"
}
refused "GARBAGE\r\n\r\n" 400 "a request line without target and version"
refused "BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" 501 "an unknown method"
refused "GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n" 505 "HTTP/2.0 in the request line"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2x\r\n\r\n{}" \
    400 "a malformed Content-Length"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}" \
    400 "two Content-Lengths that differ"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}" \
    400 "Content-Length and Transfer-Encoding together"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n{}" \
    501 "a transfer coding other than chunked"
refused "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\r\n  folded\r\n\r\n" \
    400 "a folded header line"
refused "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColon\r\n\r\n" 400 "a header without a colon"
# A CR that does not end a line would let a header's text forge another.
refused "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\rX-B: 2\r\n\r\n" 400 "a bare CR in a header value"
refused "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX\rA: 1\r\n\r\n" 400 "a bare CR in a header name"
refused "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: $(head -c 3000 /dev/zero | tr '\0' a)\r\n\r\n" \
    431 "headers over max_header_bytes"
# the limit is exact: a head of 2,048 bytes is read, one of 2,049 is not
pad() { head -c "$1" /dev/zero | tr '\0' a; }
head_of() { printf 'GET /api/version HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX: %s\\r\\nConnection: close\\r\\n\\r\\n' "$(pad $(($1 - 70)))"; }
is "$(status_of "$(raw "$(head_of 2048)")")" 200 "a head of exactly max_header_bytes: 200"
refused "$(head_of 2049)" 431 "a head one byte over max_header_bytes"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n" \
    413 "a Content-Length over max_body_bytes"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n" \
    413 "a chunk over max_body_bytes"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" \
    400 "a malformed chunk size"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n$(for i in $(seq 1 60); do printf 'X-T%s: %s\\r\\n' $i $(head -c 40 /dev/zero | tr '\0' t); done)\r\n" \
    431 "trailers over max_header_bytes"
# A NUL would end the head early for a C string: a header after it would
# go unseen here but not by a proxy in front (request smuggling).
refused "G\0ET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" 400 "a NUL in the request line"
out=$(raw "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nX: \0\r\nContent-Length: 27\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")
is "$(status_of "$out")" 400 "a NUL in a header line: 400"
is "$(printf '%s\n' "$out" | grep -o 'HTTP/1.1 [0-9]*' | wc -l)" 1 \
    "and the body is not read as a second request"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" \
    400 "a chunk size with 0x"
refused "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" \
    501 "gzip before chunked"
is "$(curl -s "$url/api/version" | jq -r .version)" "unknown" \
    "still serving after every refusal"

# client_timeout (1 s here): an idle connection is closed.
start=$(date +%s%N)
out=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'; cat <&3; echo closed')
ms=$((($(date +%s%N) - start) / 1000000))
is "$out" "closed" "an idle connection is closed by the router"
ok $([ "$ms" -ge 800 ] && [ "$ms" -lt 4000 ]; echo $?) \
    "after client_timeout ($ms ms)"
# A request that stops halfway is closed the same way.
out=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
    printf "GET /api/version HTTP/1.1\r\nHo" >&3; cat <&3; echo closed')
is "$out" "closed" "half a request: closed after client_timeout"

if command -v node >/dev/null; then
    # A client that half-closes after its requests still gets the answers,
    # of those it pipelined too, and then the connection closes.
    out=$(timeout 5 node -e '
        const s = require("net").connect(+process.argv[1], "127.0.0.1", () => {
            s.end("GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" +
                  "GET /no/such HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        });
        let got = ""; s.on("data", d => got += d);
        s.on("close", () => console.log((got.match(/HTTP\/1\.1 [0-9]+/g) || []).join(" ")));' "$port")
    is "$out" "HTTP/1.1 200 HTTP/1.1 404" \
        "a client that half-closes gets the answers to all it sent"
    # One that keeps sending after a refusal is not read for long.
    ms=$(timeout 15 node -e '
        const t0 = Date.now();
        const s = require("net").connect(+process.argv[1], "127.0.0.1", () => {
            s.write("POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999\r\n\r\n");
            const tick = setInterval(() => s.write("x".repeat(1024)), 100);
            s.on("close", () => { clearInterval(tick); console.log(Date.now() - t0); });
        });
        s.on("error", () => {});' "$port")
    ok $([ -n "$ms" ] && [ "$ms" -lt 6000 ]; echo $?) \
        "a client that keeps sending after a 413 is cut off (${ms:-never} ms)"
else
    diag "node is not installed: half-close checks skipped"
fi

kill -TERM "$PID_herd"
wait "$PID_herd"
is $? 0 "SIGTERM: exit status 0"

# Out of file descriptors, the listener rests and retries instead of
# spinning on a pending connection it cannot accept; it serves again once
# descriptors are free.
if [ "${VALGRIND:-0}" = 1 ]; then
    diag "under valgrind the descriptor limit is valgrind's: skipped"
else
    start_listening lowfd "listening on 127\.0\.0\.1:@PORT@" \
        bash -c 'ulimit -n 64 && exec "$0" "$@"' "$(herd_bin)" \
        --host 127.0.0.1 --port @PORT@ --data-dir "$TEST_TMP/lowfd-data"
    ok $? "a router with 64 descriptors"
    fds=()
    for i in $(seq 1 80); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" && fds+=("$fd")
    done
    sleep 0.5
    ticks() { awk '{ print $14 + $15 }' "/proc/$PID_lowfd/stat"; }
    t0=$(ticks)
    sleep 1
    t1=$(ticks)
    ok $([ $((t1 - t0)) -lt 30 ]; echo $?) \
        "with connections it cannot accept it does not spin ($((t1 - t0)) ticks in 1 s)"
    like "$(cat "$TEST_TMP/lowfd.log")" "cannot accept connections: Too many open files" \
        "and says why"
    for fd in "${fds[@]}"; do exec {fd}>&-; done
    serves() { [ "$(curl -s -m 2 "$url/api/version" | jq -r .version)" = unknown ]; }
    wait_for 10 serves
    ok $? "once they are closed it serves again"
    like "$(cat "$TEST_TMP/lowfd.log")" "accepting connections again" "and says so"
    kill -TERM "$PID_lowfd"
    wait "$PID_lowfd"
    is $? 0 "that router exits 0 on SIGTERM"
fi

# client_timeout also ends an answer its client stopped reading: a 5.7 MB
# embedding answer, more than the sockets buffer, to a client that reads
# nothing for 3 s is cut off after 1 s without progress. And it does not
# end an answer that takes longer than it to prepare (under valgrind this
# one does).
big_answer_router stall "client_timeout = 1"
body=$BIG_EMBED
t0=$(now_ms)
full=$(curl -s "$ROUTER/api/embed" -d "$body" | wc -c)
# the stall starts after the answer would have (under valgrind it is slow)
stall=$((($(now_ms) - t0) / 1000 + 3))
ok $([ "$full" -gt 4000000 ]; echo $?) "the answer read at once: $full bytes"
got=$(timeout $((stall + 20)) bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"${ROUTER##*:}"'
    printf "POST /api/embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\n\r\n%s" "${#1}" "$1" >&3
    sleep "$2"; cat <&3 2>/dev/null | wc -c' _ "$body" "$stall")
ok $([ -n "$got" ] && [ "$got" -lt "$full" ]; echo $?) \
    "read after a $stall s stall: cut off (${got:-?} of $full bytes)"
is "$(curl -s "$ROUTER/api/version" | jq -r .herd_version | grep -c .)" 1 \
    "the router still serves"
# An answer that takes longer than client_timeout to come is waited for:
# the timeout is the client's, not the node's.
fault big_stall '{"stall":{"count":1,"seconds":2.5}}'
t0=$(now_ms)
is "$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$ROUTER/api/embed" -d "$body")" 200 \
    "an answer 2.5 s in coming, with client_timeout 1 s: 200"
ok $([ $(($(now_ms) - t0)) -ge 2400 ]; echo $?) "after the stall ($(($(now_ms) - t0)) ms)"
router_stop
done_testing
