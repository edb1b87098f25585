/* The command line of herd and herd-node: getopt_long over options built
 * from the key table, and the --help text from the same table. Values are
 * only collected here; config.c checks them like every other layer. */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"

enum {
    CLI_CONFIG = 1,
    CLI_PRINT_CONFIG,
    CLI_LIST_PLUGINS,
    CLI_KEY = 256 /* + index in config_keys */
};

static const char *
cli_opt_name(const struct config_key *k, enum config_program program)
{
    return program == CONFIG_PROGRAM_ROUTER ? k->opt_router : k->opt_agent;
}

/* --learn-capacity alone means true; --learn-capacity=no is accepted. */
static int
cli_has_arg(const struct config_key *k)
{
    return k->type == CONFIG_T_BOOL ? optional_argument : required_argument;
}

static size_t
cli_options(struct option *opts, enum config_program program)
{
    size_t n = 0;

    opts[n++] = (struct option){"config", required_argument, NULL, CLI_CONFIG};
    for (size_t i = 0; i < config_key_count; i++) {
        const char *name = cli_opt_name(&config_keys[i], program);
        if (name)
            opts[n++] = (struct option){name, cli_has_arg(&config_keys[i]),
                                        NULL, CLI_KEY + (int)i};
    }
    opts[n++] =
        (struct option){"print-config", no_argument, NULL, CLI_PRINT_CONFIG};
    if (program == CONFIG_PROGRAM_ROUTER)
        opts[n++] = (struct option){"list-plugins", no_argument, NULL,
                                    CLI_LIST_PLUGINS};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n++] = (struct option){"version", no_argument, NULL, 'V'};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

static const char *
cli_name_of(const struct option *opts, int val)
{
    for (size_t i = 0; opts[i].name; i++)
        if (opts[i].val == val)
            return opts[i].name;
    return "?";
}

int
config_cli_parse(struct config_cli *cli, enum config_program program, int argc,
                 char *const *argv, char *err, size_t errlen)
{
    struct option opts[64];
    char **args;
    int c, rc = 0;

    memset(cli, 0, sizeof *cli);
    cli_options(opts, program);
    /* getopt_long permutes argv; work on a copy so the caller's stays */
    args = calloc((size_t)argc + 1, sizeof *args);
    if (!args)
        return -ENOMEM;
    for (int i = 0; i < argc; i++)
        args[i] = argv[i];
    optind = 0; /* GNU: full re-initialisation, as on reload */
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, args, ":hV", opts, NULL)) != -1) {
        char where[80];
        switch (c) {
        case 'h':
            cli->action = CONFIG_ACTION_HELP;
            break;
        case 'V':
            if (cli->action != CONFIG_ACTION_HELP)
                cli->action = CONFIG_ACTION_VERSION;
            break;
        case CLI_PRINT_CONFIG:
            if (cli->action == CONFIG_ACTION_RUN)
                cli->action = CONFIG_ACTION_PRINT_CONFIG;
            break;
        case CLI_LIST_PLUGINS:
            if (cli->action == CONFIG_ACTION_RUN)
                cli->action = CONFIG_ACTION_LIST_PLUGINS;
            break;
        case CLI_CONFIG:
            free(cli->config_file);
            cli->config_file = strdup(optarg);
            if (!cli->config_file)
                rc = -ENOMEM;
            else if (!*optarg) {
                snprintf(err, errlen, "option --config: empty file name");
                rc = -EINVAL;
            }
            break;
        case ':':
            snprintf(err, errlen, "option --%s needs a value (see --help)",
                     cli_name_of(opts, optopt));
            rc = -EINVAL;
            break;
        case '?':
            if (optopt >= CLI_KEY || optopt == CLI_PRINT_CONFIG ||
                optopt == CLI_LIST_PLUGINS || optopt == 'h' || optopt == 'V')
                snprintf(err, errlen, "option --%s takes no value",
                         cli_name_of(opts, optopt));
            else if (optopt)
                snprintf(err, errlen, "unknown option '-%c' (see --help)",
                         optopt);
            else
                snprintf(err, errlen,
                         "unknown or ambiguous option '%s' (see --help)",
                         args[optind - 1]);
            rc = -EINVAL;
            break;
        default: {
            const struct config_key *k = &config_keys[c - CLI_KEY];
            snprintf(where, sizeof where, "--%s", cli_opt_name(k, program));
            rc = config_layer_add(&cli->settings, c - CLI_KEY,
                                  optarg ? optarg : "true", CONFIG_SRC_CLI,
                                  where);
            break;
        }
        }
    }
    if (rc == 0 && optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)",
                 args[optind]);
        rc = -EINVAL;
    }
    free(args);
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc < 0)
        config_cli_free(cli);
    return rc;
}

void
config_cli_free(struct config_cli *cli)
{
    free(cli->config_file);
    config_layer_free(&cli->settings);
    memset(cli, 0, sizeof *cli);
}

static void
cli_usage_line(FILE *out, const char *opt, const char *help, const char *more)
{
    fprintf(out, "  %-28s %s\n", opt, help);
    if (more && *more)
        fprintf(out, "  %-28s (%s)\n", "", more);
}

void
config_usage(enum config_program program, FILE *out)
{
    int router = program == CONFIG_PROGRAM_ROUTER;

    fprintf(out, "Usage: %s [OPTION]...\n", router ? "herd" : "herd-node");
    fprintf(out, "%s\n\nOptions:\n",
            router ? "Route Ollama and OpenAI API requests to the best node "
                     "of an Ollama fleet."
                   : "Report this machine's Ollama and its state to the "
                     "herd router.");
    cli_usage_line(out, "--config FILE", "configuration file",
                   "default: $HERD_CONFIG, else "
                   "$XDG_CONFIG_HOME/herd/herd.ini, else /etc/herd/herd.ini");
    for (size_t i = 0; i < config_key_count; i++) {
        const struct config_key *k = &config_keys[i];
        const char *name = cli_opt_name(k, program);
        char opt[64], more[160];
        size_t n;

        if (!name)
            continue;
        if (k->type == CONFIG_T_BOOL)
            snprintf(opt, sizeof opt, "--%s[=%s]", name, k->meta);
        else
            snprintf(opt, sizeof opt, "--%s %s", name, k->meta);
        n = (size_t)snprintf(more, sizeof more, "default: %s",
                             k->def                        ? k->def
                             : k->type == CONFIG_T_NODE_ID ? "short host name"
                                                           : "none");
        if (k->env && n < sizeof more)
            snprintf(more + n, sizeof more - n, "; env %s", k->env);
        cli_usage_line(out, opt, k->help, more);
    }
    cli_usage_line(out, "--print-config",
                   "print the effective configuration as INI, each value "
                   "with its source, and exit",
                   NULL);
    if (router)
        cli_usage_line(out, "--list-plugins",
                       "list the plugins found, their kind, ABI version and "
                       "whether they load, and exit",
                       NULL);
    cli_usage_line(out, "-h, --help", "show this help and exit", NULL);
    cli_usage_line(out, "-V, --version", "show the version and exit", NULL);
    fprintf(out,
            "\nPrecedence: options, then environment, then the "
            "configuration file, then defaults.\nSee %s and "
            "herd.ini(5).\n",
            router ? "herd(8)" : "herd-node(8)");
}
