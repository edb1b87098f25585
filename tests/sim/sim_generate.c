/* A generation request's life: faults, prompt evaluation with the slot's
 * prompt cache, token pacing by timers (never sleeping), the end, and the
 * client leaving at any point. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum gen_phase { GEN_READY, GEN_PROMPT, GEN_TOKENS };

/* Bounds per request: tokens emitted per wakeup, and bytes waiting in the
 * socket's output buffer before generation pauses for a slow reader. */
#define GEN_BATCH_MAX 256
#define GEN_OUTPUT_HIGH (256 * 1024)

static const char *const gen_words[] = {
    "the",    "model",   "answers", "with",   "a",      "simulated", "reply",
    "that",   "follows", "from",    "its",    "seed",   "so",        "tests",
    "can",    "rely",    "on",      "every",  "token",  "being",     "stable",
    "across", "runs",    "and",     "herd",   "routes", "each",      "request",
    "to",     "the",     "best",    "node",   "in",     "fleet",     "while",
    "memory", "slots",   "queues",  "behave", "like",   "ollama",    "does",
};

const char *
gen_word(uint64_t *rng)
{
    return gen_words[sim_rand_next(rng) %
                     (sizeof gen_words / sizeof gen_words[0])];
}

int
gen_count_tokens(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    return (int)((n + 3) / 4); /* about four bytes per token */
}

void
gen_embedding(const char *text, int dim, uint64_t seed, double *out)
{
    uint64_t rng = sim_hash(text, strlen(text), seed);
    double norm = 0;
    for (int i = 0; i < dim; i++) {
        out[i] = sim_rand_unit(&rng) * 2 - 1;
        norm += out[i] * out[i];
    }
    norm = sqrt(norm);
    /* Ollama's vectors are float32: every value is one, so the native
     * JSON, the OpenAI floats and OpenAI's base64 all carry the same
     * numbers (a double printed with 9 digits and rounded again to float
     * could land one unit off) */
    for (int i = 0; i < dim && norm > 0; i++)
        out[i] = (float)(out[i] / norm);
}

static void job_timer_cb(evutil_socket_t fd, short what, void *arg);

struct sim_job *
job_new(struct sim_server *s, struct evhttp_request *req,
        const struct sim_fmt *fmt, enum sim_job_kind kind)
{
    struct sim_job *job = calloc(1, sizeof *job);
    job->srv = s;
    job->req = req;
    job->conn = evhttp_request_get_connection(req);
    job->fmt = fmt;
    job->kind = kind;
    job->slot = -1;
    job->num_predict = -1;
    job->seed = s->cfg.seed;
    job->stream = 1;
    job->t_start = sim_mono_ns();
    job->created_s = sim_wall_ns() / 1000000000;
    job->timer = evtimer_new(s->base, job_timer_cb, job);
    job->text = evbuffer_new();
    job->thinking = evbuffer_new();
    s->requests_total++;
    s->requests_in_flight++;
    return job;
}

static void
job_unwatch(struct sim_job *job)
{
    if (job->watch)
        event_free(job->watch);
    job->watch = NULL;
}

void
job_free(struct sim_job *job)
{
    if (!job)
        return;
    job_unwatch(job);
    sched_release(job->srv, job);
    if (job->conn && job->req)
        evhttp_connection_set_closecb(job->conn, NULL, NULL);
    job->srv->requests_in_flight--;
    event_free(job->timer);
    evbuffer_free(job->text);
    evbuffer_free(job->thinking);
    json_object_put(job->tool_calls);
    json_object_put(job->kept_logprobs);
    json_object_put(job->body);
    free(job->model_echo);
    free(job->prompt);
    free(job);
}

/* The client went away: free everything at once, slot included. */
static void
job_close_cb(struct evhttp_connection *conn, void *arg)
{
    struct sim_job *job = arg;
    struct evhttp_request *req = job->req;
    log_debug("job", "client left during %s", job->model->name);
    job->req = NULL;
    job->conn = NULL;
    /* evhttp detached the request from the dying connection and leaves it
     * to us; replying to a detached request frees it. */
    if (req && !evhttp_request_get_connection(req)) {
        if (job->headers_sent)
            evhttp_send_reply_end(req);
        else
            evhttp_send_reply(req, 499, "Client Closed Request", NULL);
    }
    job_free(job);
}

