/* ABI test plugin: built against ABI 1.1, newer than the host's 1.0. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin newer_minor_plugin = {
    .base =
        {
            .abi_version = (HERD_ABI_MAJOR << 16) | (HERD_ABI_MINOR + 1u),
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "newer_minor",
            .version = "1.0",
            .description = "ABI test: minor 1",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(newer_minor_plugin)
