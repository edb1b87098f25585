/* Native answers -> OpenAI ones (openai_response.h): whole bodies of
 * chat, completions and embeddings (float and base64), streamed chunks
 * in OpenAI's order (role first, reasoning, tool calls, finish, usage only
 * when asked, [DONE] last and once), in-band errors, error bodies, and
 * malformed native objects that must neither crash nor leak. Expected
 * texts are written out byte for byte, in the field order of Ollama's own
 * OpenAI layer (and tests/sim). */
#include "autoconfig.h"

#include "openai_response.h"
#include "tap.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define CREATED 1700000000

/* What out holds, as a string the caller frees; out is emptied. */
static char *
take(struct evbuffer *out)
{
    size_t n = evbuffer_get_length(out);
    char *s = malloc(n + 1);
    evbuffer_remove(out, s, n);
    s[n] = '\0';
    return s;
}

static void
start(struct openai_reply *r, enum proxy_api api, int include_usage)
{
    openai_reply_init(r, api, "asked-model", "r1", include_usage);
    r->created = CREATED; /* the tests compare whole texts */
}

/* Whole body of one native text; rc in *rc. */
static char *
body(struct openai_reply *r, const char *native, int *rc)
{
    json_object *o = json_tokener_parse(native);
    struct evbuffer *out = evbuffer_new();
    *rc = openai_reply_body(r, o, out);
    json_object_put(o);
    char *s = take(out);
    evbuffer_free(out);
    return s;
}

/* The SSE text of a native NDJSON text fed line by line; every call's
 * return code must be 0 unless *rc says otherwise on return. */
static char *
stream(struct openai_reply *r, const char *ndjson, int *rc)
{
    struct evbuffer *out = evbuffer_new();
    *rc = 0;
    const char *p = ndjson;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        json_object *o = json_tokener_parse(line);
        int got = openai_reply_stream(r, o, out);
        if (got != 0)
            *rc = got;
        json_object_put(o);
        free(line);
        p += len + (nl ? 1 : 0);
    }
    char *s = take(out);
    evbuffer_free(out);
    return s;
}

static int
count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static char *
error_body(int status, const char *native)
{
    struct evbuffer *out = evbuffer_new();
    openai_reply_error(status, native, native ? strlen(native) : 0, out);
    char *s = take(out);
    evbuffer_free(out);
    return s;
}

#define CHAT_HEAD                                                              \
    "{\"id\":\"chatcmpl-r1\",\"object\":\"chat.completion\",\"created\":"      \
    "1700000000,\"model\":\"tiny\",\"system_fingerprint\":\"fp_ollama\","      \
    "\"choices\":[{\"index\":0,"
#define CHUNK                                                                  \
    "data: {\"id\":\"chatcmpl-r1\",\"object\":\"chat.completion.chunk\","      \
    "\"created\":1700000000,\"model\":\"tiny\",\"system_fingerprint\":"        \
    "\"fp_ollama\",\"choices\":["
#define DELTA(d)                                                               \
    CHUNK "{\"index\":0,\"delta\":" d ",\"finish_reason\":null}]}\n\n"
#define FINISH(why)                                                            \
    CHUNK "{\"index\":0,\"delta\":{},\"finish_reason\":\"" why "\"}]}\n\n"
#define DONE "data: [DONE]\n\n"

static void
test_init(void)
{
    struct openai_reply r;
    openai_reply_init(&r, PROXY_API_OAI_CHAT, "m", "abc", 1);
    is_str(r.id, "chatcmpl-abc", "init: chat id from the request id");
    is_str(r.model, "m", "init: model");
    ok(r.include_usage == 1 && !r.role_sent && !r.finished && !r.base64,
       "init: flags");
    ok(r.created > 1600000000, "init: created is now");
    openai_reply_init(&r, PROXY_API_OAI_COMPLETIONS, NULL, NULL, 0);
    is_str(r.id, "cmpl-0", "init: completions id, no request id");
    is_str(r.model, "", "init: no model");
}

