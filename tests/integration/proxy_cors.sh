#!/usr/bin/env bash
# The browser guards, as Ollama has them. CORS: a request with an Origin
# from outside Ollama's built-in list and [security] cors_origins gets 403
# and reaches no node; an allowed one gets Access-Control-Allow-Origin
# (and the X-Fleet headers exposed), also on the HTTP layer's own
# refusals; a preflight gets 204 without authentication; the router's own
# pages (same origin, by a Host a rebinding page cannot have) need
# nothing; "*" lets any origin in; a reload changes the list; a bad list
# stops herd with a clear error. The Host check against DNS rebinding:
# on every request while herd listens on loopback.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

hot_pair
cat >"$TEST_TMP/cors.ini" <<EOF
[router]
heartbeat_interval = 0.2
max_body_bytes = 65536
[security]
cors_origins = https://app.example.com, https://*.corp.example
[discovery.static]
interval = 0.2
$FLEET_NODES
EOF
router_with cors "$TEST_TMP/cors.ini"

# req ORIGIN METHOD PATH [BODY] [CURL-ARGS...]: sets STATUS, BODY, HDR
req() {
    local origin=$1 method=$2 path=$3 body=${4-}
    shift 4 2>/dev/null || shift $#
    STATUS=$(curl -s -m 30 -X "$method" -D "$HDR" -o "$TEST_TMP/rq_body" \
        -w '%{http_code}' ${origin:+-H "Origin: $origin"} "$@" \
        ${body:+--data-binary "$body"} "$ROUTER$path")
    BODY=$(cat "$TEST_TMP/rq_body")
}
served() {
    local a b
    a=$(sim_of s1 '[.models[].requests] | add')
    b=$(sim_of s2 '[.models[].requests] | add')
    echo $((a + b))
}

req "" POST /api/chat "$chat"
is "$STATUS $(hdr Access-Control-Allow-Origin)" "200 " \
    "no Origin: served, no CORS headers"
req "" POST /api/chat "$chat" -H 'Origin;'
is "$STATUS $(hdr Access-Control-Allow-Origin)" "200 " \
    "an empty Origin counts as none"

for o in http://localhost:3000 app://desktop https://app.example.com \
    https://a.b.corp.example; do
    req "$o" POST /api/chat "$chat"
    is "$STATUS $(hdr Access-Control-Allow-Origin) $(hdr Vary)" \
        "200 $o Origin" "Origin $o: served, its origin allowed"
done
like "$(hdr Access-Control-Expose-Headers)" X-Fleet-Node \
    "the node that served is readable by the page"
# A head larger than the server assembles at once (1 KB) goes out whole.
long="https://$(printf 'a%.0s' $(seq 1500)).corp.example"
req "$long" POST /api/chat "$chat"
is "$STATUS $(hdr Access-Control-Allow-Origin | wc -c) $(jq -r .done <<<"$BODY")" \
    "200 $((${#long} + 1)) true" "a 1.5 KB Origin is echoed whole, the answer after it"
# A request's headers live in its own 2 KB while they fit: 40 headers of
# 80 bytes go past it and the Origin after them still counts. The next
# request on the same connection (the request's memory reused) has no
# Origin, and no CORS header comes back.
pads=()
for i in $(seq 1 40); do pads+=(-H "X-Pad-$i: $(printf 'p%.0s' $(seq 70))"); done
STATUS=$(curl -s -m 30 -D "$HDR" -o /dev/null -w '%{http_code}' \
    "${pads[@]}" -H "Origin: https://app.example.com" --data-binary "$chat" \
    "$ROUTER/api/chat" --next -s -m 30 -D "$TEST_TMP/next_hdr" -o /dev/null \
    -w ' %{http_code} %{num_connects}' --data-binary "$chat" "$ROUTER/api/chat")
is "$STATUS $(hdr Access-Control-Allow-Origin)" \
    "200 200 0 https://app.example.com" \
    "an Origin after 3 KB of headers is read; the next request reuses the connection"
is "$(grep -ci '^Access-Control-Allow-Origin' "$TEST_TMP/next_hdr")" 0 \
    "and that next request, without an Origin, gets no CORS header"

