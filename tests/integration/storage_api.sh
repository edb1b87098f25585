#!/usr/bin/env bash
# Storage through the router: sqlite and jsonl load by default under the
# data directory; a reference latency.db is migrated in place at start; the
# analytics endpoints answer from it (queries on the storage thread) in
# the reference's shapes; bad parameters get 400; /fleet/status shows the
# trace writer; bad storage settings stop the start with file:line; a
# router without sqlite answers analytics with 503.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/router_lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
herd=$(herd_bin)

code() { curl -s -m 10 -o "$TEST_TMP/body" -w '%{http_code}' "$@"; }
body() { cat "$TEST_TMP/body"; }

# A latency.db as the reference leaves it: its table before the tags
# migration, user_version 0, one row.
data=$TEST_TMP/data
mkdir -p "$data"
now=$(date +%s)
sqlite3 "$data/latency.db" "
CREATE TABLE request_traces (id INTEGER PRIMARY KEY AUTOINCREMENT,
 request_id TEXT NOT NULL, model TEXT NOT NULL, original_model TEXT NOT NULL,
 node_id TEXT NOT NULL, score REAL, scores_breakdown TEXT,
 status TEXT NOT NULL, latency_ms REAL, time_to_first_token_ms REAL,
 prompt_tokens INTEGER, completion_tokens INTEGER,
 retry_count INTEGER DEFAULT 0, fallback_used INTEGER DEFAULT 0,
 excluded_nodes TEXT, client_ip TEXT, original_format TEXT,
 error_message TEXT, timestamp REAL NOT NULL);
INSERT INTO request_traces (request_id, model, original_model, node_id, score,
 scores_breakdown, status, latency_ms, time_to_first_token_ms, prompt_tokens,
 completion_tokens, excluded_nodes, client_ip, original_format, timestamp)
VALUES ('ref-1', 'llama3:8b', 'llama3:8b', 'mac', 80.5,
 '{\"thermal\":50,\"memory_fit\":30.5}', 'completed', 2000, 300, 12, 100,
 '[]', '', 'ollama', $now - 3600);"

start_herd herd --data-dir "$data"
ok $? "router starts on a reference latency.db"
is "$(sqlite3 "$data/latency.db" 'PRAGMA user_version')" 2 \
    "schema migrated to version 2"
is "$(sqlite3 "$data/latency.db" 'PRAGMA journal_mode')" wal "in WAL mode"
is "$(sqlite3 "$data/latency.db" \
    "SELECT count(*) FROM pragma_table_info('request_traces')
     WHERE name IN ('tags','endpoint','http_status','bytes_out',
                    'queue_wait_ms','load_ms','cold_load')")" 7 \
    "herd's columns added"
ok "$(test -f "$data/logs/herd.jsonl"; echo $?)" "logs/herd.jsonl is there"

# More history, written by another process while the router runs (WAL).
sqlite3 "$data/latency.db" "
INSERT INTO request_traces (request_id, model, original_model, node_id, score,
 status, latency_ms, time_to_first_token_ms, prompt_tokens,
 completion_tokens, retry_count, fallback_used, client_ip, original_format,
 timestamp, tags, endpoint, http_status, cold_load)
VALUES
 ('r-2', 'qwen3:8b', 'qwen3:8b', 'gpu1', 70, 'retried', 400, NULL, 20, NULL,
  0, 0, '127.0.0.1', 'openai', $now - 120, '[\"app:ide\"]',
  '/v1/chat/completions', NULL, 0),
 ('r-2', 'qwen3:8b', 'qwen3:8b', 'gpu2', 65, 'completed', 1000, 200, 20, 50,
  1, 0, '127.0.0.1', 'openai', $now - 119, '[\"app:ide\"]',
  '/v1/chat/completions', 200, 0),
 ('r-3', 'qwen3:8b', 'qwen3:32b', 'gpu2', 60, 'completed', 3000, 400, 30, 150,
  0, 1, '127.0.0.1', 'ollama', $now - 60, '[\"app:ide\",\"user:ann\"]',
  '/api/chat', 200, 1),
 ('r-4', 'qwen3:8b', 'qwen3:8b', 'gpu1', 55, 'failed', 10, NULL, 5, NULL,
  0, 0, '127.0.0.1', 'ollama', $now - 30, NULL, '/api/chat', 502, 0);"

# /dashboard/api/traces
is "$(code "$url/dashboard/api/traces?limit=2")" 200 "traces: 200"
is "$(body | jq -r '[.traces[].request_id] | join(",")')" "r-4,r-3" \
    "newest first, limit respected"
is "$(body | jq -r '.traces[1].fallback_used | type')" boolean \
    "fallback_used is a boolean"
is "$(body | jq -c '[.traces[].cold_load]')" "[false,true]" \
    "cold_load is a boolean"
is "$(body | jq -r '.traces[1].tags | join(",")')" "app:ide,user:ann" \
    "tags decoded"
is "$(code "$url/dashboard/api/traces")" 200 "default limit"
is "$(body | jq '.traces | length')" 5 "all five rows"
is "$(body | jq '.traces[4].scores_breakdown.memory_fit')" 30.5 \
    "the reference row's breakdown decoded"

