/* herd-sim settings: defaults, --model specs and the INI fleet file. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
config_defaults(struct sim_config *c)
{
    memset(c, 0, sizeof *c);
    c->host = strdup("127.0.0.1");
    c->port = 11434;
    c->memory_gb = 16;
    c->num_parallel = 1;
    c->max_queue = 512;
    c->max_loaded = 3;
    c->tokens_per_sec = 50;
    c->prompt_tokens_per_sec = 500;
    c->load_gb_per_sec = 2;
    c->pull_gb_per_sec = 1;
    c->time_scale = 1;
    c->seed = 42;
    c->keep_alive_ns = 300LL * 1000000000;
    c->response_tokens = 24;
    c->thinking_tokens = 8;
    c->default_ctx = 4096;
    c->log_level = HERD_LOG_INFO;
    for (int i = 0; i < SIM_FAULT_COUNT; i++) {
        c->faults[i].seconds = 5;
        c->faults[i].factor = 10;
        c->faults[i].after = 3;
    }
}

void
config_free(struct sim_config *c)
{
    free(c->host);
    models_free_list(c->models);
    c->host = NULL;
    c->models = NULL;
}

static int
config_double(const char *v, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < min || d > max)
        return -EINVAL;
    *out = d;
    return 0;
}

static int
config_int(const char *v, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long l = strtol(v, &end, 10);
    if (errno || end == v || *end || l < min || l > max)
        return -EINVAL;
    *out = (int)l;
    return 0;
}

static void
config_append_model(struct sim_config *c, struct sim_model *m)
{
    struct sim_model **pp = &c->models;
    while (*pp)
        pp = &(*pp)->next;
    *pp = m;
}

static struct sim_model *
config_model_named(struct sim_config *c, const char *name)
{
    char norm[400];
    if (models_normalize(name, norm, sizeof norm) < 0)
        return NULL;
    for (struct sim_model *m = c->models; m; m = m->next)
        if (strcasecmp(m->name, norm) == 0)
            return m;
    return NULL;
}

int
config_add_model_spec(struct sim_config *c, const char *spec, int embed,
                      char *err, size_t errlen)
{
    /* Numbers are taken from the right, so tags with colons stay in NAME:
     * "llama3.2:3b:2.0:8192" is llama3.2:3b, 2 GB, context 8192. */
    char *copy = strdup(spec);
    char *fields[4];
    int n = 0;
    char *p = copy;
    while (n < 4) {
        char *colon = strrchr(p, ':');
        if (!colon)
            break;
        char *end;
        strtod(colon + 1, &end);
        if (end == colon + 1 || *end)
            break;
        fields[n++] = colon + 1;
        *colon = '\0';
        if (n == 2)
            break;
    }
    double size = 0;
    int ctx = 0;
    int ok = n >= 1;
    if (ok)
        ok = config_double(fields[n - 1], 0.001, 4096, &size) == 0;
    if (ok && n == 2)
        ok = config_int(fields[0], 4, 10000000, &ctx) == 0;
    struct sim_model *m = ok ? models_new(copy, size, 0) : NULL;
    if (!m) {
        snprintf(err, errlen,
                 "bad model \"%s\": expected NAME:SIZE_GB[:%s] with a valid "
                 "model name, a size in (0, 4096] and an integer",
                 spec, embed ? "DIM" : "CTX");
        free(copy);
        return -EINVAL;
    }
    free(copy);
    if (config_model_named(c, m->name)) {
        snprintf(err, errlen, "model \"%s\" given twice", m->name);
        models_free_list(m);
        return -EEXIST;
    }
    if (embed) {
        m->caps = SIM_CAP_EMBEDDING;
        m->embedding_length = ctx ? ctx : 768;
    } else {
        m->context_length = ctx;
    }
    config_append_model(c, m);
    return 0;
}

