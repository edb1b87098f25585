#!/usr/bin/env bash
# The dashboard in headless Chromium against a router with three herd-sim
# nodes on loopback: the fleet table lists the nodes with their status and
# loaded models, the traces view shows a request just made with its tag,
# models and tags list it, the trends chart counts it, "why this node?"
# explains a choice with the candidates and the eliminated node, and a
# page whose router stops answering says so instead of looking live.
# Screenshots go to the test's temp dir, and are copied to
# $DASHBOARD_SCREENSHOTS when that names a directory.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/dashboard_lib.sh"

chrome=$(command -v chromium || command -v chromium-browser) ||
    skip_all "chromium is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

# browser ARGS... URL: one headless run; the page gets budget ms of virtual
# time (timers, the 2 s poll) before the DOM or screenshot is taken.
# Console errors of the page land in $TEST_TMP/chrome.err.
budget=6000
browser() {
    local profile
    profile=$(mktemp -d "$TEST_TMP/profile.XXXXXX")
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-dev-shm-usage --user-data-dir="$profile" \
        --enable-logging=stderr --v=0 --virtual-time-budget=$budget "$@" \
        2>>"$TEST_TMP/chrome.err"
}
# row FILE ATTR=VALUE: the <tr> of a dumped DOM carrying that attribute.
row() {
    sed 's/<tr/\n<tr/g' "$1" | grep -F "<tr $2" | sed 's/<\/tr>.*//'
}

sim_start a --memory-gb 48 --num-parallel 2 --model qwen3:8b:5.2 --model llama3.2:3b:2
sim_start b --memory-gb 128 --num-parallel 4 --model qwen3:8b:5.2 --model qwen3:32b:20
sim_start c --memory-gb 16 --model llama3.2:3b:2
dash_ini "$TEST_TMP/herd.ini" "node-a=$SIM_URL_a" "node-b=$SIM_URL_b" "node-c=$SIM_URL_c"
# A trace as the reference stores it, with the points of each signal and
# a node passed over: the traces view must show the breakdown.
have_sqlite=0
if command -v sqlite3 >/dev/null; then
    have_sqlite=1
    mkdir -p "$TEST_TMP/data-herd"
    sqlite3 "$TEST_TMP/data-herd/latency.db" "
CREATE TABLE request_traces (id INTEGER PRIMARY KEY AUTOINCREMENT,
 request_id TEXT NOT NULL, model TEXT NOT NULL, original_model TEXT NOT NULL,
 node_id TEXT NOT NULL, score REAL, scores_breakdown TEXT,
 status TEXT NOT NULL, latency_ms REAL, time_to_first_token_ms REAL,
 prompt_tokens INTEGER, completion_tokens INTEGER,
 retry_count INTEGER DEFAULT 0, fallback_used INTEGER DEFAULT 0,
 excluded_nodes TEXT, client_ip TEXT, original_format TEXT,
 error_message TEXT, timestamp REAL NOT NULL);
INSERT INTO request_traces (request_id, model, original_model, node_id, score,
 scores_breakdown, status, latency_ms, time_to_first_token_ms, prompt_tokens,
 completion_tokens, excluded_nodes, client_ip, original_format, timestamp)
VALUES ('seeded-1', 'llama3:8b', 'llama3:8b', 'node-a', 72.5,
 '{\"thermal\":50,\"memory_fit\":30.5,\"queue_depth\":-8}', 'completed',
 2000, 300, 12, 100, '[\"node-z\"]', '', 'ollama', $(date +%s) - 60);"
fi
dash_herd herd --config "$TEST_TMP/herd.ini" --dashboard-dir "$top_srcdir/core/dashboard"

online() {
    [ "$(curl -s -m 5 "$url/fleet/status" | jq '.fleet.nodes_online')" = 3 ]
}
wait_for 20 online
ok $? "the router sees three online nodes"

# One tagged request, so that traces, models and tags have something.
rid=$(curl -s -m 60 -D - -o "$TEST_TMP/chat.json" "$url/api/chat" \
    -H 'X-Herd-Tags: browser-test' \
    -d '{"model":"qwen3:8b","messages":[{"role":"user","content":"hello"}],"stream":false}' |
    sed -n 's/^X-Request-Id: *//Ip' | tr -d '\r')
