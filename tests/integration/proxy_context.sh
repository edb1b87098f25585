#!/usr/bin/env bash
# Context protection (reference §6.2) as the node sees it, one mode after
# the other through SIGHUP: strip drops a num_ctx the loaded context
# covers (the sim does not reload), warn keeps it and logs (the sim
# reloads), passthrough keeps it silently; a larger num_ctx is kept and
# flagged in every checking mode. keep_alive reaches the node as set.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"
. "$top_srcdir/tests/integration/proxy_lib.sh"

fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01 --default-num-ctx 4096
fleet_router ""
chat() { # chat NUM_CTX
    rq POST /api/chat "{\"model\":\"qwen3:0.6b\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":2${1:+,\"num_ctx\":$1}}}"
}
reloads() { sim_of s1 '.models[] | select(.name == "qwen3:0.6b") | .reloads'; }
sim_ctx() {
    sim_of s1 '.models[] | select(.name == "qwen3:0.6b") | .context_length'
}
# the router has polled the node and knows its loaded context
router_ctx_is() {
    [ "$(curl -s -m 2 "$ROUTER/api/ps" |
        jq '[.models[] | select(.name == "qwen3:0.6b") | .context_length][0]')" = "$1" ]
}
reconfigure() { # reconfigure MODE
    sed -i "s/^context_protection = .*/context_protection = $1/" \
        "$TEST_TMP/herd.ini"
    kill -HUP "$PID_herd"
    wait_for 5 grep -q "context_protection is $1 now" "$TEST_TMP/herd.log"
}

chat
is "$STATUS" 200 "a first chat loads the model"
wait_for 10 router_ctx_is 4096
ok $? "the router sees its loaded context (4096)"
is "$(reloads)" 0 "no reload yet"

# strip (the default)
chat 2048
is "$STATUS" 200 "strip: num_ctx 2048 served"
is "$(reloads)" 0 "strip: the node did not reload (num_ctx removed)"
is "$(sim_ctx)" 4096 "strip: the loaded context is unchanged"
is "$(hdr X-Fleet-Context-Overflow)" "" "strip: no overflow flag"
chat 2048.0
is "$STATUS $(reloads)" "200 0" "strip: num_ctx 2048.0 (a number Ollama reads as 2048) removed too"
chat 8192
is "$STATUS" 200 "strip: num_ctx 8192 served"
is "$(hdr X-Fleet-Context-Overflow)" true "strip: larger num_ctx flagged"
is "$(reloads)" 1 "strip: a larger num_ctx is kept (the node reloads)"
is "$(sim_ctx)" 8192 "strip: now loaded with 8192"
wait_for 10 router_ctx_is 8192
ok $? "the router sees 8192"

# warn, applied by SIGHUP
sed -i 's/^\[router\]$/[router]\ncontext_protection = strip/' \
    "$TEST_TMP/herd.ini"
reconfigure warn
ok $? "SIGHUP: context_protection warn"
chat 2048
is "$STATUS" 200 "warn: num_ctx 2048 served"
is "$(reloads)" 2 "warn: num_ctx kept, the node reloads"
is "$(sim_ctx)" 2048 "warn: loaded with 2048 now"
like "$(grep 'context_protection = warn' "$TEST_TMP/herd.log")" \
    "num_ctx 2048 kept for qwen3:0.6b on s1 although its loaded context 8192 covers it" \
    "warn: the kept num_ctx is logged"
wait_for 10 router_ctx_is 2048
ok $? "the router sees 2048"

# passthrough
reconfigure passthrough
ok $? "SIGHUP: context_protection passthrough"
warned=$(grep -c 'context_protection = warn' "$TEST_TMP/herd.log")
chat 1024
is "$STATUS" 200 "passthrough: num_ctx 1024 served"
is "$(reloads)" 3 "passthrough: num_ctx kept, the node reloads"
is "$(sim_ctx)" 1024 "passthrough: loaded with 1024 now"
is "$(grep -c 'context_protection = warn' "$TEST_TMP/herd.log")" "$warned" \
    "passthrough: nothing logged"
wait_for 10 router_ctx_is 1024
chat 4096
is "$(hdr X-Fleet-Context-Overflow)" "" "passthrough: no overflow flag either"

# back to strip: covered num_ctx dropped again
reconfigure strip
ok $? "SIGHUP: back to strip"
wait_for 10 router_ctx_is 4096
chat 1024
is "$(reloads)" 4 "strip again: no reload for a covered num_ctx"

# a bad value on SIGHUP keeps the running mode
sed -i 's/^context_protection = .*/context_protection = sometimes/' \
    "$TEST_TMP/herd.ini"
kill -HUP "$PID_herd"
wait_for 5 grep -q "'sometimes' is not one of strip, warn, passthrough" \
    "$TEST_TMP/herd.log"
ok $? "SIGHUP with a bad mode: the error is logged"
chat 2048
is "$(reloads)" 4 "and strip still applies"

router_stop
done_testing
