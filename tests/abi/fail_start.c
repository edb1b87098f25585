/* ABI test plugin: start() fails; destroy() must then be called exactly once.
 */
#include "abi_plugin.h"
#include <stdio.h>

static int
fail_start_start(void *ctx, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot open /nonexistent/fail_start.db");
    return -EIO;
}

static const struct herd_scoring_plugin fail_start_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .reserved0 = 0,
            .name = "fail_start",
            .version = "1.0",
            .description = "ABI test: failing start",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = fail_start_start,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_PLUGIN_DEFINE(fail_start_plugin)
