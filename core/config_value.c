/* Parsing and printing of single configuration values, one type each.
 * Every value that --print-config writes must parse back to the same
 * value, so the formats here are the inverse of the parsers. */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cors_origin.h"
#include "common/log.h"
#include "config_impl.h"

#define KIB 1024.0

/* Rejects what an INI line cannot carry back: control characters, a ';'
 * after a blank (inih reads it as a comment), edge blanks, over-long. */
static int
value_check_text(const struct config_key *k, const char *text, char *err,
                 size_t errlen)
{
    size_t len = strlen(text);
    size_t max = config_ini_line_max() - strlen(k->name) - 3;

    if (len > max) {
        snprintf(err, errlen, "value too long (%zu characters, at most %zu)",
                 len, max);
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(err, errlen, "control character in '%s'", text);
            return -EINVAL;
        }
        if (c == ';' && i > 0 && isspace((unsigned char)text[i - 1])) {
            snprintf(err, errlen, "'%s': ' ;' would start an INI comment",
                     text);
            return -EINVAL;
        }
    }
    if (len > 0 && (isspace((unsigned char)text[0]) ||
                    isspace((unsigned char)text[len - 1]))) {
        snprintf(err, errlen, "'%s' has leading or trailing blanks", text);
        return -EINVAL;
    }
    return 0;
}

/* A plain decimal: digits, and a fraction when allowed. *rest is what
 * follows (a unit suffix). */
static int
value_number(const char *text, int fraction, double *out, const char **rest,
             char *err, size_t errlen)
{
    const char *p = text;
    char buf[64];

    if (*p == '-') {
        snprintf(err, errlen, "'%s' must not be negative", text);
        return -EINVAL;
    }
    while (isdigit((unsigned char)*p))
        p++;
    if (p == text) {
        snprintf(err, errlen, "'%s' is not a number", text);
        return -EINVAL;
    }
    if (fraction && *p == '.') {
        const char *f = ++p;
        while (isdigit((unsigned char)*p))
            p++;
        if (p == f) {
            snprintf(err, errlen, "'%s' is not a number", text);
            return -EINVAL;
        }
    }
    if ((size_t)(p - text) >= sizeof buf) {
        snprintf(err, errlen, "'%s' is out of range", text);
        return -EINVAL;
    }
    memcpy(buf, text, (size_t)(p - text));
    buf[p - text] = '\0';
    *out = strtod(buf, NULL);
    *rest = p;
    return 0;
}

static int
value_range(const char *text, double v, double min, double max, char *err,
            size_t errlen)
{
    char lo[32], hi[32];

    if (v >= min && v <= max)
        return 0;
    if (v == 0 && min > 0 && min < 1) {
        snprintf(err, errlen, "'%s' must be more than 0", text);
        return -EINVAL;
    }
    config_format_double(min, lo, sizeof lo);
    config_format_double(max, hi, sizeof hi);
    snprintf(err, errlen, "'%s' is out of range (%s-%s)", text, lo, hi);
    return -EINVAL;
}

