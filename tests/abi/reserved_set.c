/* ABI test plugin: reserved0 is not zero. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin reserved_set_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 7u,
            .name = "reserved_set",
            .version = "1.0",
            .description = "ABI test: reserved0 set",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(reserved_set_plugin)
