#!/usr/bin/env bash
# https image URLs: the router downloads them over TLS and checks the
# server's certificate against the system's store and [router]
# image_fetch_ca_file. Three loopback image servers speak TLS with
# certificates the test makes: one trusted for 127.0.0.1, one nobody
# trusts, one trusted but for another name. A plain one stands in for the
# node and records what the router forwarded.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

need_image_server
command -v openssl >/dev/null || skip_all "the openssl command is not installed"
command -v base64 >/dev/null || skip_all "base64 is not installed"

test_cert good IP:127.0.0.1
test_cert rogue IP:127.0.0.1
test_cert other DNS:images.example.test
cat "$TEST_TMP/good.pem" "$TEST_TMP/other.pem" >"$TEST_TMP/ca.pem"

img=$TEST_TMP/img.png
head -c 3001 /dev/urandom >"$img"
b64=$(base64 -w0 "$img")
rec=$TEST_TMP/recorded.json
tls() { tls_image_server "$1" "$img"; }
tls good && GOOD=$url
tls rogue && ROGUE=$url
tls other && OTHER=$url
start_image_server node --file "$img" --record "$rec"
NODE=$url

cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
image_fetch_timeout = 5
image_fetch_ca_file = $TEST_TMP/ca.pem
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
hb=$(llava_node_report fake "$NODE" 4)
is "$hb" 200 "the fake node reports llava:7b"

chat() { # chat URL
    rm -f "$rec"
    rq POST /v1/chat/completions "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is it?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"$1\"}}]}]}"
}
refused() { # refused DESCRIPTION MESSAGE-REGEX
    is "$STATUS" 400 "$1: 400"
    like "$(jq -r .error.message <<<"$BODY")" "$2" "$1: says why"
    is "$(jq -r .error.type <<<"$BODY")" invalid_request_error \
        "$1: OpenAI error shape"
    ok "$([ ! -e "$rec" ]; echo $?)" "$1: nothing reached the node"
}

chat "$GOOD/img.png"
is "$STATUS" 200 "an https image URL with a trusted certificate is served"
is "$(jq -r '.messages[0].images[0]' "$rec")" "$b64" \
    "the node got the image, base64 in the native API's images"
chat "$GOOD/page.html"
refused "https, not an image" "is not an image \(Content-Type text/html\)"

chat "$ROGUE/img.png"
refused "an untrusted certificate" \
    "^image URL $ROGUE/img\.png: the server's certificate is refused \(self[- ]signed certificate\)"
chat "$OTHER/img.png"
refused "a trusted certificate for another name" \
    "^image URL $OTHER/img\.png: the server's certificate is refused \(IP address mismatch\)"
chat "$NODE/img.png"
is "$STATUS" 200 "plain http still works"
chat "https://${NODE#http://}/img.png"
refused "https to a plain http server" "^image URL https://.*/img\.png: "
chat "$NODE/moved?code=301&to=$GOOD/img.png"
is "$STATUS" 200 "a redirect from http to https is followed"
is "$(jq -r '.messages[0].images[0]' "$rec")" "$b64" "... to the image"
chat "$NODE/moved?to=$ROGUE/img.png"
refused "a redirect to an untrusted certificate" \
    "^image URL $ROGUE/img\.png: the server's certificate is refused"

# SIGHUP: a CA file that cannot be read keeps the old trust, and without
# the key the test's own certificate is no longer trusted
sed -i "s|^image_fetch_ca_file = .*|image_fetch_ca_file = $TEST_TMP/missing.pem|" \
    "$TEST_TMP/herd.ini"
kill -HUP "$PID_herd"
wait_for 5 grep -q "missing.pem: no PEM certificate loaded" "$TEST_TMP/herd.log"
ok $? "an unreadable image_fetch_ca_file is logged on SIGHUP"
chat "$GOOD/img.png"
is "$STATUS" 200 "and the old trust stays"
reload_router '/^image_fetch_ca_file/d'
chat "$GOOD/img.png"
refused "without image_fetch_ca_file" "certificate is refused \(self[- ]signed"
router_stop

# a CA file that cannot be read at start is a clear error
HERD_IMAGE_FETCH_CA_FILE=$TEST_TMP/missing.pem \
    start_bg badca "$(herd_bin)" --host 127.0.0.1 --port "$(free_port)" \
    --data-dir "$TEST_TMP/data2"
wait_for 10 sh -c "! kill -0 $PID_badca"
ok $? "herd does not start with an unreadable image_fetch_ca_file"
like "$(cat "$TEST_TMP/badca.log")" "missing\.pem: no PEM certificate loaded" \
    "and says which file"
done_testing
