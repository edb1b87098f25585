/* herd-sim: shared types of the Ollama-protocol simulator.
 *
 * One libevent loop. A generation request becomes a sim_job: the API layer
 * parses it, the scheduler (sim_sched.c) gives it a runner and a slot, the
 * generator (sim_generate.c) paces its tokens with timers, and the job's
 * API format (struct sim_fmt) turns tokens into NDJSON lines, SSE events or
 * one JSON object. */
#ifndef HERD_SIM_H
#define HERD_SIM_H

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define SIM_VERSION_OLLAMA "0.12.6" /* what /api/version reports */
#define SIM_BODY_LIMIT (8u << 20)   /* request bodies above this get 413 */
#define SIM_MAX_TOKENS 100000       /* bound on one answer's length */
#define SIM_GIB 1073741824.0
/* Durations are capped at 100 years so that now + d fits in int64 ns. */
#define SIM_KEEP_ALIVE_MAX_S (100.0 * 365 * 86400)
#define SIM_FOREVER INT64_MAX /* expires_at of keep_alive < 0 */

enum sim_cap {
    SIM_CAP_COMPLETION = 1 << 0,
    SIM_CAP_TOOLS = 1 << 1,
    SIM_CAP_THINKING = 1 << 2,
    SIM_CAP_EMBEDDING = 1 << 3,
    SIM_CAP_VISION = 1 << 4,
    SIM_CAP_INSERT = 1 << 5,
};

struct sim_job;
struct sim_server;

struct sim_model_stats {
    uint64_t loads, reloads, evictions, unloads, requests, max_concurrent;
    uint64_t cache_hits, cached_tokens, prompt_tokens, eval_tokens;
};

/* One parallel slot of a runner; remembers the last prompt for the
 * prompt cache. */
struct sim_slot {
    struct sim_job *job; /* NULL when free */
    char *last_prompt;
};

TAILQ_HEAD(sim_job_list, sim_job);

enum sim_runner_state { SIM_RUNNER_LOADING, SIM_RUNNER_READY };

struct sim_runner {
    struct sim_server *srv;
    struct sim_model *model;
    enum sim_runner_state state;
    int num_ctx;
    int64_t keep_alive_ns; /* < 0: forever */
    int64_t expires_wall_ns;
    int refs;     /* attached jobs (running or waiting a slot) */
    int active;   /* slots in use */
    int expire;   /* unload as soon as refs reaches 0 */
    int evicting; /* ...to make room: counted as an eviction */
    int nslots;
    struct sim_slot *slots;
    struct sim_job_list slot_wait; /* FIFO of jobs waiting for a slot */
    struct event *timer;           /* load completion, then idle expiry */
    uint64_t size_bytes;
};

struct sim_model {
    char *name; /* display name with tag: "llama3.2:latest" */
    char *family, *parameter_size, *quantization, *format;
    uint64_t size_bytes;
    int context_length; /* trained context */
    int embedding_length;
    unsigned caps;
    double tokens_per_sec, prompt_tokens_per_sec; /* 0: server default */
    int num_parallel;                             /* 0: server default */
    char digest[65];
    int64_t modified_wall_ns;
    int deleted; /* kept for jobs that still point here */
    struct sim_runner *runner;
    struct sim_model_stats st;
    struct sim_model *next;
};

enum sim_fault_kind {
    SIM_FAULT_REFUSE,
    SIM_FAULT_ERROR500,
    SIM_FAULT_DROP,
    SIM_FAULT_STALL,
    SIM_FAULT_SLOW,
    SIM_FAULT_MALFORMED,
    SIM_FAULT_ERROR_MIDSTREAM,
    SIM_FAULT_COUNT
};

struct sim_fault {
    double probability; /* 0..1 */
    int64_t count;      /* next N requests, before probability */
    double seconds;     /* stall length */
    double factor;      /* slow: token rate divided by this */
    int after;          /* drop/malformed: after this many chunks */
    int half;           /* drop: then half of one more, no newline */
    uint64_t triggered;
};

