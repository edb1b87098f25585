/* herd-node: the agent beside each Ollama. Exit status 0 after a clean
 * stop, 2 for usage and configuration errors, 1 when start-up fails. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "agent.h"
#include "common/data_dir.h"
#include "common/log.h"
#include "plugin_loader.h"

static const char *main_comp = "agent";


/* The learner starts from its own state file, else from the seed, else
 * from nothing. A damaged state file is moved aside, not fatal; a bad
 * seed is a configuration error. */
static int
main_learner_setup(struct agent *a)
{
    const struct herd_config *cfg = a->cfg;
    char err[600], path[4200];
    int rc;

    a->learner = calloc(1, sizeof *a->learner);
    if (!a->learner)
        return -ENOMEM;
    capacity_init(a->learner, cfg->agent_capacity_bootstrap);
    if ((rc = data_dir_mkdirs(cfg->agent_data_dir)) != 0) {
        log_err(main_comp, "cannot create %s: %s", cfg->agent_data_dir,
                strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof path, "%s/capacity-%s.json", cfg->agent_data_dir,
             cfg->agent_node_id);
    a->state_path = strdup(path);
    if (!a->state_path)
        return -ENOMEM;
    rc = capacity_load(a->learner, path, err, sizeof err);
    if (rc == 0) {
        log_info("capacity", "learning; state from %s", path);
        return 0;
    }
    if (rc != -ENOENT) {
        char aside[4300];
        snprintf(aside, sizeof aside, "%s.corrupt", path);
        log_err("capacity", "%s; moved to %s, starting afresh", err, aside);
        rename(path, aside);
    }
    if (cfg->agent_capacity_seed) {
        rc = capacity_load(a->learner, cfg->agent_capacity_seed, err,
                           sizeof err);
        if (rc != 0) {
            log_err("capacity", "capacity_seed: %s", err);
            return -EINVAL;
        }
        log_info("capacity", "learning; seeded from %s",
                 cfg->agent_capacity_seed);
        return 0;
    }
    log_info("capacity", "learning from now; bootstrap %g s, state in %s",
             cfg->agent_capacity_bootstrap, path);
    return 0;
}

/* Discovery sections of the file, or the mDNS plugin when there are none.
 * Other kinds belong to the router when both share one herd.ini. */
static int
main_load_discovery(struct agent *a)
{
    const struct herd_config *cfg = a->cfg;
    char err[CONFIG_ERR_MAX];
    size_t loaded = 0;

    a->host_table = agent_host_new(a);
    if (!a->host_table)
        return -ENOMEM;
    a->plugins =
        plugin_set_new(a->host_table, cfg->plugin_dirs, cfg->plugin_dir_count);
    if (!a->plugins)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->plugin_count; i++) {
        const struct config_plugin_section *sec = &cfg->plugins[i];
        if (strcmp(sec->kind, "discovery") != 0 || !sec->enabled)
            continue;
        int rc = plugin_set_load(a->plugins, sec, err, sizeof err);
        if (rc != 0) {
            /* the loader has logged why, with file:line */
            log_err(main_comp, "cannot start: [discovery.%s%s%s] did not load",
                    sec->name, sec->instance ? "." : "",
                    sec->instance ? sec->instance : "");
            return rc;
        }
        loaded++;
    }
    if (loaded == 0) {
        struct config_plugin_section mdns;
        memset(&mdns, 0, sizeof mdns);
        mdns.kind = (char *)"discovery";
        mdns.name = (char *)"mdns";
        mdns.enabled = 1;
        mdns.weight = 1.0;
        int rc = plugin_set_load(a->plugins, &mdns, err, sizeof err);
        if (rc != 0) {
            log_err(main_comp,
                    "no router URL is set and the mDNS discovery plugin "
                    "cannot be used (%s); set --router-url or "
                    "FLEET_NODE_ROUTER_URL",
                    err);
            return rc;
        }
    }
    int rc = plugin_set_start(a->plugins, err, sizeof err);
    if (rc != 0)
        log_err(main_comp, "discovery did not start: %s", err);
    return rc;
}

