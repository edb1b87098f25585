#!/usr/bin/env bash
# [discovery.static] end to end: herd polls a herd-sim it was told about
# (node = sim1 URL, interval = 1) and the sim's models appear in /api/tags
# within one poll interval, with Ollama's own fields; loaded models show in
# /api/ps; an unloaded model is remembered as recently unloaded; a sim that
# stops answering goes degraded and then offline.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
[ -x "$(sim_bin)" ] || skip_all "herd-sim is not built"
plugin=$top_builddir/plugins/discovery/static.la
[ -f "$plugin" ] || skip_all "the static discovery plugin is not built"

start_listening sim "listening on 127\.0\.0\.1:@PORT@" "$(sim_bin)" \
    --host 127.0.0.1 --port @PORT@ \
    --model qwen3:0.6b:0.5 --model llama3.2:3b:2.0 --time-scale 0.01
ok $? "herd-sim answers"
sim=$url
curl -s -m 10 -o /dev/null "$sim/api/generate" \
    -d '{"model":"qwen3:0.6b","prompt":"hello","stream":false}'
is "$(curl -s "$sim/api/ps" | jq -r '.models[0].name')" "qwen3:0.6b" \
    "one model loaded on the sim"

cat >"$TEST_TMP/herd.ini" <<EOF
[router]
heartbeat_interval = 0.2
heartbeat_timeout = 2
heartbeat_offline = 3.5

[discovery.static]
node = sim1 $sim
interval = 1
EOF
start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data"
ok $? "router with [discovery.static] answers"

has_models() {
    [ "$(curl -s -m 2 "$url/api/tags" | jq '.models | length')" = 2 ]
}
wait_for 1 has_models
ok $? "the sim's models are in /api/tags within one poll interval"
tags=$(curl -s "$url/api/tags")
is "$(jq -r '[.models[].name] | join(",")' <<<"$tags")" \
    "llama3.2:3b,qwen3:0.6b" "both models listed"
sim_tags=$(curl -s "$sim/api/tags")
is "$(jq -c '.models[] | select(.name=="qwen3:0.6b") | [.digest,.modified_at,.size,.details]' <<<"$tags")" \
    "$(jq -c '.models[] | select(.name=="qwen3:0.6b") | [.digest,.modified_at,.size,.details]' <<<"$sim_tags")" \
    "Ollama's fields pass through (digest, modified_at, size, details)"
is "$(jq -c '.models[0].nodes' <<<"$tags")" '["sim1"]' "the holder is named"

ps=$(curl -s "$url/api/ps")
is "$(jq -r '.models[0] | [.name,.node,.context_length] | join(" ")' <<<"$ps")" \
    "qwen3:0.6b sim1 4096" "/api/ps shows the sim's loaded model"
is "$(jq -r '.models[0].expires_at' <<<"$ps")" \
    "$(curl -s "$sim/api/ps" | jq -r '.models[0].expires_at')" \
    "expires_at as the sim reports it"
is "$(curl -s "$url/api/version" | jq -r .version)" \
    "$(curl -s "$sim/api/version" | jq -r .version)" \
    "/api/version is the sim's Ollama version"

node=$(curl -s "$url/fleet/status" | jq -c '.nodes[0]')
is "$(jq -r '[.node_id,.status,.source,.agentless,.url] | join(" ")' <<<"$node")" \
    "sim1 online static true $sim" "node registered as static and agentless"
is "$(jq -c '[.cpu,.memory,.hardware.memory_total_gb]' <<<"$node")" \
    '[null,null,null]' "what Ollama does not tell stays unknown"

# keep_alive 0 unloads; the next poll notices.
curl -s -m 10 -o /dev/null "$sim/api/generate" \
    -d '{"model":"qwen3:0.6b","keep_alive":0}'
warm() {
    curl -s "$url/fleet/status" |
        jq -e '.nodes[0].recently_unloaded | map(.name) | index("qwen3:0.6b")'
}
wait_for 4 warm
ok $? "an unloaded model is remembered as recently unloaded"
is "$(curl -s "$url/api/ps" | jq -c .models)" '[]' "and left /api/ps"

# Without its own interval the section takes [router] poll_interval.
printf '[router]\npoll_interval = 0.5\n[discovery.static]\nnode = sim1 %s\n' \
    "$sim" >"$TEST_TMP/poll.ini"
main_url=$url
start_herd poll --config "$TEST_TMP/poll.ini" --data-dir "$TEST_TMP/data"
ok $? "router with [router] poll_interval answers"
like "$(cat "$TEST_TMP/poll.log")" "discovery/static: polling 1 node\(s\) every 0\.5 s" \
    "[router] poll_interval is the default interval"
url=$main_url

# The sim goes away: liveness takes over.
kill "$PID_sim"
status_is() {
    [ "$(curl -s "$url/fleet/status" | jq -r '.nodes[0].status')" = "$1" ]
}
wait_for 5 status_is degraded
ok $? "a silent static node goes degraded"
wait_for 5 status_is offline
ok $? "then offline"
like "$(cat "$TEST_TMP/herd.log")" "discovery/static: node sim1 .*(no answer|answered)" \
    "the failed poll is logged by the plugin"

kill -TERM "$PID_herd"
wait "$PID_herd"
is $? 0 "SIGTERM with a static node polled: clean exit 0"

done_testing
