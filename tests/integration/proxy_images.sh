#!/usr/bin/env bash
# OpenAI image parts with http:// URLs (https: proxy_images_https.sh): the router downloads them (on its
# loop, bounded in size and time) and sends them as the native API's
# base64 images. A loopback server (tests/image_server) serves the image
# and stands in for the node's /api/chat, recording the body it receives. Each refusal is
# a 400 in OpenAI's error shape that names the problem, and nothing
# reaches the node.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

need_image_server
command -v base64 >/dev/null || skip_all "base64 is not installed"

img=$TEST_TMP/img.png
head -c 3001 /dev/urandom >"$img" # base64 ends in ==
rec=$TEST_TMP/recorded.json
start_image_server imgsrv --file "$img" --record "$rec"
IMG=$url
b64=$(base64 -w0 "$img")

cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
image_fetch_max_bytes = 64K
image_fetch_timeout = 1
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
hb=$(llava_node_report fake "$IMG" 4)
is "$hb" 200 "the fake node reports llava:7b"

# chat PART-JSON...: an OpenAI chat with a text part and these parts
chat() {
    local parts
    parts=$(IFS=,; echo "$*")
    rm -f "$rec"
    rq POST /v1/chat/completions "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is it?\"},$parts]}]}"
}
part() { echo "{\"type\":\"image_url\",\"image_url\":{\"url\":\"$1\"}}"; }
sent() { jq -r "$1" "$rec"; }
refused() { # refused DESCRIPTION MESSAGE-REGEX
    is "$STATUS" 400 "$1: 400"
    like "$(jq -r .error.message <<<"$BODY")" "$2" "$1: says why"
    is "$(jq -r .error.type <<<"$BODY")" invalid_request_error \
        "$1: OpenAI error shape"
    ok "$([ ! -e "$rec" ]; echo $?)" "$1: nothing reached the node"
}

chat "$(part "$IMG/img.png")"
is "$STATUS" 200 "an http image URL is served"
is "$(hdr X-Fleet-Node)" fake "by the node"
is "$(sent '.messages[0].images[0]')" "$b64" \
    "the node got the image, base64 in the native API's images"
is "$(sent '.messages[0].content')" "what is it?" "text part kept"
is "$(jq -r .choices[0].message.content <<<"$BODY")" recorded \
    "the client got the node's answer in OpenAI's shape"

chat "{\"type\":\"image_url\",\"image_url\":\"$IMG/img\"}" \
    "$(part "$IMG/img.png?x=1")"
is "$STATUS" 200 "two images, one as a bare string"
is "$(sent '.messages[0].images[0]')" "$b64" "the string form"
is "$(sent '.messages[0].images[1]')" "$b64" "and the second"

chat "$(part "data:image/png;base64,AAAA")"
is "$STATUS" 200 "a data: URI"
is "$(sent '.messages[0].images[0]')" AAAA "goes as it came, base64"

chat "$(part "$IMG/chunked.png?bytes=70000")"
refused "70000 bytes without Content-Length" "larger than 65536 bytes"
chat "$(part "$IMG/announced.png?bytes=100000")"
refused "Content-Length 100000" \
    "is larger than 65536 bytes \(Content-Length 100000\)"
chat "$(part "$IMG/chunked.png?bytes=60002")"
is "$STATUS" 200 "60002 bytes fit"
is "$(sent '.messages[0].images[0]' | base64 -d | wc -c)" 60002 "all of them forwarded (base64 ending in =)"

t0=$(now_ms)
chat "$(part "$IMG/slow.png")"
t1=$(now_ms)
refused "a server that never answers" "took longer than 1 s"
ok "$([ $((t1 - t0)) -lt 3000 ]; echo $?)" \
    "refused after image_fetch_timeout ($((t1 - t0)) ms)"
chat "$(part "$IMG/page.html")"
refused "a web page" "is not an image \(Content-Type text/html\)"
chat "$(part "$IMG/missing.png")"
refused "a missing image" "answered HTTP 404"

# redirects (any 3xx with a Location, at most 5), each hop a connection
chat "$(part "$IMG/moved?to=/img.png")"
is "$STATUS" 200 "a 302 to a path is followed"
is "$(sent '.messages[0].images[0]')" "$b64" "... and the image sent"
chat "$(part "$IMG/moved?code=301&to=$IMG/img.png")"
is "$STATUS $(sent '.messages[0].images[0]' | head -c 8)" "200 ${b64:0:8}" \
    "a 301 to a full URL"
