/* ABI test plugin: requires router_url and an unknown host feature (bit 40). */
#include "abi_plugin.h"

static const struct herd_scoring_plugin needs_feature_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "needs_feature",
            .version = "1.0",
            .description = "ABI test: needs host features",
            .requires = HERD_HOST_F_ROUTER_URL | (UINT64_C(1) << 40),
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(needs_feature_plugin)
