/* The pieces shared by the whole-body and the streamed halves of the
 * native -> OpenAI answer conversion (openai_response.c, openai_chunk.c):
 * tolerant readers of the node's JSON, the chunk head, usage, tool calls,
 * finish_reason, error objects, and the writer that frames JSON as Go's
 * encoder does. Internal to the router core. */
#ifndef HERD_CORE_OPENAI_SHAPE_H
#define HERD_CORE_OPENAI_SHAPE_H

#include <event2/buffer.h>
#include <json-c/json.h>
#include <stdint.h>

#include "openai_response.h"

/* Readers: NULL, or 0, when the key is missing or of another type, so a
 * malformed native object degrades instead of crashing. */
json_object *openai_jget(const json_object *o, const char *key);
json_object *openai_jobject(const json_object *o, const char *key);
const char *openai_jstr(const json_object *o, const char *key);
/* A token count: >= 0, at most INT64_MAX / 2. */
int64_t openai_jcount(const json_object *o, const char *key);
int openai_jtrue(const json_object *o, const char *key);

/* Adds v under key; v is consumed either way. Returns 0, or -1 when v is
 * NULL (an allocation failed before) or the add fails, so a chain of adds
 * can be or-ed into one error flag. */
int openai_put(json_object *o, const char *key, json_object *v);

/* A string member (text may be NULL: "") and an explicit null member. */
int openai_put_str(json_object *o, const char *key, const char *text);
int openai_put_null(json_object *o, const char *key);

/* Remembers the model the node names in native, if any, in r->model. */
void openai_note_model(struct openai_reply *r, const json_object *native);

/* id, object, created, in that order. */
int openai_put_head(json_object *o, const struct openai_reply *r,
                    const char *object);
/* model, system_fingerprint (Ollama's layer always sends fp_ollama). */
int openai_put_model(json_object *o, const struct openai_reply *r);

/* {"prompt_tokens","completion_tokens","total_tokens"} from the native
 * prompt_eval_count and eval_count (0 when absent). */
json_object *openai_usage(const json_object *native);
json_object *openai_usage_of(int64_t prompt, int64_t completion);

/* A native tool call -> {"id","index","type":"function","function":{
 * "name","arguments":"<JSON text>"}}. index is the call's position in
 * the response; the id is the node's, or one derived from r->id and
 * index when the node sent none. */
json_object *openai_tool_call(const struct openai_reply *r,
                              const json_object *call, int index);

/* The native message's tool_calls (entries that are not objects are
 * skipped) -> a new array of OpenAI tool calls in *calls, numbered from
 * first; *calls is NULL when there are none. Returns how many, or
 * -ENOMEM. */
int openai_tool_calls(const struct openai_reply *r, const json_object *msg,
                      int first, json_object **calls);

/* Whether native carries token logprobs (a non-empty array). */
int openai_has_logprobs(const json_object *native);

/* Adds "logprobs":{"content":[...]} to an OpenAI choice when native
 * carries them (Ollama's entries already have OpenAI's shape: token,
 * logprob, bytes, top_logprobs); nothing otherwise. Returns 0 or -1. */
int openai_put_logprobs(json_object *choice, const json_object *native);

/* The same for /v1/completions, in its legacy shape: "logprobs":
 * {"tokens":[...],"token_logprobs":[...],"top_logprobs":[{token:logprob,
 * ...} or null],"text_offset":[...]}. *offset is the byte offset in the
 * answer's text of the first token, advanced past the last, so that a
 * stream's offsets go on from chunk to chunk. Returns 0 or -1. */
int openai_put_completion_logprobs(json_object *choice,
                                   const json_object *native, size_t *offset);

/* [choice], OpenAI's list of one; NULL (choice consumed) on failure. */
json_object *openai_one_choice(json_object *choice);

/* "length" when the node ran out of tokens, else "tool_calls" when tool
 * calls were sent, else "stop". */
const char *openai_finish_reason(const json_object *native, int tool_calls);

/* {"error":{"message","type","param":null,"code":null}}. */
json_object *openai_error_object(const char *message, const char *type);

/* The OpenAI error type Ollama's layer gives an HTTP status. */
const char *openai_error_type(int status);

/* Appends the compact JSON text of o to out, with <, > and & escaped as
 * Go does. Returns 0 or -ENOMEM. */
int openai_write_json(struct evbuffer *out, const json_object *o);

/* Appends "data: <o>\n\n". Returns 0 or -ENOMEM. */
int openai_write_event(struct evbuffer *out, const json_object *o);

/* Appends the whole-body form: o's JSON text and "\n", as Ollama's
 * OpenAI layer ends its bodies. out is unchanged on failure. Returns 0 or
 * -ENOMEM. */
int openai_write_body(struct evbuffer *out, const json_object *o);

/* /api/embed's answer -> /v1/embeddings' (openai_embed.c), as
 * openai_reply_body. */
int openai_embed_body(struct openai_reply *r, const json_object *native,
                      struct evbuffer *out);

#endif