chat "$(part "$IMG/moved?code=308&to=img.png")"
is "$STATUS $(sent '.messages[0].images[0]' | head -c 8)" "200 ${b64:0:8}" \
    "a 308 to a relative path"
chat "$(part "$IMG/hops/5")"
is "$STATUS" 200 "five redirects in a row"
chat "$(part "$IMG/hops/6")"
refused "six redirects" "image URL $IMG/hops/1 redirects more than 5 times"
chat "$(part "$IMG/moved")"
refused "a 302 without a Location" "answered HTTP 302 without a Location"
chat "$(part "$IMG/moved?to=ftp://127.0.0.1/x.png")"
refused "a redirect to ftp" "scheme 'ftp' is not allowed"
chat "$(part "$IMG/moved?to=/missing.png")"
refused "a redirect to a missing image" "image URL $IMG/missing.png answered HTTP 404"
chat "$(part "$IMG/moved?to=/slow.png")"
refused "a redirect to a server that never answers" "took longer than 1 s"

# an IPv6 literal: the brackets are the URL's, not the address's
if start_listening img6 "listening on ::1:@PORT@" \
    "$top_builddir/tests/image_server" --file "$img" --record "$TEST_TMP/rec6" \
    --host ::1 --port @PORT@; then
    chat "$(part "http://[::1]:$port/img.png")"
    is "$STATUS $(sent '.messages[0].images[0]' | head -c 8)" "200 ${b64:0:8}" \
        "an image URL with an IPv6 literal"
else
    ok 0 "an image URL with an IPv6 literal # SKIP no IPv6 on loopback"
fi

# the rest of the request is checked before any download: a bad field is
# a 400 at once, not after the image (here one that never comes)
t0=$(now_ms)
rm -f "$rec"
rq POST /v1/chat/completions "{\"model\":\"llava:7b\",\"temperature\":\"hot\",\"messages\":[{\"role\":\"user\",\"content\":[$(part "$IMG/slow.png")]}]}"
t1=$(now_ms)
refused "a bad field beside an image URL" "^temperature"
ok "$([ $((t1 - t0)) -lt 700 ]; echo $?)" "... at once, before the download ($((t1 - t0)) ms)"

closed=$(free_port)
chat "$(part "http://127.0.0.1:$closed/x.png")"
refused "nothing listening" "cannot be fetched"
chat "$(part "ftp://127.0.0.1/x.png")"
refused "ftp" "scheme 'ftp' is not allowed"
chat "$(part "file:///etc/passwd")"
refused "file" "scheme 'file' is not allowed"
chat "$(part "img.png")"
refused "no scheme" "neither a data: URI nor an http URL"
chat '{"type":"image_url","image_url":{"detail":"low"}}'
refused "no url" "content\[1\].image_url needs a url string"
many=()
for i in 1 2 3 4 5 6 7 8 9; do many+=("$(part "$IMG/img.png?$i")"); done
chat "${many[@]}"
refused "nine image URLs" "more than 8 image URLs"

# a client that leaves while the router downloads
curl -s -m 0.3 -o /dev/null "$ROUTER/v1/chat/completions" -d \
    "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":[$(part "$IMG/slow.png")]}]}"
is "$?" 28 "a client gives up during a download"
sleep 1.2
chat "$(part "$IMG/img.png")"
is "$STATUS" 200 "the router serves on"

# SIGHUP applies a new limit
reload_router 's/^image_fetch_max_bytes = .*/image_fetch_max_bytes = 2K/'
chat "$(part "$IMG/img.png")"
refused "after SIGHUP, 2K" "larger than 2048 bytes"

# SIGTERM while a download runs: its request gets 503 at once (it would
# be turned away once the image is in), and the drain does not wait
reload_router 's/^image_fetch_timeout = .*/image_fetch_timeout = 10/'
curl -s -m 20 -o "$TEST_TMP/dl.out" -w '%{http_code}' "$ROUTER/v1/chat/completions" -d \
    "{\"model\":\"llava:7b\",\"messages\":[{\"role\":\"user\",\"content\":[$(part "$IMG/slow.png")]}]}" \
    >"$TEST_TMP/dl.code" &
pid_dl=$!
sleep 0.5
t0=$(now_ms)
router_stop
wait "$pid_dl"
ms=$(($(now_ms) - t0))
is "$(cat "$TEST_TMP/dl.code")" 503 "a download under way when the drain starts: 503"
ok "$([ "$ms" -lt 5000 ]; echo $?)" "at once, not after the download's 10 s ($ms ms)"
done_testing
