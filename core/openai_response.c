/* Whole native answers and native errors rewritten as OpenAI bodies, in
 * the field order of Ollama's own OpenAI layer. The streamed half is
 * openai_chunk.c, embeddings openai_embed.c. */
#include "autoconfig.h"

#include "openai_response.h"

#include "common/http_util.h"
#include "common/json_scan.h"
#include "openai_shape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
openai_reply_init(struct openai_reply *r, enum proxy_api api, const char *model,
                  const char *request_id, int include_usage)
{
    memset(r, 0, sizeof *r);
    r->api = api;
    snprintf(r->id, sizeof r->id, "%s-%s",
             api == PROXY_API_OAI_CHAT ? "chatcmpl" : "cmpl",
             request_id && *request_id ? request_id : "0");
    r->created = (int64_t)time(NULL);
    snprintf(r->model, sizeof r->model, "%s", model ? model : "");
    r->include_usage = include_usage;
}

static int
chat_body(struct openai_reply *r, const json_object *native,
          struct evbuffer *out)
{
    json_object *msg = openai_jobject(native, "message");
    if (!msg)
        return -EINVAL;
    openai_note_model(r, native);
    json_object *calls = NULL;
    int err = openai_tool_calls(r, msg, 0, &calls) < 0;
    const char *thinking = openai_jstr(msg, "thinking");
    json_object *m = json_object_new_object();
    err |= openai_put_str(m, "role", "assistant");
    err |= openai_put_str(m, "content", openai_jstr(msg, "content"));
    if (thinking && *thinking)
        err |= openai_put_str(m, "reasoning", thinking);
    const char *why = openai_finish_reason(native, calls != NULL);
    if (calls)
        err |= openai_put(m, "tool_calls", calls);
    json_object *choice = json_object_new_object();
    err |= openai_put(choice, "index", json_object_new_int(0));
    err |= openai_put(choice, "message", m);
    err |= openai_put_str(choice, "finish_reason", why);
    err |= openai_put_logprobs(choice, native);
    json_object *o = json_object_new_object();
    err |= openai_put_head(o, r, "chat.completion");
    err |= openai_put_model(o, r);
    err |= openai_put(o, "choices", openai_one_choice(choice));
    err |= openai_put(o, "usage", openai_usage(native));
    int rc = err ? -ENOMEM : openai_write_body(out, o);
    json_object_put(o);
    return rc;
}

static int
completion_body(struct openai_reply *r, const json_object *native,
                struct evbuffer *out)
{
    const char *text = openai_jstr(native, "response");
    if (!text)
        return -EINVAL;
    openai_note_model(r, native);
    json_object *choice = json_object_new_object();
    int err = openai_put_str(choice, "text", text);
    err |= openai_put(choice, "index", json_object_new_int(0));
    err |= openai_put_str(choice, "finish_reason",
                          openai_finish_reason(native, 0));
    size_t offset = 0;
    err |= openai_put_completion_logprobs(choice, native, &offset);
    json_object *o = json_object_new_object();
    err |= openai_put_head(o, r, "text_completion");
    err |= openai_put_model(o, r);
    err |= openai_put(o, "choices", openai_one_choice(choice));
    err |= openai_put(o, "usage", openai_usage(native));
    int rc = err ? -ENOMEM : openai_write_body(out, o);
    json_object_put(o);
    return rc;
}

int
openai_reply_body(struct openai_reply *r, const json_object *native,
                  struct evbuffer *out)
{
    if (!native ||
        !json_object_is_type((json_object *)native, json_type_object))
        return -EINVAL;
    switch (r->api) {
    case PROXY_API_OAI_CHAT:
        return chat_body(r, native, out);
    case PROXY_API_OAI_COMPLETIONS:
        return completion_body(r, native, out);
    case PROXY_API_OAI_EMBEDDINGS:
        return openai_embed_body(r, native, out);
    default:
        return -EINVAL;
    }
}

/* The longest error message passed on; a node's HTML error page or a
 * stack dump is cut here, at a UTF-8 character boundary. */
#define OPENAI_ERROR_MESSAGE_MAX 1024

/* The message a native error body carries: {"error":"..."}, an
 * already OpenAI-shaped {"error":{"message":...}}, or the text itself
 * (trimmed). Written into buf; "" when there is none. */
static void
native_error_message(const char *body, size_t len, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!body || len == 0)
        return;
    json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEPTH);
    json_object *o = tok && len <= INT32_MAX
                         ? json_tokener_parse_ex(tok, body, (int)len)
                         : NULL;
    if (o && json_tokener_get_error(tok) == json_tokener_success) {
        const char *msg = openai_jstr(o, "error");
        if (!msg)
            msg = openai_jstr(openai_jobject(o, "error"), "message");
        if (msg)
            snprintf(buf, size, "%s", msg);
    }
    json_object_put(o);
    if (tok)
        json_tokener_free(tok);
    if (buf[0])
        return;
    while (len > 0 && isspace((unsigned char)*body))
        body++, len--;
    while (len > 0 && isspace((unsigned char)body[len - 1]))
        len--;
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)body[len] & 0xc0) == 0x80)
            len--; /* do not split a multi-byte character */
    }
    memcpy(buf, body, len);
    buf[len] = '\0';
}

void
openai_reply_error(int status, const char *native_body, size_t len,
                   struct evbuffer *out)
{
    char msg[OPENAI_ERROR_MESSAGE_MAX];
    native_error_message(native_body, len, msg, sizeof msg);
    if (!msg[0])
        snprintf(msg, sizeof msg, "%s", http_reason(status));
    json_object *o = openai_error_object(msg, openai_error_type(status));
    if (!o || openai_write_body(out, o) != 0)
        evbuffer_add_printf(out, "{\"error\":{\"message\":\"out of memory\","
                                 "\"type\":\"api_error\",\"param\":null,"
                                 "\"code\":null}}\n");
    json_object_put(o);
}
