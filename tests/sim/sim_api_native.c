/* Native generation endpoints: /api/generate, /api/chat, /api/embed and
 * the legacy /api/embeddings, with Ollama's NDJSON framing. */
#include "autoconfig.h"

#include "sim.h"
#include "sim_api_reply.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sim_field_rule native_gen_rules[] = {
    {"model", SIM_J_STRING, "string"},
    {"prompt", SIM_J_STRING, "string"},
    {"system", SIM_J_STRING, "string"},
    {"template", SIM_J_STRING, "string"},
    {"suffix", SIM_J_STRING, "string"},
    {"stream", SIM_J_BOOL, "bool"},
    {"raw", SIM_J_BOOL, "bool"},
    {"options", SIM_J_OBJECT, "map[string]interface {}"},
    {"context", SIM_J_ARRAY, "[]int"},
    {"images", SIM_J_ARRAY, "[]api.ImageData"},
    {NULL, SIM_J_ANY, NULL},
};

static const struct sim_field_rule native_chat_rules[] = {
    {"model", SIM_J_STRING, "string"},
    {"messages", SIM_J_ARRAY, "[]api.Message"},
    {"stream", SIM_J_BOOL, "bool"},
    {"tools", SIM_J_ARRAY, "api.Tools"},
    {"options", SIM_J_OBJECT, "map[string]interface {}"},
    {NULL, SIM_J_ANY, NULL},
};

static const struct sim_field_rule native_embed_rules[] = {
    {"model", SIM_J_STRING, "string"},
    {"truncate", SIM_J_BOOL, "bool"},
    {"dimensions", SIM_J_INT, "int"},
    {"prompt", SIM_J_STRING, "string"},
    {"options", SIM_J_OBJECT, "map[string]interface {}"},
    {NULL, SIM_J_ANY, NULL},
};

/* --- output ---------------------------------------------------------- */

static json_object *
native_head(struct sim_job *job)
{
    char ts[64];
    sim_format_time(sim_wall_ns(), 1, ts, sizeof ts);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(job->model_echo));
    json_object_object_add(o, "created_at", json_object_new_string(ts));
    return o;
}

static void
native_begin(struct sim_job *job)
{
    if (job->headers_sent || !job->req)
        return;
    struct evkeyvalq *h = evhttp_request_get_output_headers(job->req);
    evhttp_add_header(h, "Content-Type", "application/x-ndjson");
    evhttp_send_reply_start(job->req, 200, "OK");
    job->headers_sent = 1;
}

static void
native_line(struct sim_job *job, json_object *o)
{
    native_begin(job);
    struct evbuffer *line = evbuffer_new();
    sim_json_add(line, o);
    evbuffer_add(line, "\n", 1);
    job_send_line(job, line);
    evbuffer_free(line);
}

static void
native_message(struct sim_job *job, json_object *o, const char *content,
               const char *thinking, json_object *calls)
{
    json_object *msg = json_object_new_object();
    json_object_object_add(msg, "role", json_object_new_string("assistant"));
    json_object_object_add(msg, "content", json_object_new_string(content));
    if (thinking && *thinking)
        json_object_object_add(msg, "thinking",
                               json_object_new_string(thinking));
    if (calls)
        json_object_object_add(msg, "tool_calls", json_object_get(calls));
    json_object_object_add(o, "message", msg);
}

static int native_is_chat(struct sim_job *job);

/* Ollama's logprobs entry of one answer token: its own logprob (made up,
 * from its position) and top_logprobs alternatives, itself first. */
static json_object *
native_logprob(struct sim_job *job, const char *text)
{
    double lp = -0.01 * (double)(1 + job->eval_count % 50);
    json_object *e = json_object_new_object(), *bytes = json_object_new_array();
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        json_object_array_add(bytes, json_object_new_int(*c));
    json_object_object_add(e, "token", json_object_new_string(text));
    json_object_object_add(e, "logprob", json_object_new_double(lp));
    json_object_object_add(e, "bytes", bytes);
    if (job->top_logprobs > 0) {
        json_object *tops = json_object_new_array();
        uint64_t rng = (uint64_t)job->eval_count * 2654435761u + 1;
        for (int i = 0; i < job->top_logprobs; i++) {
            json_object *t = json_object_new_object();
            json_object_object_add(
                t, "token", json_object_new_string(i ? gen_word(&rng) : text));
            json_object_object_add(t, "logprob",
                                   json_object_new_double(lp - i));
            json_object_array_add(tops, t);
        }
        json_object_object_add(e, "top_logprobs", tops);
    }
    return e;
}

