#!/usr/bin/env bash
# The configuration through the herd program: --help, --version,
# --print-config with sources and its round trip, precedence of options
# over environment over file, refusals of bad files, options and variables
# (non-zero exit, file:line, nothing started), and SIGHUP reloads.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"

if [ ! -f "$top_srcdir/core/main.c" ]; then
    skip_all "the herd program (core/main.c) is not written yet"
fi
herd=$(herd_bin)
# Nothing from the caller's environment or home may leak in.
for v in HERD_CONFIG FLEET_HOST FLEET_PORT FLEET_DATA_DIR FLEET_LOG_LEVEL \
    FLEET_HEARTBEAT_INTERVAL FLEET_HEARTBEAT_TIMEOUT FLEET_HEARTBEAT_OFFLINE \
    HERD_NODE_FORGET_AFTER HERD_MAX_BODY_BYTES HERD_NODE_TOKEN \
    HERD_ADMIN_TOKEN FLEET_NODE_NODE_ID OLLAMA_NUM_PARALLEL; do
    unset "$v"
done
export HOME=$TEST_TMP XDG_CONFIG_HOME=$TEST_TMP/xdg
example=$top_srcdir/doc/examples/herd.ini

# run NAME ARGS...: runs herd to completion (at most 10 s); sets rc, out, err.
run() {
    local name=$1
    shift
    timeout 10 "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err"
    rc=$?
    out=$(cat "$TEST_TMP/$name.out")
    err=$(cat "$TEST_TMP/$name.err")
}

run help "$herd" --help
is "$rc" 0 "--help exits 0"
like "$out" '--port N' "--help lists --port"
like "$out" 'default: 11435; env FLEET_PORT' "with its default and variable"
like "$out" '--print-config' "and --print-config"

run version "$herd" --version
is "$rc" 0 "--version exits 0"
like "$out" '^herd [0-9]' "--version prints the version"

run print "$herd" --config "$example" --print-config
is "$rc" 0 "--print-config of the example file exits 0"
line=$(grep -n '^port = ' "$example" | cut -d: -f1)
like "$out" "port = 11435  ; from $example:$line" "file values name file:line"
like "$out" 'poll_interval = 5  ; from ' "every key is printed"
like "$out" 'client_timeout = 600  ; from ' "durations in seconds"
like "$out" 'max_body_bytes = 64M  ; from ' "sizes keep their suffix"
like "$out" '\[node\.gpu-box-1\]' "node sections are printed"

cat >"$TEST_TMP/a.ini" <<'EOC'
[router]
port = 12001
host = 127.0.0.1
[security]
node_token = sesame
[scoring.latency]
weight = 0.5
window = 30s
EOC
FLEET_PORT=12002 run env "$herd" --config "$TEST_TMP/a.ini" --print-config
like "$out" 'port = 12002  ; from FLEET_PORT' "environment over file"
FLEET_PORT=12002 run cli "$herd" --config "$TEST_TMP/a.ini" --port 12003 \
    --print-config
like "$out" 'port = 12003  ; from --port' "option over environment"
like "$out" "host = 127.0.0.1  ; from $TEST_TMP/a.ini:3" "file over default"
like "$out" 'heartbeat_timeout = 15  ; default' "default named"
like "$out" 'node_token = \*\*\*  ; from ' "secret masked"
if printf '%s' "$out" | grep -q sesame; then ok 1 "no secret printed"; else
    ok 0 "no secret printed"; fi
HERD_CONFIG=$TEST_TMP/a.ini run hc "$herd" --print-config
like "$out" "port = 12001  ; from $TEST_TMP/a.ini:2" "\$HERD_CONFIG is read"

# Round trip: the printed file loads and prints the same values.
cp "$TEST_TMP/cli.out" "$TEST_TMP/printed.ini"
run again "$herd" --config "$TEST_TMP/printed.ini" --print-config
is "$rc" 0 "printed configuration loads back"
strip() { grep -v '^#' "$1" | sed 's/  ;.*//'; }
if diff <(strip "$TEST_TMP/cli.out") <(strip "$TEST_TMP/again.out") \
    >"$TEST_TMP/diff.txt"; then
    ok 0 "same values after the round trip"
else
    ok 1 "same values after the round trip"
    diag "$(head -20 "$TEST_TMP/diff.txt")"
fi

# Refusals: non-zero exit, a message naming the problem, nothing started.
port=$(free_port)
printf '[router]\nhost = 127.0.0.1\nprot = %s\n' "$port" >"$TEST_TMP/bad.ini"
run bad "$herd" --config "$TEST_TMP/bad.ini" --port "$port"
ok $([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; echo $?) \
    "bad key: herd exits at once with an error (rc $rc)"
like "$err" "bad.ini:3: unknown key 'prot' in \[router\] \(did you mean 'port'\?\)" \
    "bad key: file:line and a suggestion"
if curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/"; then
    ok 1 "bad key: nothing listens"
else ok 0 "bad key: nothing listens"; fi

{
    printf '[router]\nhost = '
    head -c 300 /dev/zero | tr '\0' 'a'
    printf '\n'
} >"$TEST_TMP/long.ini"
run long "$herd" --config "$TEST_TMP/long.ini" --print-config
ok $([ "$rc" -ne 0 ]; echo $?) "over-long line: refused"
like "$err" 'long.ini:2: line too long \(307 characters, at most 197\)' \
    "over-long line: file:line"

run opt "$herd" --bogus
ok $([ "$rc" -ne 0 ]; echo $?) "unknown option: refused"
like "$err" "unknown or ambiguous option '--bogus'" "unknown option: named"
run val "$herd" --port 99999 --print-config --config "$TEST_TMP/a.ini"
like "$err" "option --port: '99999' is out of range \(1-65535\)" \
    "bad option value: named"
FLEET_HEARTBEAT_TIMEOUT=soon run envbad "$herd" --config "$TEST_TMP/a.ini" \
    --print-config
ok $([ "$rc" -ne 0 ]; echo $?) "bad variable: refused"
like "$err" "FLEET_HEARTBEAT_TIMEOUT: 'soon' is not a number" \
    "bad variable: named"
run missing "$herd" --config "$TEST_TMP/none.ini"
like "$err" "option --config: cannot read '$TEST_TMP/none.ini'" \
    "missing --config file: named"

# SIGHUP: a broken file is refused and the router keeps running; a valid
# one is applied.
port=$(free_port)
printf '[router]\nhost = 127.0.0.1\nport = %s\nlog_level = info\n' "$port" \
    >"$TEST_TMP/live.ini"
start_bg live "$herd" --config "$TEST_TMP/live.ini" \
    --data-dir "$TEST_TMP/data"
wait_http "http://127.0.0.1:$port/"
ok $? "router started from the file"
printf '[router]\nhost = 127.0.0.1\nport = %s\nlog_level = noisy\n' "$port" \
    >"$TEST_TMP/live.ini"
kill -HUP "$PID_live"
wait_for 5 grep -q 'live.ini:4: log_level' "$TEST_TMP/live.log"
ok $? "SIGHUP with a broken file: the error names file:line"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/"
ok $? "and the router keeps serving"
printf '[router]\nhost = 127.0.0.1\nport = %s\nlog_level = debug\n' "$port" \
    >"$TEST_TMP/live.ini"
kill -HUP "$PID_live"
wait_for 5 grep -q 'configuration reloaded' "$TEST_TMP/live.log"
ok $? "SIGHUP with a valid file: reloaded"
kill -TERM "$PID_live"
wait "$PID_live"
is "$?" 0 "SIGTERM stops it with status 0"

done_testing