static int
main_setup(struct agent *a)
{
    const struct herd_config *cfg = a->cfg;
    struct agent_url url;
    struct utsname un;
    char err[512];
    double cpu;

    if (agent_url_parse(cfg->agent_ollama_host, 11434, &url, err, sizeof err) !=
        0) {
        log_err(main_comp, "ollama_host: %s", err);
        return -EINVAL;
    }
    a->base = event_base_new();
    if (!a->base)
        return -ENOMEM;
    /* our own resolver, so host names never block the loop */
    a->dns = evdns_base_new(a->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!a->dns) {
        a->dns = evdns_base_new(a->base, 0);
        if (a->dns)
            evdns_base_load_hosts(a->dns, NULL);
    }
    double interval = cfg->agent_heartbeat_interval;
    double probe_timeout = interval < 1 ? 1 : interval > 5 ? 5 : interval;
    if (!a->dns ||
        agent_ollama_init(&a->ollama, a->base, a->dns, &url, probe_timeout))
        return -ENOMEM;

    snprintf(a->arch, sizeof a->arch, "%s",
             uname(&un) == 0 ? un.machine : "unknown");
    a->cores = agent_cpu_physical_cores(a->root);
    agent_cpu_model(a->root, a->cpu_model, sizeof a->cpu_model);
    snprintf(a->chip, sizeof a->chip, "%s", a->cpu_model);
    a->bandwidth_gbps = agent_bandwidth_gbps(a->chip);
    agent_cpu_sample(a->root, &a->cpu, &cpu); /* primes the counters */
    if (agent_gpu_start(&a->gpu, a->base) != 0)
        return -ENOMEM;

    int rc;
    if (cfg->agent_learn_capacity && (rc = main_learner_setup(a)) != 0)
        return rc;
    if (cfg->agent_router_url && *cfg->agent_router_url) {
        if ((rc = agent_router_set(a, cfg->agent_router_url, err,
                                   sizeof err)) != 0) {
            log_err(main_comp, "router_url: %s", err);
            return rc;
        }
    } else if ((rc = main_load_discovery(a)) != 0) {
        return rc;
    }
    log_info(main_comp, "node %s: Ollama at %s, heartbeat every %g s to %s%s",
             cfg->agent_node_id, cfg->agent_ollama_host, interval,
             a->router.url_text ? a->router.url_text : "(discovery)",
             a->learner ? ", learning capacity" : "");
    return agent_cycle_start(a);
}

static void
main_teardown(struct agent *a)
{
    agent_cycle_stop(a);
    /* plugins first: they hold events and may call back into us */
    plugin_set_free(a->plugins);
    agent_host_free(a->host_table);
    agent_gpu_stop(&a->gpu);
    agent_ollama_free(&a->ollama);
    agent_router_free(&a->router);
    free(a->learner);
    free(a->state_path);
    if (a->dns)
        evdns_base_free(a->dns, 0);
    if (a->base)
        event_base_free(a->base);
}

static int
main_run(struct herd_config *cfg)
{
    struct agent a;
    memset(&a, 0, sizeof a);
    a.cfg = cfg;
    a.root = "";
    log_set_level(cfg->agent_log_level);
    /* The same herd.jsonl as a router on this machine (log.c rotates it
     * safely for both); stderr alone when the directory is unusable. */
    char err[4500];
    if (data_dir_open_log(cfg->agent_data_dir, err, sizeof err) != 0)
        log_warn(main_comp, "%s; logging to stderr only", err);
    int rc = main_setup(&a);
    if (rc == 0)
        event_base_dispatch(a.base);
    main_teardown(&a);
    log_open_jsonl(NULL);
    if (rc == -EINVAL)
        return 2;
    return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    struct herd_config cfg;
    char err[CONFIG_ERR_MAX];
    int status = 0;

    log_set_program("herd-node");
    if (config_load(&cfg, CONFIG_PROGRAM_AGENT, argc, argv, err, sizeof err) !=
        0) {
        fprintf(stderr, "herd-node: %s\n", err);
        fprintf(stderr, "Try 'herd-node --help' for more information.\n");
        return 2;
    }
    switch (cfg.action) {
    case CONFIG_ACTION_HELP:
        config_usage(CONFIG_PROGRAM_AGENT, stdout);
        break;
    case CONFIG_ACTION_VERSION:
        printf("herd-node %s\n", PACKAGE_VERSION);
        break;
    case CONFIG_ACTION_PRINT_CONFIG:
        config_print(&cfg, stdout);
        break;
    case CONFIG_ACTION_LIST_PLUGINS:
    case CONFIG_ACTION_RUN:
        status = main_run(&cfg);
        break;
    }
    config_free(&cfg);
    return status;
}