served=$(jq -r .done "$TEST_TMP/chat.json")
is "$served" true "a chat request through the router completes"
traced() { curl -s -m 5 "$url/dashboard/api/traces?limit=5" | grep -q "\"$rid\""; }
wait_for 20 traced
ok $? "its trace ($rid) is stored"
loaded() {
    [ "$(curl -s -m 5 "$url/fleet/status" | jq '.fleet.models_loaded')" -ge 1 ]
}
wait_for 20 loaded
ok $? "a node reports the model loaded"
node=$(curl -s -m 5 "$url/dashboard/api/traces?limit=5" |
    jq -r --arg r "$rid" '.traces[] | select(.request_id == $r) | .node_id')

# --- fleet view -------------------------------------------------------------
browser --dump-dom "$url/dashboard" >"$TEST_TMP/fleet.html"
dom=$(cat "$TEST_TMP/fleet.html")
like "$dom" 'id="fleet-table"' "the fleet table is in the page"
for n in node-a node-b node-c; do
    r=$(row "$TEST_TMP/fleet.html" "data-node=\"$n\"")
    ok $([ -n "$r" ]; echo $?) "the fleet table has a row for $n"
    like "$r" 'class="status s-online"' "$n is shown online"
done
like "$(row "$TEST_TMP/fleet.html" "data-node=\"$node\"")" \
    '<span class="name">qwen3:8b</span><span class="slots">0/[0-9]' \
    "$node shows qwen3:8b loaded with its slots"
like "$(row "$TEST_TMP/fleet.html" 'data-node="node-b"')" 'title="[^"]*qwen3:32b' \
    "node-b's models on disk are listed"
like "$(row "$TEST_TMP/fleet.html" 'data-node="node-c"')" '1 model<' \
    "node-c has one model on disk"
like "$dom" '<dd>3 / 3</dd>' "the counters say 3 of 3 nodes online"
like "$dom" 'id="conn"[^>]*data-state="up"' "the connection indicator says live"
like "$dom" 'id="offline"[^>]*hidden' "no unreachable banner while the router answers"
like "$dom" "<tr><td>$node</td><td>qwen3:8b</td>" "the queue table lists $node:qwen3:8b"

browser --screenshot="$TEST_TMP/fleet.png" --window-size=1280,900 "$url/dashboard" >/dev/null
is "$(head -c 4 "$TEST_TMP/fleet.png" 2>/dev/null | od -An -c | tr -d ' ')" '211PNG' \
    "a 1280 px screenshot is taken ($TEST_TMP/fleet.png)"
browser --screenshot="$TEST_TMP/phone.png" --window-size=390,844 "$url/dashboard" >/dev/null
is "$(head -c 4 "$TEST_TMP/phone.png" 2>/dev/null | od -An -c | tr -d ' ')" '211PNG' \
    "a phone-width screenshot is taken ($TEST_TMP/phone.png)"

# --- traces, models, tags, trends -------------------------------------------
browser --dump-dom "$url/dashboard/traces" >"$TEST_TMP/traces.html"
r=$(row "$TEST_TMP/traces.html" "data-request=\"$rid\"")
ok $([ -n "$r" ]; echo $?) "the traces view lists the request"
like "$r" "<td>qwen3:8b</td><td>$node</td>" "with its model and node"
like "$r" 'completed' "and its status"
like "$r" 'tags: browser-test' "and its tag"
if [ "$have_sqlite" = 1 ]; then
    r=$(row "$TEST_TMP/traces.html" 'data-request="seeded-1"')
    like "$r" '<summary>72.5</summary>' "a stored trace shows its score"
    like "$r" '<span class="sig-name">thermal</span>.*50\.0<' "and the points of thermal"
    like "$r" '<span class="sig-name">memory_fit</span>.*30\.5<' "and of memory_fit"
    like "$r" 'class="fill neg".*-8\.0<' "a negative signal is drawn as such"
    like "$r" 'Passed over.*node-z' "and the node it passed over"
else
    for i in 1 2 3 4 5; do echo "ok $((_tap_n + 1)) # SKIP sqlite3 not installed"; _tap_n=$((_tap_n + 1)); done
fi
like "$(cat "$TEST_TMP/traces.html")" 'data-view="traces" aria-current="page"' \
    "the Traces link is marked as the current page"

browser --dump-dom "$url/dashboard/models" >"$TEST_TMP/models.html"
like "$(sed -n 's/.*<tbody id="models-body">\(.*\)<\/tbody>.*/\1/p' "$TEST_TMP/models.html")" \
    '<th scope="row">qwen3:8b</th><td class="num">1</td>' "the models view counts the request"
