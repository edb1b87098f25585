/* Model management endpoints: tags, ps, show, pull, delete, copy. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
manage_by_modified(const void *a, const void *b)
{
    const struct sim_model *x = *(struct sim_model *const *)a;
    const struct sim_model *y = *(struct sim_model *const *)b;
    return x->modified_wall_ns < y->modified_wall_ns   ? 1
           : x->modified_wall_ns > y->modified_wall_ns ? -1
                                                       : 0;
}

static int
manage_by_expiry(const void *a, const void *b)
{
    const struct sim_model *x = *(struct sim_model *const *)a;
    const struct sim_model *y = *(struct sim_model *const *)b;
    int64_t ex = x->runner->expires_wall_ns, ey = y->runner->expires_wall_ns;
    return ex < ey ? 1 : ex > ey ? -1 : 0;
}

static size_t
manage_collect(struct sim_server *s, struct sim_model ***out, int loaded)
{
    size_t n = 0;
    for (struct sim_model *m = s->models; m; m = m->next)
        n++;
    *out = calloc(n ? n : 1, sizeof **out);
    n = 0;
    for (struct sim_model *m = s->models; m; m = m->next)
        if (loaded ? m->runner != NULL : !m->deleted)
            (*out)[n++] = m;
    qsort(*out, n, sizeof **out,
          loaded ? manage_by_expiry : manage_by_modified);
    return n;
}

/* One /api/tags entry. */
static json_object *
manage_tag(struct sim_model *m)
{
    char ts[64];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "model", json_object_new_string(m->name));
    sim_format_time(m->modified_wall_ns, 0, ts, sizeof ts);
    json_object_object_add(o, "modified_at", json_object_new_string(ts));
    json_object_object_add(o, "size",
                           json_object_new_int64((int64_t)m->size_bytes));
    json_object_object_add(o, "digest", json_object_new_string(m->digest));
    json_object_object_add(o, "details", models_details(m));
    return o;
}

void
api_native_tags(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_model **list;
    size_t n = manage_collect(s, &list, 0);
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, manage_tag(list[i]));
    free(list);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "models", a);
    sim_reply_obj(req, 200, o, NULL, 0);
    json_object_put(o);
}

void
api_native_ps(struct sim_server *s, struct evhttp_request *req)
{
    struct sim_model **list;
    size_t n = manage_collect(s, &list, 1);
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct sim_runner *r = list[i]->runner;
        /* ps has no modified_at: the entry is built without it. */
        json_object *e = json_object_new_object();
        char ts[64];
        json_object_object_add(e, "name",
                               json_object_new_string(list[i]->name));
        json_object_object_add(e, "model",
                               json_object_new_string(list[i]->name));
        json_object_object_add(e, "size",
                               json_object_new_int64((int64_t)r->size_bytes));
        json_object_object_add(e, "digest",
                               json_object_new_string(list[i]->digest));
        json_object_object_add(e, "details", models_details(list[i]));
        sim_format_time(r->expires_wall_ns, 0, ts, sizeof ts);
        json_object_object_add(e, "expires_at", json_object_new_string(ts));
        json_object_object_add(e, "size_vram",
                               json_object_new_int64((int64_t)r->size_bytes));
        json_object_object_add(e, "context_length",
                               json_object_new_int(r->num_ctx));
        json_object_array_add(a, e);
    }
    free(list);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "models", a);
    sim_reply_obj(req, 200, o, NULL, 0);
    json_object_put(o);
}

/* The body's "model", or its deprecated alias "name". */
static json_object *
manage_body(struct evhttp_request *req, const char **name)
{
    int status;
    char err[512];
    json_object *body = sim_body_parse(req, &status, err, sizeof err);
    if (!body) {
        sim_reply_error(req, status, NULL, err);
        return NULL;
    }
    if (!json_object_is_type(body, json_type_object)) {
        sim_reply_error(req, 400, NULL,
                        "json: cannot unmarshal value into "
                        "Go value of type api.Request");
        json_object_put(body);
        return NULL;
    }
    *name = sim_jstr(body, "model");
    if (!*name || !**name)
        *name = sim_jstr(body, "name");
    return body;
}

