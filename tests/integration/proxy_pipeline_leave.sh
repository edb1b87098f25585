#!/usr/bin/env bash
# A client that pipelines more than the server reads ahead (256 KiB)
# behind a request waiting in the holding queue, then leaves: the server
# has stopped reading its socket, and still sees the close (EPOLLRDHUP),
# so the waiting request leaves the queue at once, traced
# client_disconnected, and never runs on the node. (A close that comes
# behind more bytes than the server's receive buffer has room for cannot
# be seen before reading goes on, as with nginx: here the client sends 4
# KiB more than the bound, which fit.)
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"

one_slot_fleet "queue_wait = 30"
# a 3 s stream holds the only slot
curl -s -N -m 30 -o /dev/null "$ROUTER/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"x","options":{"num_predict":30}}' &
pid_run=$!
busy() { [ "$(curl -s "$ROUTER/fleet/queue" | jq .in_flight)" = 1 ]; }
wait_for 5 busy
ok $? "one stream holds the only slot"

python3 - "${ROUTER##*:}" "$TEST_TMP/leave" >"$TEST_TMP/client.log" 2>&1 <<'EOF2' &
import socket, sys, time
body = b'{"model":"qwen3:0.6b","prompt":"x","stream":false}'
head = b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
big = b"x" * ((256 + 4) << 10)  # 4 KiB over the bound
data = head % len(body) + body + head % len(big) + big
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setblocking(False)
sent, t0 = 0, time.time()
while sent < len(data) and time.time() - t0 < 3:
    try:
        sent += s.send(data[sent:])
    except BlockingIOError:
        time.sleep(0.05)
print("pipelined %d bytes" % sent, flush=True)
t0 = time.time()
while time.time() - t0 < 10:  # the test says when to leave
    try:
        open(sys.argv[2]).close()
        break
    except OSError:
        time.sleep(0.05)
s.close()
EOF2
pid_client=$!
waiting() { [ "$(curl -s "$ROUTER/fleet/queue" | jq .pending)" = 1 ]; }
wait_for 5 waiting
ok $? "its first request waits in the holding queue"
like "$(cat "$TEST_TMP/client.log")" "pipelined [0-9]{6,} bytes" \
    "a client pipelines 4 KiB more than the 256 KiB read ahead behind it"
touch "$TEST_TMP/leave"
wait "$pid_client"
gone() { [ "$(curl -s "$ROUTER/fleet/queue" | jq .pending)" = 0 ]; }
wait_for 2 gone
ok $? "its request leaves the holding queue at once"
wait_for 5 grep -q "client disconnected while waiting for a slot" "$TEST_TMP/herd.log"
ok $? "the log says the client disconnected"
wait "$pid_run"
sleep 0.3
is "$(sim_of s1 '.models[0].requests')" 1 "the node ran the stream only"
router_stop
done_testing
