/* ABI test plugin: has no config callback: loads with an empty section, is
 * refused when its section sets a key. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin no_config_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "no_config",
            .version = "1.0",
            .description = "ABI test: no config callback",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(no_config_plugin)
