/* ABI test plugin: accepts only the key "window". */
#include "abi_plugin.h"

static const char *const unknown_key_keys[] = {"window", NULL};

static int
unknown_key_config(void *ctx, const char *key, const char *value, char *err,
                   size_t errlen)
{
    return HERD_OK;
}

static const struct herd_scoring_plugin unknown_key_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "unknown_key",
            .version = "1.0",
            .description = "ABI test: declared keys",
            .requires = 0,
            .config_keys = unknown_key_keys,
            .init = abi_init,
            .config = unknown_key_config,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(unknown_key_plugin)