# usage: per node, model and UTC day; a retried attempt is no request
is "$(code "$url/dashboard/api/usage?days=1")" 200 "usage: 200"
is "$(body | jq .days)" 1 "echoes days"
is "$(body | jq '[.data[].request_count] | add')" 4 "four requests"
is "$(body | jq '[.data[] | select(.node_id == "gpu2")][0].completed_count')" \
    2 "two completed on gpu2"
is "$(body | jq '[.data[].total_retries] | add')" 1 "one retried attempt"
is "$(body | jq '[.data[].total_fallbacks] | add')" 1 "one fallback"
is "$(body | jq '[.data[].cold_load_count] | add')" 1 \
    "one cold load (the reference's row has none)"
is "$(body | jq '[.data[].day_bucket % 86400] | add')" 0 "UTC day buckets"

is "$(code "$url/dashboard/api/trends?hours=2")" 200 "trends: 200"
is "$(body | jq '[.data[].request_count] | add')" 3 \
    "trends: completed requests of two hours"
is "$(code "$url/dashboard/api/models?days=7")" 200 "models: 200"
is "$(body | jq -r '[.summary[].model_name] | sort | join(",")')" \
    "llama3:8b,qwen3:8b" "models summary"
is "$(code "$url/dashboard/api/overview")" 200 "overview: 200"
is "$(body | jq -c '[.total_requests, .total_completion_tokens,
    .models_count]')" "[3,300,2]" "overview totals"
is "$(code "$url/dashboard/api/tags?days=1")" 200 "tags: 200"
is "$(body | jq -c '[.data[] | [.tag, .request_count]]')" \
    '[["app:ide",2],["user:ann",1]]' "requests per tag"
is "$(code "$url/dashboard/api/apps?days=1")" 200 "apps: an alias"
is "$(code "$url/dashboard/api/tags/daily")" 200 "tags/daily: 200"
is "$(body | jq '.data | length')" 2 "one row per tag and day"

# bad parameters: 400 with a message, the router keeps serving
for q in "traces?limit=0" "traces?limit=abc" "traces?limit=1001" \
    "usage?days=-1" "usage?days=1e3" "trends?hours=" "overview?x=1" \
    "traces?limit=1&limit=2" "tags?dayz=3"; do
    is "$(code "$url/dashboard/api/$q")" 400 "$q: 400"
done
code "$url/dashboard/api/traces?limit=5000" >/dev/null
like "$(body | jq -r .error)" "limit must be a whole number from 1 to 1000" \
    "the message says what is allowed"
is "$(code "$url/dashboard/api/usage?weeks=2")" 400 "unknown parameter"
like "$(body | jq -r .error)" "unknown parameter \"weeks\"" "is named"
is "$(code -X POST "$url/dashboard/api/traces")" 405 "POST: 405"

# /fleet/status shows the writer
is "$(code "$url/fleet/status")" 200 "fleet/status: 200"
is "$(body | jq -c '.traces.backends')" '["sqlite","jsonl"]' \
    "both storage plugins load by default"
is "$(body | jq -c '[.traces.dropped, .traces.queue_max]')" "[0,10000]" \
    "nothing dropped, default queue size"

kill -TERM "$PID_herd"
wait "$PID_herd"
is $? 0 "SIGTERM: clean exit"

# herd_fails ARGS...: runs herd expecting it to stop at start-up (output
# in $TEST_TMP/err); another port when a parallel test took the first.
herd_fails() {
    local rc
    for _ in 1 2 3 4 5; do
        "$herd" --host 127.0.0.1 --port "$(free_port)" "$@" \
            >"$TEST_TMP/err" 2>&1
        rc=$?
        grep -q "Address already in use" "$TEST_TMP/err" || break
    done
    return $rc
}

# Bad storage settings stop the start, naming file:line.
printf '[storage.sqlite]\nretention_days = soon\n' >"$TEST_TMP/bad.ini"
herd_fails --config "$TEST_TMP/bad.ini" --data-dir "$data"
ok "$(test $? -ne 0; echo $?)" "bad retention_days: the router refuses"
like "$(cat "$TEST_TMP/err")" "bad\.ini:2.*retention_days" \
    "the message names file:line and the key"
mkdir -p "$TEST_TMP/ro"
printf 'not a database at all, no, not at all' >"$TEST_TMP/ro/latency.db"
herd_fails --data-dir "$TEST_TMP/ro"
ok "$(test $? -ne 0; echo $?)" "a broken latency.db: the router refuses"
like "$(cat "$TEST_TMP/err")" "ro/latency\.db.*not a usable database" \
    "naming the file"

# Without sqlite the analytics say so, with 503.
printf '[storage.sqlite]\nenabled = false\n[storage.jsonl]\nkeep_days = 7\n' \
    >"$TEST_TMP/nosql.ini"
start_herd nosql --config "$TEST_TMP/nosql.ini" --data-dir "$TEST_TMP/d2"
ok $? "router starts with jsonl only"
is "$(code "$url/dashboard/api/overview")" 503 "analytics: 503"
like "$(body | jq -r .error)" "no storage plugin answers" "says why"
is "$(code "$url/fleet/status")" 200 "fleet/status"
is "$(body | jq -c '.traces.backends')" '["jsonl"]' "jsonl alone"
ok "$(test ! -e "$TEST_TMP/d2/latency.db"; echo $?)" "no latency.db made"
kill -TERM "$PID_nosql"
wait "$PID_nosql"
is $? 0 "clean exit"

done_testing
