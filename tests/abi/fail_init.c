/* ABI test plugin: init() fails; destroy() must not be called. */
#include "abi_plugin.h"

static int
fail_init_init(const struct herd_host *host, void **ctx)
{
    host->log(host->host_data, HERD_LOG_INFO, "init failing");
    return -ENODEV;
}

static const struct herd_scoring_plugin fail_init_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "fail_init",
            .version = "1.0",
            .description = "ABI test: failing init",
            .requires = 0,
            .config_keys = NULL,
            .init = fail_init_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(fail_init_plugin)
