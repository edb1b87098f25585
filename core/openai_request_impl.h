/* Inside the OpenAI -> native request conversion (openai_request.h):
 * what its files share. openai_request.c has the entry point, the
 * per-API fields and the helpers below; openai_messages.c the chat
 * messages; openai_content.c their content parts; openai_options.c the
 * generation settings. Each function returns 0, -EINVAL with a message
 * for a 400 in err (naming the field: "messages[2].content: ..."), or
 * -ENOMEM. Pure, any thread. */
#ifndef HERD_CORE_OPENAI_REQUEST_IMPL_H
#define HERD_CORE_OPENAI_REQUEST_IMPL_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy.h"

/* OpenAI chat messages -> a new array of native messages in *out. */
int openai_messages_to_native(const json_object *messages, json_object **out,
                              char *err, size_t errlen);

/* Message i's content given as an array of parts -> msg's native
 * "content" (the text parts joined) and "images" (when there are any). */
int openai_content_to_native(const json_object *parts, size_t i,
                             json_object *msg, char *err, size_t errlen);

/* stream, format, think, options and logprobs of a chat or completion
 * request (api) into native. */
int openai_generation_to_native(const json_object *body, enum proxy_api api,
                                json_object *native, char *err, size_t errlen);

/* native.options: the client's own options, with the OpenAI sampling
 * fields set over them when sampling; left out when empty. */
int openai_options_to_native(const json_object *body, int sampling,
                             json_object *native, char *err, size_t errlen);

/* The member key of o, or NULL when it is absent or JSON null (both APIs
 * read null as "not set"); o may be NULL or not an object. */
json_object *oai_req_member(const json_object *o, const char *key);

/* v is there and of type t. */
static inline int
oai_req_is(const json_object *v, json_type t)
{
    return v && json_object_is_type(v, t);
}

/* A finite JSON number. */
int oai_req_is_number(const json_object *v);

/* An integer in *out, also when written as 3.0 (JSON has one number
 * type); 0 when v is none. */
int oai_req_integer(const json_object *v, int64_t *out);

/* Adds v as o[key] (replacing one there); v NULL means an allocation
 * failed. Returns 0 or -ENOMEM, and v is released on failure. */
int oai_req_put(json_object *o, const char *key, json_object *v);

/* A deep copy of v added as o[key]; 0 or -ENOMEM. */
int oai_req_put_copy(json_object *o, const char *key, const json_object *v);

/* Writes the message to err and returns -EINVAL. */
int oai_req_invalid(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