static void
native_piece(struct sim_job *job, enum sim_piece kind, const char *text)
{
    if (job->logprobs && kind == SIM_PIECE_CONTENT && !job->stream) {
        if (!job->kept_logprobs)
            job->kept_logprobs = json_object_new_array();
        json_object_array_add(job->kept_logprobs, native_logprob(job, text));
    }
    if (api_keep_piece(job, kind, text))
        return;
    json_object *o = native_head(job);
    const char *content = kind == SIM_PIECE_CONTENT ? text : "";
    const char *thinking = kind == SIM_PIECE_THINKING ? text : NULL;
    if (native_is_chat(job)) {
        native_message(job, o, content, thinking, NULL);
    } else {
        json_object_object_add(o, "response", json_object_new_string(content));
        if (thinking)
            json_object_object_add(o, "thinking",
                                   json_object_new_string(thinking));
    }
    if (job->logprobs && kind == SIM_PIECE_CONTENT) {
        json_object *one = json_object_new_array();
        json_object_array_add(one, native_logprob(job, text));
        json_object_object_add(o, "logprobs", one);
    }
    json_object_object_add(o, "done", json_object_new_boolean(0));
    native_line(job, o);
    json_object_put(o);
}

static void
native_tool_call(struct sim_job *job, json_object *call)
{
    api_keep_tool_call(job, json_object_get(call));
    if (!job->stream)
        return;
    json_object *calls = json_object_new_array();
    json_object_array_add(calls, json_object_get(call));
    json_object *o = native_head(job);
    native_message(job, o, "", NULL, calls);
    json_object_object_add(o, "done", json_object_new_boolean(0));
    native_line(job, o);
    json_object_put(o);
    json_object_put(calls);
}

static void
native_metrics(struct sim_job *job, json_object *o)
{
    int64_t load = job->t_assigned - job->t_start;
    int64_t prompt = job->t_gen_start - job->t_first;
    int64_t eval = job->t_end - job->t_gen_start;
    json_object_object_add(o, "total_duration",
                           json_object_new_int64(job->t_end - job->t_start));
    json_object_object_add(o, "load_duration", json_object_new_int64(load));
    json_object_object_add(o, "prompt_eval_count",
                           json_object_new_int(job->evaluated_tokens));
    json_object_object_add(o, "prompt_eval_duration",
                           json_object_new_int64(prompt));
    if (job->eval_count > 0) {
        json_object_object_add(o, "eval_count",
                               json_object_new_int(job->eval_count));
        json_object_object_add(o, "eval_duration", json_object_new_int64(eval));
    }
}

/* Load and unload answers are one plain object even when streaming. */
static void
native_send_final(struct sim_job *job, json_object *o, int single)
{
    if (job->stream && (job->headers_sent || !single)) {
        native_line(job, o);
        evhttp_send_reply_end(job->req);
    } else {
        sim_reply_obj(job->req, 200, o, NULL, 0);
    }
}

static void
native_finish(struct sim_job *job, const char *reason)
{
    json_object *o = native_head(job);
    char *text = api_take_text(job->text);
    char *thinking = api_take_text(job->thinking);
    int load = strcmp(reason, "load") == 0 || strcmp(reason, "unload") == 0;
    if (native_is_chat(job)) {
        native_message(job, o, text, thinking,
                       job->stream ? NULL : job->tool_calls);
    } else {
        json_object_object_add(o, "response", json_object_new_string(text));
        if (*thinking)
            json_object_object_add(o, "thinking",
                                   json_object_new_string(thinking));
    }
    free(text);
    free(thinking);
    if (job->kept_logprobs) {
        json_object_object_add(o, "logprobs", job->kept_logprobs);
        job->kept_logprobs = NULL;
    }
    json_object_object_add(o, "done", json_object_new_boolean(1));
    json_object_object_add(o, "done_reason", json_object_new_string(reason));
    if (!load) {
        if (!native_is_chat(job) && !job->raw) {
            /* Token ids standing for prompt and answer. */
            json_object *ctx = json_object_new_array();
            uint64_t rng = sim_hash(job->prompt, strlen(job->prompt), 7);
            int n = job->prompt_tokens + job->eval_count;
            if (job->runner && n > job->runner->num_ctx)
                n = job->runner->num_ctx;
            for (int i = 0; i < n; i++)
                json_object_array_add(
                    ctx,
                    json_object_new_int((int)(sim_rand_next(&rng) % 128000)));
            json_object_object_add(o, "context", ctx);
        }
        native_metrics(job, o);
    }
    native_send_final(job, o, load);
    json_object_put(o);
}

