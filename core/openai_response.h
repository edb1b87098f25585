/* Ollama native answers rewritten as OpenAI ones, the other half of
 * openai_request.h: /api/chat -> chat.completion(.chunk), /api/generate
 * -> text_completion, /api/embed -> an embedding list, native errors ->
 * OpenAI error objects. Streams keep OpenAI's order: one id for every
 * chunk of a response, `created` fixed at the start, the role delta
 * first, content, reasoning and tool_calls deltas as they come, a last
 * chunk with finish_reason (stop, length, tool_calls), a usage chunk when
 * stream_options.include_usage asked for it, then data: [DONE]. Loop
 * thread or any single thread per reply. */
#ifndef HERD_CORE_OPENAI_RESPONSE_H
#define HERD_CORE_OPENAI_RESPONSE_H

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy.h"

#define OPENAI_ID_MAX 64
#define OPENAI_MODEL_MAX 256

/* The state of one answer being converted. */
struct openai_reply {
    enum proxy_api api; /* PROXY_API_OAI_CHAT / _COMPLETIONS / _EMBEDDINGS */
    char id[OPENAI_ID_MAX]; /* chatcmpl-... or cmpl-..., one per response */
    int64_t created;        /* s since the epoch, fixed at init */
    /* The model the answer names: the one given at init until a native
     * object names one (then that one, for the rest of the answer). */
    char model[OPENAI_MODEL_MAX];
    int include_usage; /* stream_options.include_usage */
    /* /v1/embeddings' encoding_format was "base64" (the caller sets this
     * after init): vectors go out as base64 of little-endian float32. */
    int base64;
    /* stream progress */
    int role_sent;  /* the first chunk went out */
    int tool_calls; /* tool calls streamed so far */
    size_t text_offset; /* completions: bytes of logprob tokens so far */
    /* The stream is over ([DONE] or an error event written); later
     * objects are ignored. */
    int finished;
    int errored; /* it ended with an error event, without [DONE] */
};

/* Sets up r for one answer. model: the model that serves (used when the
 * node's objects carry none); request_id: the router's id, from which
 * the OpenAI id is made (chatcmpl-<request_id> / cmpl-<request_id>);
 * include_usage: the client's stream_options.include_usage. */
void openai_reply_init(struct openai_reply *r, enum proxy_api api,
                       const char *model, const char *request_id,
                       int include_usage);

/* Streaming: one parsed native NDJSON object -> zero or more SSE events
 * appended to out ("data: {...}\n\n"). The object with done:true also
 * writes the finish chunk, the usage chunk when asked and
 * "data: [DONE]\n\n". An in-band {"error":...} becomes an SSE error event
 * in OpenAI's shape (data: {"error":{...,"type":"api_error"}}) and ends
 * the stream without [DONE]. Objects that are not native answers (not
 * an object, a chat line without message) add no content; nothing is
 * written once the stream is finished. Returns 0, -EINVAL for an api
 * that does not stream (embeddings), or -ENOMEM (out and r unchanged). */
int openai_reply_stream(struct openai_reply *r, const json_object *native,
                        struct evbuffer *out);

/* Not streamed: the whole native answer (one object) -> the OpenAI body,
 * as JSON text and "\n" (as Ollama's layer ends it) appended to out.
 * Returns 0, -EINVAL when native is not an answer of the api (chat: no
 * message object; generate: no response string; embed: embeddings not
 * an array of number arrays), or -ENOMEM; out is unchanged on failure. */
int openai_reply_body(struct openai_reply *r, const json_object *native,
                      struct evbuffer *out);

/* A native error body ({"error":"..."}, or any text) of an upstream
 * answer with this HTTP status -> an OpenAI error body
 * ({"error":{"message","type","param":null,"code":null}} and "\n")
 * appended to out. type as Ollama's layer gives it: 400
 * invalid_request_error, 404 not_found_error, anything else api_error.
 * An empty body is described by the status's reason phrase. */
void openai_reply_error(int status, const char *native_body, size_t len,
                        struct evbuffer *out);

#endif