int
config_parse_int(const char *text, double min, double max, int *out, char *err,
                 size_t errlen)
{
    double v;
    const char *rest;

    if (value_number(text, 0, &v, &rest, err, errlen) < 0)
        return -EINVAL;
    if (*rest) {
        snprintf(err, errlen, "'%s' is not a whole number", text);
        return -EINVAL;
    }
    if (value_range(text, v, min, max, err, errlen) < 0)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

int
config_parse_double(const char *text, double min, double max, double *out,
                    char *err, size_t errlen)
{
    double v;
    const char *rest;

    if (value_number(text, 1, &v, &rest, err, errlen) < 0)
        return -EINVAL;
    if (*rest) {
        snprintf(err, errlen, "'%s' is not a number", text);
        return -EINVAL;
    }
    if (value_range(text, v, min, max, err, errlen) < 0)
        return -EINVAL;
    *out = v;
    return 0;
}

int
config_parse_bool(const char *text, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    snprintf(err, errlen,
             "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", text);
    return -EINVAL;
}

static int
value_duration(const char *text, double min, double max, double *out, char *err,
               size_t errlen)
{
    double v, unit = 1;
    const char *rest;

    if (value_number(text, 1, &v, &rest, err, errlen) < 0)
        return -EINVAL;
    if (strcmp(rest, "h") == 0)
        unit = 3600;
    else if (strcmp(rest, "m") == 0)
        unit = 60;
    else if (*rest && strcmp(rest, "s") != 0) {
        snprintf(err, errlen,
                 "'%s' is not a duration (seconds, or a number with s, m "
                 "or h)",
                 text);
        return -EINVAL;
    }
    v *= unit;
    if (value_range(text, v, min, max, err, errlen) < 0)
        return -EINVAL;
    *out = v;
    return 0;
}

static int
value_size(const char *text, double min, double max, size_t *out, char *err,
           size_t errlen)
{
    double v, unit = 1;
    const char *rest;
    char lo[32], hi[32];

    if (value_number(text, 0, &v, &rest, err, errlen) < 0)
        return -EINVAL;
    if (strcasecmp(rest, "K") == 0)
        unit = KIB;
    else if (strcasecmp(rest, "M") == 0)
        unit = KIB * KIB;
    else if (strcasecmp(rest, "G") == 0)
        unit = KIB * KIB * KIB;
    else if (*rest) {
        snprintf(err, errlen,
                 "'%s' is not a size (bytes, or a number with K, M or G)",
                 text);
        return -EINVAL;
    }
    v *= unit;
    if (v < min || v > max) {
        size_t a = (size_t)min, b = (size_t)max;
        config_value_format(&(struct config_key){.type = CONFIG_T_SIZE}, &a, lo,
                            sizeof lo);
        config_value_format(&(struct config_key){.type = CONFIG_T_SIZE}, &b, hi,
                            sizeof hi);
        snprintf(err, errlen, "'%s' is out of range (%s-%s)", text, lo, hi);
        return -EINVAL;
    }
    *out = (size_t)v;
    return 0;
}

/* -1 (keep forever, as Ollama reads any negative keep_alive) or a
 * duration as Ollama takes it: bare seconds, or Go's number+unit pairs
 * (ms, s, m, h), e.g. 1h30m or 1.5s. */
static int
value_forever(const char *text, double min, double max, double *out, char *err,
              size_t errlen)
{
    static const struct {
        const char *unit;
        double s;
    } units[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    const char *p = text, *rest;
    double total = 0, v;
    char sub[CONFIG_ERR_MAX];

    if (strcmp(text, "-1") == 0) {
        *out = -1;
        return 0;
    }
    if (!*text)
        goto bad;
    if (value_number(p, 1, &v, &rest, sub, sizeof sub) == 0 && !*rest)
        total = v;
    else
        while (*p) {
            size_t i, n = 0;
            if (value_number(p, 1, &v, &rest, sub, sizeof sub) < 0)
                goto bad;
            while (rest[n] && !isdigit((unsigned char)rest[n]) &&
                   rest[n] != '.')
                n++;
            for (i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strlen(units[i].unit) == n &&
                    strncmp(rest, units[i].unit, n) == 0)
                    break;
            if (n == 0 || i == sizeof units / sizeof units[0])
                goto bad;
            total += v * units[i].s;
            p = rest + n;
        }
    if (value_range(text, total, min, max, err, errlen) < 0)
        return -EINVAL;
    *out = total;
    return 0;
bad:
    snprintf(err, errlen,
             "'%s' is not -1 or a duration (seconds, or number and unit "
             "pairs such as 5m or 1h30m; units ms, s, m, h)",
             text);
    return -EINVAL;
}

/* One word of a fixed list, any case; stored as its index. */
static int
value_choice(const struct config_key *k, const char *text, int *out, char *err,
             size_t errlen)
{
    const char *const *words = config_key_choices(k);
    size_t off = 0;

    for (int i = 0; words && words[i]; i++)
        if (strcasecmp(text, words[i]) == 0) {
            *out = i;
            return 0;
        }
    off += (size_t)snprintf(err, errlen, "'%s' is not one of ", text);
    for (int i = 0; words && words[i] && off < errlen; i++)
        off += (size_t)snprintf(err + off, errlen - off, "%s%s", i ? ", " : "",
                                words[i]);
    return -EINVAL;
}

/* Host names and address literals: no resolving here (the loop must not
 * block), only the characters they can contain. */
static int
value_host_chars(const char *s, size_t n, int colon)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' &&
            !(colon && (c == ':' || c == '%')))
            return 0;
    }
    return n > 0;
}

