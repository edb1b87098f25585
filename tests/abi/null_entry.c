/* ABI test plugin: the entry point exists but returns NULL. */
#include <herd/plugin.h>

#include <stddef.h>

HERD_EXPORT const struct herd_plugin *herd_plugin_entry(void);

HERD_EXPORT const struct herd_plugin *
herd_plugin_entry(void)
{
    return NULL;
}