/* evhttp does not read a connection while its request is served, so a
 * client that leaves while its job waits for a slot or stalls would hold
 * its place until the answer is written. Ollama notices at once (Go reads
 * in the background); peeking does the same: EOF or an error means gone. */
static void
job_watch_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_job *job = arg;
    char c;
    (void)what;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n > 0 || job->headers_sent) {
        /* pipelined bytes are evhttp's; once writing, its close callback
         * sees the client leave */
        job_unwatch(job);
        return;
    }
    struct evhttp_request *req = job->req;
    log_debug("job", "client left while %s waited", job->model->name);
    if (job->conn)
        evhttp_connection_set_closecb(job->conn, NULL, NULL);
    job->conn = NULL;
    job->req = NULL;
    /* writing to the closed socket makes evhttp free the connection */
    if (req)
        evhttp_send_reply(req, 499, "Client Closed Request", NULL);
    job_free(job);
}

static void
job_watch(struct sim_job *job)
{
    struct bufferevent *bev =
        job->conn ? evhttp_connection_get_bufferevent(job->conn) : NULL;
    evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
    if (fd < 0)
        return;
    job->watch =
        event_new(job->srv->base, fd, EV_READ | EV_PERSIST, job_watch_cb, job);
    if (job->watch)
        event_add(job->watch, NULL);
}

void
job_submit(struct sim_job *job)
{
    struct sim_server *s = job->srv;
    if (faults_hit(s, SIM_FAULT_STALL))
        job->f_stall_ns =
            (int64_t)(s->cfg.faults[SIM_FAULT_STALL].seconds * 1e9);
    if (faults_hit(s, SIM_FAULT_SLOW))
        job->f_slow = s->cfg.faults[SIM_FAULT_SLOW].factor;
    job->f_drop = faults_hit(s, SIM_FAULT_DROP);
    job->f_midstream = faults_hit(s, SIM_FAULT_ERROR_MIDSTREAM);
    job->f_malformed = faults_hit(s, SIM_FAULT_MALFORMED);
    if (job->conn)
        evhttp_connection_set_closecb(job->conn, job_close_cb, job);
    job_watch(job);
    int rc = sched_submit(s, job);
    if (rc == -EBUSY) {
        s->rejected_busy++;
        job_fail(job, 503,
                 "server busy, please try again.  maximum pending "
                 "requests exceeded");
    } else if (rc == -E2BIG) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "model requires more system memory (%.1f GiB) than is "
                 "available (%.1f GiB)",
                 (double)job->model->size_bytes / SIM_GIB, s->cfg.memory_gb);
        job_fail(job, 500, msg);
    }
}

void
job_ready(struct sim_job *job)
{
    /* Always through the loop: the scheduler may be mid-update. */
    struct timeval tv = {0, 0};
    evtimer_add(job->timer, &tv);
}

void
job_fail(struct sim_job *job, int code, const char *msg)
{
    struct evhttp_request *req = job->req;
    if (job->conn)
        evhttp_connection_set_closecb(job->conn, NULL, NULL);
    if (req && !job->headers_sent) {
        if (job->fmt->openai)
            sim_reply_oai_error(req, code, msg);
        else
            sim_reply_error(req, code,
                            job->stream ? "application/json"
                                        : "application/json; charset=utf-8",
                            msg);
    } else if (req && job->fmt->openai) {
        /* Ollama's OpenAI layer turns the error line into an empty chunk
         * and ends with neither a finish chunk nor [DONE]. */
        job->fmt->piece(job, SIM_PIECE_CONTENT, "");
        evhttp_send_reply_end(req);
    } else if (req) {
        /* After the first line: an error line, and no done line. */
        struct evbuffer *line = evbuffer_new();
        json_object *o = json_object_new_object();
        json_object_object_add(o, "error", json_object_new_string(msg));
        sim_json_add(line, o);
        evbuffer_add(line, "\n", 1);
        json_object_put(o);
        evhttp_send_reply_chunk(req, line);
        evbuffer_free(line);
        evhttp_send_reply_end(req);
    }
    job->req = NULL;
    job_free(job);
}

/* The drop fault: the connection closes with no goodbye. */
static void
job_drop(struct sim_job *job)
{
    struct evhttp_connection *conn = job->conn;
    job_unwatch(job); /* before its socket closes */
    job->conn = NULL;
    job->req = NULL;
    if (conn) {
        evhttp_connection_set_closecb(conn, NULL, NULL);
        evhttp_connection_free(conn); /* frees the request too */
    }
    job_free(job);
}