browser --dump-dom "$url/dashboard/tags" >"$TEST_TMP/tags.html"
like "$(cat "$TEST_TMP/tags.html")" '<th scope="row">browser-test</th><td class="num">1</td>' \
    "the tags view counts the tag"
browser --dump-dom "$url/dashboard/trends" >"$TEST_TMP/trends.html"
legend=$(sed 's/id="legend-/\n&/g' "$TEST_TMP/trends.html" | grep '^id="legend-requests"')
like "$legend" '<th scope="col" class="num">requests</th>' \
    "the requests-per-hour chart has its data table"
like "$legend" '<td class="num">[1-9][0-9]*</td>' "and it counts requests in their hour"
browser --screenshot="$TEST_TMP/trends.png" --window-size=1280,1000 "$url/dashboard/trends" >/dev/null

# --- why this node? ---------------------------------------------------------
browser --dump-dom "$url/dashboard/route?model=qwen3:8b&prompt=hi" >"$TEST_TMP/route.html"
dom=$(cat "$TEST_TMP/route.html")
like "$dom" 'id="route-winner">Winner: <strong>node-[ab]</strong>' \
    "why this node? names a winner that has the model"
like "$dom" '<th scope="row">node-a</th>' "node-a is a ranked candidate"
like "$dom" '<th scope="row">node-b</th>' "node-b is a ranked candidate"
like "$dom" 'id="route-eliminated"><li><strong>node-c</strong>: ' \
    "node-c (no qwen3:8b) is eliminated with its reason"
like "$dom" 'memory fit</th>' "the per-signal points are shown"
browser --screenshot="$TEST_TMP/route.png" --window-size=1280,900 \
    "$url/dashboard/route?model=qwen3:8b" >/dev/null

# No script error in any of the pages above.
errs=$(grep -E 'Uncaught|SyntaxError|ReferenceError|TypeError|Refused to|Content Security Policy' "$TEST_TMP/chrome.err" | head -5)
is "$errs" "" "the pages ran without script errors or Content-Security-Policy refusals"

# --- router unreachable -----------------------------------------------------
# The page is served, but every API request is dropped without an answer,
# as when the router went away after the page loaded.
if command -v python3 >/dev/null; then
    dport=$(free_port)
    cat >"$TEST_TMP/dead_api.py" <<'PY'
import http.server, os, sys
root = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        p = self.path.split('?')[0]
        name = p[len('/dashboard/'):] if p.startswith('/dashboard/') else ''
        if p == '/dashboard' or (name and '.' not in name):
            name = 'index.html'
        f = os.path.join(root, name)
        if not p.startswith('/dashboard') or '/' in name or not os.path.isfile(f):
            self.close_connection = True
            self.connection.close()  # no answer at all
            return
        ext = name.rsplit('.', 1)[-1]
        t = {'html': 'text/html', 'js': 'text/javascript', 'css': 'text/css',
             'svg': 'image/svg+xml'}.get(ext, 'application/octet-stream')
        data = open(f, 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', t)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
    start_bg deadapi python3 "$TEST_TMP/dead_api.py" "$dport" "$top_srcdir/core/dashboard"
    wait_http "http://127.0.0.1:$dport/dashboard/style.css"
    browser --dump-dom "http://127.0.0.1:$dport/dashboard" >"$TEST_TMP/dead.html"
    dom=$(cat "$TEST_TMP/dead.html")
    like "$dom" 'id="conn"[^>]*data-state="down"' "an unanswered poll turns the indicator to down"
    like "$dom" 'router unreachable' "it says: router unreachable"
    ok $(printf '%s' "$dom" | grep -Eq 'id="offline"[^>]*hidden'; [ $? -ne 0 ]; echo $?) \
        "the unreachable banner is shown"
    like "$dom" '<body class="stale">' "the content is marked stale (greyed out)"
    browser --screenshot="$TEST_TMP/unreachable.png" --window-size=1280,600 \
        "http://127.0.0.1:$dport/dashboard" >/dev/null
else
    for i in 1 2 3 4; do echo "ok $((_tap_n + 1)) # SKIP python3 not installed"; _tap_n=$((_tap_n + 1)); done
fi

dash_stop herd
if [ -n "${DASHBOARD_SCREENSHOTS:-}" ]; then
    mkdir -p "$DASHBOARD_SCREENSHOTS" && cp "$TEST_TMP"/*.png "$DASHBOARD_SCREENSHOTS"/ &&
        diag "screenshots copied to $DASHBOARD_SCREENSHOTS"
fi
done_testing
