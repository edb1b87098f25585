# Helpers for the request-path tests (sourced after lib.sh, sim_lib.sh and
# router_lib.sh): a fleet of herd-sims behind a router that finds them
# through [discovery.static].

command -v jq >/dev/null || skip_all "jq is not installed"
[ -x "$(sim_bin)" ] || skip_all "herd-sim is not built"
[ -f "$top_builddir/plugins/discovery/static.la" ] ||
    skip_all "the static discovery plugin is not built"

# fleet_sim NAME ARGS...: one more sim (on a free port); its URL is
# $SIM_URL_NAME and it joins the router's static node list.
FLEET_NODES=""
fleet_sim() {
    local name=$1; shift
    start_listening "$name" "listening on 127\.0\.0\.1:@PORT@" "$(sim_bin)" \
        --host 127.0.0.1 --port @PORT@ "$@" ||
        { echo "Bail out! herd-sim $name did not start"; exit 1; }
    eval "SIM_URL_$name=\$url"
    FLEET_NODES="$FLEET_NODES
node = $name $url"
}

# big_answer_router NAME ROUTER-INI-LINES: a sim whose embedding answer to
# $BIG_EMBED (20 inputs) is 5.7 MB, more than the sockets between it and a
# client buffer, and router NAME alone in front of it with the given
# [router] lines.
BIG_EMBED="{\"model\":\"emb\",\"input\":[$(printf '"text %s",' $(seq 1 19))\"text 20\"]}"
big_answer_router() {
    fleet_sim "big_$1" --embed-model emb:0.5:20000 --time-scale 0.01
    eval "local sim=\$SIM_URL_big_$1"
    printf '[router]\n%s\n[discovery.static]\ninterval = 0.2\nnode = big_%s %s\n' \
        "$2" "$1" "$sim" >"$TEST_TMP/$1.ini"
    router_with "$1" "$TEST_TMP/$1.ini"
}

# fleet_router EXTRA-ROUTER-INI [POLL-S]: starts herd in front of the
# sims, polling them every POLL-S seconds (0.2; a long one keeps what the
# router knows of them as it was); sets $ROUTER and waits until every sim
# is online.
fleet_router() {
    cat >"$TEST_TMP/herd.ini" <<EOF2
[router]
heartbeat_interval = 0.2
$1

[discovery.static]
interval = ${2:-0.2}
$FLEET_NODES
EOF2
    start_herd herd --config "$TEST_TMP/herd.ini" --data-dir "$TEST_TMP/data" \
        --log-level debug ||
        { echo "Bail out! herd did not start"; exit 1; }
    ROUTER=$url
    local want
    want=$(printf '%s\n' "$FLEET_NODES" | grep -c '^node')
    fleet_online() {
        [ "$(curl -s -m 2 "$ROUTER/fleet/status" |
            jq '[.nodes[] | select(.status == "online")] | length')" = "$want" ]
    }
    wait_for 10 fleet_online || { echo "Bail out! nodes not online"; exit 1; }
}

# hot_pair: sims s1 and s2 with qwen3:0.6b, loaded on s1 only, so that a
# router prefers s1; sets $chat, a short chat for that model.
hot_pair() {
    fleet_sim s1 --model qwen3:0.6b:0.5 --time-scale 0.01
    fleet_sim s2 --model qwen3:0.6b:0.5 --time-scale 0.01
    chat='{"model":"qwen3:0.6b","stream":false,"messages":[{"role":"user","content":"x"}],"options":{"num_predict":2}}'
    curl -s -m 30 -o /dev/null "$SIM_URL_s1/api/chat" -d "$chat"
}

# router_with NAME INI: another router, with the config file INI; sets
# $ROUTER and $PID_herd (router_stop stops it) and waits until it lists
# a model.
router_with() {
    start_herd "$1" --config "$2" --data-dir "$TEST_TMP/$1-data" \
        --log-level debug || { echo "Bail out! herd $1 did not start"; exit 1; }
    ROUTER=$url
    eval "PID_herd=\$PID_$1"
    lists_models() {
        curl -s -m 2 "$ROUTER/api/tags" | jq -e '.models | length > 0' >/dev/null
    }
    wait_for 10 lists_models || { echo "Bail out! herd $1 lists no model"; exit 1; }
}

