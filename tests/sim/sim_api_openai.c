/* The OpenAI-compatible layer: /v1/chat/completions, /v1/completions,
 * /v1/embeddings and /v1/models, with SSE framing as Ollama sends it. */
#include "autoconfig.h"

#include "sim.h"
#include "sim_api_reply.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char oai_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int oai_is_chat(struct sim_job *job);

static json_object *
oai_chunk_head(struct sim_job *job, const char *object)
{
    char id[32];
    snprintf(id, sizeof id, "%s-%d", oai_is_chat(job) ? "chatcmpl" : "cmpl",
             job->oai_id);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "object", json_object_new_string(object));
    /* Chat repeats the first chunk's time; completions use "now". */
    json_object_object_add(
        o, "created",
        json_object_new_int64(oai_is_chat(job) ? job->created_s
                                               : sim_wall_ns() / 1000000000));
    json_object_object_add(o, "model", json_object_new_string(job->model_echo));
    json_object_object_add(o, "system_fingerprint",
                           json_object_new_string("fp_ollama"));
    return o;
}

static void
oai_event(struct sim_job *job, json_object *o)
{
    if (!job->headers_sent) {
        struct evkeyvalq *h = evhttp_request_get_output_headers(job->req);
        evhttp_add_header(h, "Content-Type", "text/event-stream");
        evhttp_send_reply_start(job->req, 200, "OK");
        job->headers_sent = 1;
    }
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, "data: ", 6);
    if (o)
        sim_json_add(b, o);
    else
        evbuffer_add(b, "[DONE]", 6);
    evbuffer_add(b, "\n\n", 2);
    job_send_line(job, b);
    evbuffer_free(b);
}

static json_object *
oai_usage(int prompt, int completion)
{
    json_object *u = json_object_new_object();
    json_object_object_add(u, "prompt_tokens", json_object_new_int(prompt));
    json_object_object_add(u, "completion_tokens",
                           json_object_new_int(completion));
    json_object_object_add(u, "total_tokens",
                           json_object_new_int(prompt + completion));
    return u;
}

/* o's "choices": an array of the one choice. */
static void
oai_add_choice(json_object *o, json_object *choice)
{
    json_object *choices = json_object_new_array();
    json_object_array_add(choices, choice);
    json_object_object_add(o, "choices", choices);
}

/* A chat choice: index, then key (delta or message), then finish_reason,
 * null while the answer goes on. */
static json_object *
oai_chat_choice(const char *key, json_object *value, const char *finish)
{
    json_object *choice = json_object_new_object();
    json_object_object_add(choice, "index", json_object_new_int(0));
    json_object_object_add(choice, key, value);
    json_object_object_add(choice, "finish_reason",
                           finish ? json_object_new_string(finish) : NULL);
    return choice;
}

/* A completions choice: text first, as Ollama's struct has it. */
static json_object *
oai_text_choice(const char *text, const char *finish)
{
    json_object *choice = json_object_new_object();
    json_object_object_add(choice, "text", json_object_new_string(text));
    json_object_object_add(choice, "index", json_object_new_int(0));
    json_object_object_add(choice, "finish_reason",
                           finish ? json_object_new_string(finish) : NULL);
    return choice;
}

/* The end of a stream: the usage chunk when the client asked for it,
 * then [DONE]. */
static void
oai_stream_end(struct sim_job *job, const char *object)
{
    if (job->include_usage) {
        json_object *o = oai_chunk_head(job, object);
        json_object_object_add(o, "choices", json_object_new_array());
        json_object_object_add(
            o, "usage", oai_usage(job->evaluated_tokens, job->eval_count));
        oai_event(job, o);
        json_object_put(o);
    }
    oai_event(job, NULL);
    evhttp_send_reply_end(job->req);
}

/* A whole (not streamed) answer: o with its usage, as one object. */
static void
oai_reply_whole(struct sim_job *job, json_object *o)
{
    json_object_object_add(o, "usage",
                           oai_usage(job->evaluated_tokens, job->eval_count));
    sim_reply_obj(job->req, 200, o, "application/json", 1);
    json_object_put(o);
}

