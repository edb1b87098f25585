#!/usr/bin/env bash
# image_fetch_ca_file rewritten in place, same path: SIGHUP trusts what the
# file holds now (a CA rotated or revoked takes effect without a restart),
# and a file that no longer loads keeps the trust of the last good one.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

need_image_server
command -v openssl >/dev/null || skip_all "the openssl command is not installed"

test_cert good IP:127.0.0.1
test_cert rogue IP:127.0.0.1
ca=$TEST_TMP/ca.pem
cp "$TEST_TMP/good.pem" "$ca"

img=$TEST_TMP/img.png
head -c 3001 /dev/urandom >"$img"
rec=$TEST_TMP/recorded.json
tls() { tls_image_server "$1" "$img"; }
tls good && GOOD=$url
tls rogue && ROGUE=$url
start_image_server node --file "$img" --record "$rec"
NODE=$url

cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
image_fetch_timeout = 5
image_fetch_ca_file = $ca
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
is "$(llava_node_report fake "$NODE" 4)" 200 "the fake node reports llava:7b"

chat() { # chat URL
    rq POST /v1/chat/completions "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is it?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"$1\"}}]}]}"
}
verdicts() { # verdicts: the status for the good server's image, then the rogue's
    chat "$GOOD/img.png"
    local g=$STATUS
    chat "$ROGUE/img.png"
    echo "$g $STATUS"
}
reload() { reload_router; } # the file is the same: the CA behind it changed

is "$(verdicts)" "200 400" "at start: good trusted, rogue refused"

cp "$TEST_TMP/rogue.pem" "$ca"
reload
ok $? "SIGHUP with the CA file rewritten under the same path"
is "$(verdicts)" "400 200" \
    "the new content counts: rogue trusted, good no longer (revoked)"

# a file that no longer holds a certificate: logged, the last trust stays
echo "not a certificate" >"$ca"
reload
like "$(cat "$TEST_TMP/herd.log")" \
    "ca\.pem: no PEM certificate loaded.*https image URLs keep the old trust" \
    "a CA file rewritten unloadable is logged"
is "$(verdicts)" "400 200" "and the trust loaded before stays"

cp "$TEST_TMP/good.pem" "$ca"
reload
is "$(verdicts)" "200 400" "rewritten back: good trusted again, rogue refused"

ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd.log"; echo $?) \
    "sanitizers quiet"
router_stop
done_testing
