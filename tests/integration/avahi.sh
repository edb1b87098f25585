# A private dbus-daemon and avahi-daemon for mDNS tests. Source it (bash)
# after lib.sh.
#
# SAFETY: avahi-daemon never runs with the stock configuration. Ours allows
# lo (or the interface given) only, denies eth0, no IPv6, no wide-area, no
# reflector, publishes no workstation or HINFO record; and the tests run it
# inside a network namespace of their own, where eth0 does not even exist.
#
#   avahi_enter_netns "$@"   re-runs the calling test inside a new network
#                            and mount namespace (lo only, a tmpfs on /run)
#                            or returns 1 when namespaces are not permitted
#   avahi_available          0 when dbus-daemon and avahi-daemon are there
#   avahi_start DIR [IFACE [HOST]]
#                            starts dbus (unless DIR has one running) and
#                            avahi-daemon on IFACE (default lo), as host name
#                            HOST when given; waits for "Server startup
#                            complete"; pids in DIR/*.pid
#   avahi_stop DIR           stops avahi-daemon (dbus stays)
#   avahi_stop_all DIR       stops both
# DBUS_SYSTEM_BUS_ADDRESS must point at DIR/bus for the programs under
# test; avahi_bus DIR prints the value.

avahi_available() {
    command -v avahi-daemon >/dev/null 2>&1 &&
        command -v dbus-daemon >/dev/null 2>&1
}

avahi_bus() { echo "unix:path=$1/bus"; }

avahi_enter_netns() {
    if [ -n "${HERD_TEST_NETNS:-}" ]; then
        # Inside: lo up, and a /run of our own so avahi-daemon's pid file
        # and socket never meet the machine's.
        ip link set lo up || return 1
        mount -t tmpfs -o size=4m herd-test-run /run || return 1
        return 0
    fi
    command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 ||
        return 1
    unshare -n -m true 2>/dev/null || return 1
    # exec skips lib.sh's cleanup: the test starts over with a new TEST_TMP
    rm -rf "$TEST_TMP"
    HERD_TEST_NETNS=1 exec unshare -n -m bash "$0" "$@"
}

_avahi_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

avahi_start() {
    local dir=$1 iface=${2:-lo} host=${3:-} i
    mkdir -p "$dir" /run/avahi-daemon || return 1
    if ! _avahi_alive "$dir/dbus.pid"; then
        cat >"$dir/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
        rm -f "$dir/bus"
        dbus-daemon --config-file="$dir/dbus.conf" --nofork --nopidfile \
            >"$dir/dbus.log" 2>&1 &
        echo $! >"$dir/dbus.pid"
        _bg_pids="${_bg_pids:-} $!" # lib.sh stops it too, whatever happens
        for i in $(seq 1 100); do
            [ -S "$dir/bus" ] && break
            sleep 0.05
        done
        [ -S "$dir/bus" ] || return 1
    fi
    cat >"$dir/avahi.conf" <<EOF
[server]
${host:+host-name=$host}
use-ipv4=yes
use-ipv6=no
allow-interfaces=$iface
deny-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
enable-reflector=no
[rlimits]
EOF
    DBUS_SYSTEM_BUS_ADDRESS=$(avahi_bus "$dir") avahi-daemon \
        -f "$dir/avahi.conf" --no-drop-root --no-chroot --no-rlimits --debug \
        >"$dir/avahi.log" 2>&1 &
    echo $! >"$dir/avahi.pid"
    _bg_pids="${_bg_pids:-} $!"
    for i in $(seq 1 100); do
        grep -q "Server startup complete" "$dir/avahi.log" 2>/dev/null &&
            return 0
        _avahi_alive "$dir/avahi.pid" || return 1
        sleep 0.05
    done
    return 1
}

# Gone, or a zombie waiting for its parent (this shell) to reap it.
_avahi_gone() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    case $st in Z*) return 0 ;; esac
    return 1
}

_avahi_kill() {
    local pid i
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null
    for i in $(seq 1 100); do
        _avahi_gone "$pid" && break
        sleep 0.05
    done
    _avahi_gone "$pid" || kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null # reaps it when it is this shell's child
    rm -f "$1"
}

avahi_stop() { _avahi_kill "$1/avahi.pid"; }
avahi_stop_all() { _avahi_kill "$1/avahi.pid"; _avahi_kill "$1/dbus.pid"; }
