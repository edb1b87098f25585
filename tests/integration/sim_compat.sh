#!/usr/bin/env bash
# The official npm clients (ollama 0.6.x, openai 6.x) against herd-sim,
# streaming and not. The packages are installed into the build tree from
# the npm registry; skipped only when node or npm is missing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/compat_lib.sh"
command -v node >/dev/null && command -v npm >/dev/null ||
    skip_all "node or npm not installed"

compat_install package.json tap.mjs run.mjs ollama_client.mjs openai_client.mjs
diag "ollama $(node -p "require('$compat_dir/node_modules/ollama/package.json').version"), openai $(node -p "require('$compat_dir/node_modules/openai/package.json').version")"

sim_start sim --time-scale 0.02 --response-tokens 8 --model tiny:0.5 \
    --model deep-r1:0.5 --embed-model embed:0.1:32 --pull-gb-per-sec 20

OLLAMA_URL="$SIM_URL" compat_run
is "$(sim_state .server.requests_in_flight)" 0 "nothing left in flight (abort freed its slot)"
sim_stop sim
done_testing
