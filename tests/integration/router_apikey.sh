#!/usr/bin/env bash
# [security] api_key: with keys set, /api/ and /v1/ need one of them as a
# bearer token (401 in each API's error shape otherwise); /fleet/, the
# dashboard and heartbeats are not affected; a reload changes the keys.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"

cat >"$TEST_TMP/keys.ini" <<'EOC'
[security]
api_key = first-key
api_key = second-key
[discovery.mdns]
enabled = false
EOC
start_herd herd --config "$TEST_TMP/keys.ini" --data-dir "$TEST_TMP/data"
ok $? "router with two API keys starts"

# call PATH [KEY]: "STATUS BODY"
call() {
    local auth=()
    [ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
    curl -s -m 5 -o "$TEST_TMP/body" -w '%{http_code}' "${auth[@]}" "$url$1"
    printf ' %s' "$(cat "$TEST_TMP/body")"
}

res=$(call /api/tags)
like "$res" '^401 ' "/api/tags without a key: 401"
is "$(jq -r .error <<<"${res#* }")" \
    "missing or invalid API key: send Authorization: Bearer <key>" \
    "in Ollama's error shape"
res=$(call /v1/models)
like "$res" '^401 ' "/v1/models without a key: 401"
is "$(jq -r .error.type <<<"${res#* }")" invalid_request_error \
    "in OpenAI's error shape"
like "$(call /api/tags wrong-key)" '^401 ' "a wrong key: 401"
like "$(call /api/tags first-key)" '^200 ' "the first key: 200"
like "$(call /v1/models second-key)" '^200 ' "the second key: 200"
like "$(call /fleet/status)" '^200 ' "/fleet/status needs no key"
like "$(call /)" '^200 ' "GET / needs no key"
hb='{"node_id":"n1","cpu":{"cores_physical":4,"utilization_pct":1},"memory":{"total_gb":16,"used_gb":4,"available_gb":12}}'
is "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -d "$hb" "$url/heartbeat")" 200 \
    "heartbeats are not asked for an API key"

# A reload without keys opens the API again.
printf '[discovery.mdns]\nenabled = false\n' >"$TEST_TMP/keys.ini"
kill -HUP "$PID_herd"
wait_for 5 grep -q 'configuration reloaded' "$TEST_TMP/herd.log"
ok $? "SIGHUP reloads"
like "$(call /api/tags)" '^200 ' "no keys configured: /api/tags is open"

kill -TERM "$PID_herd"
wait "$PID_herd"
is "$?" 0 "herd exits 0"
done_testing
