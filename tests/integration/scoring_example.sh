#!/usr/bin/env bash
# The out-of-tree example signal (doc/examples/prefer_node): the plugin
# header and herd-plugin.pc are staged with make install DESTDIR=..., the
# example is built with its own Makefile through pkg-config against that
# stage, and loading it with --plugin-dir changes /fleet/route's winner.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
command -v "${CC:-cc}" >/dev/null || skip_all "no C compiler"
[ -e "$top_builddir/plugins/scoring/thermal.la" ] ||
    skip_all "scoring plugins disabled at configure time"

stage=$TEST_TMP/stage
make -s -C "$top_builddir" install-herdincludeHEADERS install-pkgconfigDATA \
    DESTDIR="$stage" >"$TEST_TMP/install.log" 2>&1
ok $? "header and herd-plugin.pc staged with make install DESTDIR"
pc=$(find "$stage" -name herd-plugin.pc | head -1)
hdr=$(find "$stage" -path '*/herd/plugin.h' | head -1)
ok $([ -n "$pc" ] && [ -n "$hdr" ]; echo $?) "staged: ${pc#$stage} ${hdr#$stage}"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage
export PKG_CONFIG_LIBDIR=$PKG_CONFIG_PATH # nothing else on this machine
like "$(pkg-config --cflags herd-plugin)" "^-I$stage/" \
    "pkg-config points into the stage"

cp -r "$top_srcdir/doc/examples/prefer_node" "$TEST_TMP/ex"
chmod -R u+w "$TEST_TMP/ex"
env -u MAKEFLAGS -u MFLAGS make -C "$TEST_TMP/ex" CC="${CC:-cc}" >"$TEST_TMP/build.log" 2>&1
ok $? "the example builds with its own Makefile"
like "$(cat "$TEST_TMP/build.log")" "-I$stage/" \
    "against the staged header"
make -s -C "$TEST_TMP/ex" install SCORINGDIR="$TEST_TMP/plugins/scoring" \
    >>"$TEST_TMP/build.log" 2>&1
ok $([ -f "$TEST_TMP/plugins/scoring/prefer_node.so" ]; echo $?) \
    "make install SCORINGDIR=... puts prefer_node.so there"
is "$(nm -D --defined-only "$TEST_TMP/plugins/scoring/prefer_node.so" |
    awk '$2 == "T" {print $3}')" herd_plugin_entry \
    "it exports herd_plugin_entry only"

post() { # post PATH BODY -> "STATUS BODY"
    curl -s -m 5 -o "$TEST_TMP/out" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$2" "$url$1"
    printf ' %s' "$(cat "$TEST_TMP/out")"
}
beats() {
    post /heartbeat '{"node_id":"alpha","cpu":{"cores_physical":16,"utilization_pct":1},
     "memory":{"total_gb":64,"used_gb":8,"available_gb":56,"pressure":"normal"},
     "ollama_host":"http://127.0.0.1:1","ollama":{"models_loaded":[
     {"name":"llama3.2:3b","size_gb":2.5,"context_length":8192}],
     "models_available":["llama3.2:3b"]}}' >/dev/null
    post /heartbeat '{"node_id":"beta","cpu":{"cores_physical":8,"utilization_pct":1},
     "memory":{"total_gb":32,"used_gb":8,"available_gb":24,"pressure":"normal"},
     "ollama_host":"http://127.0.0.1:2","ollama":{"models_loaded":[],
     "models_available":["llama3.2:3b"]}}' >/dev/null
}
body='{"model":"llama3.2:3b","prompt":"hello"}'

start_herd plain --data-dir "$TEST_TMP/d1"
ok $? "router without the example"
beats
res=$(post /fleet/route "$body" | cut -d' ' -f2-)
is "$(jq -r '.winner' <<<"$res")" alpha "alpha (model loaded) wins"
kill "$PID_plain"

printf '[scoring.prefer_node]\npattern = b*\npoints = 100\n' >"$TEST_TMP/p.ini"
start_herd ex --config "$TEST_TMP/p.ini" --data-dir "$TEST_TMP/d2" \
    --plugin-dir "$TEST_TMP/plugins"
ok $? "router with --plugin-dir and [scoring.prefer_node]"
like "$(cat "$TEST_TMP/ex.log")" "scoring/prefer_node: preferring nodes matching 'b\*' by 100 points" \
    "the example logs through the host table"
beats
res=$(post /fleet/route "$body" | cut -d' ' -f2-)
is "$(jq -r '[.winner, (.candidates[0].scores.prefer_node)] | join(" ")' <<<"$res")" \
    "beta 100" "beta wins with prefer_node's 100 points"
is "$(jq -r '.candidates[] | select(.node=="alpha") | .scores.prefer_node' <<<"$res")" \
    0 "alpha gets none"
kill "$PID_ex"

printf '[scoring.prefer_node]\npattern = b*\npoints = 0\nexclusive = true\n' \
    >"$TEST_TMP/x.ini"
start_herd excl --config "$TEST_TMP/x.ini" --data-dir "$TEST_TMP/d3" \
    --plugin-dir "$TEST_TMP/plugins"
beats
res=$(post /fleet/route "$body" | cut -d' ' -f2-)
is "$(jq -r '[.winner, .eliminated[0].node, .eliminated[0].reason] | join("|")' <<<"$res")" \
    "beta|alpha|prefer_node: id does not match 'b*'" \
    "exclusive: the example's filter vetoes alpha with its reason"
kill "$PID_excl"

printf '[scoring.prefer_node]\npoints = 5\n' >"$TEST_TMP/bad.ini"
out=$("$(herd_bin)" --host 127.0.0.1 --port "$(free_port)" \
    --config "$TEST_TMP/bad.ini" --data-dir "$TEST_TMP/d4" \
    --plugin-dir "$TEST_TMP/plugins" 2>&1)
ok $([ $? -ne 0 ]; echo $?) "without a pattern herd refuses to start"
like "$out" "pattern is required" "and says why"

done_testing