static const struct sim_fmt native_generate_fmt = {
    .openai = 0,
    .piece = native_piece,
    .tool_call = native_tool_call,
    .finish = native_finish,
};
static const struct sim_fmt native_chat_fmt = {
    .openai = 0,
    .piece = native_piece,
    .tool_call = native_tool_call,
    .finish = native_finish,
};

static int
native_is_chat(struct sim_job *job)
{
    return job->fmt == &native_chat_fmt;
}

/* --- requests -------------------------------------------------------- */

static void
native_error(struct evhttp_request *req, int code, const char *msg)
{
    sim_reply_error(req, code, NULL, msg);
}

/* Options that matter here; a wrong type is a 500 as in Ollama. */
static int
native_options(struct sim_job *job, json_object *opts, char *err, size_t errlen)
{
    static const struct {
        const char *key;
        int is_int;
    } typed[] = {
        {"num_ctx", 1},        {"num_predict", 1}, {"seed", 1},
        {"top_k", 1},          {"num_batch", 1},   {"num_gpu", 1},
        {"temperature", 0},    {"top_p", 0},       {"min_p", 0},
        {"repeat_penalty", 0},
    };
    for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
        json_object *v = sim_jget(opts, typed[i].key);
        if (!v)
            continue;
        int num = json_object_is_type(v, json_type_int) ||
                  json_object_is_type(v, json_type_double);
        if (!num) {
            snprintf(err, errlen, "option \"%s\" must be of type %s",
                     typed[i].key, typed[i].is_int ? "integer" : "float");
            return -EINVAL;
        }
    }
    json_object *v;
    if ((v = sim_jget(opts, "num_ctx")))
        job->num_ctx = (int)json_object_get_double(v);
    if ((v = sim_jget(opts, "num_predict")))
        job->num_predict = (int)json_object_get_double(v);
    if ((v = sim_jget(opts, "seed")) && json_object_get_int64(v) >= 0)
        job->seed = (uint64_t)json_object_get_int64(v);
    return 0;
}

/* Parses what generate and chat share. Returns the job, or NULL after
 * answering the error. */
