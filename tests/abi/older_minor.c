/* ABI test plugin: built against ABI 1.0, older than the host's minor; the
 * loader must accept it (appended members stay unknown to it). */
#include "abi_plugin.h"

static const struct herd_scoring_plugin older_minor_plugin = {
    .base =
        {
            .abi_version = (HERD_ABI_MAJOR << 16) | 0u,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "older_minor",
            .version = "1.0",
            .description = "ABI test: minor 0",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(older_minor_plugin)
