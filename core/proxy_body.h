/* The body sent upstream for one attempt: the client's body with the
 * chosen model, without the router's own extras (fallback_models,
 * metadata), with keep_alive defaulted, context protection applied
 * against the serving node and the thinking budget raised. */
#ifndef HERD_CORE_PROXY_BODY_H
#define HERD_CORE_PROXY_BODY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "proxy.h"
#include "request_body.h"

/* What the router does to a body, from [router] (context_protection,
 * keep_alive, thinking_overhead, thinking_min_predict). */
struct proxy_body_opts {
    int context_protection;        /* enum config_context_protection */
    double keep_alive;             /* s added when none is set; -1 forever */
    double thinking_overhead;      /* num_predict factor, thinking models */
    unsigned thinking_min_predict; /* their least num_predict */
};

/* What context protection did with the client's num_ctx. */
enum proxy_ctx_result {
    PROXY_CTX_NONE = 0, /* none set, loaded context unknown, or passthrough */
    PROXY_CTX_STRIPPED, /* covered by the loaded context: removed */
    PROXY_CTX_KEPT,     /* covered, kept (warn) */
    PROXY_CTX_OVERFLOW  /* larger than the loaded context: kept */
};

/* Checks the members the API needs (types, presence) in the client's
 * body. Returns 0 or -EINVAL with a message for a 400. */
int proxy_body_check(const struct request_body *body, enum proxy_api api,
                     char *err, size_t errlen);

/* A new JSON text for the attempt (free() it), or NULL when memory runs
 * out. body: a tree of what goes upstream, or NULL for a native request,
 * whose client's text is read in place (a tree is built from it only
 * when the text cannot be copied member by member). text: the client's
 * own text, or NULL when body is not what the client sent; with it, the
 * client's members are copied as written unless options must change.
 * loaded_ctx: the model's context on the serving node (0 unknown); *ctx
 * tells what context protection did. */
char *proxy_body_build(const json_object *body, const char *text,
                       size_t text_len, enum proxy_api api, const char *model,
                       unsigned loaded_ctx, const struct proxy_body_opts *o,
                       enum proxy_ctx_result *ctx, size_t *len);

/* A thinking model by name (the reference's list). */
int proxy_body_is_thinking(const char *model);

/* num_ctx of the text of an options object as Ollama reads it: an
 * integer, or a number with a fraction truncated toward zero. Returns 1
 * with *out set, 0 when there is none or it is not a number. */
int proxy_body_num_ctx(const char *opts, size_t len, int64_t *out);

/* The client's options.num_ctx, 0 when not set (or not a count). */
uint32_t proxy_body_ctx_asked(const struct request_body *body);

/* For a context upgrade: a new tree of body (or of text when body is
 * NULL) with options.num_ctx set, or NULL when it has no options object
 * (or memory runs out). */
json_object *proxy_body_with_ctx(const json_object *body, const char *text,
                                 size_t text_len, unsigned num_ctx);

#endif
