#!/usr/bin/env bash
# mDNS end to end, in a network namespace of the test's own with a private
# avahi-daemon on lo: three herd-node agents started with no router URL
# before the router exists find it when it starts and appear in its
# /fleet/status within 10 s; when the router comes back on another port,
# they follow it; with two routers, an agent with `prefer` takes the one it
# prefers.
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
avahi_enter_netns "$@" ||
    skip_all "network namespaces are not permitted here (unshare -n -m)"

av=$TEST_TMP/avahi
mkdir -p "$av"
export DBUS_SYSTEM_BUS_ADDRESS
DBUS_SYSTEM_BUS_ADDRESS=$(avahi_bus "$av")
trap 'avahi_stop_all "$av"; _lib_cleanup' EXIT
avahi_start "$av"
ok $? "private avahi-daemon on lo"

for i in 1 2 3; do
    start_listening "sim$i" "listening on 127\.0\.0\.1:@PORT@" "$(sim_bin)" \
        --host 127.0.0.1 --port @PORT@ --model qwen3:0.6b:0.5 \
        --time-scale 0.01
    ok $? "herd-sim $i answers"
    eval "sim$i=\$url"
done

printf '[discovery.mdns]\nname = herd e2e\n' >"$TEST_TMP/herd.ini"
printf '[discovery.mdns]\nprefer = herd other\n' >"$TEST_TMP/prefer.ini"
for i in 1 2 3; do
    eval "sim=\$sim$i"
    ini=/dev/null
    [ "$i" = 3 ] && ini=$TEST_TMP/prefer.ini
    start_bg "node$i" "$node_bin" --config "$ini" --node-id "n$i" \
        --ollama-host "$sim" --heartbeat-interval 1 \
        --data-dir "$TEST_TMP/node$i" --log-level debug
done
sleep 1
for i in 1 2 3; do
    eval "pid=\$PID_node$i"
    kill -0 "$pid" 2>/dev/null
    ok $? "herd-node $i keeps running with no router yet"
done

nodes_at() { # URL COUNT: COUNT nodes online at URL
    [ "$(curl -s -m 2 "$1/fleet/status" |
        jq '[.nodes[] | select(.status == "online")] | length')" = "$2" ]
}
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data"
ok $? "router starts"
t0=$(date +%s.%N)
wait_for 10 nodes_at "$url" 3
ok $? "the three agents register within 10 s of the router starting"
diag "took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
is "$(curl -s "$url/fleet/status" | jq -r '[.nodes[].node_id] | sort | join(",")')" \
    "n1,n2,n3" "by their node ids"
is "$(curl -s "$url/fleet/status" | jq -r '[.nodes[].source] | unique | join(",")')" \
    "heartbeat" "through heartbeats"
like "$(cat "$TEST_TMP/node1.log")" \
    "found router 'herd e2e' at http://127\.0\.0\.1:$port" \
    "the agent's log says where it found the router"
like "$(cat "$TEST_TMP/node3.log")" "the preferred one is not seen" \
    "an agent whose preferred router is absent takes the one there"

# The router moves to another port.
kill "$PID_herd"
wait "$PID_herd" 2>/dev/null
old_port=$port
start_herd herd2 --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data2"
ok $? "router starts again on port $port (was $old_port)"
wait_for 10 nodes_at "$url" 3
ok $? "the agents follow it to the new port"

# The preferred router appears: agent 3 moves there, the others stay.
printf '[discovery.mdns]\nname = herd other\n' >"$TEST_TMP/other.ini"
main=$url
start_herd other --config "$TEST_TMP/other.ini" --data-dir "$TEST_TMP/data3"
ok $? "a second router 'herd other' starts"
other=$url
has_n3() { curl -s -m 2 "$other/fleet/status" | jq -e '.nodes[] | select(.node_id == "n3")'; }
wait_for 10 has_n3
ok $? "agent 3 (prefer = herd other) reports to it"
sleep 2
is "$(curl -s "$other/fleet/status" | jq -r '[.nodes[].node_id] | sort | join(",")')" \
    "n3" "and only agent 3 moved"
done_testing