void
api_native_show(struct sim_server *s, struct evhttp_request *req)
{
    const char *name;
    json_object *body = manage_body(req, &name);
    if (!body)
        return;
    char norm[400], msg[512];
    if (!name || !*name) {
        sim_reply_error(req, 400, NULL, "model is required");
        json_object_put(body);
        return;
    }
    struct sim_model *m = models_find(s, name);
    if (!m) {
        if (models_normalize(name, norm, sizeof norm) < 0)
            snprintf(norm, sizeof norm, "%s", name);
        snprintf(msg, sizeof msg, "model '%s' not found", norm);
        sim_reply_error(req, 404, NULL, msg);
        json_object_put(body);
        return;
    }
    json_object_put(body);
    char ts[64], buf[512];
    json_object *o = json_object_new_object();
    json_object_object_add(
        o, "license", json_object_new_string("simulated model, no license"));
    snprintf(buf, sizeof buf,
             "# Modelfile generated by herd-sim\nFROM %s\n"
             "PARAMETER num_ctx %d\n",
             m->name, m->context_length);
    json_object_object_add(o, "modelfile", json_object_new_string(buf));
    json_object_object_add(
        o, "parameters",
        json_object_new_string(
            "stop                           \"<|eot_id|>\""));
    json_object_object_add(o, "template",
                           json_object_new_string("{{ .Prompt }}"));
    json_object_object_add(o, "details", models_details(m));
    json_object *info = json_object_new_object();
    json_object_object_add(info, "general.architecture",
                           json_object_new_string(m->family));
    json_object_object_add(
        info, "general.parameter_count",
        json_object_new_int64(
            (int64_t)((double)m->size_bytes / SIM_GIB / 0.6 * 1e9)));
    snprintf(buf, sizeof buf, "%s.context_length", m->family);
    json_object_object_add(info, buf, json_object_new_int(m->context_length));
    snprintf(buf, sizeof buf, "%s.embedding_length", m->family);
    json_object_object_add(info, buf,
                           json_object_new_int(m->embedding_length > 0
                                                   ? m->embedding_length
                                                   : 4096));
    json_object_object_add(o, "model_info", info);
    json_object_object_add(o, "capabilities", models_caps(m));
    sim_format_time(m->modified_wall_ns, 0, ts, sizeof ts);
    json_object_object_add(o, "modified_at", json_object_new_string(ts));
    sim_reply_obj(req, 200, o, NULL, 0);
    json_object_put(o);
}

void
api_native_delete(struct sim_server *s, struct evhttp_request *req)
{
    const char *name;
    json_object *body = manage_body(req, &name);
    if (!body)
        return;
    char norm[400], msg[512];
    if (!name || models_normalize(name, norm, sizeof norm) < 0) {
        snprintf(msg, sizeof msg, "name \"%s\" is invalid", name ? name : "");
        sim_reply_error(req, 400, NULL, msg);
    } else {
        struct sim_model *m = models_find(s, name);
        if (!m) {
            snprintf(msg, sizeof msg, "model '%s' not found", name);
            sim_reply_error(req, 404, NULL, msg);
        } else {
            log_info("manage", "deleting %s", m->name);
            m->deleted = 1;
            sched_unload(s, m);
            sim_reply_empty(req, 200);
        }
    }
    json_object_put(body);
}

/* Installs (or revives) name as a copy of src's metadata. */
static struct sim_model *
manage_install(struct sim_server *s, const char *name,
               const struct sim_model *src, double size_gb)
{
    char norm[400];
    if (models_normalize(name, norm, sizeof norm) < 0)
        return NULL;
    struct sim_model *m;
    for (m = s->models; m; m = m->next)
        if (strcasecmp(m->name, norm) == 0)
            break;
    if (!m) {
        m = models_new(name, size_gb, 0);
        if (!m)
            return NULL;
        struct sim_model **pp = &s->models;
        while (*pp)
            pp = &(*pp)->next;
        *pp = m;
    }
    m->deleted = 0;
    if (src && src != m) {
        m->size_bytes = src->size_bytes;
        m->context_length = src->context_length;
        m->embedding_length = src->embedding_length;
        m->caps = src->caps;
        m->tokens_per_sec = src->tokens_per_sec;
        m->prompt_tokens_per_sec = src->prompt_tokens_per_sec;
        m->num_parallel = src->num_parallel;
        free(m->family);
        m->family = strdup(src->family);
    }
    m->modified_wall_ns = sim_wall_ns();
    models_finish(m, s->cfg.seed);
    return m;
}

void
api_native_copy(struct sim_server *s, struct evhttp_request *req)
{
    const char *unused;
    json_object *body = manage_body(req, &unused);
    if (!body)
        return;
    const char *src = sim_jstr(body, "source");
    const char *dst = sim_jstr(body, "destination");
    char norm[400], msg[512];
    struct sim_model *m;
    if (!src || models_normalize(src, norm, sizeof norm) < 0) {
        snprintf(msg, sizeof msg, "source \"%s\" is invalid", src ? src : "");
        sim_reply_error(req, 400, NULL, msg);
    } else if (!dst || models_normalize(dst, norm, sizeof norm) < 0) {
        snprintf(msg, sizeof msg, "destination \"%s\" is invalid",
                 dst ? dst : "");
        sim_reply_error(req, 400, NULL, msg);
    } else if (!(m = models_find(s, src))) {
        snprintf(msg, sizeof msg, "model \"%s\" not found", src);
        sim_reply_error(req, 404, NULL, msg);
    } else if (!manage_install(s, dst, m, 0)) {
        sim_reply_error(req, 500, NULL, "out of memory");
    } else {
        sim_reply_empty(req, 200);
    }
    json_object_put(body);
}

/* --- pull: progress lines paced by a timer ----------------------------- */

struct manage_pull {
    struct sim_server *s;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    struct event *timer;
    char *name;
    int stream, step, steps, existing;
    uint64_t total;
    int64_t step_ns;
    char digest[65];
};

