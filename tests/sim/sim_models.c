/* The catalogue of installed models: names, metadata, capabilities. */
#include "autoconfig.h"

#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
models_part_ok(const char *p, size_t n, int tag)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.'))
            return 0;
        if (i == 0 && !isalnum(c) && !(tag && c == '_'))
            return 0;
    }
    return 1;
}

int
models_normalize(const char *name, char *out, size_t outlen)
{
    const char *parts[3];
    size_t lens[3];
    int n = 0;
    const char *p = name, *slash;
    if (!name || !*name || strlen(name) > 350)
        return -EINVAL;
    while ((slash = strchr(p, '/')) && n < 2) {
        parts[n] = p;
        lens[n++] = (size_t)(slash - p);
        p = slash + 1;
    }
    if (strchr(p, '/'))
        return -EINVAL;
    const char *colon = strrchr(p, ':');
    size_t mlen = colon ? (size_t)(colon - p) : strlen(p);
    const char *tag = colon ? colon + 1 : "latest";
    if (!models_part_ok(p, mlen, 0) || !models_part_ok(tag, strlen(tag), 1))
        return -EINVAL;
    const char *host = "registry.ollama.ai", *ns = "library";
    size_t hlen = strlen(host), nlen = strlen(ns);
    if (n == 2) {
        host = parts[0], hlen = lens[0], ns = parts[1], nlen = lens[1];
        if (hlen == 0 || hlen > 128)
            return -EINVAL;
    } else if (n == 1) {
        ns = parts[0], nlen = lens[0];
    }
    if (!models_part_ok(ns, nlen, 0))
        return -EINVAL;
    int dflt_host =
        hlen == 18 && strncasecmp(host, "registry.ollama.ai", 18) == 0;
    int dflt_ns = nlen == 7 && strncasecmp(ns, "library", 7) == 0;
    int w;
    if (dflt_host && dflt_ns)
        w = snprintf(out, outlen, "%.*s:%s", (int)mlen, p, tag);
    else if (dflt_host)
        w = snprintf(out, outlen, "%.*s/%.*s:%s", (int)nlen, ns, (int)mlen, p,
                     tag);
    else
        w = snprintf(out, outlen, "%.*s/%.*s/%.*s:%s", (int)hlen, host,
                     (int)nlen, ns, (int)mlen, p, tag);
    return w > 0 && (size_t)w < outlen ? 0 : -EINVAL;
}

struct sim_model *
models_find(struct sim_server *s, const char *name)
{
    char norm[400];
    if (models_normalize(name, norm, sizeof norm) < 0)
        return NULL;
    for (struct sim_model *m = s->models; m; m = m->next)
        if (!m->deleted && strcasecmp(m->name, norm) == 0)
            return m;
    return NULL;
}

struct sim_model *
models_new(const char *name, double size_gb, int ctx)
{
    char norm[400];
    if (models_normalize(name, norm, sizeof norm) < 0)
        return NULL;
    struct sim_model *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(norm))) {
        free(m);
        return NULL;
    }
    m->size_bytes = (uint64_t)(size_gb * SIM_GIB);
    m->context_length = ctx;
    return m;
}

static void
models_free_one(struct sim_model *m)
{
    free(m->name);
    free(m->family);
    free(m->parameter_size);
    free(m->quantization);
    free(m->format);
    free(m);
}

void
models_free_list(struct sim_model *m)
{
    while (m) {
        struct sim_model *next = m->next;
        models_free_one(m);
        m = next;
    }
}

static int
models_name_has(const struct sim_model *m, const char *needle)
{
    return strcasestr(m->name, needle) != NULL;
}

void
models_guess(struct sim_model *m)
{
    if (!m->caps) {
        if (models_name_has(m, "embed") || models_name_has(m, "minilm") ||
            models_name_has(m, "bge-"))
            m->caps = SIM_CAP_EMBEDDING;
        else {
            m->caps = SIM_CAP_COMPLETION | SIM_CAP_TOOLS;
            if (models_name_has(m, "qwen3") || models_name_has(m, "-r1") ||
                models_name_has(m, "gpt-oss") || models_name_has(m, "think"))
                m->caps |= SIM_CAP_THINKING;
            if (models_name_has(m, "llava") || models_name_has(m, "vision") ||
                models_name_has(m, "-vl"))
                m->caps |= SIM_CAP_VISION;
        }
    }
    if ((m->caps & SIM_CAP_EMBEDDING) && m->embedding_length <= 0)
        m->embedding_length = 768;
    if (!m->family) {
        const char *base = strrchr(m->name, '/');
        base = base ? base + 1 : m->name;
        size_t n = 0;
        while (base[n] && isalpha((unsigned char)base[n]))
            n++;
        m->family = n ? strndup(base, n) : strdup("llama");
        for (char *c = m->family; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if (!m->parameter_size) {
        char buf[32];
        /* Q4_K_M weighs about 0.6 GB per billion parameters. */
        double b = (double)m->size_bytes / SIM_GIB / 0.6;
        if (b >= 1)
            snprintf(buf, sizeof buf, "%.1fB", b);
        else
            snprintf(buf, sizeof buf, "%.0fM", b * 1000);
        m->parameter_size = strdup(buf);
    }
    if (!m->quantization)
        m->quantization =
            strdup((m->caps & SIM_CAP_EMBEDDING) ? "F16" : "Q4_K_M");
    if (!m->format)
        m->format = strdup("gguf");
    if (m->context_length <= 0)
        m->context_length = (m->caps & SIM_CAP_EMBEDDING) ? 8192 : 131072;
}

void
models_finish(struct sim_model *m, uint64_t seed)
{
    models_guess(m);
    uint64_t h = sim_hash(m->name, strlen(m->name), seed ^ m->size_bytes);
    for (int i = 0; i < 4; i++) {
        uint64_t v = sim_rand_next(&h);
        snprintf(m->digest + i * 16, 17, "%016llx", (unsigned long long)v);
    }
    if (!m->modified_wall_ns)
        m->modified_wall_ns = sim_wall_ns();
}

json_object *
models_details(const struct sim_model *m)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "parent_model", json_object_new_string(""));
    json_object_object_add(d, "format", json_object_new_string(m->format));
    json_object_object_add(d, "family", json_object_new_string(m->family));
    json_object *fams = json_object_new_array();
    json_object_array_add(fams, json_object_new_string(m->family));
    json_object_object_add(d, "families", fams);
    json_object_object_add(d, "parameter_size",
                           json_object_new_string(m->parameter_size));
    json_object_object_add(d, "quantization_level",
                           json_object_new_string(m->quantization));
    return d;
}

json_object *
models_caps(const struct sim_model *m)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {SIM_CAP_COMPLETION, "completion"}, {SIM_CAP_TOOLS, "tools"},
        {SIM_CAP_THINKING, "thinking"},     {SIM_CAP_EMBEDDING, "embedding"},
        {SIM_CAP_VISION, "vision"},         {SIM_CAP_INSERT, "insert"},
    };
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m->caps & names[i].bit)
            json_object_array_add(a, json_object_new_string(names[i].name));
    return a;
}
