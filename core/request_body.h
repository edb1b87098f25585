/* A client's request body read in place: checked to be one JSON object
 * and its top-level members the router looks at found in one walk, as
 * spans of the client's text. Building a json-c tree for this cost more
 * instructions than the rest of a request's way through the router. */
#ifndef HERD_CORE_REQUEST_BODY_H
#define HERD_CORE_REQUEST_BODY_H

#include <stddef.h>

/* A member's value as the client wrote it; s is NULL when the member is
 * absent. */
struct json_span {
    const char *s;
    size_t len;
};

/* Given twice, a member's last value counts (as json-c and Go read it);
 * an escaped key counts as its decoded self. */
struct request_body {
    const char *text;
    size_t len;
    struct json_span model, name, stream, fallback_models, metadata, user;
    struct json_span messages, prompt, system, images, input;
    struct json_span options, keep_alive;
};

/* Reads text (borrowed; the spans point into it). Returns 0, or -EINVAL
 * with a message for a 400 in err when the text is not one JSON object
 * (strict RFC 8259, nested at most JSON_SCAN_MAX_DEPTH deep). */
int request_body_read(struct request_body *b, const char *text, size_t len,
                      char *err, size_t errlen);

#endif
