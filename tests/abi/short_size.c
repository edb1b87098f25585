/* ABI test plugin: declares only the common prefix as its size, shorter than a
 * 1.0 scoring descriptor. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin short_size_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "short_size",
            .version = "1.0",
            .description = "ABI test: short size",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(short_size_plugin)
