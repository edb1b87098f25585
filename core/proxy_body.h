/* The body sent upstream for one attempt: the client's body with the
 * chosen model, without the router's own extras (fallback_models,
 * metadata), with keep_alive defaulted, context protection applied
 * against the serving node and the thinking budget raised. */
#ifndef HERD_CORE_PROXY_BODY_H
#define HERD_CORE_PROXY_BODY_H

#include <json-c/json.h>
#include <stddef.h>

#include "proxy.h"

/* keep_alive added to native bodies that set none: the reference's -1
 * (models stay loaded). */
#define PROXY_KEEP_ALIVE_DEFAULT -1
#define PROXY_THINKING_FACTOR 4.0
#define PROXY_THINKING_MIN_PREDICT 1024

/* Checks the members the API needs (types, presence). Returns 0 or
 * -EINVAL with a message for a 400. */
int proxy_body_check(const json_object *body, enum proxy_api api, char *err,
                     size_t errlen);

/* A new JSON text for the attempt (free() it), or NULL when memory runs
 * out. loaded_ctx: the model's context on the serving node (0 unknown);
 * *overflow is set when the client's num_ctx exceeds it. */
char *proxy_body_build(const json_object *body, enum proxy_api api,
                       const char *model, unsigned loaded_ctx, int *overflow,
                       size_t *len);

/* A thinking model by name (the reference's list). */
int proxy_body_is_thinking(const char *model);

#endif