static void
test_chat_body(void)
{
    struct openai_reply r;
    int rc;
    char *s;

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"created_at\":\"2025-01-01T00:00:00Z\","
             "\"message\":{\"role\":\"assistant\",\"content\":\"Hi "
             "<b> & co\"},\"done\":true,\"done_reason\":\"stop\","
             "\"total_duration\":5,\"prompt_eval_count\":3,\"eval_count\":2}",
             &rc);
    is_int(rc, 0, "chat body: converted");
    is_str(s,
           CHAT_HEAD
           "\"message\":{\"role\":\"assistant\",\"content\":\"Hi "
           "\\u003cb\\u003e \\u0026 co\"},\"finish_reason\":\"stop\"}],"
           "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
           "\"total_tokens\":5}}\n",
           "chat body: exact text, <>& escaped as Go does, ends in \\n");
    free(s);

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
             "\"content\":\"4\",\"thinking\":\"2+2\"},\"done\":true,"
             "\"done_reason\":\"length\",\"eval_count\":7}",
             &rc);
    is_int(rc, 0, "chat body with thinking: converted");
    is_str(s,
           CHAT_HEAD "\"message\":{\"role\":\"assistant\",\"content\":\"4\","
                     "\"reasoning\":\"2+2\"},\"finish_reason\":\"length\"}],"
                     "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":7,"
                     "\"total_tokens\":7}}\n",
           "chat body: thinking -> reasoning, length, missing counts are 0");
    free(s);

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
             "\"content\":\"\",\"tool_calls\":[{\"id\":\"call_abcd1234\","
             "\"function\":{\"index\":0,\"name\":\"get_weather\","
             "\"arguments\":{\"city\":\"Tokyo\",\"days\":2}}}]},"
             "\"done\":true,\"done_reason\":\"stop\"}",
             &rc);
    is_int(rc, 0, "chat body with a tool call: converted");
    is_str(s,
           CHAT_HEAD
           "\"message\":{\"role\":\"assistant\",\"content\":\"\","
           "\"tool_calls\":[{\"id\":\"call_abcd1234\",\"index\":0,\"type\":"
           "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
           "\"{\\\"city\\\":\\\"Tokyo\\\",\\\"days\\\":2}\"}}]},"
           "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":0,"
           "\"completion_tokens\":0,\"total_tokens\":0}}\n",
           "chat body: tool call with JSON-text arguments, tool_calls finish");
    free(s);

    /* No id from the node: one is made, stable for the response, other
     * for another response and for another call. */
    const char *anon =
        "{\"message\":{\"role\":\"assistant\",\"content\":\"\","
        "\"tool_calls\":[{\"function\":{\"name\":\"a\"}},"
        "{\"function\":{\"name\":\"b\",\"arguments\":\"{\\\"x\\\":1}\"}}]},"
        "\"done\":true,\"done_reason\":\"length\"}";
    start(&r, PROXY_API_OAI_CHAT, 0);
    char *s1 = body(&r, anon, &rc);
    char *s2 = body(&r, anon, &rc);
    is_int(rc, 0, "chat body, tool calls without ids: converted");
    is_str(s1, s2, "made ids are stable within a response");
    json_object *o = json_tokener_parse(s1);
    json_object *msg = json_object_object_get(
        json_object_array_get_idx(json_object_object_get(o, "choices"), 0),
        "message");
    json_object *calls = json_object_object_get(msg, "tool_calls");
    const char *id0 = json_object_get_string(
        json_object_object_get(json_object_array_get_idx(calls, 0), "id"));
    const char *id1 = json_object_get_string(
        json_object_object_get(json_object_array_get_idx(calls, 1), "id"));
    ok(id0 && strncmp(id0, "call_", 5) == 0 && strlen(id0) == 13,
       "made id looks like Ollama's (call_ + 8)");
    ok(id0 && id1 && strcmp(id0, id1) != 0, "each call its own id");
    is_int(json_object_get_int(json_object_object_get(
               json_object_array_get_idx(calls, 1), "index")),
           1, "second call has index 1");
    is_str(json_object_get_string(json_object_object_get(
               json_object_object_get(json_object_array_get_idx(calls, 0),
                                      "function"),
               "arguments")),
           "{}", "missing arguments are {}");
    is_str(json_object_get_string(json_object_object_get(
               json_object_object_get(json_object_array_get_idx(calls, 1),
                                      "function"),
               "arguments")),
           "{\"x\":1}", "arguments already text are kept");
    is_str(
        json_object_get_string(json_object_object_get(
            json_object_array_get_idx(json_object_object_get(o, "choices"), 0),
            "finish_reason")),
        "length", "length wins over tool_calls");
    is_str(json_object_get_string(json_object_object_get(o, "model")),
           "asked-model", "no model from the node: the one given at init");
    struct openai_reply other;
    openai_reply_init(&other, PROXY_API_OAI_CHAT, "m", "r2", 0);
    char *s3 = body(&other, anon, &rc);
    ok(strstr(s3, id0) == NULL, "another response makes other ids");
    json_object_put(o);
    free(s1);
    free(s2);
    free(s3);

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = body(&r,
             "{\"message\":{\"content\":\"\"},\"prompt_eval_count\":"
             "9223372036854775807,\"eval_count\":1e300}",
             &rc);
    ok(rc == 0 && strstr(s, "\"total_tokens\":9223372036854775806"),
       "absurd counts are bounded, their sum does not overflow");
    free(s);
}