# rq METHOD PATH [BODY]: request to the router; sets STATUS, BODY and
# HDR (the header file).
HDR=$TEST_TMP/rq_headers
rq() {
    local method=$1 path=$2
    if [ $# -ge 3 ]; then
        STATUS=$(curl -s -m 30 -X "$method" -D "$HDR" -o "$TEST_TMP/rq_body" \
            -w '%{http_code}' --data-binary "$3" "$ROUTER$path")
    else
        STATUS=$(curl -s -m 30 -X "$method" -D "$HDR" -o "$TEST_TMP/rq_body" \
            -w '%{http_code}' "$ROUTER$path")
    fi
    BODY=$(cat "$TEST_TMP/rq_body")
}

# hdr NAME: a header of the last rq answer.
hdr() { tr -d '\r' <"$HDR" | sed -n "s/^$1: //Ip" | head -1; }

# sim_of NAME FILTER: a value from that sim's /sim/state.
sim_of() {
    local u
    eval "u=\$SIM_URL_$1"
    curl -s -m 10 "$u/sim/state" | jq -r "$2"
}

# fault NAME JSON: POST /sim/faults to that sim.
fault() {
    local u
    eval "u=\$SIM_URL_$1"
    curl -s -m 10 -o /dev/null -X POST "$u/sim/faults" -d "$2"
}

# reload_router [SED-SCRIPT]: edits $TEST_TMP/herd.ini with sed (when
# given), sends SIGHUP to $PID_herd and waits (bounded) until herd.log has
# one more "configuration reloaded".
reload_router() {
    local before
    before=$(grep -c 'configuration reloaded' "$TEST_TMP/herd.log")
    [ -z "${1-}" ] || sed -i "$1" "$TEST_TMP/herd.ini"
    kill -HUP "$PID_herd"
    one_more_reload() {
        [ "$(grep -c 'configuration reloaded' "$TEST_TMP/herd.log")" -gt "$before" ]
    }
    wait_for 5 one_more_reload
}

# router_stop [NAME]: SIGTERM to herd ($PID_herd, or the one start_herd
# NAME started); checks exit 0 and a clean sanitizer log.
router_stop() {
    local rc pid=$PID_herd log=$TEST_TMP/${1:-herd}.log
    [ -z "${1-}" ] || eval "pid=\$PID_$1"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"; rc=$?
    if grep -Eq 'Sanitizer|runtime error' "$log"; then
        rc=99
        grep -E -A12 'Sanitizer|runtime error' "$log" |
            head -40 | sed 's/^/#   /'
    fi
    is "$rc" 0 "herd exits 0 on SIGTERM, sanitizers quiet"
}

# llava_node_report ID URL SLOTS [MEMBERS]: a heartbeat to $ROUTER for a
# node at URL (a test server standing in for Ollama) with llava:7b loaded,
# SLOTS parallel slots and any more JSON MEMBERS ("k":v,...); prints the
# router's status code. From loopback, the router takes the URL's port on
# localhost, unless MEMBERS say "agentless":true.
llava_node_report() {
    curl -s -m 5 -o /dev/null -w '%{http_code}' "$ROUTER/heartbeat" -d "{${4:+$4,}
  \"node_id\":\"$1\",\"num_parallel\":$3,\"cpu\":{\"cores_physical\":4,\"utilization_pct\":5},
  \"memory\":{\"total_gb\":64,\"used_gb\":8,\"available_gb\":56,\"pressure\":\"normal\"},
  \"ollama\":{\"models_loaded\":[{\"name\":\"llava:7b\",\"size_gb\":5}],\"models_available\":[\"llava:7b\"]},
  \"ollama_host\":\"$2\"}"
}

# need_image_server: skips the whole test when tests/image_server is not built.
need_image_server() {
    [ -x "$top_builddir/tests/image_server" ] ||
        skip_all "tests/image_server is not built"
}

# test_cert NAME SAN: a self-signed certificate NAME.pem and its key
# NAME.key in $TEST_TMP (SAN: IP:127.0.0.1, DNS:name, ...).
test_cert() {
    command -v openssl >/dev/null ||
        skip_all "the openssl command is not installed"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -addext "subjectAltName=$2" -keyout "$TEST_TMP/$1.key" \
        -out "$TEST_TMP/$1.pem" >"$TEST_TMP/openssl-$1.log" 2>&1 ||
        { echo "Bail out! openssl req failed for $1"; exit 1; }
}

# tls_image_server NAME FILE: an https image server serving FILE with
# NAME's certificate (test_cert); sets $url (https://...).
tls_image_server() {
    start_image_server "img_$1" --file "$2" --record "$TEST_TMP/unused-$1" \
        --cert "$TEST_TMP/$1.pem" --key "$TEST_TMP/$1.key"
    url=https://${url#http://}
}

# start_image_server NAME ARGS...: tests/image_server (ARGS: --file,
# --record, --cert, --key) on a free port; sets $url.
start_image_server() {
    local name=$1
    shift
    start_listening "$name" "listening on 127\.0\.0\.1:@PORT@" \
        "$top_builddir/tests/image_server" "$@" --port @PORT@ ||
        { echo "Bail out! image_server $name did not start"; exit 1; }
}

# slow_slot_sim NAME [MODEL:SIZE]: a sim with one slot at 10 tokens/s and
# long answers, so that num_predict sets how long a request holds the
# slot (0.1 s a token); qwen3:0.6b unless MODEL says otherwise.
slow_slot_sim() {
    fleet_sim "$1" --model "${2:-qwen3:0.6b:0.5}" --num-parallel 1 \
        --tokens-per-sec 10 --response-tokens 200
}

# bg_generate NAME NUM_PREDICT: a non-streamed qwen3:0.6b generate in the
# background; its status in NAME.code, headers in NAME.hdr, body in
# NAME.body, its pid in PID_NAME.
bg_generate() {
    curl -s -m 30 -D "$TEST_TMP/$1.hdr" -o "$TEST_TMP/$1.body" \
        -w '%{http_code}' "$ROUTER/api/generate" \
        -d "{\"model\":\"qwen3:0.6b\",\"prompt\":\"x\",\"stream\":false,\"options\":{\"num_predict\":$2}}" \
        >"$TEST_TMP/$1.code" &
    eval "PID_$1=\$!"
}

# one_slot_fleet [ROUTER-INI-LINES]: sim s1 with qwen3:0.6b loaded, one
# slot and 10 tokens/s, so that num_predict sets how long a request holds
# the slot (0.1 s a token), and the router in front of it (fleet_router).
one_slot_fleet() {
    fleet_sim s1 --model qwen3:0.6b:0.5 --num-parallel 1 --tokens-per-sec 10
    fleet_router "default_num_parallel = 1
${1-}"
    curl -s -m 10 -o /dev/null "$SIM_URL_s1/api/generate" -d '{"model":"qwen3:0.6b"}'
}
