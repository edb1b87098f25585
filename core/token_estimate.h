/* Token estimate of a request, for scoring and context protection: about
 * four characters per token, 16 characters of overhead per message and 150
 * tokens per image (the reference's §3.7 rule). Cheap and allocation-free:
 * it runs on the loop for every request. */
#ifndef HERD_CORE_TOKEN_ESTIMATE_H
#define HERD_CORE_TOKEN_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "request_body.h"

#define TOKEN_ESTIMATE_CHARS_PER_TOKEN 4
#define TOKEN_ESTIMATE_MESSAGE_CHARS 16
#define TOKEN_ESTIMATE_IMAGE_TOKENS 150

struct token_estimate {
    uint64_t chars;  /* text characters counted, overhead included */
    uint32_t images; /* images counted */
    uint32_t tokens; /* chars / 4 + 150 x images, at least 1 */
};

/* Estimates a chat body (Ollama or OpenAI: "messages"), a generate or
 * completion body ("prompt", "system", "images") or an embedding body
 * ("input" string or array, "prompt"), from the body's text as
 * request_body_read found it. Anything of an unexpected type counts as
 * nothing. */
void token_estimate_body(const struct request_body *body,
                         struct token_estimate *out);

/* Estimates the text of a "messages" array alone (valid JSON). */
void token_estimate_messages(const char *messages, size_t len,
                             struct token_estimate *out);

#endif
