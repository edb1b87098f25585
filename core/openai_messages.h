/* The parts of the OpenAI -> native request conversion that
 * openai_request.c shares with openai_messages.c: chat messages, and the
 * small helpers both use. Internal to the core; pure, any thread. */
#ifndef HERD_CORE_OPENAI_MESSAGES_H
#define HERD_CORE_OPENAI_MESSAGES_H

#include <json-c/json.h>
#include <stddef.h>

/* OpenAI chat messages -> a new array of native messages in *out.
 * Returns 0, -EINVAL (err names the field: "messages[2].content: ...")
 * or -ENOMEM. */
int openai_messages_to_native(const json_object *messages, json_object **out,
                              char *err, size_t errlen);

/* The member key of o, or NULL when it is absent or JSON null (both APIs
 * read null as "not set"). */
json_object *openai_member(const json_object *o, const char *key);

/* Adds v as o[key] (replacing one there); v NULL means an allocation
 * failed. Returns 0 or -ENOMEM, and v is released on failure. */
int openai_put(json_object *o, const char *key, json_object *v);

/* A deep copy of v added as o[key]; 0 or -ENOMEM. */
int openai_put_copy(json_object *o, const char *key, const json_object *v);

/* Writes the message to err and returns -EINVAL, for a 400. */
int openai_invalid(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
