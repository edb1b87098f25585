/* ABI test plugin: config() refuses a window that is not a positive number;
 * destroy() must then be called exactly once. */
#include "abi_plugin.h"
#include <stdio.h>

static const char *const fail_config_keys[] = {"window", NULL};

static int
fail_config_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    char *end;
    double w = strtod(value, &end);
    if (end == value || *end || !(w > 0)) {
        snprintf(err, errlen, "window must be a positive number, not \"%s\"",
                 value);
        return -EINVAL;
    }
    return HERD_OK;
}

static const struct herd_scoring_plugin fail_config_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "fail_config",
            .version = "1.0",
            .description = "ABI test: failing config",
            .requires = 0,
            .config_keys = fail_config_keys,
            .init = abi_init,
            .config = fail_config_config,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(fail_config_plugin)
