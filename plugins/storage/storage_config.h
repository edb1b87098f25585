/* What the storage plugins' configurations have in common: a file path,
 * a number of days to keep, and the clock offset tests use. Compiled into
 * each plugin (storage_config.c), never exported. */
#ifndef HERD_PLUGINS_STORAGE_STORAGE_CONFIG_H
#define HERD_PLUGINS_STORAGE_STORAGE_CONFIG_H

#include <stddef.h>

/* The most days any plugin keeps its data for: 100 years. */
#define STORAGE_CONFIG_MAX_DAYS 36500

/* Seconds the plugin's clock runs ahead: HERD_STORAGE_CLOCK_OFFSET, so
 * tests can cross midnight or a retention horizon; 0 when unset. */
double storage_config_clock_offset(void);

/* The "path" key: replaces *path with a copy of value. value must not be
 * empty, nor longer than max_len bytes when max_len is not 0. Returns
 * HERD_OK, -EINVAL with err filled, or -ENOMEM. */
int storage_config_path(char **path, const char *value, size_t max_len,
                        char *err, size_t errlen);

/* A number of days from 0 to STORAGE_CONFIG_MAX_DAYS for key; zero_means
 * says what 0 does, for the error message. Returns HERD_OK or -EINVAL
 * with err filled. */
int storage_config_days(const char *key, const char *value,
                        const char *zero_means, long *days, char *err,
                        size_t errlen);

#endif