req http://localhost:5173 POST /v1/chat/completions \
    '{"model":"qwen3:0.6b","stream":true,"messages":[{"role":"user","content":"x"}],"max_tokens":2}'
is "$STATUS $(hdr Access-Control-Allow-Origin)" "200 http://localhost:5173" \
    "a streamed OpenAI answer carries the CORS header"
like "$BODY" 'data: \[DONE\]' "  and streams to the end"

before=$(served)
for o in https://evil.example https://app.example.com:8443 \
    https://corp.example.evil.com http://localhost.evil.example null; do
    req "$o" POST /api/chat "$chat"
    is "$STATUS $(jq -r .error <<<"$BODY")" \
        "403 origin $o is not allowed" "Origin $o: 403 with the reason"
done
req https://evil.example POST /v1/chat/completions "$chat"
is "$STATUS $(jq -r '.error.type' <<<"$BODY")" "403 permission_error" \
    "an OpenAI client gets the refusal in its shape"
req https://evil.example GET /api/tags
is "$STATUS $(hdr Access-Control-Allow-Origin)" "403 " \
    "every endpoint is guarded, and a refusal allows nothing"
req https://evil.example POST /api/pull '{"model":"x:1b"}' \
    -H 'Content-Type: text/plain'
is "$STATUS" 403 "a form-like POST (no preflight in a browser) is refused"
sleep 0.3
is "$(served)" "$before" "no refused request reached a node"
like "$(cat "$TEST_TMP/cors.log")" \
    'origin https://evil.example is not allowed \(add it to \[security\] cors_origins\)' \
    "the log says why and what to change"

req http://localhost:5173 OPTIONS /api/chat "" \
    -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: content-type, authorization'
is "$STATUS $(hdr Access-Control-Allow-Origin)" "204 http://localhost:5173" \
    "preflight: 204"
like "$(hdr Access-Control-Allow-Methods)" POST "  allows POST"
like "$(hdr Access-Control-Allow-Headers)" "Authorization, Content-Type" \
    "  allows Authorization and Content-Type"
like "$(hdr Access-Control-Allow-Headers)" "X-Herd-Tags" "  and X-Herd-Tags"
like "$(hdr Access-Control-Allow-Headers)" "x-stainless-os" \
    "  and the OpenAI SDK's headers"
is "$(hdr Access-Control-Max-Age)" 43200 "  cached as Ollama's is"
req https://evil.example OPTIONS /api/chat "" \
    -H 'Access-Control-Request-Method: POST'
is "$STATUS" 403 "a preflight from a foreign origin: 403"
req "" OPTIONS /api/chat
is "$STATUS" 405 "OPTIONS without Origin is no preflight: 405"

