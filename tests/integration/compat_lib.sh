# Helpers for the tests that drive the official ollama and openai npm
# clients (sim_compat.sh, router_compat.sh); sourced after lib.sh.

# compat_install FILE...: copies these files of tests/compat (package.json
# among them) into $compat_dir, the build tree's tests/compat, and runs
# npm install there unless node_modules were installed from the same
# package.json. A failed install ends the test with npm's output.
compat_install() {
    local f rc
    compat_dir="$top_builddir/tests/compat"
    mkdir -p "$compat_dir"
    for f in "$@"; do
        cp "$top_srcdir/tests/compat/$f" "$compat_dir/$f.new"
        mv "$compat_dir/$f.new" "$compat_dir/$f"
    done
    if ! [ -d "$compat_dir/node_modules/ollama" ] ||
        ! [ -d "$compat_dir/node_modules/openai" ] ||
        ! cmp -s "$compat_dir/package.json" "$compat_dir/.installed.json"; then
        (cd "$compat_dir" &&
            timeout 300 npm install --no-audit --no-fund --loglevel=error) \
            >"$TEST_TMP/npm.log" 2>&1
        rc=$?
        ok "$rc" "npm install ollama and openai"
        [ "$rc" = 0 ] || { sed 's/^/# /' "$TEST_TMP/npm.log"; done_testing; }
        cp "$compat_dir/package.json" "$compat_dir/.installed.json"
    fi
}

# compat_run [CLIENT.mjs...]: runs the clients through run.mjs in
# $compat_dir (with the caller's OLLAMA_URL and the like in its
# environment), re-numbers their TAP into this test's stream, and checks
# that node exits 0.
compat_run() {
    local rc line
    (cd "$compat_dir" && timeout 120 node run.mjs "$@") >"$TEST_TMP/node.tap" 2>&1
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
}
