#!/usr/bin/env bash
# The router's HTTP surface and process life: GET/HEAD / for API clients
# and browsers, /api/version, 404 and 405 as JSON, 413 over the body
# limits, the data directory and JSONL log, a clean exit on SIGTERM, and
# the exit status of each kind of start-up failure.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
herd=$(herd_bin)

data=$TEST_TMP/data/nested
printf '[router]\nmax_body_bytes = 16K\n' >"$TEST_TMP/small.ini"
start_herd herd --config "$TEST_TMP/small.ini" --data-dir "$data"
ok $? "router answers"
backlog=$(ss -Hltn "sport = :$port" 2>/dev/null | awk '{print $3}')
ok $([ "${backlog:-0}" -gt 128 ]; echo $?) \
    "listen backlog raised past evhttp's 128 (Send-Q ${backlog:-?})"
like "$(cat "$TEST_TMP/herd.log")" "listening on 127\.0\.0\.1:$port" \
    "logs the address it listens on"

code() { curl -s -m 5 -o "$TEST_TMP/body" -D "$TEST_TMP/headers" \
    -w '%{http_code}' "$@"; }
header() { tr -d '\r' <"$TEST_TMP/headers" | sed -n "s/^$1: //Ip" | head -1; }

is "$(code "$url/")" 200 "GET / from an API client: 200"
is "$(cat "$TEST_TMP/body")" "Ollama is running" "answers like Ollama"
like "$(header Content-Type)" "^text/plain" "as text/plain"
is "$(code -H 'Accept: application/json' "$url/")" 200 \
    "ollama-js (Accept: application/json) gets 200 too"
is "$(code -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' "$url/")" \
    302 "a browser is redirected"
is "$(header Location)" "/dashboard" "to /dashboard"
is "$(code -I "$url/")" 200 "HEAD / answers 200"
# Read the raw answer: nothing may follow the headers.
raw=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
    printf "HEAD / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3')
like "$raw" "^HTTP/1\.[01] 200" "raw HEAD / answered"
ok "$(printf '%s' "$raw" | grep -c 'Ollama is running')" "HEAD has no body"
# A HEAD then a GET on one keep-alive connection: the second answer must
# start right after the first one's headers.
raw=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
    printf "HEAD /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" >&3
    printf "GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    cat <&3' | tr -d '\r')
is "$(printf '%s\n' "$raw" | grep -c '^HTTP/1.1 200')" 2 \
    "HEAD then GET on one connection: two answers"
like "$(printf '%s\n' "$raw" | awk 'NF == 0 { getline; print; exit }')" \
    '^HTTP/1\.1 200' "nothing follows the HEAD answer's headers"
like "$(printf '%s\n' "$raw" | sed '/^$/q')" 'Content-Length: [1-9]' \
    "the HEAD answer gives the body's length"
is "$(code -I "$url/api/tags")" 200 "HEAD /api/tags answers 200"

is "$(code "$url/api/version")" 200 "GET /api/version"
want=$("$herd" --version | sed 's/^herd //')
is "$(jq -c . "$TEST_TMP/body")" "{\"version\":\"unknown\",\"herd_version\":\"$want\"}" \
    "no node yet: version unknown, herd_version ours"
curl -s -o /dev/null -X POST --data-binary \
    '{"node_id":"v1","agentless":true,"ollama_host":"http://127.0.0.1:9","ollama_version":"0.12.3"}' \
    "$url/heartbeat"
is "$(curl -s "$url/api/version" | jq -r .version)" "0.12.3" \
    "the first online node's Ollama version"

is "$(code "$url/no/such/thing")" 404 "unknown path: 404"
like "$(jq -r .error "$TEST_TMP/body")" "no such endpoint: /no/such/thing" \
    "as a JSON error naming the path"
is "$(code -X POST "$url/fleet/status")" 405 "POST /fleet/status: 405"
is "$(header Allow)" "GET" "with an Allow header"
like "$(jq -r .error "$TEST_TMP/body")" "method not allowed" "JSON error"
is "$(code "$url/heartbeat")" 405 "GET /heartbeat: 405"
is "$(code -X DELETE "$url/api/tags")" 405 "DELETE /api/tags: 405"

head -c 20000 /dev/zero | tr '\0' ' ' >"$TEST_TMP/big"
is "$(code -X POST --data-binary @"$TEST_TMP/big" "$url/heartbeat")" 413 \
    "body over max_body_bytes: 413"
is "$(curl -s "$url/fleet/status" | jq .fleet.nodes_total)" 1 \
    "still serving after the oversized body"

# The heartbeat has its own, smaller cap under a large body limit.
small_url=$url small_port=$port
start_herd big --data-dir "$data"
ok $? "a second router with the default body limit"
big_url=$url
url=$small_url port=$small_port
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TEST_TMP/big"
is "$(code -X POST --data-binary @"$TEST_TMP/big" "$big_url/heartbeat")" \
    413 "heartbeat over 1 MiB: 413"
like "$(jq -r .error "$TEST_TMP/body")" "exceeds" "with a JSON error"

# Data directory and JSONL log.
is "$(stat -c %a "$data")" 700 "data dir created with mode 0700"
is "$(stat -c %a "$data/logs")" 700 "logs dir too"
jq -e 'select(.msg | test("listening on"))' "$data/logs/herd.jsonl" \
    >/dev/null 2>&1
ok $? "JSONL log holds the start-up line"

# SIGTERM: clean stop, exit 0.
kill -TERM "$PID_herd"
wait "$PID_herd"
is $? 0 "SIGTERM: exit status 0"
like "$(tail -n 2 "$TEST_TMP/herd.log")" "stopped" "logs that it stopped"
kill -INT "$PID_big"
wait "$PID_big"
is $? 0 "SIGINT: exit status 0"

# Start-up failures.
"$herd" --port 2>"$TEST_TMP/err"
is $? 2 "an option without its value: exit 2"
printf '[router]\nport = many\n' >"$TEST_TMP/bad.ini"
"$herd" --config "$TEST_TMP/bad.ini" 2>"$TEST_TMP/err"
is $? 2 "a bad INI value: exit 2"
like "$(cat "$TEST_TMP/err")" "bad\.ini:2" "the message names file:line"
start_herd holder --data-dir "$data"
port3=$port
"$herd" --host 127.0.0.1 --port "$port3" --data-dir "$data" \
    2>"$TEST_TMP/err"
is $? 1 "port in use: exit 1"
like "$(cat "$TEST_TMP/err")" "cannot listen on 127\.0\.0\.1:$port3" \
    "the message says why"
printf '[discovery.nosuch]\n' >"$TEST_TMP/plugin.ini"
"$herd" --config "$TEST_TMP/plugin.ini" --host 127.0.0.1 --port "$(free_port)" \
    --data-dir "$data" 2>"$TEST_TMP/err"
is $? 1 "a plugin that cannot load: exit 1"
like "$(cat "$TEST_TMP/err")" "nosuch" "the message names the plugin"
printf 'x' >"$TEST_TMP/file"
"$herd" --host 127.0.0.1 --port "$(free_port)" --data-dir "$TEST_TMP/file/sub" \
    2>"$TEST_TMP/err"
is $? 1 "an unusable data dir: exit 1"
like "$(cat "$TEST_TMP/err")" "cannot create" "the message says why"

done_testing
