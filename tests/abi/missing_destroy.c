/* ABI test plugin: no destroy callback. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin missing_destroy_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "missing_destroy",
            .version = "1.0",
            .description = "ABI test: no destroy",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = NULL,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(missing_destroy_plugin)