static struct sim_job *
native_prepare(struct sim_server *s, struct evhttp_request *req, int chat)
{
    int status;
    char err[512];
    json_object *body = sim_body_parse(req, &status, err, sizeof err);
    if (!body) {
        native_error(req, status, err);
        return NULL;
    }
    if (sim_json_check(body, chat ? "ChatRequest" : "GenerateRequest",
                       chat ? native_chat_rules : native_gen_rules, err,
                       sizeof err) < 0) {
        native_error(req, 400, err);
        json_object_put(body);
        return NULL;
    }
    const char *name = sim_jstr(body, "model");
    char norm[400];
    if (!name || !*name) {
        if (chat)
            native_error(req, 400, "model is required");
        else
            native_error(req, 404, "model '' not found");
        json_object_put(body);
        return NULL;
    }
    if (models_normalize(name, norm, sizeof norm) < 0) {
        native_error(req, 400, "invalid model name");
        json_object_put(body);
        return NULL;
    }
    struct sim_model *m = models_find(s, name);
    if (!m) {
        snprintf(err, sizeof err, "model '%s' not found", name);
        native_error(req, 404, err);
        json_object_put(body);
        return NULL;
    }
    struct sim_job *job =
        job_new(s, req, chat ? &native_chat_fmt : &native_generate_fmt,
                SIM_JOB_GENERATE);
    job->body = body;
    job->model = m;
    job->model_echo = strdup(name);
    json_object *st = sim_jget(body, "stream");
    job->stream = st ? json_object_get_boolean(st) : 1;
    int code = 400;
    if (api_parse_keep_alive(sim_jget(body, "keep_alive"), &job->has_keep_alive,
                             &job->keep_alive_ns, err, sizeof err) < 0)
        goto fail;
    if (native_options(job, sim_jget(body, "options"), err, sizeof err) < 0) {
        code = 500;
        goto fail;
    }
    if (!(m->caps & SIM_CAP_COMPLETION)) {
        snprintf(err, sizeof err, "\"%s\" does not support %s", name,
                 chat ? "chat" : "generate");
        goto fail;
    }
    if (api_parse_think(sim_jget(body, "think"), m, name, &job->think, err,
                        sizeof err) < 0)
        goto fail;
    json_object *v = sim_jget(body, "top_logprobs");
    if (v && (!json_object_is_type(v, json_type_int) ||
              json_object_get_int64(v) < 0 || json_object_get_int64(v) > 20)) {
        snprintf(err, sizeof err, "top_logprobs must be between 0 and 20");
        goto fail;
    }
    job->top_logprobs = v ? (int)json_object_get_int64(v) : 0;
    v = sim_jget(body, "logprobs");
    if (v && !json_object_is_type(v, json_type_boolean)) {
        snprintf(err, sizeof err, "logprobs must be a boolean");
        goto fail;
    }
    job->logprobs = v && json_object_get_boolean(v);
    v = sim_jget(body, "format");
    if (v && !json_object_is_type(v, json_type_object) &&
        !(json_object_is_type(v, json_type_string) &&
          (!*json_object_get_string(v) ||
           strcmp(json_object_get_string(v), "json") == 0))) {
        /* Ollama finds out once generation has started: a 500. */
        code = 500;
        snprintf(err, sizeof err,
                 "invalid format: %s; expected \"json\" or a valid JSON "
                 "Schema object",
                 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        goto fail;
    }
    return job;
fail:
    job->stream = 0;
    sim_reply_error(req, code, NULL, err);
    job->req = NULL;
    job_free(job);
    return NULL;
}

/* Empty prompt: load, or unload with keep_alive 0. */
static int
native_load_form(struct sim_job *job)
{
    if (job->has_keep_alive && job->keep_alive_ns == 0) {
        sched_unload(job->srv, job->model);
        job->t_end = sim_mono_ns();
        job->fmt->finish(job, "unload");
        job->req = NULL;
        job_free(job);
        return 1;
    }
    job->kind = SIM_JOB_LOAD;
    job_submit(job);
    return 1;
}

void
api_native_generate(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_job *job = native_prepare(s, req, 0);
    if (!job)
        return;
    const char *prompt = sim_jstr(job->body, "prompt");
    const char *system = sim_jstr(job->body, "system");
    json_object *raw = sim_jget(job->body, "raw");
    job->raw = raw && json_object_get_boolean(raw);
    if (job->raw && (sim_jget(job->body, "template") || system ||
                     sim_jget(job->body, "context"))) {
        job->stream = 0;
        job_fail(job, 400,
                 "raw mode does not support template, system, or "
                 "context");
        return;
    }
    if (sim_jstr(job->body, "suffix") && *sim_jstr(job->body, "suffix") &&
        !(job->model->caps & SIM_CAP_INSERT)) {
        char err[512];
        snprintf(err, sizeof err,
                 "registry.ollama.ai/library/%s does not "
                 "support insert",
                 job->model->name);
        job->stream = 0;
        job_fail(job, 400, err);
        return;
    }
    if (!prompt || !*prompt) {
        job->prompt = strdup("");
        native_load_form(job);
        return;
    }
    size_t n = strlen(prompt) + (system ? strlen(system) + 1 : 0) + 1;
    job->prompt = malloc(n);
    snprintf(job->prompt, n, "%s%s%s", system ? system : "", system ? "\n" : "",
             prompt);
    job_submit(job);
}

void
api_native_chat(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_job *job = native_prepare(s, req, 1);
    if (!job)
        return;
    json_object *msgs = sim_jget(job->body, "messages");
    size_t n = msgs ? json_object_array_length(msgs) : 0;
    /* The prompt is the conversation: one line per message. */
    struct evbuffer *b = evbuffer_new();
    const char *last_user = NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(msgs, i);
        const char *role = sim_jstr(m, "role");
        const char *content = sim_jstr(m, "content");
        if (!json_object_is_type(m, json_type_object) ||
            (sim_jget(m, "content") && !content)) {
            evbuffer_free(b);
            job->stream = 0;
            job_fail(job, 400,
                     "json: cannot unmarshal value into Go struct "
                     "field ChatRequest.messages of type "
                     "api.Message");
            return;
        }
        evbuffer_add_printf(b, "%s: %s\n", role ? role : "user",
                            content ? content : "");
        if (role && strcmp(role, "user") == 0)
            last_user = content;
    }
    job->prompt = api_take_text(b);
    evbuffer_free(b);
    json_object *tools = sim_jget(job->body, "tools");
    if (tools && json_object_array_length(tools) > 0) {
        if (!(job->model->caps & SIM_CAP_TOOLS)) {
            char err[512];
            snprintf(err, sizeof err,
                     "registry.ollama.ai/library/%s does "
                     "not support tools",
                     job->model->name);
            job->stream = 0;
            job_fail(job, 400, err);
            return;
        }
        job->tool = api_pick_tool(tools, last_user);
    }
    if (n == 0) {
        native_load_form(job);
        return;
    }
    job_submit(job);
}

/* --- embeddings ------------------------------------------------------ */