struct sim_config {
    char *host;
    int port;
    double memory_gb;
    int num_parallel, max_queue, max_loaded;
    double tokens_per_sec, prompt_tokens_per_sec, load_gb_per_sec;
    double pull_gb_per_sec;
    double time_scale;
    uint64_t seed;
    int64_t keep_alive_ns;
    int response_tokens, thinking_tokens;
    int default_ctx;
    int log_level;
    struct sim_model *models; /* catalogue as configured */
    struct sim_fault faults[SIM_FAULT_COUNT];
};

struct sim_server {
    struct event_base *base;
    struct evhttp *http;
    struct sim_config cfg;
    struct sim_model *models;
    struct sim_job_list pending; /* waiting for a runner (load/reload) */
    int npending, nslot_waiting;
    struct sim_runner *loading; /* at most one load at a time */
    uint64_t requests_total, requests_in_flight, rejected_busy;
    uint64_t id_counter;
    uint64_t rng;
};

/* --- sim_util.c: time, randomness, text ------------------------------ */
int64_t sim_mono_ns(void);
int64_t sim_wall_ns(void);
/* RFC 3339 with trimmed nanoseconds, as Go prints it; utc forces "Z".
 * SIM_FOREVER prints as now + 292 years, like Go's maximal duration. */
void sim_format_time(int64_t wall_ns, int utc, char *out, size_t outlen);
uint64_t sim_rand_next(uint64_t *state);
double sim_rand_unit(uint64_t *state);
uint64_t sim_hash(const char *s, size_t len, uint64_t seed);
struct timeval sim_tv(int64_t ns);
/* Parses a Go duration ("5m", "1.5h", "-1m", "0"). Returns 0, or -EINVAL
 * with Go's message in err. */
int sim_parse_go_duration(const char *s, int64_t *ns, char *err, size_t errlen);

/* --- sim_json.c: Go-compatible JSON in and out ----------------------- */
/* Serialises o as Go's encoding/json does (<, >, & escaped), into buf. */
void sim_json_add(struct evbuffer *buf, json_object *o);
/* Replies o with status code and content type; newline appends "\n". */
void sim_reply_obj(struct evhttp_request *req, int code, json_object *o,
                   const char *ctype, int newline);
/* Replies {"error":msg} (native shape). */
void sim_reply_error(struct evhttp_request *req, int code, const char *ctype,
                     const char *msg);
/* Replies the OpenAI error object; type from the status code. */
void sim_reply_oai_error(struct evhttp_request *req, int code, const char *msg);
void sim_reply_text(struct evhttp_request *req, int code, const char *text);
void sim_reply_empty(struct evhttp_request *req, int code);
/* Parses the body like Go's decoder into a struct. NULL body or a JSON
 * null give an empty object. Returns NULL with status and message set. */
json_object *sim_body_parse(struct evhttp_request *req, int *status, char *err,
                            size_t errlen);

/* Field type rules for Go's "cannot unmarshal" errors. */
enum sim_jtype {
    SIM_J_STRING,
    SIM_J_BOOL,
    SIM_J_INT,
    SIM_J_NUMBER,
    SIM_J_OBJECT,
    SIM_J_ARRAY,
    SIM_J_ANY
};
struct sim_field_rule {
    const char *name;
    enum sim_jtype type;
    const char *gotype;
};
/* Checks typed fields of o; returns 0 or -EINVAL with Go's message. */
int sim_json_check(json_object *o, const char *goname,
                   const struct sim_field_rule *rules, char *err,
                   size_t errlen);
/* A double printed shortest-first ("0.1", not "0.10000000000000001"). */
json_object *sim_json_double(double v);
/* Field accessors that treat a missing or null field as absent. */
json_object *sim_jget(json_object *o, const char *key);
const char *sim_jstr(json_object *o, const char *key);