static int
value_url(const char *text, char *err, size_t errlen)
{
    const char *host, *end, *p;

    if (strncasecmp(text, "http://", 7) != 0) {
        snprintf(err, errlen, "'%s' is not an http:// URL", text);
        return -EINVAL;
    }
    host = text + 7;
    if (*host == '[') {
        end = strchr(host, ']');
        if (!end || !value_host_chars(host + 1, (size_t)(end - host - 1), 1))
            goto bad;
        p = end + 1;
    } else {
        p = host + strcspn(host, ":/?#");
        if (!value_host_chars(host, (size_t)(p - host), 0))
            goto bad;
    }
    if (*p == ':') {
        int port;
        char num[16];
        size_t n = strcspn(p + 1, "/?#");
        char sub[CONFIG_ERR_MAX];
        if (n == 0 || n >= sizeof num)
            goto bad;
        memcpy(num, p + 1, n);
        num[n] = '\0';
        if (config_parse_int(num, 1, 65535, &port, sub, sizeof sub) < 0) {
            snprintf(err, errlen, "'%s': bad port: %s", text, sub);
            return -EINVAL;
        }
        p += 1 + n;
    }
    if (*p && *p != '/' && *p != '?' && *p != '#')
        goto bad;
    return 0;
bad:
    snprintf(err, errlen, "'%s' is not a valid http://host[:port] URL", text);
    return -EINVAL;
}

static int
value_path(const char *text, const struct config_env *env, char **out,
           char *err, size_t errlen)
{
    const char *home;
    char *s;
    size_t n;

    if (text[0] != '~') {
        *out = strdup(text);
        return *out ? 0 : -ENOMEM;
    }
    if (text[1] != '\0' && text[1] != '/') {
        snprintf(err, errlen, "'%s': only ~ and ~/ are expanded", text);
        return -EINVAL;
    }
    home = config_env_get(env, "HOME");
    if (!home || !*home) {
        snprintf(err, errlen, "'%s': cannot expand ~, HOME is not set", text);
        return -EINVAL;
    }
    n = strlen(home) + strlen(text);
    s = malloc(n);
    if (!s)
        return -ENOMEM;
    snprintf(s, n, "%s%s", home, text + 1);
    *out = s;
    return 0;
}

