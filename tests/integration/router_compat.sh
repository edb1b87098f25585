#!/usr/bin/env bash
# The official ollama and openai npm clients against the router in front
# of two sims, streaming and not, compared with the same calls made to a
# sim directly. Skipped only when node or npm is missing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"
. "$top_srcdir/tests/integration/compat_lib.sh"
command -v node >/dev/null && command -v npm >/dev/null ||
    skip_all "node or npm not installed"

compat_install package.json tap.mjs run.mjs router_ollama.mjs router_openai.mjs

models="--time-scale 0.02 --response-tokens 8 --model tiny:0.5 --model deep-r1:0.5
    --model llava-tiny:0.5 --embed-model embed:0.1:32 --num-parallel 2"
# shellcheck disable=SC2086
fleet_sim s1 $models
# shellcheck disable=SC2086
fleet_sim s2 $models
fleet_router "default_num_parallel = 2
auto_pull = false"

OLLAMA_URL="$ROUTER" SIM_URL="$SIM_URL_s1" compat_run ./router_ollama.mjs \
    ./router_openai.mjs
idle() { [ "$(curl -s "$ROUTER/fleet/queue" | jq -r .in_flight)" = 0 ]; }
wait_for 3 idle
ok $? "nothing left in flight in the router (the abort freed its slot)"
for s in s1 s2; do
    is "$(sim_of $s .server.requests_in_flight)" 0 "nothing left in flight on $s"
done
router_stop
done_testing