/* Native tool call -> OpenAI: arguments become a JSON string. */
static json_object *
oai_tool_call(json_object *call)
{
    json_object *fn = sim_jget(call, "function");
    json_object *f = json_object_new_object();
    json_object_object_add(f, "name",
                           json_object_new_string(sim_jstr(fn, "name")));
    json_object_object_add(
        f, "arguments",
        json_object_new_string(json_object_to_json_string_ext(
            sim_jget(fn, "arguments"), JSON_C_TO_STRING_PLAIN)));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "id",
                           json_object_new_string(sim_jstr(call, "id")));
    json_object_object_add(c, "index", json_object_new_int(0));
    json_object_object_add(c, "type", json_object_new_string("function"));
    json_object_object_add(c, "function", f);
    return c;
}

static void
oai_delta_event(struct sim_job *job, json_object *delta, const char *finish)
{
    json_object *o = oai_chunk_head(job, "chat.completion.chunk");
    oai_add_choice(o, oai_chat_choice("delta", delta, finish));
    oai_event(job, o);
    json_object_put(o);
}

static json_object *
oai_delta(struct sim_job *job)
{
    json_object *d = json_object_new_object();
    if (!job->role_sent) {
        json_object_object_add(d, "role", json_object_new_string("assistant"));
        job->role_sent = 1;
    }
    return d;
}

static void
oai_chat_piece(struct sim_job *job, enum sim_piece kind, const char *text)
{
    if (api_keep_piece(job, kind, text))
        return;
    json_object *d = oai_delta(job);
    json_object_object_add(
        d, "content",
        json_object_new_string(kind == SIM_PIECE_CONTENT ? text : ""));
    if (kind == SIM_PIECE_THINKING)
        json_object_object_add(d, "reasoning", json_object_new_string(text));
    oai_delta_event(job, d, NULL);
}

static void
oai_chat_tool_call(struct sim_job *job, json_object *call)
{
    api_keep_tool_call(job, oai_tool_call(call));
    job->tool_sent = 1;
    if (!job->stream)
        return;
    json_object *d = oai_delta(job);
    json_object_object_add(d, "content", json_object_new_string(""));
    json_object *calls = json_object_new_array();
    json_object_array_add(calls, oai_tool_call(call));
    json_object_object_add(d, "tool_calls", calls);
    oai_delta_event(job, d, NULL);
}

static const char *
oai_finish_reason(struct sim_job *job, const char *reason)
{
    if (strcmp(reason, "length") == 0)
        return "length";
    return job->tool_sent ? "tool_calls" : "stop";
}

static void
oai_chat_finish(struct sim_job *job, const char *reason)
{
    const char *fin = oai_finish_reason(job, reason);
    if (job->stream) {
        if (!job->role_sent) {
            json_object *d = oai_delta(job);
            json_object_object_add(d, "content", json_object_new_string(""));
            oai_delta_event(job, d, NULL);
        }
        oai_delta_event(job, json_object_new_object(), fin);
        oai_stream_end(job, "chat.completion.chunk");
        return;
    }
    char *text = api_take_text(job->text);
    char *thinking = api_take_text(job->thinking);
    json_object *msg = json_object_new_object();
    json_object_object_add(msg, "role", json_object_new_string("assistant"));
    json_object_object_add(msg, "content", json_object_new_string(text));
    if (*thinking)
        json_object_object_add(msg, "reasoning",
                               json_object_new_string(thinking));
    if (job->tool_calls)
        json_object_object_add(msg, "tool_calls",
                               json_object_get(job->tool_calls));
    free(text);
    free(thinking);
    json_object *o = oai_chunk_head(job, "chat.completion");
    oai_add_choice(o, oai_chat_choice("message", msg, fin));
    oai_reply_whole(job, o);
}

static const struct sim_fmt oai_chat_fmt = {
    .openai = 1,
    .piece = oai_chat_piece,
    .tool_call = oai_chat_tool_call,
    .finish = oai_chat_finish,
};

