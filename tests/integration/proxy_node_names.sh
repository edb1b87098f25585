#!/usr/bin/env bash
# Node names. One whose name server does not answer: the lookup counts
# against connect_timeout like the connection it is for, so the request
# fails over (here: fails, there is no other node) in about
# connect_timeout, not after the resolver's own retries. One with two
# addresses, the first refusing: the second is tried. herd runs in a
# mount namespace of its own whose /etc/resolv.conf names a silent name
# server on loopback (a UDP socket that reads and never answers) and
# whose /etc/hosts gives twoaddr.herd-test 127.0.0.2, then 127.0.0.1, and
# silentfirst.herd-test 127.0.0.3, then 127.0.0.1. One whose first
# address never answers (a listener whose accept queue is full drops
# the SYN): it has half of connect_timeout, and the second the rest.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"
printf 'nameserver 127.0.0.1:53\n' >"$TEST_TMP/resolv.conf"
unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf' _ "$TEST_TMP/resolv.conf" \
    2>/dev/null || skip_all "cannot bind-mount a resolv.conf in a mount namespace"

cat >"$TEST_TMP/silent_dns.py" <<'EOF2'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    print("query %d" % n, flush=True)
EOF2
start_listening dns "listening on 127\.0\.0\.1:@PORT@" python3 \
    "$TEST_TMP/silent_dns.py" @PORT@ ||
    { echo "Bail out! the silent name server did not start"; exit 1; }
# the resolver gives up after 3 s; connect_timeout is 1 s
printf 'nameserver 127.0.0.1:%s\noptions timeout:3 attempts:1\n' "$port" \
    >"$TEST_TMP/resolv.conf"
printf '127.0.0.1 localhost\n127.0.0.2 twoaddr.herd-test\n127.0.0.1 twoaddr.herd-test\n127.0.0.3 silentfirst.herd-test\n127.0.0.1 silentfirst.herd-test\n' \
    >"$TEST_TMP/hosts"
cat >"$TEST_TMP/in_ns.sh" <<EOF2
#!/bin/sh
mount --bind "$TEST_TMP/resolv.conf" /etc/resolv.conf || exit 97
mount --bind "$TEST_TMP/hosts" /etc/hosts || exit 97
exec "\$@"
EOF2
chmod +x "$TEST_TMP/in_ns.sh"

# node_backoff: the silent node stays out of the second half's way
printf '[router]\nconnect_timeout = 1\nnode_backoff = 60\n' >"$TEST_TMP/herd.ini"
start_listening herd "listening on 127\.0\.0\.1:@PORT@" unshare -m \
    "$TEST_TMP/in_ns.sh" "$(herd_bin)" --host 127.0.0.1 --port @PORT@ \
    --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
    --log-level debug || { echo "Bail out! herd did not start"; exit 1; }
ROUTER=$url
is "$(llava_node_report quiet http://node.herd-test.invalid:11434 1 \
    '"agentless":true')" 200 \
    "a node named by a host name reports llava:7b"

t0=$(date +%s.%N)
out=$(curl -s -m 20 -o "$TEST_TMP/body" -w '%{http_code} %{time_total}' \
    "$ROUTER/api/generate" -d '{"model":"llava:7b","prompt":"hi","stream":false}')
read -r code secs <<<"$out"
like "$code" "^5" "its name never resolving, the request fails ($code)"
ok "$(awk -v s="$secs" 'BEGIN { exit !(s < 2.5) }'; echo $?)" \
    "... after about connect_timeout (${secs}s), not the resolver's 3 s"
like "$(jq -r .error "$TEST_TMP/body")" "timed out" "... and says it timed out"
ok "$(grep -q '^query' "$TEST_TMP/dns.log"; echo $?)" \
    "the lookup went to the silent name server"
# a name with two addresses; the node (tests/image_server's /api/chat)
# listens on the second only
need_image_server
head -c 100 /dev/urandom >"$TEST_TMP/img.png"
start_image_server node --file "$TEST_TMP/img.png" --record "$TEST_TMP/rec.json"
is "$(llava_node_report two "http://twoaddr.herd-test:$port" 4 \
    '"agentless":true')" 200 "a node whose name has two addresses reports llava:7b"
rq POST /api/chat '{"model":"llava:7b","stream":false,"messages":[{"role":"user","content":"hi"}]}'
is "$STATUS" 200 "the first address refusing, the second one serves"
is "$(hdr X-Fleet-Node)/$(hdr X-Fleet-Retries)" two/0 \
    "... on the same attempt (node two, no retry)"

# the same name's first address silent: 127.0.0.3 on the node's port is
# a listener that never accepts, its queue filled by connections of its
# own, so the kernel drops every SYN after them
cat >"$TEST_TMP/full_queue.py" <<'EOF2'
import socket, sys, time
l = socket.socket()
l.bind(("127.0.0.3", int(sys.argv[1])))
l.listen(0)
fill = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.3", int(sys.argv[1])))
    fill.append(c)
print("full", flush=True)
time.sleep(600)
EOF2
start_bg fullq python3 "$TEST_TMP/full_queue.py" "$port"
for _ in $(seq 100); do grep -q full "$TEST_TMP/fullq.log" && break; sleep 0.05; done
probe=$(curl -s -m 0.5 -o /dev/null -w '%{http_code}' "http://127.0.0.3:$port/")
is "$probe" 000 "a connection to 127.0.0.3 on the node's port is never answered"
is "$(llava_node_report silentfirst "http://silentfirst.herd-test:$port" 4 \
    '"agentless":true')" 200 "a node whose first address is silent reports llava:7b"
t1=$(date +%s.%N)
is "$(llava_node_report two "http://twoaddr.herd-test:$port" 4 \
    '"agentless":true,"draining":true')" 200 "node two drains: out of the way"
rq POST /api/chat '{"model":"llava:7b","stream":false,"messages":[{"role":"user","content":"hi"}]}'
secs=$(awk -v t="$t1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - t }')
is "$STATUS $(hdr X-Fleet-Node)/$(hdr X-Fleet-Retries)" "200 silentfirst/0" \
    "the first address silent, the second serves, on the same attempt"
ok "$(awk -v s="$secs" 'BEGIN { exit !(s >= 0.4 && s < 1.5) }'; echo $?)" \
    "... after about the first's half of connect_timeout (${secs}s)"

# The lookup left behind ends when the resolver gives up: a lookup still
# running when herd exits is not freed (evdns fails it in a callback of
# the event loop, which has stopped by then).
sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { w = t0 + 3.5 - now; print (w > 0 ? w : 0) }')"
kill -TERM "$PID_herd" && wait "$PID_herd"
is "$?" 0 "herd exits 0 on SIGTERM, sanitizers quiet"

done_testing