# the router's own pages: the Origin the Host names
port=${ROUTER##*:}
req "http://herd.local:$port" POST /api/chat "$chat" -H "Host: herd.local:$port"
is "$STATUS $(hdr Access-Control-Allow-Origin)" "200 " \
    "same origin (the dashboard's own page): served, no CORS needed"
req "http://other.local:$port" POST /api/chat "$chat" -H "Host: herd.local:$port"
is "$STATUS" 403 "another host's page is not the same origin"

# the HTTP layer's own refusals are readable by an allowed page
head -c 70000 /dev/zero | tr '\0' a >"$TEST_TMP/big"
req http://localhost:5173 POST /api/chat "" --data-binary @"$TEST_TMP/big"
is "$STATUS $(hdr Access-Control-Allow-Origin)" "413 http://localhost:5173" \
    "a body over max_body_bytes: 413 with the CORS header"
req https://evil.example POST /api/chat "" --data-binary @"$TEST_TMP/big"
is "$STATUS $(hdr Access-Control-Allow-Origin)" "413 " \
    "  but not for a foreign origin"

# DNS rebinding: listening on loopback, a Host only a rebinding page
# would send is refused, with or without an Origin
for h in "evil.example:$port" "127.0.0.1.evil.example" "localhost.evil.example:$port"; do
    req "" GET /api/tags "" -H "Host: $h"
    is "$STATUS $(jq -r .error <<<"$BODY")" "403 host $h is not allowed" \
        "Host $h: 403"
done
req "" GET /v1/models "" -H "Host: evil.example"
is "$STATUS $(jq -r .error.type <<<"$BODY")" "403 permission_error" \
    "  in OpenAI's shape under /v1/"
for h in "localhost:$port" "127.0.0.1:$port" "[::1]:$port" "box.local" \
    "gpu.internal:$port" "app.localhost" "10.1.2.3:$port" "$(hostname)"; do
    req "" GET /api/tags "" -H "Host: $h"
    is "$STATUS" 200 "Host $h: served"
done
like "$(cat "$TEST_TMP/cors.log")" 'Host evil.example:[0-9]+ is not this machine' \
    "the log says why"

# a reload changes the list
sed -i 's|^cors_origins = .*|cors_origins = https://new.example|' "$TEST_TMP/cors.ini"
kill -HUP "$PID_herd"
reloaded() { grep -q 'configuration reloaded' "$TEST_TMP/cors.log"; }
wait_for 5 reloaded
req https://new.example GET /api/tags
is "$STATUS" 200 "after a reload the new origin is allowed"
req https://app.example.com GET /api/tags
is "$STATUS" 403 "  and the old one no longer"
router_stop cors

# "*": any origin; and the refusal of a missing key still reads in a page
cat >"$TEST_TMP/any.ini" <<EOF
[security]
cors_origins = *
api_key = k1
[discovery.static]
interval = 0.2
$FLEET_NODES
EOF
start_herd any --config "$TEST_TMP/any.ini" --data-dir "$TEST_TMP/any-data" ||
    { echo "Bail out! herd any did not start"; exit 1; }
ROUTER=$url
req https://anything.example GET /api/tags
is "$STATUS $(hdr Access-Control-Allow-Origin) $(hdr Vary)" "401 * " \
    "cors_origins = *: any origin, Allow-Origin *; the 401 is readable"
req https://anything.example OPTIONS /api/tags
is "$STATUS" 204 "a preflight needs no API key"
req https://anything.example GET /api/tags "" -H 'Authorization: Bearer k1'
is "$STATUS" 200 "with the key: served"
router_stop any

# listening on every address, in a network namespace of our own (only its
# lo exists): any Host is taken, as Ollama takes it, but a rebinding page
# is still no "same origin", so it cannot act
if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
    cat >"$TEST_TMP/in_netns.sh" <<'EOF2'
ip link set lo up || exit 3
"$1" --host 0.0.0.0 --port 11435 --data-dir "$2" >"$3" 2>&1 &
pid=$!
for i in $(seq 1 200); do
    curl -s -o /dev/null http://127.0.0.1:11435/api/version && break
    sleep 0.05
done
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }
echo "rebind $(code -X DELETE -H 'Host: evil.example:11435' \
    -H 'Origin: http://evil.example:11435' http://127.0.0.1:11435/api/delete \
    -d '{"model":"x"}')"
echo "own $(code -H 'Host: herd.local:11435' -H 'Origin: http://herd.local:11435' \
    http://127.0.0.1:11435/api/tags)"
echo "name $(code -H 'Host: llm.example.com:11435' http://127.0.0.1:11435/api/tags)"
kill -TERM $pid
wait $pid
echo "exit $?"
EOF2
    out=$(unshare -n bash "$TEST_TMP/in_netns.sh" "$(herd_bin)" \
        "$TEST_TMP/ns-data" "$TEST_TMP/ns.log" | tr '\n' ' ')
    is "$out" "rebind 403 own 200 name 200 exit 0 " \
        "on 0.0.0.0: a rebinding page's DELETE is refused; own page and any Host served"
else
    ok 0 "# SKIP cannot make a network namespace here"
fi

# a list herd cannot read stops it before it listens
for bad in example.com 'https://*.*.example' 'https://a b.example' \
    'https://app.example.com/'; do
    out=$(HERD_CORS_ORIGINS=$bad "$(herd_bin)" --host 127.0.0.1 --port 1 \
        --data-dir "$TEST_TMP/bad" 2>&1)
    rc=$?
    is "$rc" 2 "cors_origins '$bad': herd exits 2"
    like "$out" "HERD_CORS_ORIGINS.*is not an origin" "  and says why"
done

done_testing