static int
oai_is_chat(struct sim_job *job)
{
    return job->fmt == &oai_chat_fmt;
}

static void
oai_text_event(struct sim_job *job, const char *text, const char *finish)
{
    json_object *o = oai_chunk_head(job, "text_completion");
    /* Completions put choices before model, as Ollama's struct does. */
    json_object *model = NULL, *fp = NULL;
    json_object_object_get_ex(o, "model", &model);
    json_object_object_get_ex(o, "system_fingerprint", &fp);
    json_object_get(model);
    json_object_get(fp);
    json_object_object_del(o, "model");
    json_object_object_del(o, "system_fingerprint");
    oai_add_choice(o, oai_text_choice(text, finish));
    json_object_object_add(o, "model", model);
    json_object_object_add(o, "system_fingerprint", fp);
    if (job->include_usage)
        json_object_object_add(o, "usage", oai_usage(0, 0));
    oai_event(job, o);
    json_object_put(o);
}

static void
oai_text_piece(struct sim_job *job, enum sim_piece kind, const char *text)
{
    if (kind != SIM_PIECE_CONTENT)
        return;
    if (!job->stream)
        evbuffer_add(job->text, text, strlen(text));
    else
        oai_text_event(job, text, NULL);
}

static void
oai_text_finish(struct sim_job *job, const char *reason)
{
    const char *fin = strcmp(reason, "length") == 0 ? "length" : "stop";
    if (job->stream) {
        oai_text_event(job, "", fin);
        oai_stream_end(job, "text_completion");
        return;
    }
    char *text = api_take_text(job->text);
    json_object *o = oai_chunk_head(job, "text_completion");
    oai_add_choice(o, oai_text_choice(text, fin));
    free(text);
    oai_reply_whole(job, o);
}

static const struct sim_fmt oai_text_fmt = {
    .openai = 1,
    .piece = oai_text_piece,
    .finish = oai_text_finish,
};

/* --- requests -------------------------------------------------------- */

static const struct sim_field_rule oai_rules[] = {
    {"model", SIM_J_STRING, "string"},
    {"stream", SIM_J_BOOL, "bool"},
    {"max_tokens", SIM_J_INT, "int"},
    {"seed", SIM_J_INT, "int"},
    {"temperature", SIM_J_NUMBER, "float64"},
    {"top_p", SIM_J_NUMBER, "float64"},
    {"tools", SIM_J_ARRAY, "[]api.Tool"},
    {"stream_options", SIM_J_OBJECT, "openai.StreamOptions"},
    {NULL, SIM_J_ANY, NULL},
};

/* Shared start of chat and completions; NULL after an error reply. */
static struct sim_job *
oai_prepare(struct sim_server *s, struct evhttp_request *req,
            const struct sim_fmt *fmt, const char *goname)
{
    int status;
    char err[512];
    json_object *body = sim_body_parse(req, &status, err, sizeof err);
    if (!body) {
        sim_reply_oai_error(req, status, err);
        return NULL;
    }
    if (sim_json_check(body, goname, oai_rules, err, sizeof err) < 0) {
        sim_reply_oai_error(req, 400, err);
        json_object_put(body);
        return NULL;
    }
    const char *name = sim_jstr(body, "model");
    struct sim_model *m = name ? models_find(s, name) : NULL;
    if (!m) {
        snprintf(err, sizeof err, "model '%s' not found", name ? name : "");
        sim_reply_oai_error(req, 404, err);
        json_object_put(body);
        return NULL;
    }
    struct sim_job *job = job_new(s, req, fmt, SIM_JOB_GENERATE);
    job->body = body;
    job->model = m;
    job->model_echo = strdup(name);
    json_object *v = sim_jget(body, "stream");
    job->stream = v && json_object_get_boolean(v);
    v = sim_jget(sim_jget(body, "stream_options"), "include_usage");
    job->include_usage = job->stream && v && json_object_get_boolean(v);
    if ((v = sim_jget(body, "max_tokens")))
        job->num_predict = json_object_get_int(v);
    if ((v = sim_jget(body, "seed")) && json_object_get_int64(v) >= 0)
        job->seed = (uint64_t)json_object_get_int64(v);
    job->oai_id = (int)(sim_rand_next(&s->rng) % 999);
    if (!(m->caps & SIM_CAP_COMPLETION)) {
        snprintf(err, sizeof err, "\"%s\" does not support chat", name);
        job->stream = 0;
        job_fail(job, 400, err);
        return NULL;
    }
    return job;
}

