#!/usr/bin/env bash
# The official npm clients (ollama 0.6.x, openai 6.x) against herd-sim,
# streaming and not. The packages are installed into the build tree from
# the npm registry; skipped only when node or npm is missing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v node >/dev/null && command -v npm >/dev/null ||
    skip_all "node or npm not installed"

dir="$top_builddir/tests/compat"
mkdir -p "$dir"
for f in package.json tap.mjs run.mjs ollama_client.mjs openai_client.mjs; do
    cp "$top_srcdir/tests/compat/$f" "$dir/$f.new"
    mv "$dir/$f.new" "$dir/$f"
done
# Reuse node_modules when they match package.json.
if ! [ -d "$dir/node_modules/ollama" ] || ! [ -d "$dir/node_modules/openai" ] ||
    ! cmp -s "$dir/package.json" "$dir/.installed.json"; then
    (cd "$dir" && timeout 300 npm install --no-audit --no-fund --loglevel=error) \
        >"$TEST_TMP/npm.log" 2>&1
    rc=$?
    ok "$rc" "npm install ollama and openai"
    [ "$rc" = 0 ] || { cat "$TEST_TMP/npm.log" | sed 's/^/# /'; done_testing; }
    cp "$dir/package.json" "$dir/.installed.json"
fi
diag "ollama $(node -p "require('$dir/node_modules/ollama/package.json').version"), openai $(node -p "require('$dir/node_modules/openai/package.json').version")"

sim_start sim --time-scale 0.02 --response-tokens 8 --model tiny:0.5 \
    --model deep-r1:0.5 --embed-model embed:0.1:32 --pull-gb-per-sec 20

# Re-number the clients' TAP into this test's stream.
(cd "$dir" && OLLAMA_URL="$SIM_URL" timeout 120 node run.mjs) >"$TEST_TMP/node.tap" 2>&1
rc=$?
while IFS= read -r line; do
    case "$line" in
    "ok "*) ok 0 "${line#* - }" ;;
    "not ok "*) ok 1 "${line#* - }" ;;
    "1.."*) ;;
    *) diag "$line" ;;
    esac
done <"$TEST_TMP/node.tap"
is "$rc" 0 "node exits 0"
is "$(sim_state .server.requests_in_flight)" 0 "nothing left in flight (abort freed its slot)"
sim_stop sim
done_testing