/* --- sim_models.c: the catalogue ------------------------------------ */
/* Normalises name ("llama3.2" -> "llama3.2:latest", lowercase host and
 * namespace dropped). Returns -EINVAL for an invalid name. */
int models_normalize(const char *name, char *out, size_t outlen);
struct sim_model *models_find(struct sim_server *s, const char *name);
struct sim_model *models_new(const char *name, double size_gb, int ctx);
void models_free_list(struct sim_model *m);
void models_finish(struct sim_model *m, uint64_t seed);
json_object *models_details(const struct sim_model *m);
json_object *models_caps(const struct sim_model *m);
/* Fills family/parameter size/capabilities from the name when unset. */
void models_guess(struct sim_model *m);

/* --- sim_config.c ---------------------------------------------------- */
void config_defaults(struct sim_config *c);
void config_free(struct sim_config *c);
/* "NAME:SIZE_GB[:CTX]" (embed: the third field is the dimension). */
int config_add_model_spec(struct sim_config *c, const char *spec, int embed,
                          char *err, size_t errlen);
int config_load_ini(struct sim_config *c, const char *path, char *err,
                    size_t errlen);
/* Sets one [server] key from text (shared by INI and flags). */
int config_set_server_key(struct sim_config *c, const char *key,
                          const char *value, char *err, size_t errlen);
int config_check(struct sim_config *c, char *err, size_t errlen);

/* --- sim_faults.c ---------------------------------------------------- */
const char *faults_name(enum sim_fault_kind k);
/* "MODE[:key=value,...]" as in --fault. */
int faults_parse_spec(struct sim_config *c, const char *spec, char *err,
                      size_t errlen);
/* Decides whether fault k hits this request (consumes count). */
int faults_hit(struct sim_server *s, enum sim_fault_kind k);
json_object *faults_json(struct sim_server *s);
void faults_handle(struct sim_server *s, struct evhttp_request *req);

/* --- sim_sched.c: runners, memory, slots, queue ---------------------- */
/* Queues job for a runner and a slot. Returns 0, or -EBUSY when the queue
 * is full (the caller answers 503), -E2BIG when the model cannot fit. */
int sched_submit(struct sim_server *s, struct sim_job *job);
/* The job finished or its client left: release what it holds. */
void sched_release(struct sim_server *s, struct sim_job *job);
/* keep_alive 0 with nothing to do: unload when idle. */
void sched_unload(struct sim_server *s, struct sim_model *m);
uint64_t sched_memory_used(struct sim_server *s);
int sched_loaded_count(struct sim_server *s);
void sched_shutdown(struct sim_server *s);

/* --- sim_generate.c -------------------------------------------------- */
enum sim_piece { SIM_PIECE_THINKING, SIM_PIECE_CONTENT };

/* How one API renders a job. A streaming format sends its headers with
 * its first piece; finish sends the last line or the only object. */
struct sim_fmt {
    int openai; /* errors in OpenAI shape */
    void (*piece)(struct sim_job *job, enum sim_piece kind, const char *text);
    void (*tool_call)(struct sim_job *job, json_object *call);
    /* done_reason: "stop", "length", "load" or "unload". */
    void (*finish)(struct sim_job *job, const char *done_reason);
};

enum sim_job_kind { SIM_JOB_GENERATE, SIM_JOB_EMBED, SIM_JOB_LOAD };