int
config_set_server_key(struct sim_config *c, const char *key, const char *value,
                      char *err, size_t errlen)
{
    int rc = 0;
    double d;
    if (strcmp(key, "host") == 0) {
        if (!*value)
            rc = -EINVAL;
        else {
            free(c->host);
            c->host = strdup(value);
        }
    } else if (strcmp(key, "port") == 0)
        rc = config_int(value, 1, 65535, &c->port);
    else if (strcmp(key, "memory_gb") == 0)
        rc = config_double(value, 0.001, 1 << 20, &c->memory_gb);
    else if (strcmp(key, "num_parallel") == 0)
        rc = config_int(value, 1, 100000, &c->num_parallel);
    else if (strcmp(key, "max_queue") == 0)
        rc = config_int(value, 0, 1000000, &c->max_queue);
    else if (strcmp(key, "max_loaded_models") == 0)
        rc = config_int(value, 1, 1000, &c->max_loaded);
    else if (strcmp(key, "tokens_per_sec") == 0)
        rc = config_double(value, 0.001, 1e9, &c->tokens_per_sec);
    else if (strcmp(key, "prompt_tokens_per_sec") == 0)
        rc = config_double(value, 0.001, 1e9, &c->prompt_tokens_per_sec);
    else if (strcmp(key, "load_gb_per_sec") == 0)
        rc = config_double(value, 0.001, 1e6, &c->load_gb_per_sec);
    else if (strcmp(key, "pull_gb_per_sec") == 0)
        rc = config_double(value, 0.001, 1e6, &c->pull_gb_per_sec);
    else if (strcmp(key, "time_scale") == 0)
        rc = config_double(value, 0.000001, 1000, &c->time_scale);
    else if (strcmp(key, "seed") == 0) {
        rc = config_double(value, 0, 1.8e19, &d);
        if (rc == 0)
            c->seed = strtoull(value, NULL, 10);
    } else if (strcmp(key, "keep_alive") == 0) {
        char derr[160];
        int64_t ns;
        char *end;
        double secs = strtod(value, &end);
        if (end != value && *end == '\0') /* bare number: seconds */
            ns = (int64_t)(fmin(secs, SIM_KEEP_ALIVE_MAX_S) * 1e9);
        else if (sim_parse_go_duration(value, &ns, derr, sizeof derr) < 0)
            rc = -EINVAL;
        if (rc == 0)
            c->keep_alive_ns = ns < 0 ? -1 : ns;
    } else if (strcmp(key, "response_tokens") == 0)
        rc = config_int(value, 1, SIM_MAX_TOKENS, &c->response_tokens);
    else if (strcmp(key, "thinking_tokens") == 0)
        rc = config_int(value, 0, SIM_MAX_TOKENS, &c->thinking_tokens);
    else if (strcmp(key, "default_num_ctx") == 0)
        rc = config_int(value, 4, 10000000, &c->default_ctx);
    else if (strcmp(key, "log_level") == 0) {
        int l = log_level_parse(value);
        if (l < 0)
            rc = -EINVAL;
        else
            c->log_level = l;
    } else {
        snprintf(err, errlen, "unknown key \"%s\"", key);
        return -ENOENT;
    }
    if (rc < 0)
        snprintf(err, errlen, "bad value \"%s\" for %s", value, key);
    return rc;
}

static int
config_caps(const char *v, unsigned *caps)
{
    static const char *names[] = {"completion", "tools",  "thinking",
                                  "embedding",  "vision", "insert"};
    char *copy = strdup(v), *save = NULL;
    *caps = 0;
    for (char *t = strtok_r(copy, ", ", &save); t;
         t = strtok_r(NULL, ", ", &save)) {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcasecmp(t, names[i]) == 0)
                break;
        if (i == sizeof names / sizeof names[0]) {
            free(copy);
            return -EINVAL;
        }
        *caps |= 1u << i;
    }
    free(copy);
    return *caps ? 0 : -EINVAL;
}