/* Token logprobs: Ollama's entries go under {"content":[...]} after
 * finish_reason; an empty or mistyped logprobs adds nothing. */
static void
test_logprobs(void)
{
    struct openai_reply r;
    int rc;
    char *s;
#define LP                                                                     \
    "[{\"token\":\"Hi\",\"logprob\":-0.5,\"bytes\":[72,105],"                  \
    "\"top_logprobs\":[{\"token\":\"Hi\",\"logprob\":-0.5}]}]"

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
             "\"content\":\"Hi\"},\"done\":true,\"done_reason\":\"stop\","
             "\"logprobs\":" LP "}",
             &rc);
    is_str(s,
           CHAT_HEAD "\"message\":{\"role\":\"assistant\",\"content\":"
                     "\"Hi\"},\"finish_reason\":\"stop\",\"logprobs\":{"
                     "\"content\":" LP "}}],\"usage\":{\"prompt_tokens\":0,"
                     "\"completion_tokens\":0,\"total_tokens\":0}}\n",
           "chat body: logprobs after finish_reason");
    free(s);

    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(&r,
               "{\"model\":\"tiny\",\"message\":{\"content\":\"Hi\"},"
               "\"done\":false,\"logprobs\":" LP "}\n"
               "{\"model\":\"tiny\",\"message\":{\"content\":\"\"},"
               "\"done\":false,\"logprobs\":[]}\n"
               "{\"model\":\"tiny\",\"message\":{\"content\":\"\"},"
               "\"done\":true,\"logprobs\":" LP "}\n",
               &rc);
    is_str(s,
           CHUNK "{\"index\":0,\"delta\":{\"role\":\"assistant\","
                 "\"content\":\"Hi\"},\"finish_reason\":null,\"logprobs\":"
                 "{\"content\":" LP "}}]}\n\n" CHUNK
                 "{\"index\":0,\"delta\":{\"content\":\"\"},"
                 "\"finish_reason\":null,\"logprobs\":{\"content\":" LP
                 "}}]}\n\n" FINISH("stop") DONE,
           "chat stream: logprobs on the content chunk, even a last one "
           "without text; an empty list adds nothing");
    free(s);

    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"response\":\"Hi\",\"done\":true,"
             "\"logprobs\":{\"not\":\"a list\"}}",
             &rc);
    ok(rc == 0 && !strstr(s, "logprobs"), "mistyped logprobs: left out");
    free(s);
    /* completions have their own, older shape */
#define CLP(off)                                                               \
    "{\"tokens\":[\"Hi\"],\"token_logprobs\":[-0.5],\"top_logprobs\":[{"       \
    "\"Hi\":-0.5}],\"text_offset\":[" off "]}"
    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    s = body(&r,
             "{\"model\":\"tiny\",\"response\":\"Hi\",\"done\":true,"
             "\"logprobs\":" LP "}",
             &rc);
    ok(rc == 0 &&
           strstr(s, "\"finish_reason\":\"stop\",\"logprobs\":" CLP("0") "}]"),
       "completion body: tokens, token_logprobs, top_logprobs, text_offset");
    free(s);
    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    s = stream(&r,
               "{\"model\":\"tiny\",\"response\":\"Hi\",\"done\":false,"
               "\"logprobs\":" LP "}\n"
               "{\"model\":\"tiny\",\"response\":\"Hi\",\"done\":false,"
               "\"logprobs\":[{\"token\":\"Hi\",\"logprob\":-0.5}]}\n",
               &rc);
    ok(strstr(s, "\"finish_reason\":null,\"logprobs\":" CLP(
                     "0") "}],\"model\"") != NULL,
       "completion chunk: logprobs after finish_reason, in that shape");
    ok(strstr(s, "\"top_logprobs\":[null],\"text_offset\":[2]}") != NULL,
       "the next chunk's offsets go on; no alternatives is null");
    free(s);
}

