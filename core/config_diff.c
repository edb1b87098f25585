/* config_diff: which keys a reload changed, as INI text, so the log can
 * say what a SIGHUP did rather than only that it happened. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "config_impl.h"

/* A repeatable key's values joined with ", " (with mask, secrets as
 * ***). */
static void
config_diff_list(const struct config_key *k, const struct herd_config *cfg,
                 int mask, char *buf, size_t len)
{
    char **list = *(char **const *)((const char *)cfg + k->offset);
    size_t n = *(const size_t *)((const char *)cfg + k->count_offset);
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at + 1 < len; i++) {
        const char *v = mask && (k->flags & CONFIG_K_SECRET) ? "***" : list[i];
        size_t w = strlen(v) + (i ? 2 : 0);
        if (at + w >= len)
            break;
        if (i) {
            memcpy(buf + at, ", ", 2);
            at += 2;
        }
        memcpy(buf + at, v, strlen(v) + 1);
        at += strlen(v);
    }
}

static void
config_diff_text(const struct config_key *k, const struct herd_config *cfg,
                 int mask, char *buf, size_t len)
{
    if (k->flags & CONFIG_K_REPEAT) {
        config_diff_list(k, cfg, mask, buf, len);
        return;
    }
    config_value_format(k, (const char *)cfg + k->offset, buf, len);
    if (mask && (k->flags & CONFIG_K_SECRET) && buf[0])
        snprintf(buf, len, "***");
}

void
config_diff(const struct herd_config *a, const struct herd_config *b,
            config_diff_fn fn, void *arg)
{
    char was[1024], now[1024];
    for (size_t i = 0; i < config_key_count; i++) {
        const struct config_key *k = &config_keys[i];
        if (strcmp(k->section, "agent") == 0)
            continue;
        config_diff_text(k, a, 0, was, sizeof was);
        config_diff_text(k, b, 0, now, sizeof now);
        if (strcmp(was, now) == 0)
            continue;
        /* shown: a secret's text says only whether it is set */
        config_diff_text(k, a, 1, was, sizeof was);
        config_diff_text(k, b, 1, now, sizeof now);
        fn(arg, k->section, k->name, was[0] ? was : "(unset)",
           now[0] ? now : "(unset)");
    }
}
