#!/usr/bin/env bash
# mDNS across hosts: two network namespaces that this test creates, joined
# by a veth pair (10.213.0.1 and 10.213.0.2, nowhere else), each with its
# own dbus-daemon and avahi-daemon allowed on its end of the veth only. The
# router publishes in A; herd-node in B, with no router URL and its sim on
# B's own loopback, finds the router at A's address and registers.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/avahi.sh"

node_bin=$top_builddir/herd-node
[ -x "$node_bin" ] || skip_all "herd-node is not built"
[ -f "$top_builddir/plugins/discovery/mdns.la" ] ||
    skip_all "the mdns discovery plugin is not built"
avahi_available || skip_all "avahi-daemon or dbus-daemon is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
# Host A is the namespace this test runs in; host B a named one inside it.
avahi_enter_netns "$@" ||
    skip_all "network namespaces are not permitted here (unshare -n -m)"
nsb=herd-mdns-b-$$
ip netns add "$nsb" 2>/dev/null ||
    skip_all "ip netns is not permitted here"
avA=$TEST_TMP/avahi-a avB=$TEST_TMP/avahi-b
mkdir -p "$avA" "$avB"
# The daemons' pid files live in $TEST_TMP, which _lib_cleanup removes.
cleanup() {
    avahi_stop_all "$avA"
    avahi_stop_all "$avB"
    _lib_cleanup
    ip netns del "$nsb" 2>/dev/null
}
trap cleanup EXIT

ip link add herd-va type veth peer name herd-vb netns "$nsb" &&
    ip addr add 10.213.0.1/24 dev herd-va && ip link set herd-va up &&
    ip -n "$nsb" addr add 10.213.0.2/24 dev herd-vb &&
    ip -n "$nsb" link set herd-vb up && ip -n "$nsb" link set lo up
ok $? "veth pair between host A and host B"
inb() { ip netns exec "$nsb" "$@"; }

avahi_start "$avA" herd-va herd-host-a
ok $? "avahi-daemon of host A on its veth only"
# B's avahi-daemon needs a /run/avahi-daemon of its own: ip netns exec
# gives it a mount namespace where one more tmpfs hides A's.
here=$top_srcdir/tests/integration/avahi.sh
inb bash -c 'mount -t tmpfs -o size=1m herd-b /run/avahi-daemon &&
    . "$1" && avahi_start "$2" herd-vb herd-host-b' _ "$here" "$avB"
ok $? "avahi-daemon of host B on its veth only"

# The router on A, on every address of A (its loopback is not B's).
printf '[discovery.mdns]\nname = herd across\n' >"$TEST_TMP/herd.ini"
DBUS_SYSTEM_BUS_ADDRESS=$(avahi_bus "$avA") \
    start_listening herd "listening on 10\.213\.0\.1:@PORT@" "$(herd_bin)" \
    --host 10.213.0.1 --port @PORT@ --config "$TEST_TMP/herd.ini" \
    --data-dir "$TEST_TMP/data"
ok $? "router listens on host A (10.213.0.1:$port)"
router=http://10.213.0.1:$port
published() { grep -q "published 'herd across'" "$TEST_TMP/herd.log"; }
wait_for 5 published
ok $? "and publishes"

# The sim and the agent on B.
simport=$(free_port)
start_bg sim ip netns exec "$nsb" "$(sim_bin)" --host 127.0.0.1 \
    --port "$simport" --model qwen3:0.6b:0.5 --time-scale 0.01
sim_up() { inb curl -s -m 1 -o /dev/null "http://127.0.0.1:$simport/"; }
wait_for 10 sim_up
ok $? "herd-sim answers on host B's loopback"
start_bg node ip netns exec "$nsb" env \
    DBUS_SYSTEM_BUS_ADDRESS="$(avahi_bus "$avB")" "$node_bin" \
    --config /dev/null --node-id far --ollama-host "http://127.0.0.1:$simport" \
    --heartbeat-interval 1 --data-dir "$TEST_TMP/node" --log-level debug

registered() {
    curl -s -m 2 "$router/fleet/status" |
        jq -e '.nodes[] | select(.node_id == "far" and .status == "online")'
}
wait_for 10 registered
ok $? "herd-node on host B registers with the router on host A"
like "$(cat "$TEST_TMP/node.log")" \
    "found router 'herd across' at http://10\.213\.0\.1:$port" \
    "B resolved the router to A's veth address"
ok $(inb curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/" && echo 1 || echo 0) \
    "the router is not on B's own loopback (the hosts are really apart)"
done_testing