static int
oai_effort(json_object *body, json_object **think, char *err, size_t errlen)
{
    const char *e = sim_jstr(body, "reasoning_effort");
    if (!e)
        e = sim_jstr(sim_jget(body, "reasoning"), "effort");
    *think = NULL;
    if (!e)
        return 0;
    if (strcmp(e, "none") == 0)
        *think = json_object_new_boolean(0);
    else if (strcmp(e, "minimal") == 0)
        *think = json_object_new_string("low");
    else if (!strcmp(e, "low") || !strcmp(e, "medium") || !strcmp(e, "high") ||
             !strcmp(e, "max"))
        *think = json_object_new_string(e);
    else if (!strcmp(e, "xhigh") || !strcmp(e, "ultra"))
        *think = json_object_new_string("max");
    else {
        snprintf(err, errlen,
                 "invalid reasoning value: '%s' (must be "
                 "\"none\", \"minimal\", \"low\", \"medium\", \"high\", or "
                 "\"max\")",
                 e);
        return -EINVAL;
    }
    return 0;
}

void
api_openai_chat(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_job *job =
        oai_prepare(s, req, &oai_chat_fmt, "ChatCompletionRequest");
    if (!job)
        return;
    char err[512];
    json_object *msgs = sim_jget(job->body, "messages");
    size_t n = msgs && json_object_is_type(msgs, json_type_array)
                   ? json_object_array_length(msgs)
                   : 0;
    if (n == 0) {
        job_fail(job, 400, "[] is too short - 'messages'");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    const char *last_user = NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(msgs, i);
        const char *role = sim_jstr(m, "role");
        json_object *c = sim_jget(m, "content");
        const char *text = NULL;
        if (c && json_object_is_type(c, json_type_string)) {
            text = json_object_get_string(c);
            evbuffer_add_printf(b, "%s: %s\n", role ? role : "user", text);
        } else if (c && json_object_is_type(c, json_type_array)) {
            for (size_t k = 0; k < json_object_array_length(c); k++) {
                json_object *part = json_object_array_get_idx(c, k);
                const char *t = sim_jstr(part, "text");
                if (t) {
                    evbuffer_add_printf(b, "%s: %s\n", role ? role : "user", t);
                    text = t;
                }
            }
        } else if (!(c == NULL && sim_jget(m, "tool_calls"))) {
            snprintf(err, sizeof err, "invalid message content type: %s",
                     c ? json_type_to_name(json_object_get_type(c)) : "<nil>");
            evbuffer_free(b);
            job_fail(job, 400, err);
            return;
        }
        if (role && strcmp(role, "user") == 0 && text)
            last_user = text;
    }
    job->prompt = api_take_text(b);
    evbuffer_free(b);
    json_object *think = NULL;
    if (oai_effort(job->body, &think, err, sizeof err) < 0 ||
        api_parse_think(think, job->model, job->model_echo, &job->think, err,
                        sizeof err) < 0) {
        json_object_put(think);
        job_fail(job, 400, err);
        return;
    }
    json_object_put(think);
    json_object *tools = sim_jget(job->body, "tools");
    if (tools && json_object_array_length(tools) > 0) {
        if (!(job->model->caps & SIM_CAP_TOOLS)) {
            snprintf(err, sizeof err,
                     "registry.ollama.ai/library/%s does "
                     "not support tools",
                     job->model->name);
            job_fail(job, 400, err);
            return;
        }
        job->tool = api_pick_tool(tools, last_user);
    }
    job_submit(job);
}

