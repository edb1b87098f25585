/* ABI test plugin: the descriptor says "renamed" but the file is
 * name_mismatch. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin name_mismatch_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "renamed",
            .version = "1.0",
            .description = "ABI test: name differs from file",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(name_mismatch_plugin)