struct sim_job {
    struct sim_server *srv;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    const struct sim_fmt *fmt;
    enum sim_job_kind kind;
    struct sim_model *model;
    char *model_echo; /* as the client sent it */
    char *prompt;     /* the text the prompt cache and counts see */
    int num_ctx;
    int has_keep_alive;
    int64_t keep_alive_ns;
    int num_predict; /* -1: model's natural length */
    uint64_t seed;
    int think; /* emit thinking tokens */
    int logprobs, top_logprobs; /* native: each answer token's logprob */
    json_object *kept_logprobs; /* not streamed: every token's, for the end */
    int stream;
    int raw;
    json_object *tool;   /* tool definition to call (borrowed from body) */
    json_object *body;   /* the parsed request (owned) */
    json_object *inputs; /* embed: array of strings (borrowed from body) */
    int embed_legacy;    /* /api/embeddings */
    int include_usage, oai_id;
    int64_t created_s;
    /* progress */
    int phase; /* sim_generate.c's own steps */
    int queued, waiting_slot, running;
    struct sim_runner *runner;
    int slot;
    struct event *timer;
    struct event *watch; /* peeks the client socket until headers go out */
    int64_t t_start, t_assigned, t_first, t_gen_start, t_end;
    int64_t prompt_ns, token_ns;
    int prompt_tokens, evaluated_tokens, eval_count, target_tokens;
    int think_tokens, pieces_sent;
    const char *done_reason;
    uint64_t rng;
    /* faults decided at submit */
    int f_drop, f_malformed, f_midstream, f_stall_done;
    double f_slow;
    int64_t f_stall_ns;
    /* non-stream accumulation and per-API state */
    struct evbuffer *text, *thinking;
    json_object *tool_calls;
    int role_sent, tool_sent, headers_sent;
    int paused; /* the client reads slower than we write */
    TAILQ_ENTRY(sim_job) link;
};

struct sim_job *job_new(struct sim_server *s, struct evhttp_request *req,
                        const struct sim_fmt *fmt, enum sim_job_kind kind);
/* Hands job to the scheduler; answers 503/500 itself when refused. */
void job_submit(struct sim_job *job);
/* Called by the scheduler when job has its runner and slot. */
void job_ready(struct sim_job *job);
/* Error before the first byte, in the job's API shape. */
void job_fail(struct sim_job *job, int code, const char *msg);
void job_free(struct sim_job *job);
/* Writes one chunk of a streaming reply; applies the malformed fault. */
void job_send_line(struct sim_job *job, struct evbuffer *line);
/* A word drawn from rng: the vocabulary of every answer. */
const char *gen_word(uint64_t *rng);
int gen_count_tokens(const char *text);
/* Fills a unit-length vector of dim floats for text. */
void gen_embedding(const char *text, int dim, uint64_t seed, double *out);

/* --- sim_api_*.c, sim_state.c, sim_http.c ---------------------------- */
void api_native_generate(struct sim_server *s, struct evhttp_request *req);
void api_native_chat(struct sim_server *s, struct evhttp_request *req);
void api_native_embed(struct sim_server *s, struct evhttp_request *req,
                      int legacy);
void api_native_tags(struct sim_server *s, struct evhttp_request *req);
void api_native_ps(struct sim_server *s, struct evhttp_request *req);
void api_native_show(struct sim_server *s, struct evhttp_request *req);
void api_native_pull(struct sim_server *s, struct evhttp_request *req);
void api_native_delete(struct sim_server *s, struct evhttp_request *req);
void api_native_copy(struct sim_server *s, struct evhttp_request *req);
/* Shared by native and OpenAI handlers. */
int api_parse_keep_alive(json_object *v, int *has, int64_t *ns, char *err,
                         size_t errlen);
int api_parse_think(json_object *v, struct sim_model *m, const char *echo,
                    int *think, char *err, size_t errlen);
json_object *api_pick_tool(json_object *tools, const char *last_user);
json_object *api_tool_call(struct sim_job *job, json_object *tool);

void api_openai_chat(struct sim_server *s, struct evhttp_request *req);
void api_openai_completions(struct sim_server *s, struct evhttp_request *req);
void api_openai_embeddings(struct sim_server *s, struct evhttp_request *req);
void api_openai_models(struct sim_server *s, struct evhttp_request *req,
                       const char *id);

void state_handle(struct sim_server *s, struct evhttp_request *req);
/* Ollama's Host and Origin checks; -1 when it already answered (403, or
 * 204 to a CORS preflight). */
int guard_check(struct sim_server *s, struct evhttp_request *req);
int sim_http_start(struct sim_server *s, char *err, size_t errlen);

#endif