static int
config_set_model_key(struct sim_model *m, const char *key, const char *value,
                     char *err, size_t errlen)
{
    int rc = 0;
    double d;
    char **text = NULL;
    if (strcmp(key, "size_gb") == 0) {
        rc = config_double(value, 0.001, 4096, &d);
        if (rc == 0)
            m->size_bytes = (uint64_t)(d * SIM_GIB);
    } else if (strcmp(key, "context_length") == 0)
        rc = config_int(value, 4, 10000000, &m->context_length);
    else if (strcmp(key, "embedding_length") == 0)
        rc = config_int(value, 1, 65536, &m->embedding_length);
    else if (strcmp(key, "capabilities") == 0)
        rc = config_caps(value, &m->caps);
    else if (strcmp(key, "tokens_per_sec") == 0)
        rc = config_double(value, 0.001, 1e9, &m->tokens_per_sec);
    else if (strcmp(key, "prompt_tokens_per_sec") == 0)
        rc = config_double(value, 0.001, 1e9, &m->prompt_tokens_per_sec);
    else if (strcmp(key, "num_parallel") == 0)
        rc = config_int(value, 1, 100000, &m->num_parallel);
    else if (strcmp(key, "family") == 0)
        text = &m->family;
    else if (strcmp(key, "parameter_size") == 0)
        text = &m->parameter_size;
    else if (strcmp(key, "quantization") == 0)
        text = &m->quantization;
    else if (strcmp(key, "format") == 0)
        text = &m->format;
    else {
        snprintf(err, errlen, "unknown key \"%s\"", key);
        return -ENOENT;
    }
    if (text) {
        if (!*value)
            rc = -EINVAL;
        else {
            free(*text);
            *text = strdup(value);
        }
    }
    if (rc < 0)
        snprintf(err, errlen, "bad value \"%s\" for %s", value, key);
    return rc;
}

static int
config_set_fault_key(struct sim_fault *f, const char *key, const char *value,
                     char *err, size_t errlen)
{
    int rc;
    double d = 0;
    if (strcmp(key, "probability") == 0)
        rc = config_double(value, 0, 1, &f->probability);
    else if (strcmp(key, "count") == 0) {
        rc = config_double(value, 0, 1e15, &d);
        f->count = (int64_t)d;
    } else if (strcmp(key, "seconds") == 0)
        rc = config_double(value, 0, 86400, &f->seconds);
    else if (strcmp(key, "factor") == 0)
        rc = config_double(value, 1, 1e6, &f->factor);
    else if (strcmp(key, "after") == 0)
        rc = config_int(value, 0, SIM_MAX_TOKENS, &f->after);
    else if (strcmp(key, "half") == 0)
        rc = config_int(value, 0, 1, &f->half);
    else {
        snprintf(err, errlen, "unknown key \"%s\"", key);
        return -ENOENT;
    }
    if (rc < 0)
        snprintf(err, errlen, "bad value \"%s\" for %s", value, key);
    return rc;
}

int
faults_parse_spec(struct sim_config *c, const char *spec, char *err,
                  size_t errlen)
{
    char *copy = strdup(spec), *save = NULL;
    char *colon = strchr(copy, ':');
    if (colon)
        *colon = '\0';
    int k;
    for (k = 0; k < SIM_FAULT_COUNT; k++)
        if (strcmp(copy, faults_name((enum sim_fault_kind)k)) == 0)
            break;
    if (k == SIM_FAULT_COUNT) {
        snprintf(err, errlen, "unknown fault mode \"%s\"", copy);
        free(copy);
        return -EINVAL;
    }
    struct sim_fault f = c->faults[k];
    int rc = 0;
    for (char *t = colon ? strtok_r(colon + 1, ",", &save) : NULL; t && !rc;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq) {
            snprintf(err, errlen, "fault %s: \"%s\" is not key=value",
                     faults_name((enum sim_fault_kind)k), t);
            rc = -EINVAL;
            break;
        }
        *eq = '\0';
        rc = config_set_fault_key(&f, t, eq + 1, err, errlen);
    }
    if (rc == 0 && f.probability == 0 && f.count == 0)
        f.count = 1 << 30; /* a mode named alone is always on */
    if (rc == 0)
        c->faults[k] = f;
    free(copy);
    return rc;
}

