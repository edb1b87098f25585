/* herd: the router's command line. Exit status 0 on success, 2 for usage
 * and configuration errors, 1 for failures at run time. */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "config.h"
#include "host.h"
#include "plugin_loader.h"
#include "router.h"

static int
main_list_plugins(const struct herd_config *cfg)
{
    struct event_base *base = event_base_new();
    struct host host;
    if (!base) {
        fprintf(stderr, "herd: cannot create an event loop\n");
        return 1;
    }
    /* No router runs: plugins are only inspected, never handed nodes. */
    host_init(&host, base, NULL);
    plugin_list(&host.table, cfg->plugin_dirs, cfg->plugin_dir_count, stdout);
    event_base_free(base);
    return 0;
}

int
main(int argc, char **argv)
{
    struct herd_config cfg;
    char err[CONFIG_ERR_MAX];
    int status = 0;

    log_set_program("herd");
    if (config_load(&cfg, CONFIG_PROGRAM_ROUTER, argc, argv, err, sizeof err) !=
        0) {
        fprintf(stderr, "herd: %s\n", err);
        fprintf(stderr, "Try 'herd --help' for more information.\n");
        return 2;
    }
    switch (cfg.action) {
    case CONFIG_ACTION_HELP:
        config_usage(CONFIG_PROGRAM_ROUTER, stdout);
        break;
    case CONFIG_ACTION_VERSION:
        printf("herd %s\n", PACKAGE_VERSION);
        break;
    case CONFIG_ACTION_PRINT_CONFIG:
        config_print(&cfg, stdout);
        break;
    case CONFIG_ACTION_LIST_PLUGINS:
        status = main_list_plugins(&cfg);
        break;
    case CONFIG_ACTION_RUN:
        status = router_run(&cfg);
        break;
    }
    config_free(&cfg);
    return status;
}
