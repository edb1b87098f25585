/* The INI keys of scoring plugins: see scoring_param.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scoring_param.h"

static int
scoring_param_bool(const char *v, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -EINVAL;
}

int
scoring_param_set(const struct scoring_param *table, void *ctx, const char *key,
                  const char *value, char *err, size_t errlen)
{
    const struct scoring_param *p = table;
    while (p->key && strcmp(p->key, key) != 0)
        p++;
    if (!p->key) {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -ENOENT;
    }
    char *field = (char *)ctx + p->offset;
    if (p->type == SCORING_PARAM_BOOL) {
        int b;
        if (scoring_param_bool(value, &b) != 0) {
            snprintf(err, errlen, "%s must be true or false, not '%s'", key,
                     value);
            return -EINVAL;
        }
        memcpy(field, &b, sizeof b);
        return 0;
    }
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(d)) {
        snprintf(err, errlen, "%s must be a number, not '%s'", key, value);
        return -EINVAL;
    }
    if (d < p->min || d > p->max) {
        snprintf(err, errlen, "%s must be between %g and %g, not %s", key,
                 p->min, p->max, value);
        return -EINVAL;
    }
    memcpy(field, &d, sizeof d);
    return 0;
}
