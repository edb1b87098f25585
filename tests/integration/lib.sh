# Shared shell helpers for integration tests: TAP output, free loopback
# ports, background processes that are always stopped, HTTP waits.
# Source it: . "$top_srcdir/tests/integration/lib.sh"
# Every test talks to 127.0.0.1 only and every wait is bounded.

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/herd-test.XXXXXX")
_tap_n=0
_tap_failed=0
_bg_pids=""

_tap_planned=0
plan() { echo "1..$1"; _tap_planned=1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '# %s\n' "$*"; }
ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else
        echo "not ok $_tap_n - $2"; _tap_failed=$((_tap_failed + 1)); fi
}
is() { # is GOT WANT DESCRIPTION
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got '$1', want '$2'"; fi
}
like() { # like GOT PATTERN DESCRIPTION (grep -E)
    if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
        ok 1 "$3"; diag "'$(printf '%s' "$1" | head -c 400)' does not match /$2/"; fi
}
done_testing() {
    [ "$_tap_planned" = 1 ] || echo "1..$_tap_n"
    exit $((_tap_failed > 0))
}

# A free TCP port on 127.0.0.1 (random pick, checked unused). Picked below
# Linux's ephemeral range (32768-60999) so no test's client sockets take it
# between the pick and the bind.
free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 12768))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return 0
        fi
    done
    return 1
}

# Runs a program in the background; it is killed when the test exits.
# Usage: start_bg NAME cmd args...   (stdout+stderr to $TEST_TMP/NAME.log)
start_bg() {
    local name=$1; shift
    "$@" >"$TEST_TMP/$name.log" 2>&1 &
    local pid=$!
    _bg_pids="$_bg_pids $pid"
    eval "PID_$name=$pid"
}

# Programs under the build tree (libtool wrappers when uninstalled).
# With VALGRIND=1 they run under valgrind (memcheck, definite leaks and
# errors exit 99), through a wrapper script made once per test.
_valgrind_wrap() { # _valgrind_wrap PROGRAM -> path of a wrapper
    local w="$TEST_TMP/vg-$1"
    if [ ! -x "$w" ]; then
        printf '#!/bin/sh\nexec "%s" --mode=execute valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "%s" "$@"\n' \
            "${LIBTOOL:-$top_builddir/libtool}" "$top_builddir/$1" >"$w"
        chmod +x "$w"
    fi
    echo "$w"
}
_program_bin() {
    if [ "${VALGRIND:-0}" = 1 ]; then _valgrind_wrap "$1"; else
        echo "$top_builddir/$1"; fi
}
herd_bin() { _program_bin herd; }
sim_bin() { _program_bin herd-sim; }

# wait_http URL [SECONDS]: until URL answers at all (any status), max 10 s.
wait_http() {
    local url=$1 limit=${2:-10} i
    for i in $(seq 1 $((limit * 20))); do
        curl -s -o /dev/null -m 1 "$url" && return 0
        sleep 0.05
    done
    return 1
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
    local limit=$1 i; shift
    for i in $(seq 1 $((limit * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

_lib_cleanup() {
    local pid
    for pid in $_bg_pids; do kill "$pid" 2>/dev/null; done
    for pid in $_bg_pids; do wait "$pid" 2>/dev/null; done
    if [ "$_tap_failed" -gt 0 ] || [ "${KEEP_TEST_TMP:-0}" = 1 ]; then
        for f in "$TEST_TMP"/*.log; do
            [ -f "$f" ] || continue
            diag "--- $f (last 30 lines)"
            tail -n 30 "$f" | sed 's/^/#   /'
        done
    fi
    rm -rf "$TEST_TMP"
}
trap _lib_cleanup EXIT
trap 'exit 1' INT TERM
