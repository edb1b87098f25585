/* Model size estimates: see model_size.h. */
#include "autoconfig.h"

#include "model_size.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_SIZE_GB_PER_BPARAM 0.6 /* ~Q4 weights plus a little cache */
#define MODEL_SIZE_EMBED_GB 0.3
#define MODEL_SIZE_GIB 1073741824.0

/* The reference's table, for whole tokens. */
static const struct {
    const char *token;
    double gb;
} model_size_table[] = {
    {"671b", 370}, {"405b", 230}, {"70b", 40}, {"32b", 20}, {"8x7b", 20},
    {"22b", 14},   {"14b", 9},    {"7b", 5},   {"8b", 5},   {"3b", 2.5},
    {"4b", 2.5},   {"1b", 1},     {"0.5b", 1},
};

/* "13b" -> 13, "1.5b" -> 1.5, "8x22b" -> 176; 0 when tok is not a
 * parameter count. */
static double
model_size_token_params(const char *tok, size_t len)
{
    char buf[32];
    if (len < 2 || len >= sizeof buf ||
        tolower((unsigned char)tok[len - 1]) != 'b')
        return 0;
    memcpy(buf, tok, len - 1);
    buf[len - 1] = '\0';
    char *x = strchr(buf, 'x');
    double experts = 1;
    const char *num = buf;
    if (x) {
        char *end;
        *x = '\0';
        experts = strtod(buf, &end);
        if (end == buf || *end || experts <= 0)
            return 0;
        num = x + 1;
    }
    /* digits with at most one dot, nothing else */
    int dots = 0;
    if (!isdigit((unsigned char)num[0]))
        return 0;
    for (const char *p = num; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            return 0;
    }
    if (dots > 1)
        return 0;
    return experts * strtod(num, NULL);
}

double
model_size_from_name(const char *model)
{
    char lower[256];
    size_t n = strlen(model);
    if (n >= sizeof lower)
        n = sizeof lower - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)model[i]);
    lower[n] = '\0';

    /* Tokens are separated by ':', '-', '_', '/' (and the tag's '.' is
     * kept: "1.5b" is one token). */
    const char *p = lower;
    while (*p) {
        size_t len = strcspn(p, ":-_/ ");
        if (len > 0) {
            for (size_t i = 0;
                 i < sizeof model_size_table / sizeof model_size_table[0]; i++)
                if (strlen(model_size_table[i].token) == len &&
                    memcmp(model_size_table[i].token, p, len) == 0)
                    return model_size_table[i].gb;
            double b = model_size_token_params(p, len);
            if (b > 0) {
                double gb = b * MODEL_SIZE_GB_PER_BPARAM;
                return gb < 0.5 ? 0.5 : gb;
            }
        }
        p += len;
        if (*p)
            p++;
    }
    if (strstr(lower, "embed"))
        return MODEL_SIZE_EMBED_GB;
    return MODEL_SIZE_DEFAULT_GB;
}

static double
model_size_bytes_per_param(const char *quant)
{
    if (!quant || !*quant)
        return MODEL_SIZE_GB_PER_BPARAM;
    char q = (char)toupper((unsigned char)quant[0]);
    if (q == 'F' || q == 'B') /* F16, BF16, F32 */
        return strstr(quant, "32") ? 4.0 : 2.0;
    if (q == 'Q' || q == 'I') {
        const char *d = quant + 1;
        while (*d && !isdigit((unsigned char)*d))
            d++;
        int bits = atoi(d);
        if (bits >= 2 && bits <= 8)
            return bits / 8.0 + 0.1; /* scales and the odd F16 tensor */
    }
    return MODEL_SIZE_GB_PER_BPARAM;
}

double
model_size_from_params(const char *parameter_size, const char *quantization)
{
    if (!parameter_size || !*parameter_size)
        return 0;
    char *end;
    double v = strtod(parameter_size, &end);
    if (end == parameter_size || !isfinite(v) || v <= 0)
        return 0;
    double billions;
    switch (toupper((unsigned char)*end)) {
    case 'B':
        billions = v;
        break;
    case 'M':
        billions = v / 1000.0;
        break;
    case 'K':
        billions = v / 1e6;
        break;
    case 'T':
        billions = v * 1000.0;
        break;
    default:
        return 0;
    }
    if (end[1] != '\0')
        return 0;
    return billions * model_size_bytes_per_param(quantization);
}

double
model_size_loaded(const struct registry_node *n, const char *model)
{
    for (size_t i = 0; i < n->snap.loaded_count; i++)
        if (n->snap.loaded[i].name &&
            strcmp(n->snap.loaded[i].name, model) == 0)
            return n->snap.loaded[i].size_gb;
    return 0;
}

/* The on-disk size (or parameter count) a node's /api/tags object gives. */
static double
model_size_available(const struct hb_available *a)
{
    json_object *v, *details;
    if (!a->raw)
        return 0;
    if (json_object_object_get_ex(a->raw, "size", &v) &&
        (json_object_is_type(v, json_type_int) ||
         json_object_is_type(v, json_type_double))) {
        double bytes = json_object_get_double(v);
        if (bytes > 0)
            return bytes / MODEL_SIZE_GIB;
    }
    if (json_object_object_get_ex(a->raw, "details", &details) &&
        json_object_is_type(details, json_type_object)) {
        json_object *ps = NULL, *q = NULL;
        json_object_object_get_ex(details, "parameter_size", &ps);
        json_object_object_get_ex(details, "quantization_level", &q);
        if (ps && json_object_is_type(ps, json_type_string))
            return model_size_from_params(
                json_object_get_string(ps),
                q && json_object_is_type(q, json_type_string)
                    ? json_object_get_string(q)
                    : NULL);
    }
    return 0;
}

double
model_size_estimate(const struct registry *reg, const char *model)
{
    double loaded = 0, details = 0;
    size_t count = registry_count(reg);

    for (size_t i = 0; i < count; i++) {
        const struct registry_node *n = registry_at(reg, i);
        for (size_t j = 0; j < n->snap.loaded_count; j++) {
            const struct hb_loaded *l = &n->snap.loaded[j];
            if (!l->name || strcmp(l->name, model) != 0)
                continue;
            if (l->size_gb > loaded)
                loaded = l->size_gb;
            /* a loaded size wins: the details are parsed only without one */
            if (details <= 0 && loaded <= 0)
                details =
                    model_size_from_params(l->parameter_size, l->quantization);
        }
        if (loaded > 0 || details > 0)
            continue;
        for (size_t j = 0; j < n->snap.available_count; j++) {
            const struct hb_available *a = &n->snap.available[j];
            if (a->name && strcmp(a->name, model) == 0) {
                details = model_size_available(a);
                break;
            }
        }
    }
    if (loaded > 0)
        return loaded;
    if (details > 0)
        return details;
    return model_size_from_name(model);
}
