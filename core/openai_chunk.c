/* Native NDJSON objects rewritten as OpenAI SSE events, one object at a
 * time: chat.completion.chunk for /api/chat, text_completion chunks for
 * /api/generate, in the order and field order of Ollama's own layer. */
#include "autoconfig.h"

#include "openai_response.h"

#include "openai_shape.h"

#include <errno.h>

/* {"id",...,"choices":[{"index":0,"delta":delta,"finish_reason":why,
 * "logprobs"?}]} as one event, with the logprobs of native when it is
 * given; delta is consumed. */
static int
delta_event(struct openai_reply *r, json_object *delta, const char *why,
            const json_object *native, struct evbuffer *out)
{
    json_object *choice = json_object_new_object();
    int err = openai_put(choice, "index", json_object_new_int(0));
    err |= openai_put(choice, "delta", delta);
    err |= why ? openai_put_str(choice, "finish_reason", why)
               : openai_put_null(choice, "finish_reason");
    err |= openai_put_logprobs(choice, native);
    json_object *choices = openai_one_choice(choice);
    err |= !choices;
    json_object *o = json_object_new_object();
    err |= openai_put_head(o, r, "chat.completion.chunk");
    err |= openai_put_model(o, r);
    err |= openai_put(o, "choices", choices);
    int rc = err ? -ENOMEM : openai_write_event(out, o);
    json_object_put(o);
    return rc;
}

/* A new delta; the first one of the response names the role. */
static json_object *
new_delta(struct openai_reply *r)
{
    json_object *d = json_object_new_object();
    if (d && !r->role_sent) {
        if (openai_put_str(d, "role", "assistant") != 0) {
            json_object_put(d);
            return NULL;
        }
        r->role_sent = 1;
    }
    return d;
}

/* The chunk after the last one, with "choices":[] and the real usage. */
static int
usage_event(struct openai_reply *r, const char *object,
            const json_object *native, struct evbuffer *out)
{
    json_object *o = json_object_new_object();
    int err = openai_put_head(o, r, object);
    err |= openai_put_model(o, r);
    err |= openai_put(o, "choices", json_object_new_array());
    err |= openai_put(o, "usage", openai_usage(native));
    int rc = err ? -ENOMEM : openai_write_event(out, o);
    json_object_put(o);
    return rc;
}

static int
done_event(struct openai_reply *r, struct evbuffer *out)
{
    r->finished = 1;
    return evbuffer_add(out, "data: [DONE]\n\n", 14) != 0 ? -ENOMEM : 0;
}

/* Thinking first, as a reasoning-only delta, then content, tool calls
 * and logprobs together; a native line with none of them adds nothing. */
static int
chat_content_events(struct openai_reply *r, const json_object *native,
                    struct evbuffer *out)
{
    json_object *msg = openai_jobject(native, "message");
    const char *thinking = openai_jstr(msg, "thinking");
    const char *content = openai_jstr(msg, "content");
    if (thinking && *thinking) {
        json_object *d = new_delta(r);
        int err = openai_put_str(d, "content", "");
        err |= openai_put_str(d, "reasoning", thinking);
        if (err) {
            json_object_put(d);
            return -ENOMEM;
        }
        if (delta_event(r, d, NULL, NULL, out) != 0)
            return -ENOMEM;
    }
    json_object *calls = NULL;
    int n = openai_tool_calls(r, msg, r->tool_calls, &calls);
    if (n < 0)
        return -ENOMEM;
    if (n == 0 && !(content && *content) && !openai_has_logprobs(native))
        return 0;
    json_object *d = new_delta(r);
    int err = openai_put_str(d, "content", content);
    if (calls)
        err |= openai_put(d, "tool_calls", calls);
    if (err) {
        json_object_put(d);
        return -ENOMEM;
    }
    r->tool_calls += n;
    return delta_event(r, d, NULL, native, out);
}