void
api_openai_completions(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_job *job =
        oai_prepare(s, req, &oai_text_fmt, "CompletionRequest");
    if (!job)
        return;
    json_object *p = sim_jget(job->body, "prompt");
    if (p && !json_object_is_type(p, json_type_string)) {
        char err[256];
        snprintf(err, sizeof err,
                 "json: cannot unmarshal %s into Go struct "
                 "field CompletionRequest.prompt of type string",
                 json_type_to_name(json_object_get_type(p)));
        job->stream = 0;
        job_fail(job, 400, err);
        return;
    }
    job->prompt = strdup(p ? json_object_get_string(p) : "");
    job->think = 0;
    job_submit(job);
}

/* --- embeddings and models ------------------------------------------- */

static void
oai_embed_finish(struct sim_job *job, const char *reason)
{
    size_t n = json_object_array_length(job->inputs);
    int dim = api_embed_dim(job);
    const char *enc = sim_jstr(job->body, "encoding_format");
    int b64 = enc && strcasecmp(enc, "base64") == 0;
    json_object *data = json_object_new_array();
    double *v = calloc((size_t)dim, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const char *text =
            json_object_get_string(json_object_array_get_idx(job->inputs, i));
        gen_embedding(text, dim, job->srv->cfg.seed, v);
        json_object *vec;
        if (b64) {
            /* Little-endian float32 bytes, base64. */
            size_t len = (size_t)dim * 4;
            unsigned char *raw = malloc(len);
            for (int k = 0; k < dim; k++) {
                float f = (float)v[k];
                uint32_t u;
                memcpy(&u, &f, 4);
                for (int j = 0; j < 4; j++)
                    raw[k * 4 + j] = (unsigned char)(u >> (8 * j));
            }
            char *out = malloc((len + 2) / 3 * 4 + 1);
            size_t o = 0;
            for (size_t k = 0; k < len; k += 3) {
                uint32_t w = (uint32_t)raw[k] << 16;
                if (k + 1 < len)
                    w |= (uint32_t)raw[k + 1] << 8;
                if (k + 2 < len)
                    w |= raw[k + 2];
                out[o++] = oai_b64[(w >> 18) & 63];
                out[o++] = oai_b64[(w >> 12) & 63];
                out[o++] = k + 1 < len ? oai_b64[(w >> 6) & 63] : '=';
                out[o++] = k + 2 < len ? oai_b64[w & 63] : '=';
            }
            out[o] = '\0';
            vec = json_object_new_string(out);
            free(out);
            free(raw);
        } else {
            vec = api_embed_vector(v, dim, 1);
        }
        json_object *e = json_object_new_object();
        json_object_object_add(e, "object",
                               json_object_new_string("embedding"));
        json_object_object_add(e, "embedding", vec);
        json_object_object_add(e, "index", json_object_new_int((int)i));
        json_object_array_add(data, e);
    }
    free(v);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "object", json_object_new_string("list"));
    json_object_object_add(o, "data", data);
    json_object_object_add(o, "model", json_object_new_string(job->model_echo));
    json_object *u = json_object_new_object();
    json_object_object_add(u, "prompt_tokens",
                           json_object_new_int(job->prompt_tokens));
    json_object_object_add(u, "total_tokens",
                           json_object_new_int(job->prompt_tokens));
    json_object_object_add(o, "usage", u);
    sim_reply_obj(job->req, 200, o, "application/json", 1);
    json_object_put(o);
}

static const struct sim_fmt oai_embed_fmt = {
    .openai = 1,
    .finish = oai_embed_finish,
};

