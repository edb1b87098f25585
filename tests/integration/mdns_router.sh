#!/usr/bin/env bash
# herd with [discovery.mdns], in a network namespace of the test's own with
# a private avahi-daemon on lo: the router publishes _fleet-manager._tcp on
# the port it listens on, with version and node-token TXT records, as
# avahi-browse sees it; the section's own keys override. Without
# avahi-daemon the router warns, keeps serving and keeps its static nodes,
# and publishes once the daemon comes.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/avahi.sh"

[ -f "$top_builddir/plugins/discovery/mdns.la" ] ||
    skip_all "the mdns discovery plugin is not built"
avahi_available || skip_all "avahi-daemon or dbus-daemon is not installed"
command -v avahi-browse >/dev/null || skip_all "avahi-browse is not installed"
command -v jq >/dev/null || skip_all "jq is not installed"
avahi_enter_netns "$@" ||
    skip_all "network namespaces are not permitted here (unshare -n -m)"

av=$TEST_TMP/avahi
mkdir -p "$av"
export DBUS_SYSTEM_BUS_ADDRESS
DBUS_SYSTEM_BUS_ADDRESS=$(avahi_bus "$av")
trap 'avahi_stop_all "$av"; _lib_cleanup' EXIT
version=$("$(herd_bin)" --version | awk '{print $2}')

# browse: one line per resolved IPv4 service: name;address;port;txt
# (avahi-browse -p writes a space as \032 and # as \035)
browse() {
    timeout 5 avahi-browse -rpt -k _fleet-manager._tcp 2>/dev/null |
        awk -F';' '$1 == "=" && $3 == "IPv4" {print $4 ";" $8 ";" $9 ";" $10}' |
        sed 's/\\032/ /g; s/\\035/#/g'
}

# ---- no daemon at all: warn, keep serving, keep static nodes ----
start_listening sim "listening on 127\.0\.0\.1:@PORT@" "$(sim_bin)" \
    --host 127.0.0.1 --port @PORT@ --model qwen3:0.6b:0.5 --time-scale 0.01
ok $? "herd-sim answers"
sim=$url
cat >"$TEST_TMP/herd.ini" <<EOF2
[discovery.mdns]
name = herd test router

[discovery.static]
node = sim1 $sim
interval = 0.5
EOF2
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data"
ok $? "router with [discovery.mdns] starts without avahi-daemon"
herd_url=$url herd_port=$port
like "$(cat "$TEST_TMP/herd.log")" "discovery/mdns.*avahi-daemon.*other discovery works as before" \
    "a clear warning names avahi-daemon"
has_sim() { curl -s -m 2 "$herd_url/fleet/status" | jq -e '.nodes[] | select(.node_id=="sim1")'; }
wait_for 5 has_sim
ok $? "static discovery works meanwhile"

avahi_start "$av"
ok $? "avahi-daemon comes up later"
published() { grep -q "published 'herd test router'" "$TEST_TMP/herd.log"; }
wait_for 12 published
ok $? "the router publishes once the daemon is there"
svc=$(browse | grep '^herd test router;')
is "$(cut -d';' -f2,3 <<<"$svc")" "127.0.0.1;$herd_port" \
    "avahi-browse resolves it to the router's address and port"
like "$svc" "\"version=$version\"" "TXT version is herd's version"
like "$svc" '"node_token=none"' "TXT says no node token is needed"
like "$svc" '"heartbeat=/heartbeat"' "TXT names the heartbeat path"
like "$svc" '"api=/api"' "TXT names the API path"
curl -s -m 2 -o /dev/null "$herd_url/api/version"
ok $? "the router still answers"
kill "$PID_herd"; wait "$PID_herd" 2>/dev/null

# ---- a token, and the section's own port ----
cat >"$TEST_TMP/herd2.ini" <<EOF2
[security]
node_token = s3cret

[discovery.mdns]
name = herd tokened
EOF2
start_herd herd2 --config "$TEST_TMP/herd2.ini" --data-dir "$TEST_TMP/data2"
ok $? "router with a node token starts"
port2=$port
published2() { grep -q "published 'herd tokened'" "$TEST_TMP/herd2.log"; }
wait_for 5 published2
ok $? "published"
# The exited router's goodbye takes about a second to be seen.
only_second() {
    local all
    all=$(browse)
    grep -q '^herd tokened;' <<<"$all" && ! grep -q '^herd test router;' <<<"$all"
}
wait_for 6 only_second
ok $? "the first router's service was withdrawn when it exited"
svc=$(browse | grep '^herd tokened;')
like "$svc" '"node_token=required"' "TXT says heartbeats need the token"
is "$(cut -d';' -f3 <<<"$svc")" "$port2" "on the router's port"

cat >"$TEST_TMP/herd3.ini" <<EOF2
[discovery.mdns]
name = herd tokened
port = 18080
token_required = yes
EOF2
start_herd herd3 --config "$TEST_TMP/herd3.ini" --data-dir "$TEST_TMP/data3"
ok $? "a second router with the same name and its own port starts"
published3() { grep -q "published 'herd tokened #2' (_fleet-manager._tcp) on port 18080" "$TEST_TMP/herd3.log"; }
wait_for 5 published3
ok $? "it is renamed after the collision and uses the section's port"
svc=$(browse | grep '^herd tokened #2;')
is "$(cut -d';' -f3 <<<"$svc")" "18080" "avahi-browse sees port 18080"
like "$svc" '"node_token=required"' "token_required = yes is announced"

echo "port = 0" >>"$TEST_TMP/herd3.ini"
"$(herd_bin)" --config "$TEST_TMP/herd3.ini" --port 1 --host 127.0.0.1 \
    --data-dir "$TEST_TMP/data4" >"$TEST_TMP/bad.log" 2>&1 &
badpid=$!
wait_for 5 sh -c "! kill -0 $badpid"
wait "$badpid"
rc=$?
ok $((rc == 0)) "a bad port in the section stops the router (exit $rc)"
like "$(cat "$TEST_TMP/bad.log")" "port: '0' is not a port \(1-65535\)" \
    "with a clear message"
done_testing