static int
chat_events(struct openai_reply *r, const json_object *native,
            struct evbuffer *out)
{
    if (chat_content_events(r, native, out) != 0)
        return -ENOMEM;
    if (!openai_jtrue(native, "done"))
        return 0;
    if (!r->role_sent) { /* the stream always opens with the role */
        json_object *d = new_delta(r);
        if (openai_put_str(d, "content", "") != 0) {
            json_object_put(d);
            return -ENOMEM;
        }
        if (delta_event(r, d, NULL, NULL, out) != 0)
            return -ENOMEM;
    }
    const char *why = openai_finish_reason(native, r->tool_calls);
    if (delta_event(r, json_object_new_object(), why, NULL, out) != 0 ||
        (r->include_usage &&
         usage_event(r, "chat.completion.chunk", native, out) != 0))
        return -ENOMEM;
    return done_event(r, out);
}

/* Completions put choices before model, as Ollama's struct does, and
 * with include_usage every chunk carries a zeroed usage. */
static int
text_event(struct openai_reply *r, const json_object *native, const char *why,
           struct evbuffer *out)
{
    json_object *choice = json_object_new_object();
    int err = openai_put_str(choice, "text", openai_jstr(native, "response"));
    err |= openai_put(choice, "index", json_object_new_int(0));
    err |= why ? openai_put_str(choice, "finish_reason", why)
               : openai_put_null(choice, "finish_reason");
    err |= openai_put_completion_logprobs(choice, native, &r->text_offset);
    json_object *choices = openai_one_choice(choice);
    err |= !choices;
    json_object *o = json_object_new_object();
    err |= openai_put_head(o, r, "text_completion");
    err |= openai_put(o, "choices", choices);
    err |= openai_put_model(o, r);
    if (r->include_usage)
        err |= openai_put(o, "usage", openai_usage_of(0, 0));
    int rc = err ? -ENOMEM : openai_write_event(out, o);
    json_object_put(o);
    return rc;
}

static int
completion_events(struct openai_reply *r, const json_object *native,
                  struct evbuffer *out)
{
    const char *text = openai_jstr(native, "response");
    if (!openai_jtrue(native, "done"))
        return (text && *text) || openai_has_logprobs(native)
                   ? text_event(r, native, NULL, out)
                   : 0;
    if (text_event(r, native, openai_finish_reason(native, 0), out) != 0 ||
        (r->include_usage &&
         usage_event(r, "text_completion", native, out) != 0))
        return -ENOMEM;
    return done_event(r, out);
}

/* The node's in-band {"error":...}: an OpenAI error event, and the end
 * of the stream without [DONE], so a client sees it was cut short. */
static int
error_event(struct openai_reply *r, const json_object *native,
            struct evbuffer *out)
{
    const char *msg = openai_jstr(native, "error");
    if (!msg)
        msg = openai_jstr(openai_jobject(native, "error"), "message");
    json_object *o = openai_error_object(
        msg && *msg ? msg : "error reported by the node", "api_error");
    int rc = openai_write_event(out, o);
    json_object_put(o);
    r->finished = 1;
    r->errored = 1;
    return rc;
}

int
openai_reply_stream(struct openai_reply *r, const json_object *native,
                    struct evbuffer *out)
{
    if (r->api != PROXY_API_OAI_CHAT && r->api != PROXY_API_OAI_COMPLETIONS)
        return -EINVAL;
    if (r->finished || !native ||
        !json_object_is_type((json_object *)native, json_type_object))
        return 0;
    /* Events go to a side buffer first, so a failure leaves out and r
     * as they were. */
    struct evbuffer *tmp = evbuffer_new();
    if (!tmp)
        return -ENOMEM;
    struct openai_reply before = *r;
    json_object *err = openai_jget(native, "error");
    int rc;
    openai_note_model(r, native);
    if (err && !json_object_is_type(err, json_type_null))
        rc = error_event(r, native, tmp);
    else if (r->api == PROXY_API_OAI_CHAT)
        rc = chat_events(r, native, tmp);
    else
        rc = completion_events(r, native, tmp);
    if (rc == 0 && evbuffer_add_buffer(out, tmp) != 0)
        rc = -ENOMEM;
    if (rc != 0)
        *r = before;
    evbuffer_free(tmp);
    return rc;
}
