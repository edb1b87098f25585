/* ABI test plugin: a storage plugin; loading it as [scoring.wrong_kind] must be
 * refused, as [storage.wrong_kind] it loads. */
#include "abi_plugin.h"

static const struct herd_storage_plugin wrong_kind_plugin = {
    .base =
        {
            .abi_version = HERD_ABI_VERSION,
            .size = sizeof(struct herd_storage_plugin),
            .kind = HERD_KIND_STORAGE,
            .reserved0 = 0,
            .name = "wrong_kind",
            .version = "1.0",
            .description = "ABI test: storage plugin",
            .requires = 0,
            .config_keys = NULL,
            .init = abi_init,
            .config = NULL,
            .start = NULL,
            .destroy = abi_destroy,
        },
    .write = abi_write,
};

HERD_PLUGIN_DEFINE(wrong_kind_plugin)