static void
manage_pull_free(struct manage_pull *p)
{
    if (p->conn)
        evhttp_connection_set_closecb(p->conn, NULL, NULL);
    event_free(p->timer);
    free(p->name);
    free(p);
}

static void
manage_pull_close_cb(struct evhttp_connection *conn, void *arg)
{
    struct manage_pull *p = arg;
    if (p->req && !evhttp_request_get_connection(p->req)) {
        if (p->stream)
            evhttp_send_reply_end(p->req);
        else
            evhttp_send_reply(p->req, 499, "Client Closed Request", NULL);
    }
    p->conn = NULL;
    manage_pull_free(p);
}

static void
manage_pull_line(struct manage_pull *p, json_object *o)
{
    if (p->stream) {
        struct evbuffer *b = evbuffer_new();
        sim_json_add(b, o);
        evbuffer_add(b, "\n", 1);
        evhttp_send_reply_chunk(p->req, b);
        evbuffer_free(b);
    }
    json_object_put(o);
}

static json_object *
manage_status(const char *status)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(status));
    return o;
}

static void
manage_pull_cb(evutil_socket_t fd, short what, void *arg)
{
    struct manage_pull *p = arg;
    char status[64];
    if (p->step < p->steps) {
        p->step++;
        uint64_t done = p->existing
                            ? p->total
                            : p->total * (uint64_t)p->step / (uint64_t)p->steps;
        snprintf(status, sizeof status, "pulling %.12s", p->digest);
        json_object *o = manage_status(status);
        char dg[80];
        snprintf(dg, sizeof dg, "sha256:%s", p->digest);
        json_object_object_add(o, "digest", json_object_new_string(dg));
        json_object_object_add(o, "total",
                               json_object_new_int64((int64_t)p->total));
        if (done)
            json_object_object_add(o, "completed",
                                   json_object_new_int64((int64_t)done));
        manage_pull_line(p, o);
        struct timeval tv = sim_tv(p->existing ? 0 : p->step_ns);
        evtimer_add(p->timer, &tv);
        return;
    }
    manage_pull_line(p, manage_status("verifying sha256 digest"));
    manage_pull_line(p, manage_status("writing manifest"));
    manage_install(p->s, p->name, NULL, (double)p->total / SIM_GIB);
    log_info("manage", "pulled %s", p->name);
    evhttp_connection_set_closecb(p->conn, NULL, NULL);
    json_object *ok = manage_status("success");
    if (p->stream) {
        manage_pull_line(p, ok);
        evhttp_send_reply_end(p->req);
    } else {
        sim_reply_obj(p->req, 200, ok, "application/json", 0);
        json_object_put(ok);
    }
    p->conn = NULL;
    manage_pull_free(p);
}

/* Size for a pulled model: its tag's parameter count ("8b") at Q4, else
 * 4 GB. */
static double
manage_guess_size(const char *norm)
{
    const char *tag = strrchr(norm, ':');
    if (tag) {
        char *end;
        double b = strtod(tag + 1, &end);
        if (end != tag + 1 && (*end == 'b' || *end == 'B') && b > 0 && b < 2000)
            return b * 0.6;
    }
    return 4.0;
}

void
api_native_pull(struct sim_server *s, struct evhttp_request *req)
{
    const char *name;
    json_object *body = manage_body(req, &name);
    if (!body)
        return;
    char norm[400];
    if (!name || models_normalize(name, norm, sizeof norm) < 0) {
        sim_reply_error(req, 400, NULL, "invalid model name");
        json_object_put(body);
        return;
    }
    struct manage_pull *p = calloc(1, sizeof *p);
    p->s = s;
    p->req = req;
    p->conn = evhttp_request_get_connection(req);
    p->name = strdup(norm);
    json_object *st = sim_jget(body, "stream");
    p->stream = st ? json_object_get_boolean(st) : 1;
    json_object_put(body);
    struct sim_model *m = models_find(s, norm);
    p->existing = m != NULL;
    double gb = m ? (double)m->size_bytes / SIM_GIB : manage_guess_size(norm);
    p->total = (uint64_t)(gb * SIM_GIB);
    uint64_t h = sim_hash(norm, strlen(norm), s->cfg.seed);
    for (int i = 0; i < 4; i++)
        snprintf(p->digest + i * 16, 17, "%016llx",
                 (unsigned long long)sim_rand_next(&h));
    p->steps = p->existing ? 1 : 10;
    p->step_ns = (int64_t)(gb / s->cfg.pull_gb_per_sec * s->cfg.time_scale *
                           1e9 / p->steps);
    p->timer = evtimer_new(s->base, manage_pull_cb, p);
    evhttp_connection_set_closecb(p->conn, manage_pull_close_cb, p);
    if (p->stream) {
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Type", "application/x-ndjson");
        evhttp_send_reply_start(req, 200, "OK");
        manage_pull_line(p, manage_status("pulling manifest"));
    }
    struct timeval tv = sim_tv(p->step_ns);
    evtimer_add(p->timer, &tv);
}
