#!/usr/bin/env bash
# A scoring plugin built outside the tree with a plain compiler (no
# libtool) is found through --plugin-dir and listed as loadable; one built
# for another ABI major is listed as refused, with the reason.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

if [ ! -f "$top_srcdir/core/main.c" ]; then
    skip_all "the herd program (core/main.c) is not written yet"
fi
herd=$(herd_bin)
cc=${CC:-cc}
# the ABI this herd speaks, as it prints it: "1.1" (dot escaped for like)
abi=$(sed -n 's/^#define HERD_ABI_MAJOR \([0-9]*\)u$/\1/p' \
    "$top_srcdir/core/include/herd/plugin.h")\\.$(sed -n \
    's/^#define HERD_ABI_MINOR \([0-9]*\)u$/\1/p' \
    "$top_srcdir/core/include/herd/plugin.h")
dir=$TEST_TMP/plugins
mkdir -p "$dir/scoring"

# write_plugin FILE NAME ABI-EXPRESSION
write_plugin() {
    cat >"$1" <<EOC
#include <herd/plugin.h>

static int
p_init(const struct herd_host *host, void **ctx)
{
    *ctx = (void *)host;
    return HERD_OK;
}

static void
p_destroy(void *ctx)
{
}

static int
p_score(void *ctx, const struct herd_candidate *c, double *points)
{
    *points = 1.0;
    return HERD_OK;
}

static const struct herd_scoring_plugin p_plugin = {
    .base = {
        .abi_version = $3,
        .size = sizeof(struct herd_scoring_plugin),
        .kind = HERD_KIND_SCORING,
        .name = "$2",
        .version = "0.1",
        .description = "built outside the tree",
        .init = p_init,
        .destroy = p_destroy,
    },
    .score = p_score,
};

HERD_PLUGIN_DEFINE(p_plugin)
EOC
}

write_plugin "$TEST_TMP/outside.c" outside HERD_ABI_VERSION
write_plugin "$TEST_TMP/oldabi.c" oldabi '(2u << 16)'
write_plugin "$TEST_TMP/nested.c" nested HERD_ABI_VERSION
build() { # build SOURCE OUTPUT
    "$cc" -shared -fPIC -I"$top_srcdir/core/include" -o "$2" "$1" \
        >"$TEST_TMP/cc.log" 2>&1
}
build "$TEST_TMP/outside.c" "$dir/outside.so"
ok $? "outside.so compiled with plain $cc -shared -fPIC"
build "$TEST_TMP/oldabi.c" "$dir/oldabi.so"
ok $? "oldabi.so (ABI 2.0) compiled"
build "$TEST_TMP/nested.c" "$dir/scoring/nested.so"
ok $? "scoring/nested.so compiled"

out=$("$herd" --list-plugins --plugin-dir "$dir" 2>"$TEST_TMP/herd.log")
ok $? "herd --list-plugins --plugin-dir exits 0"
printf '%s\n' "$out" >"$TEST_TMP/list.log"
like "$out" "^KIND +NAME +ABI +STATUS +PATH" "the list has a header"
like "$out" "scoring +outside +$abi +ok +$dir/outside\.so" \
    "the outside plugin is listed: kind scoring, this herd's ABI, ok"
like "$out" "scoring +nested +$abi +ok +$dir/scoring/nested\.so" \
    "the KIND/ subdirectory of --plugin-dir is scanned too"
# Across majors the descriptor's layout is unknown, so its kind shows as -.
like "$out" "^- +oldabi +2\.0 +refused: built for ABI 2\.0, this herd speaks $abi +$dir/oldabi\.so" \
    "the ABI 2.0 plugin is listed as refused, with the reason"

# The router loads the outside plugin for [scoring.outside] and runs.
mkdir -p "$TEST_TMP/data"
cat >"$TEST_TMP/outside.ini" <<EOC
[router]
data_dir = $TEST_TMP/data
[discovery.mdns]
enabled = false
[scoring.outside]
weight = 0.5
EOC
start_herd router --config "$TEST_TMP/outside.ini" --plugin-dir "$dir"
ok $? "herd runs with [scoring.outside] from --plugin-dir"
like "$(cat "$TEST_TMP/router.log")" "loaded $dir/outside\.so" \
    "the log names the file it loaded"

# A section naming the ABI 2.0 plugin stops the router with the reason.
sed -e 's/^\[scoring.outside\]/[scoring.oldabi]/' \
    "$TEST_TMP/outside.ini" >"$TEST_TMP/oldabi.ini"
timeout 10 "$herd" --config "$TEST_TMP/oldabi.ini" --plugin-dir "$dir" \
    --host 127.0.0.1 --port "$(free_port)" >"$TEST_TMP/oldabi.log" 2>&1
is "$?" 1 "herd refuses to start with [scoring.oldabi] (exit 1)"
like "$(cat "$TEST_TMP/oldabi.log")" \
    "$dir/oldabi\.so: built for ABI 2\.0, this herd speaks $abi" \
    "the error names the file and the ABI mismatch"
done_testing
