#!/usr/bin/env bash
# Pulls through the router stream from the node whatever the client asked:
# an auto-pull and a stream:false /api/pull longer than upstream_timeout
# succeed (only auto_pull_timeout bounds an auto-pull), and a streamed
# /api/pull whose node dies inside a line ends with its error on a line of
# its own; a node's refusal is relayed as it gave it.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"

# a 4b model is 2.4 GB to the sim: 4 s at 0.6 GB/s, a progress line
# every 0.4 s
fleet_sim s1 --model qwen3:0.6b:0.5 --pull-gb-per-sec 0.6 \
    --load-gb-per-sec 50 --tokens-per-sec 1000
fleet_router "upstream_timeout = 2
auto_pull_timeout = 20"

t0=$(now_ms)
rq POST /api/generate '{"model":"slow:4b","prompt":"x","stream":false,"options":{"num_predict":2}}'
t=$(( $(now_ms) - t0 ))
is "$STATUS" 200 "an auto-pull longer than upstream_timeout succeeds"
ok $([ "$t" -ge 3000 ]; echo $?) "after the pull's 4 s ($t ms)"
is "$(grep -c 'pulled slow:4b on s1' "$TEST_TMP/herd.log")" 1 "logged as pulled"

t0=$(now_ms)
rq POST /api/pull '{"model":"slow2:4b","stream":false}'
t=$(( $(now_ms) - t0 ))
is "$STATUS $BODY" '200 {"status":"success"}' \
    "/api/pull stream:false longer than upstream_timeout: Ollama's one answer"
ok $([ "$t" -ge 3000 ]; echo $?) "when the pull is done ($t ms)"

# A node that dies inside a progress line.
cat >"$TEST_TMP/cut_node.py" <<'EOF2'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if b"refused" in body:
            self.send_response(400)
            self.send_header("Content-Length", "19")
            self.end_headers()
            self.wfile.write(b'{"error":"refused"}')
            return
        if self.path != "/api/pull":
            self.send_response(404)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        part = b'{"status":"pulling manifest"}\n{"status":"pulling ab","total":100,"comp'
        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.flush()
        self.close_connection = True
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
print("listening on 127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
EOF2
start_listening cut "listening on 127\.0\.0\.1:@PORT@" python3 \
    "$TEST_TMP/cut_node.py" @PORT@ ||
    { echo "Bail out! the cut node did not start"; exit 1; }
is "$(llava_node_report cut "$url" 1)" 200 "the cut node reports"
out=$(curl -sN -m 10 "$ROUTER/api/pull" -d '{"model":"x:1b","node_id":"cut"}')
like "$(printf '%s\n' "$out" | tail -1 | jq -r .error)" '^node cut: ' \
    "a node dying mid-line: the error is a line of its own"
is "$(printf '%s\n' "$out" | sed -n 2p)" '{"status":"pulling ab","total":100,"comp' \
    "after the cut line as the node sent it"
for stream in true false; do
    rq POST /api/pull "{\"model\":\"refused:1b\",\"node_id\":\"cut\",\"stream\":$stream}"
    is "$STATUS $BODY" '400 {"error":"refused"}' \
        "stream:$stream, a node refusing at once: its answer relayed"
done
router_stop
done_testing
