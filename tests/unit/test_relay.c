/* The relay's inspection: end signals of each format, in-band errors,
 * token counts, lines split across chunks, the size bound, and the error
 * tails in both formats. */
#include "autoconfig.h"

#include "relay.h"
#include "tap.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

/* Feeds text in pieces of n bytes; returns what came out. */
static char *
feed(struct relay *r, const char *text, size_t n, char *out, size_t outlen)
{
    struct evbuffer *in = evbuffer_new(), *o = evbuffer_new();
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i += n) {
        evbuffer_add(in, text + i, len - i < n ? len - i : n);
        relay_feed(r, in, o);
    }
    relay_end(r);
    size_t got = evbuffer_copyout(o, out, outlen - 1);
    out[got] = '\0';
    evbuffer_free(in);
    evbuffer_free(o);
    return out;
}

static int objects;

static void
count_object(void *arg, json_object *o)
{
    (void)arg;
    (void)o;
    objects++;
}

int
main(void)
{
    struct relay r = {0};
    char out[1024];
    const char *nd = "{\"response\":\"a\",\"done\":false}\n"
                     "{\"response\":\"\",\"done\":true,\"done_reason\":"
                     "\"stop\",\"load_duration\":2500000000,"
                     "\"prompt_eval_count\":3,\"eval_count\":5}\n";

    relay_init(&r, RELAY_NDJSON, 4096);
    is_str(feed(&r, nd, 7, out, sizeof out), nd,
           "NDJSON passes through unchanged in 7-byte pieces");
    ok(r.done && !r.error, "done:true seen across split lines");
    ok(r.prompt_tokens == 3 && r.completion_tokens == 5, "token counts");
    is_str(r.done_reason, "stop", "done_reason");
    ok(r.load_ns == 2500000000LL, "load_duration of the final line");
    relay_clear(&r);

    relay_init(&r, RELAY_NDJSON, 4096);
    feed(&r, "{\"response\":\"a\",\"done\":false}\n", 100, out, sizeof out);
    ok(!r.done, "a stream without its final line is not done");
    ok(r.load_ns == -1, "and its load_duration is unknown");
    relay_clear(&r);

    relay_init(&r, RELAY_NDJSON, 4096);
    feed(&r, "{\"done\":false}\n{\"error\":\"model crashed\"}\n", 5, out,
         sizeof out);
    ok(r.error && strcmp(r.error_msg, "model crashed") == 0,
       "an in-band error line is noticed");
    relay_clear(&r);

    relay_init(&r, RELAY_SSE, 4096);
    feed(&r,
         "data: {\"choices\":[]}\r\n\r\ndata: {\"choices\":[],\"usage\":{"
         "\"prompt_tokens\":2,\"completion_tokens\":4}}\n\ndata: [DONE]\n\n",
         9, out, sizeof out);
    ok(r.done, "SSE: [DONE] is the end signal (CRLF tolerated)");
    ok(r.prompt_tokens == 2 && r.completion_tokens == 4, "SSE: usage read");
    relay_clear(&r);

    relay_init(&r, RELAY_SSE, 4096);
    feed(&r, "data: {\"error\":{\"message\":\"boom\",\"type\":\"x\"}}\n\n", 3,
         out, sizeof out);
    ok(r.error && !r.done && strcmp(r.error_msg, "boom") == 0,
       "SSE: an error event is noticed");
    relay_clear(&r);

    relay_init(&r, RELAY_JSON, 4096);
    feed(&r, "{\"embeddings\":[[1,2]],\"load_duration\":1200000}", 4, out,
         sizeof out);
    ok(r.done, "JSON: an embeddings body is complete");
    ok(r.load_ns == 1200000, "JSON: the body's load_duration");
    relay_clear(&r);
    relay_init(&r, RELAY_JSON, 4096);
    feed(&r, "{\"message\":{},\"done\":tr", 4, out, sizeof out);
    ok(!r.done, "JSON: a cut body is not complete");
    ok(r.body == NULL, "JSON: nothing kept unless asked");
    relay_clear(&r);
    relay_init(&r, RELAY_JSON, 4096);
    feed(&r, "{\"done\":true,\"eval_count\":5,\"load_duration\":7", 4, out,
         sizeof out);
    ok(!r.done && r.completion_tokens == -1 && r.load_ns == -1,
       "JSON: a body cut inside a number is not complete, and tells nothing");
    relay_clear(&r);
    relay_init(&r, RELAY_NDJSON, 4096);
    feed(&r,
         "{\"done\":true,\"eval_count\":5} x\n[1,2]\n{\"error\":\"e\"}}\n"
         "{\"done\":false,\"load_duration\":\"7\",\"x\":1e999}\n",
         3, out, sizeof out);
    ok(!r.done && !r.error && r.completion_tokens == -1,
       "NDJSON: lines with trailing bytes tell nothing");
    is_int(r.bad_lines, 2, "two bad lines (the array and the last are JSON)");
    ok(r.load_ns == -1, "a load_duration that is not a number is unknown");
    relay_clear(&r);
    relay_init(&r, RELAY_NDJSON, 4096);
    feed(&r,
         "{\"error\":{\"message\":\"out of \\\"memory\\\"\",\"code\":1}}\n",
         2, out, sizeof out);
    is_str(r.error_msg, "out of \"memory\"",
           "an error object's message, unescaped");
    relay_clear(&r);

    relay_init(&r, RELAY_NDJSON, 4096);
    r.on_object = count_object;
    feed(&r, "{\"a\":1}\nnot json\n{\"done\":true}\n", 100, out, sizeof out);
    ok(objects == 1 && r.bad_lines == 1 && !r.done,
       "converted: nothing after a line that is not JSON, even in one read");
    relay_clear(&r);

    relay_init(&r, RELAY_JSON, 4096);
    r.keep_body = 1;
    feed(&r, "{\"response\":\"hi\",\"done\":true}", 4, out, sizeof out);
    ok(r.body && strcmp(json_object_get_string(json_object_object_get(
                            r.body, "response")),
                        "hi") == 0,
       "JSON with keep_body: the parsed answer is kept for the caller");
    relay_clear(&r);
    ok(r.body == NULL, "and released by relay_clear");

    /* a relay used for another answer: relay_reset keeps its buffer, and
     * the next relay_init takes it, with nothing of the answer before
     * (the start of a line included) */
    relay_init(&r, RELAY_JSON, 4096);
    r.keep_body = 1;
    feed(&r, "{\"done\":true,\"eval_count\":7}", 4, out, sizeof out);
    struct evbuffer *kept = r.pending;
    relay_reset(&r);
    ok(!r.pending && r.spare == kept && !r.body && !r.tok,
       "relay_reset: the answer released, its buffer kept, the relay idle");
    relay_init(&r, RELAY_NDJSON, 4096);
    ok(r.pending == kept && !r.spare, "relay_init takes the kept buffer");
    ok(!r.done && r.completion_tokens == -1 && !r.keep_body,
       "and starts from nothing");
    struct evbuffer *piece = evbuffer_new();
    evbuffer_add_printf(piece, "{\"response\":");
    relay_feed(&r, piece, NULL);
    relay_reset(&r);
    relay_init(&r, RELAY_NDJSON, 4096);
    evbuffer_add_printf(piece, "{\"done\":true,\"eval_count\":2}\n");
    relay_feed(&r, piece, NULL);
    ok(r.done && r.completion_tokens == 2 && r.bad_lines == 0,
       "a line cut short before relay_reset is not glued to the next");
    evbuffer_free(piece);
    relay_clear(&r);
    ok(!r.pending && !r.spare, "relay_clear frees the buffer");
    relay_reset(&r);
    relay_clear(&r);
    ok(!r.pending && !r.spare, "either again on an idle relay: nothing");

    relay_init(&r, RELAY_NDJSON, 16);
    struct evbuffer *in = evbuffer_new(), *o = evbuffer_new();
    evbuffer_add_printf(in, "{\"response\":\"%s", "0123456789abcdef");
    is_int(relay_feed(&r, in, o), -E2BIG,
           "a line that outgrows max_bytes unfinished is reported");
    is_int((int)evbuffer_get_length(o), 29, "but its bytes still pass");
    evbuffer_free(in);
    evbuffer_free(o);
    relay_clear(&r);
    /* one read with many short lines: each fits, their sum need not */
    relay_init(&r, RELAY_NDJSON, 16);
    in = evbuffer_new();
    evbuffer_add_printf(in, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"done\":true}\n");
    is_int(relay_feed(&r, in, NULL), 0,
           "many short lines in one read are no over-long line");
    ok(r.done && r.bad_lines == 0, "and every one is inspected");
    evbuffer_free(in);
    relay_clear(&r);

    struct evbuffer *t = evbuffer_new();
    relay_error_tail(RELAY_NDJSON, 0, "node x \"failed\"", t);
    size_t n = evbuffer_copyout(t, out, sizeof out - 1);
    out[n] = '\0';
    is_str(out, "{\"error\":\"node x \\\"failed\\\"\"}\n",
           "NDJSON error tail, JSON-escaped");
    evbuffer_drain(t, n);
    relay_error_tail(RELAY_SSE, 0, "gone", t);
    n = evbuffer_copyout(t, out, sizeof out - 1);
    out[n] = '\0';
    is_str(out,
           "data: {\"error\":{\"message\":\"gone\",\"type\":\"api_error\","
           "\"param\":null,\"code\":null}}\n\n",
           "SSE error event in OpenAI's shape");
    evbuffer_drain(t, n);

    /* a stream cut inside a line: the error starts a line of its own */
    struct relay m = {0};
    relay_init(&m, RELAY_NDJSON, 1024);
    struct evbuffer *half = evbuffer_new(), *client = evbuffer_new();
    evbuffer_add_printf(half, "{\"response\":\"a\"}\n{\"resp");
    relay_feed(&m, half, client);
    ok(m.mid_line, "a feed that ends inside a line is marked");
    relay_error_tail(RELAY_NDJSON, m.mid_line, "cut", client);
    n = evbuffer_copyout(client, out, sizeof out - 1);
    out[n] = '\0';
    is_str(out, "{\"response\":\"a\"}\n{\"resp\n{\"error\":\"cut\"}\n",
           "the error line after a newline of its own");
    evbuffer_add_printf(half, "onse\":\"b\"}\n");
    relay_feed(&m, half, client);
    ok(!m.mid_line, "a feed that ends a line is not");
    relay_clear(&m);
    evbuffer_free(half);
    evbuffer_free(client);
    evbuffer_free(t);
    return done_testing();
}
