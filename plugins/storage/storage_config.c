/* Configuration keys the storage plugins share (see storage_config.h). */
#include "autoconfig.h"

#include "storage_config.h"

#include <errno.h>
#include <herd/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
storage_config_clock_offset(void)
{
    const char *off = getenv("HERD_STORAGE_CLOCK_OFFSET");
    return off && *off ? strtod(off, NULL) : 0;
}

int
storage_config_path(char **path, const char *value, size_t max_len, char *err,
                    size_t errlen)
{
    if (!*value || (max_len && strlen(value) > max_len)) {
        if (max_len)
            snprintf(err, errlen, "path: must be a file name of 1 to %zu bytes",
                     max_len);
        else
            snprintf(err, errlen, "path: must not be empty");
        return -EINVAL;
    }
    char *p = strdup(value);
    if (!p)
        return -ENOMEM;
    free(*path);
    *path = p;
    return HERD_OK;
}

int
storage_config_days(const char *key, const char *value, const char *zero_means,
                    long *days, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < 0 || v > STORAGE_CONFIG_MAX_DAYS) {
        snprintf(err, errlen,
                 "%s: \"%s\" is not a whole number of days from 0 (%s) to %d",
                 key, value, zero_means, STORAGE_CONFIG_MAX_DAYS);
        return -EINVAL;
    }
    *days = v;
    return HERD_OK;
}
