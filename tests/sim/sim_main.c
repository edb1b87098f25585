/* herd-sim: command line, start-up and shutdown. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Flags that set a [server] key share its name with '-' for '_'. */
static const struct option main_opts[] = {
    {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'p'},
    {"memory-gb", required_argument, NULL, 'S'},
    {"model", required_argument, NULL, 'm'},
    {"embed-model", required_argument, NULL, 'e'},
    {"num-parallel", required_argument, NULL, 'S'},
    {"max-queue", required_argument, NULL, 'S'},
    {"max-loaded-models", required_argument, NULL, 'S'},
    {"tokens-per-sec", required_argument, NULL, 'S'},
    {"prompt-tokens-per-sec", required_argument, NULL, 'S'},
    {"load-gb-per-sec", required_argument, NULL, 'S'},
    {"pull-gb-per-sec", required_argument, NULL, 'S'},
    {"time-scale", required_argument, NULL, 'S'},
    {"seed", required_argument, NULL, 'S'},
    {"keep-alive", required_argument, NULL, 'S'},
    {"response-tokens", required_argument, NULL, 'S'},
    {"thinking-tokens", required_argument, NULL, 'S'},
    {"default-num-ctx", required_argument, NULL, 'S'},
    {"log-level", required_argument, NULL, 'S'},
    {"fault", required_argument, NULL, 'f'},
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void
main_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: herd-sim [OPTION]...\n"
        "Imitates one Ollama server: models, memory, load times, token rates,\n"
        "parallel slots, prompt cache and injected faults.\n\n"
        "  --host ADDR                listen address (127.0.0.1)\n"
        "  --port N                   listen port (11434)\n"
        "  --memory-gb GB             memory for loaded models (16)\n"
        "  --model NAME:SIZE_GB[:CTX] install a model; repeatable. CTX is the\n"
        "                             trained context (131072)\n"
        "  --embed-model NAME:SIZE_GB[:DIM]\n"
        "                             install an embedding model (DIM 768)\n"
        "  --num-parallel N           parallel slots per loaded model (1)\n"
        "  --max-queue N              requests waiting for a runner or a\n"
        "                             slot before 503 (512)\n"
        "  --max-loaded-models N      models loaded at once (3)\n"
        "  --tokens-per-sec R         generation rate (50)\n"
        "  --prompt-tokens-per-sec R  prompt evaluation rate (500)\n"
        "  --load-gb-per-sec R        model load speed (2)\n"
        "  --pull-gb-per-sec R        model download speed (1)\n"
        "  --time-scale F             multiply every simulated delay by F (1)\n"
        "  --seed N                   seed of the generated text (42)\n"
        "  --keep-alive DUR           default keep_alive, Go duration or\n"
        "                             seconds (5m)\n"
        "  --response-tokens N        tokens in an answer (24)\n"
        "  --thinking-tokens N        thinking tokens of thinking models (8)\n"
        "  --default-num-ctx N        num_ctx when a request sets none (4096)\n"
        "  --fault MODE[:KEY=V,...]   inject a fault; repeatable. MODE is\n"
        "                             refuse, error500, drop, stall, slow,\n"
        "                             malformed or midstream_error; keys\n"
        "                             probability, count,\n"
        "                             seconds (5), factor (10), after (3),\n"
        "                             half (0; drop: half a chunk more)\n"
        "  --config FILE              INI file ([server], [model.NAME],\n"
        "                             [fault.MODE]); flags override it\n"
        "  --log-level LEVEL          error, warning, info, debug (info)\n"
        "  --help, --version\n\n"
        "See herd-sim(1).\n");
}

static struct event_base *main_base;

static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    log_info("main", "signal %d, stopping", (int)sig);
    event_base_loopexit(main_base, NULL);
}

static int
main_parse(struct sim_config *cfg, int argc, char **argv)
{
    char err[512];
    int c, idx;
    /* The file first, so that flags win whatever their order. */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", main_opts, &idx)) != -1)
        if (c == 'c' && config_load_ini(cfg, optarg, err, sizeof err) < 0) {
            fprintf(stderr, "herd-sim: %s\n", err);
            return -1;
        }
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", main_opts, &idx)) != -1) {
        int rc = 0;
        char key[64];
        switch (c) {
        case 'H':
            rc = config_set_server_key(cfg, "host", optarg, err, sizeof err);
            break;
        case 'p':
            rc = config_set_server_key(cfg, "port", optarg, err, sizeof err);
            break;
        case 'S':
            snprintf(key, sizeof key, "%s", main_opts[idx].name);
            for (char *k = key; *k; k++)
                if (*k == '-')
                    *k = '_';
            rc = config_set_server_key(cfg, key, optarg, err, sizeof err);
            break;
        case 'm':
        case 'e':
            rc = config_add_model_spec(cfg, optarg, c == 'e', err, sizeof err);
            break;
        case 'f':
            rc = faults_parse_spec(cfg, optarg, err, sizeof err);
            break;
        case 'c':
            break;
        case 'h':
            main_usage(stdout);
            return 1;
        case 'V':
            printf("herd-sim %s (Ollama API %s)\n", PACKAGE_VERSION,
                   SIM_VERSION_OLLAMA);
            return 1;
        default:
            fprintf(stderr, "Try 'herd-sim --help' for more information.\n");
            return -1;
        }
        if (rc < 0) {
            fprintf(stderr, "herd-sim: --%s: %s\n",
                    c == 'H'   ? "host"
                    : c == 'p' ? "port"
                    : c == 'f' ? "fault"
                    : c == 'm' ? "model"
                    : c == 'e' ? "embed-model"
                               : main_opts[idx].name,
                    err);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "herd-sim: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (config_check(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "herd-sim: %s\n", err);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static struct sim_server srv;
    struct sim_server *s = &srv;
    config_defaults(&s->cfg);
    log_set_program("herd-sim");
    int rc = main_parse(&s->cfg, argc, argv);
    if (rc != 0) {
        config_free(&s->cfg);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(s->cfg.log_level);
    s->models = s->cfg.models;
    s->cfg.models = NULL;
    s->rng = s->cfg.seed ^ 0x5eed;
    TAILQ_INIT(&s->pending);
    signal(SIGPIPE, SIG_IGN);
    s->base = main_base = event_base_new();
    char err[256];
    if (sim_http_start(s, err, sizeof err) < 0) {
        fprintf(stderr, "herd-sim: %s\n", err);
        evhttp_free(s->http);
        event_base_free(s->base);
        models_free_list(s->models);
        config_free(&s->cfg);
        return 1;
    }
    struct event *sigint = evsignal_new(s->base, SIGINT, main_signal_cb, NULL);
    struct event *sigterm =
        evsignal_new(s->base, SIGTERM, main_signal_cb, NULL);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);
    int n = 0;
    for (struct sim_model *m = s->models; m; m = m->next)
        n++;
    log_info("main", "herd-sim listening on %s:%d with %d models, %.1f GB",
             s->cfg.host, s->cfg.port, n, s->cfg.memory_gb);
    event_base_dispatch(s->base);
    /* Freeing evhttp closes every connection; their close callbacks free
     * the requests still running. */
    evhttp_free(s->http);
    sched_shutdown(s);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(s->base);
    models_free_list(s->models);
    config_free(&s->cfg);
    return 0;
}
