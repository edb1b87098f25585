#!/usr/bin/env bash
# GET /dashboard over HTTP: the page and every asset byte for byte with its
# Content-Type, ETag and Cache-Control; HEAD without a body; 304 on a
# matching If-None-Match; client-side views; 404 for unknown names, hidden
# files and every traversal spelling; 405 for other methods and JSON 404
# under /dashboard/api/; files read once at start; a bad --dashboard-dir
# stops the start with the reason.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/dashboard_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
src=$top_srcdir/core/dashboard

# A copy, so the test can change the files under the running router.
dir=$TEST_TMP/dashboard
mkdir -p "$dir"
cp "$src"/* "$dir"/
echo 'not served: no servable extension' >"$dir/NOTES"
echo 'not served: hidden' >"$dir/.secret.js"
mkdir "$dir/sub.js" # a directory with a servable name is skipped

dash_ini "$TEST_TMP/herd.ini"
dash_herd herd --config "$TEST_TMP/herd.ini" --dashboard-dir "$dir"
like "$(cat "$TEST_TMP/herd.log")" "dashboard: serving [0-9]+ files from $dir" \
    "the router says where the dashboard comes from"

# --- the page ---------------------------------------------------------------
dash_get /dashboard
is "$STATUS" 200 "GET /dashboard is 200"
is "$CTYPE" "text/html; charset=utf-8" "it is HTML"
ok $(cmp -s "$BODY" "$src/index.html"; echo $?) "it is index.html, byte for byte"
etag=$(header ETag)
like "$etag" '^"[0-9a-f]{16}"$' "it has a strong ETag"
is "$(header Cache-Control)" "no-cache" "the browser revalidates (Cache-Control: no-cache)"
like "$(header Content-Security-Policy)" "default-src 'self'" \
    "a Content-Security-Policy keeps everything on the router"
is "$(header X-Content-Type-Options)" nosniff "nosniff"
dash_get /dashboard/
is "$STATUS/$(header ETag)" "200/$etag" "GET /dashboard/ is the same page"
dash_get '/dashboard?x=1'
is "$STATUS" 200 "a query string does not matter"

for view in fleet traces trends models tags apps route; do
    dash_get "/dashboard/$view"
    is "$STATUS/$(header ETag)" "200/$etag" "/dashboard/$view is the page (client-side view)"
done

# --- every asset ------------------------------------------------------------
want_type() {
    case $1 in
    *.html) echo "text/html; charset=utf-8" ;;
    *.js) echo "text/javascript; charset=utf-8" ;;
    *.css) echo "text/css; charset=utf-8" ;;
    *.svg) echo "image/svg+xml" ;;
    *.png) echo "image/png" ;;
    *.ico) echo "image/x-icon" ;;
    *) echo "?" ;;
    esac
}
n=0
for f in "$src"/*; do
    name=$(basename "$f")
    dash_get "/dashboard/$name"
    is "$STATUS $CTYPE" "200 $(want_type "$name")" "/dashboard/$name: 200, $(want_type "$name")"
    ok $(cmp -s "$BODY" "$f"; echo $?) "/dashboard/$name is the file, byte for byte"
    n=$((n + 1))
done
ok $([ "$n" -ge 8 ]; echo $?) "the dashboard has its files ($n)"
# Every file the page names is served.
for ref in $(grep -oE '/dashboard/[a-z]+\.(js|css|svg)' "$src/index.html" | sort -u); do
    dash_get "$ref"
    is "$STATUS" 200 "index.html's $ref is served"
done
for ref in $(grep -ohE "from '\./[a-z]+\.js'" "$src"/*.js | grep -oE '[a-z]+\.js' | sort -u); do
    dash_get "/dashboard/$ref"
    is "$STATUS" 200 "imported module $ref is served"
done
dash_get /dashboard/app%2ejs
is "$STATUS $CTYPE" "200 text/javascript; charset=utf-8" "percent-encoded name app%2ejs decodes to app.js"

# --- HEAD -------------------------------------------------------------------
size=$(wc -c <"$src/app.js" | tr -d ' ')
dash_get /dashboard/app.js -I
is "$STATUS" 200 "HEAD /dashboard/app.js is 200"
is "$(header Content-Length)" "$size" "HEAD gives the GET's Content-Length"
is "$(header Content-Type)" "text/javascript; charset=utf-8" "HEAD gives the GET's Content-Type"
# On the wire: after the headers of a HEAD answer nothing follows.
raw=$(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
    printf 'HEAD /dashboard HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 &&
    timeout 5 cat <&3 | od -An -c | tr -d ' \n')
like "$raw" '\\r\\n\\r\\n$' "HEAD /dashboard: nothing after the blank line"
ok $(printf '%s' "$raw" | grep -q 'DOCTYPE'; [ $? -ne 0 ]; echo $?) "HEAD /dashboard sends no body"

# --- ETag and 304 -----------------------------------------------------------
dash_get /dashboard/style.css
css_etag=$(header ETag)
dash_get /dashboard/style.css -H "If-None-Match: $css_etag"
is "$STATUS" 304 "If-None-Match with the ETag: 304"
is "$(cat "$BODY" 2>/dev/null | wc -c | tr -d ' ')" 0 "304 has no body"
is "$(header ETag)" "$css_etag" "304 repeats the ETag"
dash_get /dashboard/style.css -H "If-None-Match: W/$css_etag"
is "$STATUS" 304 "a weak match is a match"
dash_get /dashboard/style.css -H "If-None-Match: \"0000\", $css_etag"
is "$STATUS" 304 "a list containing the ETag: 304"
dash_get /dashboard/style.css -H 'If-None-Match: "0123456789abcdef"'
is "$STATUS" 200 "another ETag: 200 with the file"
dash_get /dashboard/style.css -H "If-None-Match: $etag"
is "$STATUS" 200 "index.html's ETag does not validate style.css"
ok $([ "$css_etag" != "$etag" ]; echo $?) "different files, different ETags"

# --- not found, traversal ---------------------------------------------------
for p in /dashboard/nope.js /dashboard/nope /dashboard/NOTES /dashboard/.secret.js \
    /dashboard/sub.js /dashboard/index.html/ /dashboard//index.html \
    /dashboard/trends/ /dashboard/../../etc/passwd /dashboard/..%2f..%2fetc%2fpasswd \
    /dashboard/%2e%2e/%2e%2e/etc/passwd /dashboard/%2e%2e%2f%2e%2e%2fetc%2fpasswd \
    /dashboard/%2E%2E /dashboard/.. /dashboard/app.js%00.html \
    /dashboard/..%5c..%5cetc%5cpasswd /dashboard/%252e%252e%252fetc%252fpasswd \
    /dashboard/sub.js/../app.js /dashboardx /dashboard.js; do
    dash_get "$p" --path-as-is
    is "$STATUS" 404 "GET $p is 404"
    ok $(! grep -q 'root:' "$BODY"; echo $?) "GET $p leaks no file"
done
dash_get /dashboard/nope.js
is "$(jq -r .error "$BODY")" "no such dashboard file: /dashboard/nope.js" \
    "a 404 names the path in Ollama's error shape"

# --- methods and /dashboard/api/ --------------------------------------------
dash_get /dashboard/api/nope
is "$STATUS $(jq -r .error "$BODY")" "404 no such endpoint: /dashboard/api/nope" \
    "an unknown /dashboard/api/ path is the router's 404, not a file"
dash_get /dashboard/api/nope -X POST -d '{}'
is "$STATUS" 404 "POST to an unknown /dashboard/api/ path: 404"
dash_get /dashboard/app.js -X POST -d x
is "$STATUS $(header Allow)" "405 GET, HEAD" "POST /dashboard/app.js: 405, Allow: GET, HEAD"
dash_get /dashboard -X DELETE
is "$STATUS $(header Allow)" "405 GET, HEAD" "DELETE /dashboard: 405"
dash_get /dashboard/api/overview
ok $([ "$STATUS" != 404 ]; echo $?) "the analytics routes still win over the files ($STATUS)"

# --- read once --------------------------------------------------------------
echo 'changed on disk' >"$dir/app.js"
rm "$dir/index.html"
dash_get /dashboard/app.js
ok $(cmp -s "$BODY" "$src/app.js"; echo $?) "a file changed on disk after start is not re-read"
dash_get /dashboard
is "$STATUS/$(header ETag)" "200/$etag" "a file removed after start is still served from memory"
dash_stop herd

# --- bad directories --------------------------------------------------------
herd=$(herd_bin)
bad_start() { # bad_start DESCRIPTION PATTERN ARGS...
    local what=$1 pat=$2 out rc
    shift 2
    out=$(timeout 20 "$herd" --host 127.0.0.1 --port "$(free_port)" --config "$TEST_TMP/herd.ini" \
        --data-dir "$TEST_TMP/data-bad" "$@" 2>&1)
    rc=$?
    is "$rc" 1 "$what: herd exits 1"
    like "$out" "$pat" "$what: the reason is given"
    ok $(! printf '%s' "$out" | grep -Eq 'Sanitizer|runtime error'; echo $?) \
        "$what: no sanitizer report"
}
bad_start "a missing directory" "cannot serve the dashboard: $TEST_TMP/none: No such file" \
    --dashboard-dir "$TEST_TMP/none"
bad_start "a directory without index.html" "cannot serve the dashboard: $dir: no index.html" \
    --dashboard-dir "$dir"
mkdir -p "$TEST_TMP/big"
cp "$src/index.html" "$TEST_TMP/big/"
head -c 3000000 /dev/zero >"$TEST_TMP/big/huge.js"
bad_start "a file over 2 MiB" "huge.js: too large" --dashboard-dir "$TEST_TMP/big"
out=$(HERD_DASHBOARD_DIR=$TEST_TMP/none timeout 20 "$herd" --host 127.0.0.1 --port "$(free_port)" \
    --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data-bad" 2>&1)
is "$?" 1 "HERD_DASHBOARD_DIR is read too"
like "$(HERD_DASHBOARD_DIR=$TEST_TMP/elsewhere "$herd" --print-config 2>&1)" \
    "dashboard_dir = $TEST_TMP/elsewhere" "--print-config shows dashboard_dir"
printf '[router]\ndashboard_dir = %s\n' "$TEST_TMP/none" >"$TEST_TMP/bad.ini"
out=$(timeout 20 "$herd" --host 127.0.0.1 --port "$(free_port)" --config "$TEST_TMP/bad.ini" \
    --data-dir "$TEST_TMP/data-bad" 2>&1)
is "$?" 1 "[router] dashboard_dir is read too"

# --- the default directory --------------------------------------------------
dash_herd plain --config "$TEST_TMP/herd.ini"
dash_get /dashboard
is "$STATUS $CTYPE" "200 text/html; charset=utf-8" \
    "without dashboard_dir the installed or source-tree copy is served"
plain_etag=$(header ETag)
# A reload does not re-read the files, and says so when dashboard_dir changed.
printf '[router]\ndashboard_dir = %s\n' "$TEST_TMP/big" >>"$TEST_TMP/herd.ini"
kill -HUP "$PID_plain"
warned() { grep -Eq 'reload: \[router\] dashboard_dir: .* takes effect on restart' "$TEST_TMP/plain.log"; }
wait_for 10 warned
ok $? "SIGHUP with a new dashboard_dir: the log says it takes effect on restart"
dash_get /dashboard
is "$STATUS/$(header ETag)" "200/$plain_etag" "the files served stay the same"
dash_stop plain

done_testing