static json_object *
native_vector(struct sim_job *job, const char *text, int normalized)
{
    int dim = api_embed_dim(job);
    double *v = calloc((size_t)dim, sizeof *v);
    gen_embedding(text, dim, job->srv->cfg.seed, v);
    /* /api/embeddings answers unnormalised vectors */
    json_object *a = api_embed_vector(v, dim, normalized ? 1 : 8);
    free(v);
    return a;
}

static void
native_embed_finish(struct sim_job *job, const char *reason)
{
    json_object *o = json_object_new_object();
    size_t n = job->inputs ? json_object_array_length(job->inputs) : 0;
    if (job->embed_legacy) {
        json_object_object_add(
            o, "embedding",
            n ? native_vector(job,
                              json_object_get_string(
                                  json_object_array_get_idx(job->inputs, 0)),
                              0)
              : json_object_new_array());
    } else {
        json_object_object_add(o, "model",
                               json_object_new_string(job->model_echo));
        json_object *all = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(
                all,
                native_vector(job,
                              json_object_get_string(
                                  json_object_array_get_idx(job->inputs, i)),
                              1));
        json_object_object_add(o, "embeddings", all);
        if (strcmp(reason, "load") != 0) {
            json_object_object_add(
                o, "total_duration",
                json_object_new_int64(job->t_end - job->t_start));
            json_object_object_add(
                o, "load_duration",
                json_object_new_int64(job->t_assigned - job->t_start));
            json_object_object_add(o, "prompt_eval_count",
                                   json_object_new_int(job->prompt_tokens));
        }
    }
    sim_reply_obj(job->req, 200, o, NULL, 0);
    json_object_put(o);
}

static const struct sim_fmt native_embed_fmt = {
    .openai = 0,
    .finish = native_embed_finish,
};

void
api_native_embed(struct sim_server *s, struct evhttp_request *req, int legacy)
{
    int status;
    char err[512];
    json_object *body = sim_body_parse(req, &status, err, sizeof err);
    if (!body) {
        native_error(req, status, err);
        return;
    }
    if (sim_json_check(body, legacy ? "EmbeddingRequest" : "EmbedRequest",
                       native_embed_rules, err, sizeof err) < 0) {
        native_error(req, 400, err);
        json_object_put(body);
        return;
    }
    const char *name = sim_jstr(body, "model");
    char norm[400];
    if (!name || !*name) {
        if (legacy)
            native_error(req, 400, "model is required");
        else
            native_error(req, 404, "model '' not found");
        json_object_put(body);
        return;
    }
    struct sim_model *m = models_normalize(name, norm, sizeof norm) == 0
                              ? models_find(s, name)
                              : NULL;
    if (!m) {
        snprintf(err, sizeof err,
                 "model \"%s\" not found, try pulling it "
                 "first",
                 name);
        native_error(req, 404, err);
        json_object_put(body);
        return;
    }
    if (!(m->caps & SIM_CAP_EMBEDDING)) {
        snprintf(err, sizeof err, "\"%s\" does not support embeddings", name);
        native_error(req, 400, err);
        json_object_put(body);
        return;
    }
    /* inputs: always an array of strings */
    json_object *inputs = json_object_new_array();
    json_object *in = sim_jget(body, legacy ? "prompt" : "input");
    int bad = 0;
    if (in && json_object_is_type(in, json_type_string)) {
        if (*json_object_get_string(in))
            json_object_array_add(inputs, json_object_get(in));
    } else if (in && json_object_is_type(in, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(in); i++) {
            json_object *e = json_object_array_get_idx(in, i);
            if (!json_object_is_type(e, json_type_string))
                bad = 1;
            else
                json_object_array_add(inputs, json_object_get(e));
        }
    } else if (in) {
        bad = 1;
    }
    json_object_object_add(body, "_inputs", inputs);
    struct sim_job *job = job_new(s, req, &native_embed_fmt, SIM_JOB_EMBED);
    job->body = body;
    job->inputs = inputs;
    job->model = m;
    job->model_echo = strdup(name);
    job->stream = 0;
    job->embed_legacy = legacy;
    if (bad) {
        job_fail(job, 400, "invalid input type");
        return;
    }
    if (api_parse_keep_alive(sim_jget(body, "keep_alive"), &job->has_keep_alive,
                             &job->keep_alive_ns, err, sizeof err) < 0) {
        job_fail(job, 400, err);
        return;
    }
    job->prompt = api_inputs_prompt(inputs);
    if (json_object_array_length(inputs) == 0)
        job->kind = SIM_JOB_LOAD;
    job_submit(job);
}
