/* ABI test plugin: built against ABI 2.0; the loader must refuse the major. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin bad_major_plugin = {
    .base =
        {
            .abi_version = (2u << 16) | 0u,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "bad_major",
            .version = "1.0",
            .description = "ABI test: major 2",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(bad_major_plugin)