int
config_value_parse(const struct config_key *k, const char *text,
                   const struct config_env *env, void *field, char *err,
                   size_t errlen)
{
    int r, level;

    r = value_check_text(k, text, err, errlen);
    if (r < 0)
        return r;
    if (!*text && (k->flags & CONFIG_K_OPTIONAL)) {
        *(char **)field = NULL;
        return 0;
    }
    switch (k->type) {
    case CONFIG_T_PORT:
    case CONFIG_T_COUNT:
        return config_parse_int(text, k->min, k->max, field, err, errlen);
    case CONFIG_T_BOOL:
        return config_parse_bool(text, field, err, errlen);
    case CONFIG_T_DURATION:
        return value_duration(text, k->min, k->max, field, err, errlen);
    case CONFIG_T_SIZE:
        return value_size(text, k->min, k->max, field, err, errlen);
    case CONFIG_T_NUMBER:
        return config_parse_double(text, k->min, k->max, field, err, errlen);
    case CONFIG_T_CHOICE:
        return value_choice(k, text, field, err, errlen);
    case CONFIG_T_FOREVER:
        return value_forever(text, k->min, k->max, field, err, errlen);
    case CONFIG_T_LEVEL:
        level = log_level_parse(text);
        if (level < 0) {
            snprintf(err, errlen,
                     "'%s' is not a log level (error, warning, info, debug)",
                     text);
            return -EINVAL;
        }
        *(int *)field = level;
        return 0;
    default:
        break;
    }

    /* the text types */
    if (!*text) {
        snprintf(err, errlen, "empty value");
        return -EINVAL;
    }
    if (k->type == CONFIG_T_PATH) {
        r = value_path(text, env, field, err, errlen);
        /* printed expanded, so the expansion must fit a line as well */
        if (r == 0 && *(char **)field != text &&
            value_check_text(k, *(char **)field, err, errlen) < 0) {
            free(*(char **)field);
            *(char **)field = NULL;
            return -EINVAL;
        }
        return r;
    }
    if (k->type == CONFIG_T_HOST && !value_host_chars(text, strlen(text), 1)) {
        snprintf(err, errlen, "'%s' is not a host name or address", text);
        return -EINVAL;
    }
    if (k->type == CONFIG_T_NODE_ID) {
        size_t n = strlen(text);
        if (n > 63 || strspn(text, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789._-") != n) {
            snprintf(err, errlen,
                     "'%s' is not a node id ([A-Za-z0-9._-], at most 63)",
                     text);
            return -EINVAL;
        }
    }
    if (k->type == CONFIG_T_URL && value_url(text, err, errlen) < 0)
        return -EINVAL;
    if (k->type == CONFIG_T_ORIGINS &&
        cors_origin_list_check(text, err, errlen) < 0)
        return -EINVAL;
    *(char **)field = strdup(text);
    return *(char **)field ? 0 : -ENOMEM;
}

void
config_format_double(double v, char *buf, size_t len)
{
    /* shortest form that reads back as the same double; the parser takes
     * no exponent, so fall back to fixed notation when %g picks one */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (strchr(buf, 'e') || strchr(buf, 'E'))
        for (int dec = 0; dec <= 17; dec++) {
            snprintf(buf, len, "%.*f", dec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
}

void
config_value_format(const struct config_key *k, const void *field, char *buf,
                    size_t len)
{
    const char *s;
    size_t n;

    switch (k->type) {
    case CONFIG_T_PORT:
    case CONFIG_T_COUNT:
        snprintf(buf, len, "%d", *(const int *)field);
        return;
    case CONFIG_T_BOOL:
        snprintf(buf, len, "%s", *(const int *)field ? "true" : "false");
        return;
    case CONFIG_T_LEVEL:
        snprintf(buf, len, "%s", log_level_name(*(const int *)field));
        return;
    case CONFIG_T_DURATION:
    case CONFIG_T_NUMBER:
    case CONFIG_T_FOREVER: /* -1 prints as -1, seconds as seconds */
        config_format_double(*(const double *)field, buf, len);
        return;
    case CONFIG_T_CHOICE:
        snprintf(buf, len, "%s", config_key_choices(k)[*(const int *)field]);
        return;
    case CONFIG_T_SIZE:
        n = *(const size_t *)field;
        if (n && n % (1024 * 1024 * 1024) == 0)
            snprintf(buf, len, "%zuG", n / (1024 * 1024 * 1024));
        else if (n && n % (1024 * 1024) == 0)
            snprintf(buf, len, "%zuM", n / (1024 * 1024));
        else if (n && n % 1024 == 0)
            snprintf(buf, len, "%zuK", n / 1024);
        else
            snprintf(buf, len, "%zu", n);
        return;
    default:
        s = *(char *const *)field;
        snprintf(buf, len, "%s", s ? s : "");
        return;
    }
}
