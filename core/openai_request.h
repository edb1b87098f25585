/* An OpenAI request body rewritten for the Ollama native API that serves
 * it, so that every node is spoken to in one dialect and the router's own
 * body rules (keep_alive, context protection, thinking budget) apply to
 * OpenAI clients too: /v1/chat/completions -> /api/chat,
 * /v1/completions -> /api/generate, /v1/embeddings -> /api/embed.
 * Nothing the client sent is lost: messages (image parts as data: URIs
 * become base64 "images"; http(s) URLs must have been fetched before, see
 * image_fetch.h), tools, tool_choice, assistant tool_calls (arguments
 * given as JSON text become objects), tool results, stop, seed, top_p,
 * temperature (unset stays unset), frequency/presence penalties,
 * max_tokens / max_completion_tokens -> options.num_predict,
 * response_format -> format, reasoning / reasoning_effort -> think,
 * stream. The router's extras (fallback_models, metadata, user) are not
 * copied: request.h reads them from the client's body. Pure functions,
 * any thread. */
#ifndef HERD_CORE_OPENAI_REQUEST_H
#define HERD_CORE_OPENAI_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>

#include "proxy.h"

/* The native API serving an OpenAI one (PROXY_API_OAI_CHAT ->
 * PROXY_API_CHAT, ..._COMPLETIONS -> _GENERATE, ..._EMBEDDINGS -> _EMBED);
 * a native API is returned unchanged. */
enum proxy_api openai_native_api(enum proxy_api api);

/* A new native body for body, a request of the OpenAI api (the caller
 * owns it: json_object_put), or NULL with a message for a 400 in err
 * (wrong types, an image part that is not a data: URI of an image, a
 * tool call whose arguments are not a JSON object) or for memory. */
json_object *openai_request_to_native(const json_object *body,
                                      enum proxy_api api, char *err,
                                      size_t errlen);

#endif
