#!/usr/bin/env bash
# herd-sim command line and INI file: help, version, clear errors with
# file:line, precedence, and the man page documenting every flag and key.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/sim_lib.sh"
command -v jq >/dev/null || skip_all "jq not installed"
SIM=$(sim_bin)
MAN="$top_srcdir/doc/herd-sim.1"

help=$("$SIM" --help); rc=$?
is "$rc" 0 "--help exits 0"
like "$help" '--memory-gb GB +memory for loaded models \(16\)' "--help shows defaults"
missing=""
for flag in $(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$(printf '%s' "$flag" | sed 's/-/\\-/g')" "$MAN" || missing="$missing $flag"
done
is "$missing" "" "every flag of --help is in herd-sim(1)"
missing=""
for key in $(grep -oE 'strcmp\(key, "[a-z_]+"\)' "$top_srcdir/tests/sim/sim_config.c" | sed 's/.*"\(.*\)".*/\1/' | sort -u); do
    grep -qE "^\.(BR?|RB \() $key( |,|\)|$)|\" $key( |$)" "$MAN" || missing="$missing $key"
done
is "$missing" "" "every INI key is in herd-sim(1)"
like "$("$SIM" --version)" '^herd-sim [0-9.]+ \(Ollama API [0-9.]+\)$' "--version"

err() { # stderr on one line, then the exit status
    local out rc
    out=$("$SIM" "$@" 2>&1 >/dev/null); rc=$?
    echo "${out//$'\n'/ } rc=$rc"
}
like "$(err --nope)" 'unrecognized option.*rc=2' "unknown flag: exit 2"
like "$(err --port 0)" 'port: bad value "0" for port.*rc=2' "bad port named"
like "$(err --model tiny)" 'model: bad model "tiny".*rc=2' "bad --model named"
like "$(err --time-scale -1)" 'time-scale: bad value.*rc=2' "bad number named"
like "$(err --keep-alive 10x)" 'keep-alive: bad value "10x"' "bad duration named"
like "$(err --fault melt)" 'unknown fault mode "melt"' "bad fault mode named"
like "$(err --fault stall:seconds)" 'not key=value' "bad fault spec named"
like "$(err --model a:1 --model a:2)" 'given twice' "duplicate model"
like "$(err extra)" 'unexpected argument "extra"' "stray argument"

ini="$TEST_TMP/bad.ini"
printf '[server]\nport = 1234\nspeed = 3\n' >"$ini"
like "$(err --config "$ini")" "$ini:3: unknown key \"speed\".*rc=2" "unknown key with file:line"
printf '[server]\n\n[cluster]\nx = 1\n' >"$ini"
like "$(err --config "$ini")" "$ini:4: unknown section \\[cluster\\]" "unknown section"
printf '[model.m]\nsize_gb = big\n' >"$ini"
like "$(err --config "$ini")" "$ini:2: bad value \"big\" for size_gb" "bad model value"
printf '[model.m]\ncapabilities = completion,telepathy\n' >"$ini"
like "$(err --config "$ini")" "$ini:2: bad value" "unknown capability"
printf '[fault.melt]\ncount = 1\n' >"$ini"
like "$(err --config "$ini")" "$ini:2: unknown fault mode" "unknown fault section"
{ printf '[server]\nhost = '; head -c 300 /dev/zero | tr '\0' a; printf '\n'; } >"$ini"
like "$(err --config "$ini")" "$ini:2: line longer than 198" "long line refused"
like "$(err --config "$TEST_TMP/none.ini")" 'No such file' "missing file"

# A good file: its models, flags winning over it.
cat >"$TEST_TMP/good.ini" <<INI
[server]
port = 1
num_parallel = 3
memory_gb = 3

[model.mymodel:7b]
size_gb = 1.5
context_length = 32768
family = llama
capabilities = completion, thinking

[fault.stall]
count = 0
INI
sim_start sim --config "$TEST_TMP/good.ini" --memory-gb 9
ok $? "the flag's port wins over the file's"
is "$(sim_state '.server.memory_total')" $((9 * 1073741824)) "flag wins: memory"
is "$(sim_state '.server.num_parallel')" 3 "file value used"
sim_req GET /api/tags
is "$(jq -c '[.models[] | .name, .size]' <<<"$BODY")" "[\"mymodel:7b\",$((3 * 1073741824 / 2))]" "the file's model only"
sim_req POST /api/show '{"model":"mymodel:7b"}'
is "$(jq -c '[.capabilities, .model_info["llama.context_length"]]' <<<"$BODY")" '[["completion","thinking"],32768]' "its keys"
missing=""
for key in $(curl -s "$SIM_URL/sim/state" | jq -r '(.server, .models[0], .faults.stall) | keys[]' | sort -u); do
    grep -qE "^\.(BR?|RB \() $key( |\)|$)" "$MAN" || missing="$missing $key"
done
is "$missing" "" "every /sim/state and /sim/faults field is in herd-sim(1)"
sim_stop sim
done_testing