struct config_ini_ctx {
    struct sim_config *c;
    FILE *f;
    int lineno; /* lines read so far: the handler's line */
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

/* inih is built without line numbers in its handler: count them in the
 * reader instead. */
static char *
config_ini_reader(char *str, int num, void *stream)
{
    struct config_ini_ctx *x = stream;
    char *r = fgets(str, num, x->f);
    if (r)
        x->lineno++;
    return r;
}

static int
config_ini_handler(void *user, const char *section, const char *key,
                   const char *value)
{
    struct config_ini_ctx *x = user;
    int lineno = x->lineno;
    char msg[256];
    int rc;
    if (strcmp(section, "server") == 0) {
        rc = config_set_server_key(x->c, key, value, msg, sizeof msg);
    } else if (strncmp(section, "model.", 6) == 0) {
        struct sim_model *m = config_model_named(x->c, section + 6);
        if (!m) {
            m = models_new(section + 6, 4.0, 0);
            if (m)
                config_append_model(x->c, m);
        }
        if (!m) {
            snprintf(msg, sizeof msg, "invalid model name \"%s\"", section + 6);
            rc = -EINVAL;
        } else {
            rc = config_set_model_key(m, key, value, msg, sizeof msg);
        }
    } else if (strncmp(section, "fault.", 6) == 0) {
        int k;
        for (k = 0; k < SIM_FAULT_COUNT; k++)
            if (strcmp(section + 6, faults_name((enum sim_fault_kind)k)) == 0)
                break;
        if (k == SIM_FAULT_COUNT) {
            snprintf(msg, sizeof msg, "unknown fault mode \"%s\"", section + 6);
            rc = -EINVAL;
        } else {
            rc = config_set_fault_key(&x->c->faults[k], key, value, msg,
                                      sizeof msg);
        }
    } else {
        snprintf(msg, sizeof msg, "unknown section [%s]", section);
        rc = -EINVAL;
    }
    if (rc < 0 && !x->failed) {
        snprintf(x->err, x->errlen, "%s:%d: %s", x->path, lineno, msg);
        x->failed = 1;
    }
    return rc == 0;
}

int
config_load_ini(struct sim_config *c, const char *path, char *err,
                size_t errlen)
{
    /* Debian's inih cuts lines at 200 bytes and goes on: refuse them. */
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char line[256];
    int lineno = 1;
    size_t len = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        int end = n > 0 && line[n - 1] == '\n';
        len += n - (size_t)end;
        if (len > 198) {
            snprintf(err, errlen, "%s:%d: line longer than 198 characters",
                     path, lineno);
            fclose(f);
            return -EINVAL;
        }
        if (end) {
            lineno++;
            len = 0;
        }
    }
    rewind(f);
    struct config_ini_ctx x = {c, f, 0, path, err, errlen, 0};
    int rc = ini_parse_stream(config_ini_reader, &x, config_ini_handler, &x);
    fclose(f);
    if (x.failed)
        return -EINVAL;
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: syntax error", path, rc);
        return -EINVAL;
    }
    for (struct sim_model *m = c->models; m; m = m->next) {
        if (m->embedding_length > 0 && !m->caps)
            m->caps = SIM_CAP_EMBEDDING;
    }
    return 0;
}

int
config_check(struct sim_config *c, char *err, size_t errlen)
{
    if (!c->models) {
        /* A small default catalogue so a bare herd-sim is useful. */
        config_add_model_spec(c, "llama3.2:3b:2.0:131072", 0, err, errlen);
        config_add_model_spec(c, "qwen3:8b:5.2:40960", 0, err, errlen);
        config_add_model_spec(c, "nomic-embed-text:0.27:768", 1, err, errlen);
    }
    for (struct sim_model *m = c->models; m; m = m->next) {
        models_finish(m, c->seed);
        if ((m->caps & SIM_CAP_EMBEDDING) && (m->caps & SIM_CAP_COMPLETION)) {
            snprintf(err, errlen,
                     "model %s: embedding and completion exclude each other",
                     m->name);
            return -EINVAL;
        }
    }
    return 0;
}
