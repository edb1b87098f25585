/* The local Ollama as herd-node sees it: /api/version, /api/tags and
 * /api/ps, asked one after the other on the event loop (never blocking),
 * each with a timeout. A request that fails leaves its answer empty: the
 * node still heartbeats, with no models (as the reference does). */
#ifndef HERD_AGENT_OLLAMA_H
#define HERD_AGENT_OLLAMA_H

#include <json-c/json.h>

#include "agent_url.h"

#define AGENT_OLLAMA_MAX_BODY (8 << 20)

struct event_base;
struct evdns_base;
struct evhttp_connection;

enum agent_ollama_step {
    AGENT_OLLAMA_VERSION,
    AGENT_OLLAMA_TAGS,
    AGENT_OLLAMA_PS,
    AGENT_OLLAMA_STEPS
};

typedef void (*agent_ollama_done_fn)(void *arg);

struct agent_ollama {
    struct agent_url url;
    struct evhttp_connection *conn;
    double timeout_s;
    int busy;
    int pending; /* a request is out */
    enum agent_ollama_step step;
    json_object *answers[AGENT_OLLAMA_STEPS]; /* being collected */
    /* the last finished probe: NULL where Ollama did not answer */
    json_object *result[AGENT_OLLAMA_STEPS];
    int reachable; /* the last probe got at least one answer */
    int failing;   /* for logging changes only */
    agent_ollama_done_fn done;
    void *done_arg;
};

/* Sets up the connection to url (validated by the caller). */
int agent_ollama_init(struct agent_ollama *o, struct event_base *base,
                      struct evdns_base *dns, const struct agent_url *url,
                      double timeout_s);

/* Starts a probe; done(arg) runs when it has finished, answered or not.
 * Returns -EBUSY while the previous probe runs. */
int agent_ollama_probe(struct agent_ollama *o, agent_ollama_done_fn done,
                       void *arg);

/* Ollama's version string of the last probe, or NULL. */
const char *agent_ollama_version(const struct agent_ollama *o);

void agent_ollama_free(struct agent_ollama *o);

#endif
