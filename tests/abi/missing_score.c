/* ABI test plugin: a scoring plugin without a score callback. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin missing_score_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "missing_score",
            .version = "1.0",
            .description = "ABI test: no score",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = NULL,
};

HERD_PLUGIN_DEFINE(missing_score_plugin)
