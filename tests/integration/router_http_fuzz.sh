#!/usr/bin/env bash
# The router's HTTP parser against mangled requests: 400 requests, each a
# valid one with bytes deleted, replaced, cut or spliced in (CR, LF, NUL,
# colons, chunk sizes, huge tokens, other requests), sent whole or in
# small pieces, sometimes half-closed. Seeded, so a failure repeats. The
# router must stay up, answer a clean request afterwards, exit 0 on
# SIGTERM, and (under ASan or valgrind) report nothing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v node >/dev/null || skip_all "node is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"

printf '[router]\nmax_body_bytes = 4K\nmax_header_bytes = 2K\nclient_timeout = 1\n' \
    >"$TEST_TMP/fuzz.ini"
start_herd herd --config "$TEST_TMP/fuzz.ini" --data-dir "$TEST_TMP/data"
ok $? "router answers"

timeout 240 node -e '
const net = require("net");
const port = +process.argv[1];
let seed = 20261127;
const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const B = s => Buffer.from(s, "latin1");
const base = [
  "GET /api/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  "POST /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}",
  "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n",
  "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n{\"a\":",
  "GET http://x/api/tags?x=1#f HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
].map(B);
const toks = ["\r\n", "\n", "\r", "\0", ":", " ", "\t", "chunked", "Content-Length: ",
  "Transfer-Encoding: ", "ffffffffffffffff", "-1", "0x", ";", "HTTP/1.1", "HTTP/9.9",
  "\xff\xfe", "%00", "/".repeat(300), "a".repeat(5000)].map(B);
function mutate(b) {
  for (let k = 1 + rnd(6); k > 0; k--) {
    const i = rnd(b.length + 1);
    switch (rnd(5)) {
    case 0: if (b.length) { const j = rnd(b.length); b = Buffer.concat([b.subarray(0, j), b.subarray(j + 1)]); } break;
    case 1: b = Buffer.concat([b.subarray(0, i), toks[rnd(toks.length)], b.subarray(i)]); break;
    case 2: if (b.length) { b = Buffer.from(b); b[rnd(b.length)] = rnd(256); } break;
    case 3: b = Buffer.concat([b.subarray(0, i), base[rnd(base.length)], b.subarray(i)]); break;
    default: b = b.subarray(0, i);
    }
  }
  return b;
}
let left = 400, answered = 0;
function one() {
  if (left-- === 0) { console.log("answered " + answered); return; }
  const data = mutate(base[rnd(base.length)]);
  const whole = rnd(2) === 0, halfClose = rnd(10) < 3;
  const s = net.connect(port, "127.0.0.1");
  let idle, got = false, finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    clearTimeout(idle); s.destroy(); if (got) answered++; setImmediate(one);
  };
  const arm = () => { clearTimeout(idle); idle = setTimeout(done, 150); };
  s.on("connect", () => {
    if (whole) s.write(data);
    else for (let j = 0; j < data.length; j += 20) s.write(data.subarray(j, j + 20));
    if (halfClose) s.end();
    arm();
  });
  s.on("data", () => { got = true; arm(); });
  s.on("error", () => {});
  s.on("close", done);
}
one();' "$port" >"$TEST_TMP/fuzz.out" 2>&1
ok $? "400 mangled requests sent ($(cat "$TEST_TMP/fuzz.out"))"
kill -0 "$PID_herd" 2>/dev/null
ok $? "the router is still running"
is "$(curl -s -m 5 "$url/api/version" | jq -r .version)" "unknown" \
    "and answers a clean request"
kill -TERM "$PID_herd"
wait "$PID_herd"
is $? 0 "SIGTERM: exit status 0"
ok $(! grep -Eq 'Sanitizer|runtime error' "$TEST_TMP/herd.log"; echo $?) \
    "no sanitizer report"
done_testing