static void
test_completion_body(void)
{
    struct openai_reply r;
    int rc;
    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    char *s = body(&r,
                   "{\"model\":\"tiny\",\"response\":\"Once upon\","
                   "\"thinking\":\"hidden\",\"done\":true,"
                   "\"done_reason\":\"length\",\"context\":[1,2],"
                   "\"prompt_eval_count\":4,\"eval_count\":5}",
                   &rc);
    is_int(rc, 0, "completion body: converted");
    is_str(
        s,
        "{\"id\":\"cmpl-r1\",\"object\":\"text_completion\",\"created\":"
        "1700000000,\"model\":\"tiny\",\"system_fingerprint\":\"fp_ollama\","
        "\"choices\":[{\"text\":\"Once upon\",\"index\":0,\"finish_reason\":"
        "\"length\"}],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5,"
        "\"total_tokens\":9}}\n",
        "completion body: exact text");
    free(s);
}

static void
test_embed_body(void)
{
    struct openai_reply r;
    int rc;
    const char *native = "{\"model\":\"embed\",\"embeddings\":[[0.123456789,"
                         "-1e-05,1],[1.0,-2.5,0.5]],\"total_duration\":9,"
                         "\"prompt_eval_count\":6}";
    start(&r, PROXY_API_OAI_EMBEDDINGS, 0);
    char *s = body(&r, native, &rc);
    is_int(rc, 0, "embed body: converted");
    is_str(s,
           "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\","
           "\"embedding\":[0.123456789,-1e-05,1],\"index\":0},{\"object\":"
           "\"embedding\",\"embedding\":[1.0,-2.5,0.5],\"index\":1}],"
           "\"model\":\"embed\",\"usage\":{\"prompt_tokens\":6,"
           "\"total_tokens\":6}}\n",
           "embed body: numbers as the node wrote them");
    free(s);

    start(&r, PROXY_API_OAI_EMBEDDINGS, 0);
    r.base64 = 1;
    s = body(&r, "{\"embeddings\":[[1.0,-2.5],[0.5],[]]}", &rc);
    is_int(rc, 0, "embed body base64: converted");
    is_str(s,
           "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\","
           "\"embedding\":\"AACAPwAAIMA=\",\"index\":0},{\"object\":"
           "\"embedding\",\"embedding\":\"AAAAPw==\",\"index\":1},{\"object\":"
           "\"embedding\",\"embedding\":\"\",\"index\":2}],\"model\":"
           "\"asked-model\",\"usage\":{\"prompt_tokens\":0,\"total_tokens\":0}}"
           "\n",
           "embed body: base64 of little-endian float32");
    free(s);

    start(&r, PROXY_API_OAI_EMBEDDINGS, 0);
    s = body(&r, "{\"model\":\"e\",\"embeddings\":[]}", &rc);
    is_str(s,
           "{\"object\":\"list\",\"data\":[],\"model\":\"e\",\"usage\":{"
           "\"prompt_tokens\":0,\"total_tokens\":0}}\n",
           "embed body: no inputs, empty list");
    free(s);
}

