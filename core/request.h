/* What the router needs to know of an inference request before routing
 * it: the model (normalised), fallback models, tags, streaming and the
 * token estimate. The body itself stays the caller's. */
#ifndef HERD_CORE_REQUEST_H
#define HERD_CORE_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>

#include "request_body.h"
#include "token_estimate.h"

#define REQUEST_MODEL_MAX 256
#define REQUEST_MAX_FALLBACKS 8
#define REQUEST_MAX_TAGS 32
#define REQUEST_TAG_MAX 128

struct request_info {
    char model[REQUEST_MODEL_MAX]; /* normalised: always has a tag */
    /* as the client wrote it: what the node is sent, so that its answer
     * echoes the client's own string, as Ollama's does */
    char model_asked[REQUEST_MODEL_MAX];
    char fallbacks[REQUEST_MAX_FALLBACKS][REQUEST_MODEL_MAX];
    size_t fallback_count;
    char tags[REQUEST_MAX_TAGS][REQUEST_TAG_MAX]; /* de-duplicated */
    size_t tag_count;
    int stream;
    struct token_estimate estimate;
};

/* Writes name in the form nodes list it: without the default host
 * ("registry.ollama.ai/") and namespace ("library/"), with ":latest"
 * appended when it has no tag. Case is kept (the router matches names
 * without regard to case when no node lists the exact spelling). Returns 0, or
 * -EINVAL for an empty name, one with spaces or control characters, and
 * -ENAMETOOLONG when it does not fit. */
int request_normalise_model(const char *name, char *out, size_t outlen);

/* Reads model, fallback_models, metadata.tags, user and stream from the
 * body read by request_body_read (borrowed) and the X-Herd-Tags header
 * value (may be NULL). The model is "model" ("name" is also accepted when
 * model is absent, as Ollama does for /api/pull and /api/show).
 * stream_default applies when the body has no "stream". Returns 0, or
 * -EINVAL (-ENOMEM) with a message for a 400 in err. */
int request_parse(const struct request_body *body, const char *tags_header,
                  int stream_default, struct request_info *out, char *err,
                  size_t errlen);

/* The tags as a new JSON array of strings (NULL when there are none). */
json_object *request_tags_json(const struct request_info *ri);

#endif
