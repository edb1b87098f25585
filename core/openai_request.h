/* An OpenAI request body rewritten for the Ollama native API that serves
 * it, so that every node is spoken to in one dialect and the router's own
 * body rules (keep_alive, context protection, thinking budget) apply to
 * OpenAI clients too: /v1/chat/completions -> /api/chat,
 * /v1/completions -> /api/generate, /v1/embeddings -> /api/embed.
 * What the client asked for is kept: messages (text parts joined by line
 * breaks; image parts as data: URIs become base64 "images", http(s) URLs
 * must have been fetched before, see image_fetch.h), tools (dropped when
 * tool_choice is "none": Ollama has no tool_choice), assistant tool_calls
 * (arguments given as JSON text become objects), tool results (tool_name
 * found from the call they answer), reasoning -> thinking, stop, seed,
 * top_p, temperature (unset stays unset), frequency/presence penalties,
 * max_tokens / max_completion_tokens -> options.num_predict,
 * response_format -> format, reasoning_effort / reasoning.effort -> think,
 * logprobs, stream (always written: the defaults differ), and the Ollama
 * extensions options, keep_alive, format, think. Left out: what Ollama
 * cannot do (n, best_of, logit_bias, parallel_tool_calls) and what the
 * caller reads from the client's body itself: the router's extras
 * (fallback_models, metadata, user; request.h), stream_options and the
 * embeddings' encoding_format (openai_response.h). Pure functions, any
 * thread. */
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
 * naming the field ("messages[2].content: expected a string or an array
 * of parts"): wrong types, an image part that is not a data: URI of an
 * image, a tool call whose arguments are not a JSON object, token arrays,
 * several prompts, echo, an unknown reasoning effort or encoding_format;
 * or, rarely, "out of memory ...". */
json_object *openai_request_to_native(const json_object *body,
                                      enum proxy_api api, char *err,
                                      size_t errlen);

#endif