void
api_openai_embeddings(struct sim_server *s, struct evhttp_request *req)
{
    int status;
    char err[512];
    json_object *body = sim_body_parse(req, &status, err, sizeof err);
    if (!body) {
        sim_reply_oai_error(req, status, err);
        return;
    }
    if (!json_object_is_type(body, json_type_object)) {
        snprintf(err, sizeof err,
                 "json: cannot unmarshal %s into Go value "
                 "of type openai.EmbedRequest",
                 json_type_to_name(json_object_get_type(body)));
        sim_reply_oai_error(req, 400, err);
        json_object_put(body);
        return;
    }
    const char *name = sim_jstr(body, "model");
    struct sim_model *m = name ? models_find(s, name) : NULL;
    json_object *in = sim_jget(body, "input");
    const char *enc = sim_jstr(body, "encoding_format");
    json_object *inputs = json_object_new_array();
    json_object_object_add(body, "_inputs", inputs);
    int code = 0;
    if (!name) {
        code = 400;
        snprintf(err, sizeof err, "invalid request: model is required");
    } else if (!m) {
        code = 404;
        snprintf(err, sizeof err, "model '%s' not found", name);
    } else if (!(m->caps & SIM_CAP_EMBEDDING)) {
        code = 400;
        snprintf(err, sizeof err, "\"%s\" does not support embeddings", name);
    } else if (enc && strcasecmp(enc, "float") && strcasecmp(enc, "base64")) {
        code = 400;
        snprintf(err, sizeof err,
                 "Invalid value for 'encoding_format' = %s. "
                 "Supported values: ['float', 'base64'].",
                 enc);
    } else if (!in || (json_object_is_type(in, json_type_array) &&
                       json_object_array_length(in) == 0)) {
        code = 400;
        snprintf(err, sizeof err, "invalid input");
    } else if (json_object_is_type(in, json_type_string)) {
        json_object_array_add(inputs, json_object_get(in));
    } else if (json_object_is_type(in, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(in) && !code; i++) {
            json_object *e = json_object_array_get_idx(in, i);
            if (!json_object_is_type(e, json_type_string)) {
                code = 400;
                snprintf(err, sizeof err, "invalid input type");
            } else {
                json_object_array_add(inputs, json_object_get(e));
            }
        }
    } else {
        code = 400;
        snprintf(err, sizeof err, "invalid input type");
    }
    if (code) {
        sim_reply_oai_error(req, code, err);
        json_object_put(body);
        return;
    }
    struct sim_job *job = job_new(s, req, &oai_embed_fmt, SIM_JOB_EMBED);
    job->body = body;
    job->inputs = inputs;
    job->model = m;
    job->model_echo = strdup(name);
    job->stream = 0;
    job->prompt = api_inputs_prompt(inputs);
    job_submit(job);
}

static json_object *
oai_model(struct sim_model *m, const char *id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "object", json_object_new_string("model"));
    json_object_object_add(
        o, "created", json_object_new_int64(m->modified_wall_ns / 1000000000));
    const char *slash = strchr(m->name, '/');
    char owner[130] = "library";
    if (slash && !strchr(slash + 1, '/'))
        snprintf(owner, sizeof owner, "%.*s", (int)(slash - m->name), m->name);
    json_object_object_add(o, "owned_by", json_object_new_string(owner));
    return o;
}

void
api_openai_models(struct sim_server *s, struct evhttp_request *req,
                  const char *id)
{
    if (id) {
        struct sim_model *m = models_find(s, id);
        if (!m) {
            char err[512];
            snprintf(err, sizeof err, "model '%s' not found", id);
            sim_reply_oai_error(req, 404, err);
            return;
        }
        json_object *o = oai_model(m, id);
        sim_reply_obj(req, 200, o, "application/json", 1);
        json_object_put(o);
        return;
    }
    json_object *data = json_object_new_array();
    for (struct sim_model *m = s->models; m; m = m->next)
        if (!m->deleted)
            json_object_array_add(data, oai_model(m, m->name));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "object", json_object_new_string("list"));
    if (json_object_array_length(data) == 0) {
        json_object_put(data);
        data = NULL; /* Ollama sends null for an empty list */
    }
    json_object_object_add(o, "data", data);
    sim_reply_obj(req, 200, o, "application/json", 1);
    json_object_put(o);
}