/* Answers that are not answers of the api: -EINVAL, nothing written. */
static void
test_body_rejects(void)
{
    static const struct {
        enum proxy_api api;
        const char *native;
    } bad[] = {
        {PROXY_API_OAI_CHAT, "{\"done\":true}"},
        {PROXY_API_OAI_CHAT, "{\"message\":\"hi\",\"done\":true}"},
        {PROXY_API_OAI_CHAT, "[1,2]"},
        {PROXY_API_OAI_CHAT, "\"text\""},
        {PROXY_API_OAI_CHAT, "null"},
        {PROXY_API_OAI_COMPLETIONS, "{\"message\":{\"content\":\"x\"}}"},
        {PROXY_API_OAI_COMPLETIONS, "{\"response\":7}"},
        {PROXY_API_OAI_EMBEDDINGS, "{\"embedding\":[1,2]}"},
        {PROXY_API_OAI_EMBEDDINGS, "{\"embeddings\":[1,2]}"},
        {PROXY_API_OAI_EMBEDDINGS, "{\"embeddings\":[[1,\"2\"]]}"},
        {PROXY_API_OAI_EMBEDDINGS, "{\"embeddings\":{\"a\":[1]}}"},
        {PROXY_API_CHAT, "{\"message\":{\"content\":\"x\"}}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct openai_reply r;
        int rc;
        start(&r, bad[i].api, 0);
        char *s = body(&r, bad[i].native, &rc);
        ok(rc == -EINVAL && s[0] == '\0', "body rejects %s", bad[i].native);
        is_str(r.model, "asked-model", "  and r's model is untouched");
        free(s);
    }

    /* Wrong types inside a chat answer degrade, they do not fail. */
    struct openai_reply r;
    int rc;
    start(&r, PROXY_API_OAI_CHAT, 0);
    char *s = body(&r,
                   "{\"model\":5,\"message\":{\"content\":[1],\"thinking\":7,"
                   "\"tool_calls\":[3,{\"function\":\"f\"}]},"
                   "\"done_reason\":9,\"prompt_eval_count\":\"3\","
                   "\"eval_count\":-4}",
                   &rc);
    is_int(rc, 0, "odd chat answer: converted");
    ok(strstr(s, "\"model\":\"asked-model\"") &&
           strstr(s, "\"content\":\"\"") && !strstr(s, "reasoning") &&
           strstr(s, "\"tool_calls\":[{\"id\":\"call_") &&
           strstr(s, "\"function\":{\"name\":\"\",\"arguments\":\"{}\"}") &&
           strstr(s, "\"finish_reason\":\"tool_calls\"") &&
           strstr(s, "\"prompt_tokens\":0,\"completion_tokens\":0"),
       "odd chat answer: defaults for every wrong type");
    free(s);
}

static void
test_chat_stream(void)
{
    struct openai_reply r;
    int rc;
    const char *native =
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
        "\"content\":\"\",\"thinking\":\"hmm\"},\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
        "\"content\":\"The\"},\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
        "\"content\":\"\"},\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
        "\"content\":\" sky\",\"thinking\":\"!\"},\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
        "\"content\":\"\"},\"done\":true,\"done_reason\":\"length\","
        "\"prompt_eval_count\":26,\"eval_count\":3}\n";
    const char *want =
        DELTA("{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"hmm\"}")
            DELTA("{\"content\":\"The\"}")
                DELTA("{\"content\":\"\",\"reasoning\":\"!\"}")
                    DELTA("{\"content\":\" sky\"}") FINISH("length") DONE;

    start(&r, PROXY_API_OAI_CHAT, 0);
    char *s = stream(&r, native, &rc);
    is_int(rc, 0, "chat stream: converted");
    is_str(s, want,
           "chat stream: role on the first delta only, thinking split "
           "before content, empty line skipped, finish, no usage, [DONE]");
    ok(r.finished && !r.errored, "chat stream: finished");
    free(s);

    /* Same with include_usage: the usage chunk before [DONE]. */
    start(&r, PROXY_API_OAI_CHAT, 1);
    s = stream(&r, native, &rc);
    const char *usage =
        CHUNK "],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":3,"
              "\"total_tokens\":29}}\n\n" DONE;
    size_t lw = strlen(want) - strlen(DONE);
    ok(strncmp(s, want, lw) == 0 && strcmp(s + lw, usage) == 0,
       "chat stream include_usage: usage chunk with choices [] then [DONE]");
    is_int(count(s, DONE), 1, "chat stream: [DONE] once");

    /* Anything after the end is ignored. */
    struct evbuffer *out = evbuffer_new();
    json_object *late = json_tokener_parse(
        "{\"message\":{\"content\":\"late\"},\"done\":true}");
    is_int(openai_reply_stream(&r, late, out), 0, "after the end: accepted");
    is_int(evbuffer_get_length(out), 0, "after the end: nothing written");
    json_object_put(late);
    evbuffer_free(out);
    free(s);
}

static void
test_chat_stream_edges(void)
{
    struct openai_reply r;
    int rc;
    char *s;

    /* Only a done line: the stream still opens with the role. */
    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(&r,
               "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\","
               "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n",
               &rc);
    is_str(s,
           DELTA("{\"role\":\"assistant\",\"content\":\"\"}") FINISH("stop")
               DONE,
           "empty answer: role chunk, finish stop, [DONE]");
    free(s);

    /* A last fragment on the done line comes before the finish. */
    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(&r,
               "{\"model\":\"tiny\",\"message\":{\"content\":\"Hi\"},"
               "\"done\":false}\n"
               "{\"model\":\"tiny\",\"message\":{\"content\":\"!\"},"
               "\"done\":true}\n",
               &rc);
    is_str(s,
           DELTA("{\"role\":\"assistant\",\"content\":\"Hi\"}")
               DELTA("{\"content\":\"!\"}") FINISH("stop") DONE,
           "trailing content on the done line, no done_reason: stop");
    free(s);

    /* Tool calls streamed: numbered across lines, tool_calls finish. */
    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(
        &r,
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\",\"content\":"
        "\"\",\"tool_calls\":[{\"id\":\"call_aaaaaaaa\",\"function\":{"
        "\"index\":0,\"name\":\"f\",\"arguments\":{\"q\":\"<x>\"}}},{\"id\":"
        "\"call_bbbbbbbb\",\"function\":{\"index\":1,\"name\":\"g\","
        "\"arguments\":{}}}]},\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\",\"content\":"
        "\"\",\"tool_calls\":[{\"id\":\"call_cccccccc\",\"function\":{"
        "\"index\":0,\"name\":\"h\",\"arguments\":{\"n\":1}}}]},"
        "\"done\":false}\n"
        "{\"model\":\"tiny\",\"message\":{\"role\":\"assistant\",\"content\":"
        "\"\"},\"done\":true,\"done_reason\":\"stop\"}\n",
        &rc);
    is_str(s,
           DELTA("{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
                 "\"id\":\"call_aaaaaaaa\",\"index\":0,\"type\":\"function\","
                 "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"q\\\":"
                 "\\\"\\u003cx\\u003e\\\"}\"}},{\"id\":\"call_bbbbbbbb\","
                 "\"index\":1,\"type\":\"function\",\"function\":{\"name\":"
                 "\"g\",\"arguments\":\"{}\"}}]}")
               DELTA("{\"content\":\"\",\"tool_calls\":[{\"id\":"
                     "\"call_cccccccc\",\"index\":2,\"type\":\"function\","
                     "\"function\":{\"name\":\"h\",\"arguments\":"
                     "\"{\\\"n\\\":1}\"}}]}") FINISH("tool_calls") DONE,
           "tool calls streamed whole, indexes 0, 1, 2, finish tool_calls");
    is_int(r.tool_calls, 3, "three tool calls counted");
    free(s);
}

static void
test_stream_errors(void)
{
    struct openai_reply r;
    int rc;
    start(&r, PROXY_API_OAI_CHAT, 1);
    char *s = stream(&r,
                     "{\"model\":\"tiny\",\"message\":{\"content\":\"a\"},"
                     "\"done\":false}\n"
                     "{\"error\":\"an error was encountered while running "
                     "the model\"}\n"
                     "{\"model\":\"tiny\",\"message\":{\"content\":\"\"},"
                     "\"done\":true}\n",
                     &rc);
    is_int(rc, 0, "in-band error: converted");
    is_str(s,
           DELTA("{\"role\":\"assistant\",\"content\":\"a\"}") "data: {"
                                                               "\"error\":{"
                                                               "\"message\":"
                                                               "\"an error "
                                                               "was "
                                                               "encountered "
                                                               "while "
                                                               "running the "
                                                               "model\","
                                                               "\"type\":"
                                                               "\"api_"
                                                               "error\","
                                                               "\"param\":"
                                                               "null,"
                                                               "\"code\":"
                                                               "null}}\n\n",
           "in-band error: an error event, then nothing: no finish, no [DONE]");
    ok(r.finished && r.errored, "in-band error: stream over, errored");
    free(s);

    /* An error before anything: the error event only; odd error values. */
    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    s = stream(&r, "{\"error\":{\"message\":\"boom\"}}\n", &rc);
    is_str(s,
           "data: {\"error\":{\"message\":\"boom\",\"type\":\"api_error\","
           "\"param\":null,\"code\":null}}\n\n",
           "error object with a message: kept");
    free(s);
    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(&r, "{\"error\":42}\n", &rc);
    ok(strstr(s, "\"message\":\"error reported by the node\"") &&
           !strstr(s, DONE),
       "error of another type: a generic message");
    free(s);
    start(&r, PROXY_API_OAI_CHAT, 0);
    s = stream(&r,
               "{\"error\":null,\"message\":{\"content\":\"x\"},"
               "\"done\":true}\n",
               &rc);
    ok(strstr(s, "\"content\":\"x\"") && count(s, DONE) == 1,
       "error:null is no error");
    free(s);
}

static void
test_stream_malformed(void)
{
    struct openai_reply r;
    int rc;
    start(&r, PROXY_API_OAI_CHAT, 0);
    char *s = stream(&r,
                     "[1,2]\n"
                     "\"text\"\n"
                     "17\n"
                     "not json\n"
                     "{\"message\":\"hi\",\"done\":false}\n"
                     "{\"message\":{\"content\":5,\"thinking\":[],"
                     "\"tool_calls\":{\"a\":1}},\"done\":false}\n"
                     "{\"message\":{\"tool_calls\":[null,\"x\",{}]},"
                     "\"done\":\"true\"}\n"
                     "{\"model\":[],\"done\":true,\"done_reason\":7}\n",
                     &rc);
    is_int(rc, 0, "malformed lines: no failure");
    ok(count(s, DONE) == 1 && count(s, "\"role\":\"assistant\"") == 1,
       "malformed lines: one role, one [DONE]");
    ok(strstr(s, "\"tool_calls\":[{\"id\":\"call_") &&
           strstr(s, "\"finish_reason\":\"tool_calls\"") &&
           strstr(s, "\"model\":\"asked-model\""),
       "malformed lines: the one object call kept, defaults elsewhere");
    free(s);

    /* The embeddings api does not stream. */
    start(&r, PROXY_API_OAI_EMBEDDINGS, 0);
    struct evbuffer *out = evbuffer_new();
    json_object *o = json_tokener_parse("{\"embeddings\":[[1]]}");
    is_int(openai_reply_stream(&r, o, out), -EINVAL,
           "embeddings stream: -EINVAL");
    is_int(evbuffer_get_length(out), 0, "embeddings stream: nothing written");
    json_object_put(o);
    evbuffer_free(out);
}

static void
test_completion_stream(void)
{
    struct openai_reply r;
    int rc;
    const char *native =
        "{\"model\":\"tiny\",\"response\":\"Once\",\"done\":false}\n"
        "{\"model\":\"tiny\",\"response\":\"\",\"thinking\":\"x\","
        "\"done\":false}\n"
        "{\"model\":\"tiny\",\"response\":\" upon\",\"done\":false}\n"
        "{\"model\":\"tiny\",\"response\":\"\",\"done\":true,"
        "\"done_reason\":\"stop\",\"context\":[1],\"prompt_eval_count\":2,"
        "\"eval_count\":2}\n";
#define TEXT(t, why, usage)                                                    \
    "data: {\"id\":\"cmpl-r1\",\"object\":\"text_completion\",\"created\":"    \
    "1700000000,\"choices\":[{\"text\":\"" t "\",\"index\":0,"                 \
    "\"finish_reason\":" why "}],\"model\":\"tiny\",\"system_fingerprint\":"   \
    "\"fp_ollama\"" usage "}\n\n"
#define ZERO                                                                   \
    ",\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"                 \
    "\"total_tokens\":0}"
    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    char *s = stream(&r, native, &rc);
    is_int(rc, 0, "completion stream: converted");
    is_str(s,
           TEXT("Once", "null", "") TEXT(" upon", "null", "")
               TEXT("", "\"stop\"", "") DONE,
           "completion stream: choices before model, finish, [DONE]");
    free(s);

    start(&r, PROXY_API_OAI_COMPLETIONS, 1);
    s = stream(&r, native, &rc);
    is_str(s,
           TEXT("Once", "null", ZERO) TEXT(" upon", "null", ZERO)
               TEXT("", "\"stop\"", ZERO) "data: {\"id\":\"cmpl-r1\","
                                          "\"object\":\"text_completion\","
                                          "\"created\":1700000000,\"model\":"
                                          "\"tiny\",\"system_fingerprint\":"
                                          "\"fp_ollama\",\"choices\":[],"
                                          "\"usage\":{\"prompt_tokens\":2,"
                                          "\"completion_tokens\":2,"
                                          "\"total_tokens\":4}}\n\n" DONE,
           "completion stream include_usage: zeroed usage on every chunk, "
           "then the real one");
    free(s);

    start(&r, PROXY_API_OAI_COMPLETIONS, 0);
    s = stream(&r,
               "{\"response\":\"x\",\"done\":true,\"done_reason\":"
               "\"length\"}\n",
               &rc);
    ok(strstr(s, "\"text\":\"x\",\"index\":0,\"finish_reason\":\"length\"") &&
           count(s, DONE) == 1,
       "completion stream: a last fragment with length");
    free(s);
}

static void
test_errors(void)
{
    char *s = error_body(404, "{\"error\":\"model 'foo' not found\"}");
    is_str(s,
           "{\"error\":{\"message\":\"model 'foo' not found\",\"type\":"
           "\"not_found_error\",\"param\":null,\"code\":null}}\n",
           "404: not_found_error, as Ollama's layer");
    free(s);
    s = error_body(400, "{\"error\":\"\\\"x\\\" does not support tools\"}");
    is_str(s,
           "{\"error\":{\"message\":\"\\\"x\\\" does not support tools\","
           "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"
           "\n",
           "400: invalid_request_error");
    free(s);
    s = error_body(503, "{\"error\":\"server busy, please try again.  "
                        "maximum pending requests exceeded\"}");
    ok(strstr(s, "\"type\":\"api_error\"") && strstr(s, "server busy"),
       "503: api_error");
    free(s);
    s = error_body(429, "{\"error\":{\"message\":\"slow down\","
                        "\"type\":\"x\"}}");
    is_str(s,
           "{\"error\":{\"message\":\"slow down\",\"type\":\"api_error\","
           "\"param\":null,\"code\":null}}\n",
           "an OpenAI-shaped body: its message, our type");
    free(s);
    s = error_body(500, "  upstream <failed>\n");
    is_str(s,
           "{\"error\":{\"message\":\"upstream \\u003cfailed\\u003e\","
           "\"type\":\"api_error\",\"param\":null,\"code\":null}}\n",
           "plain text: trimmed, escaped");
    free(s);
    s = error_body(404, "404 page not found");
    ok(strstr(s, "\"message\":\"404 page not found\"") != NULL,
       "text that starts like a number: the text");
    free(s);
    s = error_body(503, "");
    ok(strstr(s, "\"message\":\"Service Unavailable\"") != NULL,
       "empty body: the reason phrase");
    free(s);
    s = error_body(502, NULL);
    ok(strstr(s, "\"message\":\"Bad Gateway\"") != NULL, "no body at all");
    free(s);
    s = error_body(400, "{\"error\":");
    ok(strstr(s, "\"message\":\"{\\\"error\\\":\"") != NULL,
       "cut JSON: the text");
    free(s);

    /* A long body is cut, never inside a UTF-8 character. */
    char big[3000];
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        memcpy(big + i, "\xc3\xa9", 2); /* é */
    big[sizeof big - 2] = '\0';
    s = error_body(500, big);
    json_object *o = json_tokener_parse(s);
    const char *msg = json_object_get_string(
        json_object_object_get(json_object_object_get(o, "error"), "message"));
    ok(msg && strlen(msg) < 1024 && strlen(msg) % 2 == 0 &&
           strncmp(msg, "\xc3\xa9", 2) == 0,
       "long body: cut at a character boundary");
    json_object_put(o);
    free(s);
}

int
main(void)
{
    test_init();
    test_chat_body();
    test_completion_body();
    test_logprobs();
    test_embed_body();
    test_body_rejects();
    test_chat_stream();
    test_chat_stream_edges();
    test_stream_errors();
    test_stream_malformed();
    test_completion_stream();
    test_errors();
    return done_testing();
}
