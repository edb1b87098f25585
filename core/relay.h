/* Inspecting an upstream answer on its way to the client: the bytes pass
 * through unchanged, and the relay reads each complete line (NDJSON of
 * Ollama's native API, SSE of its OpenAI API) or the whole body (answers
 * that are not streamed) to learn whether the positive end signal came
 * (done:true, data: [DONE], a complete JSON answer), whether the node
 * reported an error inside the stream, the token counts and the time the
 * node spent loading the model. */
#ifndef HERD_CORE_RELAY_H
#define HERD_CORE_RELAY_H

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum relay_kind {
    RELAY_NDJSON, /* Ollama native stream */
    RELAY_SSE,    /* OpenAI stream */
    RELAY_JSON    /* one JSON body */
};

struct relay {
    enum relay_kind kind;
    struct evbuffer *pending; /* an incomplete line, or the JSON body */
    struct evbuffer *spare;   /* relay_reset's empty buffer, for relay_init */
    json_tokener *tok; /* for trees a caller wants; made on first use */
    unsigned bad_lines;       /* stream lines that were not JSON */
    int mid_line;             /* what went to out so far ends inside a line */
    size_t max_bytes;         /* longest line or body kept */
    int done;                 /* positive end signal seen */
    int error;                /* the node reported an error in-band */
    char error_msg[256];
    int64_t prompt_tokens, completion_tokens; /* -1 when unknown */
    int64_t load_ns; /* the answer's load_duration; -1 when unknown */
    char done_reason[32];
    /* When set (after relay_init), called with every JSON object of a
     * stream once inspected; the object is only borrowed for the call.
     * The router turns native lines into OpenAI events with it. Not
     * called again after a line that is not JSON (the stream ends). */
    void (*on_object)(void *arg, json_object *o);
    /* RELAY_JSON with keep_body set (after relay_init): the parsed
     * answer, owned by the relay until relay_clear, so that a caller
     * converting it does not parse it again. */
    int keep_body;
    json_object *body;
    void *on_object_arg;
};

/* r is zeroed, or was initialised before (cleared or not): an earlier
 * answer's state is released and its buffer taken again. Returns 0 or
 * -ENOMEM. max_bytes bounds what is kept for inspection. */
int relay_init(struct relay *r, enum relay_kind kind, size_t max_bytes);
/* Releases the answer's state, as relay_clear does, but keeps its buffer
 * (emptied) for the next relay_init. pending is NULL after either: the
 * relay is not in use. */
void relay_reset(struct relay *r);
/* Releases everything, the kept buffer included. */
void relay_clear(struct relay *r);

/* Inspects and moves every byte of in to out (out may be NULL: inspect
 * and drain). Returns 0, or -E2BIG when a line or body outgrows
 * max_bytes (the bytes still move). */
int relay_feed(struct relay *r, struct evbuffer *in, struct evbuffer *out);

/* The upstream answer ended: inspects what is left (a last line without
 * newline, the JSON body). */
void relay_end(struct relay *r);

/* Appends an error in the stream's own format: {"error":msg}\n for NDJSON,
 * an SSE data event with an OpenAI error object for SSE. mid_line: the
 * client's copy of the stream ends inside a line (relay.mid_line), which
 * the error must not be glued to. */
void relay_error_tail(enum relay_kind kind, int mid_line, const char *msg,
                      struct evbuffer *out);

#endif
