/* The router's scoring plugins and scorer: loaded at start from the
 * [scoring.*] sections in their own plugin set, and re-created from a new
 * configuration on SIGHUP. A reload builds the whole new set first (load,
 * config, start) and swaps it in only when every section succeeded, so a
 * bad value keeps the old weights and parameters running. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "plugin_loader.h"
#include "router.h"
#include "scorer.h"

static const char *router_scoring_comp = "router";

/* A new started set of the scoring sections of cfg, or NULL (logged). */
static struct plugin_set *
router_scoring_build(struct router *r, const struct herd_config *cfg)
{
    char err[CONFIG_ERR_MAX];
    /* The directories come from the start-up config: they change only
     * with a restart, and the set borrows them for its life. */
    struct plugin_set *set = plugin_set_new(
        &r->host.table, r->boot->plugin_dirs, r->boot->plugin_dir_count);
    if (!set) {
        log_err(router_scoring_comp, "cannot start the plugin loader");
        return NULL;
    }
    for (size_t i = 0; i < cfg->plugin_count; i++) {
        const struct config_plugin_section *sec = &cfg->plugins[i];
        if (strcmp(sec->kind, "scoring") != 0 || !sec->enabled)
            continue;
        int rc = plugin_set_load(set, sec, err, sizeof err);
        if (rc == -ENOENT && sec->builtin) {
            /* built without it (./configure --disable-scoring-NAME) */
            log_info(router_scoring_comp,
                     "default signal scoring/%s is not installed; "
                     "scoring without it",
                     sec->name);
            continue;
        }
        if (rc != 0) {
            log_err(router_scoring_comp, "[scoring.%s%s%s] did not load",
                    sec->name, sec->instance ? "." : "",
                    sec->instance ? sec->instance : "");
            plugin_set_free(set);
            return NULL;
        }
    }
    if (plugin_set_start(set, err, sizeof err) != 0) {
        log_err(router_scoring_comp, "scoring: %s", err);
        plugin_set_free(set);
        return NULL;
    }
    return set;
}

int
router_scoring_start(struct router *r)
{
    r->scoring = router_scoring_build(r, r->cfg);
    if (!r->scoring)
        return -EINVAL;
    r->scorer = scorer_new(r->scoring);
    if (!r->scorer)
        return -ENOMEM;
    log_info(router_scoring_comp, "scoring with %zu signals",
             plugin_set_count(r->scoring));
    return 0;
}

int
router_scoring_reload(struct router *r, const struct herd_config *next)
{
    struct plugin_set *set = router_scoring_build(r, next);
    if (!set) {
        log_err(router_scoring_comp, "reload failed, keeping the old config "
                                     "(the scoring plugins did not load)");
        return -EINVAL;
    }
    if (scorer_set_plugins(r->scorer, set) != 0) {
        log_err(router_scoring_comp, "reload failed, keeping the old config: "
                                     "more scoring signals than the scorer "
                                     "takes");
        plugin_set_free(set);
        return -E2BIG;
    }
    plugin_set_free(r->scoring);
    r->scoring = set;
    log_info(router_scoring_comp, "reload: scoring with %zu signals",
             plugin_set_count(set));
    return 0;
}

void
router_scoring_stop(struct router *r)
{
    scorer_free(r->scorer);
    r->scorer = NULL;
    plugin_set_free(r->scoring);
    r->scoring = NULL;
}