/* evhttp calls this whenever the connection's output has drained. */
static void
job_drained_cb(struct evhttp_connection *conn, void *arg)
{
    struct sim_job *job = arg;
    if (job->paused) {
        job->paused = 0;
        struct timeval tv = {0, 0};
        evtimer_add(job->timer, &tv);
    }
}

static size_t
job_unsent(struct sim_job *job)
{
    struct bufferevent *bev =
        job->conn ? evhttp_connection_get_bufferevent(job->conn) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void
job_send_line(struct sim_job *job, struct evbuffer *line)
{
    if (!job->req)
        return;
    const struct sim_fault *drop = &job->srv->cfg.faults[SIM_FAULT_DROP];
    if (job->f_drop && drop->half && job->pieces_sent == drop->after) {
        /* the line the connection closes in: its first half only */
        size_t n = evbuffer_get_length(line);
        struct evbuffer *cut = evbuffer_new();
        evbuffer_remove_buffer(line, cut, n / 2);
        evhttp_send_reply_chunk_with_cb(job->req, cut, job_drained_cb, job);
        evbuffer_free(cut);
        return;
    }
    if (job->f_malformed &&
        job->pieces_sent == job->srv->cfg.faults[SIM_FAULT_MALFORMED].after) {
        /* Cut the line in half: broken JSON, still newline-framed. */
        size_t n = evbuffer_get_length(line);
        struct evbuffer *bad = evbuffer_new();
        evbuffer_remove_buffer(line, bad, n / 2);
        evbuffer_add(bad, "\n", 1);
        evhttp_send_reply_chunk_with_cb(job->req, bad, job_drained_cb, job);
        evbuffer_free(bad);
        job->f_malformed = 0;
        return;
    }
    evhttp_send_reply_chunk_with_cb(job->req, line, job_drained_cb, job);
}

static void
job_complete(struct sim_job *job, const char *reason)
{
    struct sim_model *m = job->model;
    job->t_end = sim_mono_ns();
    job->done_reason = reason;
    if (job->kind != SIM_JOB_LOAD) /* a preload serves nothing */
        m->st.requests++;
    m->st.prompt_tokens += (uint64_t)job->evaluated_tokens;
    m->st.eval_tokens += (uint64_t)job->eval_count;
    if (job->conn)
        evhttp_connection_set_closecb(job->conn, NULL, NULL);
    if (job->req)
        job->fmt->finish(job, reason);
    job->req = NULL;
    job_free(job);
}

static int64_t
job_scaled(struct sim_job *job, double seconds)
{
    return (int64_t)(seconds * job->srv->cfg.time_scale * 1e9);
}

static void
job_start_prompt(struct sim_job *job)
{
    struct sim_server *s = job->srv;
    struct sim_model *m = job->model;
    struct sim_runner *r = job->runner;
    const char *p = job->prompt ? job->prompt : "";
    job->prompt_tokens = gen_count_tokens(p);
    int cached = 0;
    if (r && job->slot >= 0) {
        struct sim_slot *slot = &r->slots[job->slot];
        const char *last = slot->last_prompt;
        size_t same = 0;
        while (last && last[same] && last[same] == p[same])
            same++;
        cached = (int)(same / 4);
        if (cached > 0) {
            m->st.cache_hits++;
            m->st.cached_tokens += (uint64_t)cached;
        }
        free(slot->last_prompt);
        slot->last_prompt = strdup(p);
    }
    /* The last prompt token is always evaluated again, as llama.cpp does. */
    /* A prompt longer than the context is truncated (truncate:true). */
    if (r && job->prompt_tokens > r->num_ctx)
        job->prompt_tokens = r->num_ctx;
    if (cached > job->prompt_tokens)
        cached = job->prompt_tokens;
    job->evaluated_tokens = job->prompt_tokens - cached;
    if (job->evaluated_tokens < 1)
        job->evaluated_tokens = 1;
    double rate = m->prompt_tokens_per_sec > 0 ? m->prompt_tokens_per_sec
                                               : s->cfg.prompt_tokens_per_sec;
    job->prompt_ns = job_scaled(job, job->evaluated_tokens / rate);
    double trate =
        m->tokens_per_sec > 0 ? m->tokens_per_sec : s->cfg.tokens_per_sec;
    if (job->f_slow > 1)
        trate /= job->f_slow;
    job->token_ns = job_scaled(job, 1.0 / trate);
    job->rng = sim_hash(p, strlen(p), job->seed);
    job->think_tokens = job->think ? s->cfg.thinking_tokens : 0;
    int content = job->tool ? 0 : s->cfg.response_tokens;
    job->target_tokens = job->think_tokens + content + (job->tool ? 1 : 0);
    struct timeval tv = sim_tv(job->prompt_ns);
    evtimer_add(job->timer, &tv);
}

/* Emits token number eval_count; returns 1 when the answer is complete. */
static int
job_emit(struct sim_job *job, const char **reason)
{
    int limit = job->num_predict >= 0 ? job->num_predict : SIM_MAX_TOKENS;
    if (job->eval_count >= job->target_tokens) {
        *reason = "stop";
        return 1;
    }
    if (job->eval_count >= limit) {
        *reason = "length";
        return 1;
    }
    int i = job->eval_count++;
    char word[64];
    if (i < job->think_tokens) {
        snprintf(word, sizeof word, "%s%s", i ? " " : "", gen_word(&job->rng));
        job->fmt->piece(job, SIM_PIECE_THINKING, word);
    } else if (job->tool) {
        json_object *call = api_tool_call(job, job->tool);
        job->fmt->tool_call(job, call);
        json_object_put(call);
    } else {
        int first = i == job->think_tokens;
        snprintf(word, sizeof word, "%s%s", first ? "" : " ",
                 gen_word(&job->rng));
        if (i == job->target_tokens - 1)
            strcat(word, ".");
        job->fmt->piece(job, SIM_PIECE_CONTENT, word);
    }
    job->pieces_sent++;
    return 0;
}

static void
job_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_job *job = arg;
    struct sim_server *s = job->srv;
    switch (job->phase) {
    case GEN_READY: /* just got its runner and slot */
        if (job->kind == SIM_JOB_LOAD) {
            job_complete(job, "load");
            return;
        }
        if (!job->f_stall_done && faults_hit(s, SIM_FAULT_ERROR500)) {
            job_fail(job, 500,
                     "llama runner process has terminated: "
                     "simulated fault (herd-sim)");
            return;
        }
        if (job->f_stall_ns && !job->f_stall_done) {
            job->f_stall_done = 1;
            struct timeval tv = sim_tv(job->f_stall_ns);
            evtimer_add(job->timer, &tv);
            return;
        }
        job->t_first = sim_mono_ns();
        job->phase = GEN_PROMPT;
        job_start_prompt(job);
        return;
    case GEN_PROMPT:
        job->t_gen_start = sim_mono_ns();
        if (job->kind == SIM_JOB_EMBED) {
            job_complete(job, "stop");
            return;
        }
        job->phase = GEN_TOKENS;
        break;
    default:
        break;
    }
    /* Emit every token that is due (several per wakeup at high rates). */
    int64_t now = sim_mono_ns();
    int64_t due = job->token_ns > 0 ? (now - job->t_gen_start) / job->token_ns
                                    : SIM_MAX_TOKENS;
    const char *reason = NULL;
    int done = 0, batch = 0;
    do {
        if (job->f_drop &&
            job->pieces_sent >=
                s->cfg.faults[SIM_FAULT_DROP].after +
                    (s->cfg.faults[SIM_FAULT_DROP].half ? 1 : 0)) {
            /* The client must see exactly `after` pieces, then the close.
             * Pieces may still wait in evhttp's buffer when tokens come
             * faster than writes, and only the loop can write them (a
             * bufferevent's output cannot be drained from outside), so
             * wait for job_drained_cb first. */
            if (job_unsent(job) > 0) {
                job->paused = 1;
                return;
            }
            job_drop(job);
            return;
        }
        if (job->f_midstream &&
            job->pieces_sent >=
                s->cfg.faults[SIM_FAULT_ERROR_MIDSTREAM].after) {
            job_fail(job, 500,
                     "an error was encountered while running the "
                     "model: simulated fault (herd-sim)");
            return;
        }
        done = job_emit(job, &reason);
    } while (!done && job->eval_count <= due && ++batch < GEN_BATCH_MAX);
    if (done) {
        job_complete(job, reason);
        return;
    }
    if (job->headers_sent && job_unsent(job) > GEN_OUTPUT_HIGH) {
        job->paused = 1; /* job_drained_cb resumes */
        return;
    }
    int64_t next = job->t_gen_start + (int64_t)job->eval_count * job->token_ns;
    struct timeval tv = sim_tv(next - now);
    evtimer_add(job->timer, &tv);
}
