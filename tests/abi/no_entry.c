/* ABI test plugin: a well-formed descriptor behind a misspelt entry point
 * (herd_plugin_init), so the file has no herd_plugin_entry. */
#include "abi_plugin.h"

static const struct herd_scoring_plugin no_entry_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_scoring_plugin),
            .kind = HERD_KIND_SCORING,
            .name = "no_entry",
            .version = "1.0",
            .description = "ABI test: misspelt entry point",
            .init = abi_init,
            .destroy = abi_destroy,
        },
    .score = abi_score,
};

HERD_EXPORT const struct herd_plugin *herd_plugin_init(void);

HERD_EXPORT const struct herd_plugin *
herd_plugin_init(void)
{
    return &no_entry_plugin.base;
}
