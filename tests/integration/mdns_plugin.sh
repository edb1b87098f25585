#!/usr/bin/env bash
# discovery/mdns with fake hosts (tests/plugins/test_mdns) against a
# private avahi-daemon on lo, inside a network namespace of the test's own:
# bad keys; publish -> browse -> resolve, name collisions, preference, a
# router leaving and moving; no daemon at start (a warning, then it
# publishes once the daemon comes); the daemon restarting.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/avahi.sh"

prog=$top_builddir/tests/plugins/test_mdns
[ -x "$prog" ] || skip_all "tests/plugins/test_mdns is not built"
avahi_available || skip_all "avahi-daemon or dbus-daemon is not installed"
if ! avahi_enter_netns "$@"; then
    # Without namespaces, the machine's own /run: only when it is free.
    avahi-daemon -c 2>/dev/null &&
        skip_all "no network namespaces here and an avahi-daemon runs"
    diag "network namespaces not permitted: avahi on the machine's lo"
fi

av=$TEST_TMP/avahi
mkdir -p "$av"
export DBUS_SYSTEM_BUS_ADDRESS
DBUS_SYSTEM_BUS_ADDRESS=$(avahi_bus "$av")
trap 'avahi_stop_all "$av"; _lib_cleanup' EXIT

# Runs one scenario of the C test and folds its TAP into ours.
scenario() {
    local out rc line
    out=$("$prog" "$@" 2>"$TEST_TMP/stderr.log")
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok "*) ok 0 "$1: ${line#* - }" ;;
        "not ok "*) ok 1 "$1: ${line#* - }" ;;
        "#"*) echo "$line" ;;
        esac
    done <<<"$out"
    ok $rc "$1: test_mdns exits 0"
    [ $rc -eq 0 ] || { diag "stderr:"; sed 's/^/#   /' "$TEST_TMP/stderr.log"; }
}

scenario keys

here=$(printf %q "$top_srcdir/tests/integration/avahi.sh")
dir=$(printf %q "$av")
start="bash -c '. $here && avahi_start $dir'"
stop="bash -c '. $here && avahi_stop $dir'"

# Nothing runs yet, not even dbus.
scenario absent "$start"
avahi_stop "$av"
# dbus runs, avahi-daemon does not: the client waits for it (NO_FAIL).
scenario absent "$start"

scenario live

scenario restart "$stop" "$start"
avahi_stop_all "$av"
done_testing
