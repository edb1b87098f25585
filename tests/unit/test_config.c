/* config_load through its real interface: argv arrays, environment
 * variables and INI files written to a temporary directory. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <herd/plugin.h>

#include "config.h"
#include "config_impl.h"
#include "tap.h"

static char tmpdir[256];
static char err[CONFIG_ERR_MAX];

/* Writes text to tmpdir/name and returns the path (static buffer). */
static const char *
put(const char *name, const char *text)
{
    static char path[4][512];
    static int turn;
    char *p = path[turn++ % 4];
    FILE *f;

    snprintf(p, 512, "%s/%s", tmpdir, name);
    f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        printf("Bail out! cannot write %s\n", p);
        exit(99);
    }
    return p;
}

/* config_load with a NULL-terminated list of arguments after argv[0]. */
static int
load(struct herd_config *cfg, enum config_program prog, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;

    argv[argc++] = prog == CONFIG_PROGRAM_ROUTER ? "herd" : "herd-node";
    va_start(ap, prog);
    while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return config_load(cfg, prog, argc, argv, err, sizeof err);
}

/* Loads a file that must fail and checks the message. */
static void
bad_file(const char *text, const char *want, const char *what)
{
    struct herd_config c;
    const char *path = put("bad.ini", text);
    char full[1024];
    int rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);

    snprintf(full, sizeof full, "%s/bad.ini:%s", tmpdir, want);
    ok(rc == -EINVAL && c.provenance == NULL && c.port == 0,
       "%s: refused, config zeroed", what);
    like(err, full, "%s: message", what);
}

static void
bad_args(const char *want, const char *what, ...)
{
    struct herd_config c;
    char *argv[16];
    int argc = 1, rc;
    va_list ap;

    argv[0] = "herd";
    va_start(ap, what);
    while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    rc = config_load(&c, CONFIG_PROGRAM_ROUTER, argc, argv, err, sizeof err);
    ok(rc == -EINVAL && c.provenance == NULL, "%s: refused", what);
    like(err, want, "%s: message", what);
}

static void
clean_env(void)
{
    static const char *extra[] = {"HERD_CONFIG", "XDG_CONFIG_HOME"};
    for (size_t i = 0; i < config_key_count; i++)
        if (config_keys[i].env)
            unsetenv(config_keys[i].env);
    for (size_t i = 0; i < 2; i++)
        unsetenv(extra[i]);
    setenv("HOME", tmpdir, 1);
}

static char *
print_to_string(const struct herd_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print(c, f);
    fclose(f);
    return buf;
}

/* Sections from the file; the router's built-in ones follow them. */
static size_t
file_sections(const struct herd_config *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->plugin_count; i++)
        n += !c->plugins[i].builtin;
    return n;
}

static void
test_defaults(void)
{
    struct herd_config c;
    char want[512], host[256];
    int rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
                  put("empty.ini", "; nothing\n"), NULL);

    ok(rc == 0, "empty file loads (%s)", err);
    is_int(c.action, CONFIG_ACTION_RUN, "action run");
    is_str(c.host, "0.0.0.0", "host default");
    is_int(c.port, 11435, "port default");
    snprintf(want, sizeof want, "%s/.fleet-manager", tmpdir);
    is_str(c.data_dir, want, "data_dir default with ~ expanded");
    is_str(c.agent_data_dir, want, "agent data_dir default");
    is_int(c.log_level, HERD_LOG_INFO, "log_level default");
    is_double(c.heartbeat_interval, 5, 0, "heartbeat_interval default");
    is_double(c.heartbeat_timeout, 15, 0, "heartbeat_timeout default");
    is_double(c.heartbeat_offline, 30, 0, "heartbeat_offline default");
    is_double(c.node_forget_after, 3600, 0, "node_forget_after default");
    is_int(c.max_body_bytes, 64 << 20, "max_body_bytes default 64M");
    is_int(c.max_header_bytes, 64 << 10, "max_header_bytes default 64K");
    is_double(c.client_timeout, 600, 0, "client_timeout default");
    is_int(c.default_num_parallel, 0, "default_num_parallel default");
    is_double(c.poll_interval, 5, 0, "poll_interval default");
    is_int(c.plugin_dir_count, 0, "no plugin dirs");
    ok(!c.node_token && !c.admin_token && c.api_key_count == 0,
       "no secrets by default");
    gethostname(host, sizeof host);
    host[strcspn(host, ".")] = '\0';
    is_str(c.agent_node_id, host, "node_id defaults to the short host name");
    is_str(c.agent_ollama_host, "http://localhost:11434", "ollama_host");
    ok(c.agent_router_url == NULL, "router_url unset = discover");
    is_double(c.agent_heartbeat_interval, 5, 0, "agent heartbeat_interval");
    is_int(c.agent_learn_capacity, 0, "learn_capacity off");
    is_int(c.agent_num_parallel, 0, "agent num_parallel 0");
    ok(file_sections(&c) == 0 && c.node_count == 0, "no sections");
    config_free(&c);
}

static void
test_file_values(void)
{
    struct herd_config c;
    const struct config_node *n;
    const struct config_plugin_section *p;
    const char *path = put("full.ini", "# full file\n"
                                       "[router]\n"
                                       "host = 127.0.0.1\n"
                                       "port = 11500 ; inline comment\n"
                                       "data_dir = /var/lib/herd\n"
                                       "log_level = DEBUG\n"
                                       "heartbeat_interval = 2.5\n"
                                       "heartbeat_timeout = 1m\n"
                                       "heartbeat_offline = 2m\n"
                                       "node_forget_after = 0\n"
                                       "max_body_bytes = 1G\n"
                                       "max_header_bytes = 8k\n"
                                       "client_timeout = 1h\n"
                                       "default_num_parallel = 3\n"
                                       "poll_interval = 10s\n"
                                       "plugin_dir = /opt/a\n"
                                       "plugin_dir = /opt/b\n"
                                       "[security]\n"
                                       "node_token = s3cret\n"
                                       "api_key = k1\n"
                                       "api_key = k2\n"
                                       "[agent]\n"
                                       "node_id = box-1\n"
                                       "ollama_host = http://127.0.0.1:11999\n"
                                       "router_url = http://[::1]:11435/\n"
                                       "learn_capacity = yes\n"
                                       "num_parallel = 4\n"
                                       "[node.gpu-1.lan]\n"
                                       "num_parallel = 8\n"
                                       "enabled = off\n"
                                       "[scoring.latency]\n"
                                       "weight = 0.25\n"
                                       "window = 30s\n"
                                       "[discovery.static.lab]\n"
                                       "node = a http://127.0.0.1:1\n"
                                       "node = b http://127.0.0.1:2\n"
                                       "enabled = 0\n"
                                       "[storage.sqlite]\n"
                                       "[scoring.latency]\n"
                                       "window = 45s\n");
    int rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);

    ok(rc == 0, "full file loads (%s)", err);
    is_str(c.config_file, path, "config_file is the path read");
    is_str(c.host, "127.0.0.1", "host");
    is_int(c.port, 11500, "port (inline comment stripped)");
    is_str(c.data_dir, "/var/lib/herd", "data_dir");
    is_int(c.log_level, HERD_LOG_DEBUG, "log_level any case");
    is_double(c.heartbeat_interval, 2.5, 0, "fractional seconds");
    is_double(c.heartbeat_timeout, 60, 0, "duration with m");
    is_double(c.node_forget_after, 0, 0, "0 = never forget");
    is_int(c.max_body_bytes, 1 << 30, "size with G");
    is_int(c.max_header_bytes, 8192, "size with k");
    is_double(c.client_timeout, 3600, 0, "duration with h");
    is_double(c.poll_interval, 10, 0, "duration with s");
    is_int(c.default_num_parallel, 3, "default_num_parallel");
    ok(c.plugin_dir_count == 2 && strcmp(c.plugin_dirs[0], "/opt/a") == 0 &&
           strcmp(c.plugin_dirs[1], "/opt/b") == 0,
       "plugin_dir repeated, in order");
    is_str(c.node_token, "s3cret", "node_token");
    ok(c.api_key_count == 2 && strcmp(c.api_keys[1], "k2") == 0,
       "api_key repeated");
    is_str(c.agent_node_id, "box-1", "node_id");
    is_str(c.agent_router_url, "http://[::1]:11435/", "IPv6 router_url");
    is_int(c.agent_learn_capacity, 1, "bool yes");
    is_int(c.agent_num_parallel, 4, "agent num_parallel");

    n = config_find_node(&c, "gpu-1.lan");
    ok(n && n->num_parallel == 8 && n->enabled == 0, "[node.gpu-1.lan]");
    ok(config_find_node(&c, "nope") == NULL, "unknown node is NULL");

    is_int((int)file_sections(&c), 3,
           "three plugin sections (repeat merged)");
    p = &c.plugins[0];
    ok(strcmp(p->kind, "scoring") == 0 && strcmp(p->name, "latency") == 0 &&
           !p->instance && p->enabled == 1,
       "[scoring.latency]");
    is_double(p->weight, 0.25, 0, "weight consumed");
    ok(p->entry_count == 2 && strcmp(p->entries[0].key, "window") == 0 &&
           strcmp(p->entries[0].value, "30s") == 0 &&
           p->entries[0].line == 33 &&
           strcmp(p->entries[1].value, "45s") == 0 &&
           p->entries[1].line == 40 && strcmp(p->entries[0].file, path) == 0,
       "plugin keys kept with file:line, repeated section appended");
    is_int(p->line, 31, "section line");
    p = &c.plugins[1];
    ok(strcmp(p->kind, "discovery") == 0 && strcmp(p->name, "static") == 0 &&
           p->instance && strcmp(p->instance, "lab") == 0 && p->enabled == 0,
       "[discovery.static.lab] instance, enabled = 0 consumed");
    ok(p->entry_count == 2 && strcmp(p->entries[0].key, "node") == 0 &&
           strcmp(p->entries[1].key, "node") == 0 &&
           strcmp(p->entries[1].value, "b http://127.0.0.1:2") == 0,
       "repeated plugin key kept twice, in order");
    p = &c.plugins[2];
    ok(strcmp(p->kind, "storage") == 0 && p->entry_count == 0 &&
           p->enabled == 1 && p->weight == 1.0,
       "empty [storage.sqlite] still configures the plugin");
    config_free(&c);
}

static void
test_precedence(void)
{
    struct herd_config c;
    const char *path = put("prec.ini", "[router]\nport = 1000\nhost = h.file\n"
                                       "node_forget_after = 10\n"
                                       "log_level = error\n"
                                       "[agent]\nnode_id = from-file\n"
                                       "num_parallel = 1\n");
    int rc;

    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    ok(rc == 0 && c.port == 1000 && strcmp(c.host, "h.file") == 0,
       "file over default");
    config_free(&c);

    setenv("FLEET_PORT", "2000", 1);
    setenv("HERD_NODE_FORGET_AFTER", "20", 1);
    setenv("FLEET_LOG_LEVEL", "warn", 1);
    setenv("FLEET_NODE_NODE_ID", "from-env", 1);
    setenv("OLLAMA_NUM_PARALLEL", "2", 1);
    setenv("FLEET_NODE_DATA_DIR", "/env/dir", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    ok(rc == 0, "env loads (%s)", err);
    is_int(c.port, 2000, "FLEET_PORT over file");
    is_double(c.node_forget_after, 20, 0, "HERD_NODE_FORGET_AFTER over file");
    is_int(c.log_level, HERD_LOG_WARNING, "FLEET_LOG_LEVEL over file");
    is_str(c.host, "h.file", "file still wins where env is unset");
    is_str(c.agent_node_id, "from-env", "FLEET_NODE_NODE_ID over file");
    is_int(c.agent_num_parallel, 2, "OLLAMA_NUM_PARALLEL over file");
    is_str(c.agent_data_dir, "/env/dir", "FLEET_NODE_DATA_DIR");
    config_free(&c);

    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, "--port", "3000",
              "--log-level", "debug", "--port", "3001", NULL);
    ok(rc == 0, "cli loads (%s)", err);
    is_int(c.port, 3001, "--port over env, last one wins");
    is_int(c.log_level, HERD_LOG_DEBUG, "--log-level over env");
    config_free(&c);

    rc = load(&c, CONFIG_PROGRAM_AGENT, "--config", path, "--node-id",
              "from-cli", "--num-parallel", "6", "--data-dir", "/cli/dir",
              "--learn-capacity", "--log-level", "error", NULL);
    ok(rc == 0, "herd-node options load (%s)", err);
    is_str(c.agent_node_id, "from-cli", "--node-id over env");
    is_int(c.agent_num_parallel, 6, "--num-parallel over env");
    is_str(c.agent_data_dir, "/cli/dir", "herd-node --data-dir");
    is_int(c.agent_learn_capacity, 1, "--learn-capacity alone is true");
    is_int(c.agent_log_level, HERD_LOG_ERR, "herd-node --log-level");
    is_int(c.log_level, HERD_LOG_WARNING, "router log_level untouched");
    config_free(&c);

    rc = load(&c, CONFIG_PROGRAM_AGENT, "--config", path, "--learn-capacity=no",
              NULL);
    ok(rc == 0 && c.agent_learn_capacity == 0, "--learn-capacity=no");
    config_free(&c);

    setenv("FLEET_PORT", "abc", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, "--port", "5", NULL);
    ok(rc == -EINVAL, "a bad env value fails even when overridden");
    like(err, "FLEET_PORT: 'abc' is not a number", "message names FLEET_PORT");
    setenv("FLEET_PORT", "0", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    like(err, "FLEET_PORT: '0' is out of range (1-65535)", "port 0 refused");
    clean_env();
}

static void
test_file_discovery(void)
{
    struct herd_config c;
    char dir[512], path[600];
    int rc;

    snprintf(dir, sizeof dir, "%s/xdg", tmpdir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/xdg/herd", tmpdir);
    mkdir(path, 0700);
    put("xdg/herd/herd.ini", "[router]\nport = 4444\n");
    setenv("XDG_CONFIG_HOME", dir, 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, NULL);
    ok(rc == 0 && c.port == 4444, "$XDG_CONFIG_HOME/herd/herd.ini is read");
    config_free(&c);

    setenv("HERD_CONFIG", put("hc.ini", "[router]\nport = 5555\n"), 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, NULL);
    ok(rc == 0 && c.port == 5555, "$HERD_CONFIG over the XDG file");
    config_free(&c);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
              put("cc.ini", "[router]\nport = 6666\n"), NULL);
    ok(rc == 0 && c.port == 6666, "--config over $HERD_CONFIG");
    config_free(&c);

    setenv("HERD_CONFIG", "/nonexistent/herd.ini", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, NULL);
    ok(rc == -EINVAL, "missing $HERD_CONFIG is an error");
    like(err, "HERD_CONFIG: cannot read '/nonexistent/herd.ini'", "message");
    clean_env();
    rc =
        load(&c, CONFIG_PROGRAM_ROUTER, "--config", "/nonexistent/x.ini", NULL);
    ok(rc == -EINVAL, "missing --config file is an error");
    like(err, "option --config: cannot read '/nonexistent/x.ini'", "message");
}

static void
test_file_errors(void)
{
    char longline[400];

    bad_file("[router]\nprot = 1\n",
             "2: unknown key 'prot' in [router] (did you mean 'port'?)",
             "unknown key with suggestion");
    bad_file("[agent]\ncolour = red\n", "2: unknown key 'colour' in [agent]",
             "unknown key");
    bad_file("[routr]\nport = 1\n",
             "1: unknown section [routr] (did you mean [router]?)",
             "unknown section");
    bad_file("[bogus]\n", "1: unknown section [bogus]",
             "unknown empty section");
    bad_file("[router]\nport = 70000\n",
             "2: port: '70000' is out of range (1-65535)", "port range");
    bad_file("[router]\n\nport = 12ab\n", "3: port: '12ab' is not a whole",
             "junk number");
    bad_file("[router]\ndefault_num_parallel = -2\n",
             "2: default_num_parallel: '-2' must not be negative",
             "negative count");
    bad_file("[router]\nport = 1\nport = 2\n",
             "3: duplicate key 'port' in [router] (first set at line 2)",
             "duplicate scalar key");
    bad_file("[router]\nheartbeat_timeout = 5x\n",
             "2: heartbeat_timeout: '5x' is not a duration", "bad duration");
    bad_file("[router]\nclient_timeout = 0\n",
             "2: client_timeout: '0' must be more than 0", "zero timeout");
    bad_file("[router]\nmax_body_bytes = 64Q\n",
             "2: max_body_bytes: '64Q' is not a size", "bad size");
    bad_file("[router]\nmax_body_bytes = 12\n",
             "2: max_body_bytes: '12' is out of range (1K-2047M)", "tiny size");
    bad_file("[router]\nlog_level = loud\n",
             "2: log_level: 'loud' is not a log level", "bad level");
    bad_file("[router]\ndata_dir = ~bob/x\n",
             "2: data_dir: '~bob/x': only ~ and ~/ are expanded", "~user");
    {
        char text[300], home[300];
        memset(home, 'h', 150);
        home[0] = '/';
        home[150] = '\0';
        setenv("HOME", home, 1);
        memset(text, 0, sizeof text);
        memcpy(text, "[router]\ndata_dir = ~/", 22);
        memset(text + 22, 'd', 60);
        text[82] = '\n';
        bad_file(text,
                 "2: data_dir: value too long (211 characters, at most 186)",
                 "expanded path too long to print");
        clean_env();
    }
    bad_file("[router]\nhost = a b\n",
             "2: host: 'a b' is not a host name or address", "bad host");
    bad_file("[agent]\nlearn_capacity = maybe\n",
             "2: learn_capacity: 'maybe' is not a boolean", "bad bool");
    bad_file("[agent]\nollama_host = localhost:11434\n",
             "2: ollama_host: 'localhost:11434' is not an http:// URL",
             "URL without scheme");
    bad_file("[agent]\nrouter_url = http://h:99999\n",
             "2: router_url: 'http://h:99999': bad port", "URL port");
    bad_file("[agent]\nnode_id = a/b\n", "2: node_id: 'a/b' is not a node id",
             "bad node id");
    bad_file("[discovery.static]\nweight = 2\n",
             "2: 'weight' is only meaningful in [scoring.*] sections",
             "weight outside scoring");
    bad_file("[scoring.latency]\nweight = -1\n",
             "2: weight: '-1' must not be negative", "negative weight");
    bad_file("[scoring.latency]\nenabled = 1\nenabled = 0\n",
             "3: duplicate key 'enabled' in [scoring.latency]",
             "duplicate host key");
    bad_file("[scoring.Latency]\n", "1: bad section name [scoring.Latency]",
             "upper case plugin name");
    bad_file("[storage.sqlite.a.b]\n",
             "1: bad section name [storage.sqlite.a.b]", "too many parts");
    bad_file("[scoring]\n", "1: section [scoring] needs a plugin name",
             "kind without name");
    bad_file("[node.]\n", "1: bad section name [node.]", "empty node id");
    bad_file("[node.a]\nslots = 1\n", "2: unknown key 'slots' in [node.a]",
             "unknown node key");
    bad_file("[node.a]\nnum_parallel = x\n",
             "2: num_parallel: 'x' is not a number", "bad node value");
    bad_file("port = 1\n[router]\n", "1: key 'port' is outside any section",
             "key before any section");
    bad_file("[router]\nthis is not ini\n", "2: syntax error", "syntax error");
    bad_file("[router]\nport = 1\n   2\n", "3: syntax error",
             "indented continuation lines are not values");
    bad_file("[router\n", "1: syntax error", "unclosed section");
    bad_file("[router]\n= 5\n", "2: empty key name", "empty key");
    {
        struct herd_config c;
        int rc =
            load(&c, CONFIG_PROGRAM_ROUTER, "--config",
                 put("rel.ini", "[router]\nheartbeat_timeout = 40\n"), NULL);
        ok(rc == -EINVAL && c.provenance == NULL,
           "heartbeat_timeout not below heartbeat_offline: refused");
        like(err, "heartbeat_timeout (40, from ", "message names the value");
        like(err,
             "rel.ini:2) must be less than heartbeat_offline (30, "
             "default)",
             "and both origins");
    }

    {
        /* the longest line accepted arrives whole */
        struct herd_config c;
        char line[300];
        int rc;
        memset(line, 0, sizeof line);
        memcpy(line, "[discovery.static]\nurls = ", 25);
        memset(line + 25, 'u', 197 - 7);
        line[25 + 190] = '\n';
        rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", put("max.ini", line),
                  NULL);
        ok(rc == 0 && file_sections(&c) == 1 &&
               strlen(c.plugins[0].entries[0].value) == 190,
           "a 197-character line is read whole (%s)", err);
        config_free(&c);
    }
    memset(longline, 'x', sizeof longline);
    memcpy(longline, "[router]\n\nhost = ", 17);
    memcpy(longline + 250, "\n", 2);
    bad_file(longline, "3: line too long (240 characters, at most 197)",
             "long line refused, not truncated");
    bad_file("[scoring.a_very_long_plugin_name_that_goes_on_and_on]\n",
             "1: section name too long", "long section name");
}

static void
test_cli(void)
{
    struct herd_config c;
    char *argv[] = {"herd", "--port", "7000", "--config", NULL, NULL};
    char *copy[5];
    int rc;

    bad_args("unknown or ambiguous option '--bogus'", "unknown option",
             "--bogus", NULL);
    bad_args("option --port needs a value", "missing value", "--port", NULL);
    bad_args("option --port: 'abc' is not a number", "bad value", "--port",
             "abc", NULL);
    bad_args("option --host: empty value", "empty host", "--host", "", NULL);
    bad_args("option --print-config takes no value", "flag with a value",
             "--print-config=1", NULL);
    bad_args("unexpected argument 'serve'", "positional argument", "serve",
             NULL);
    bad_args("unknown option '-x'", "unknown short option", "-x", NULL);
    bad_args("unknown or ambiguous option '--node-id'",
             "herd-node option given to herd", "--node-id", "a", NULL);
    bad_args("option --data-dir: value too long", "over-long value",
             "--data-dir",
             "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "aaaaaaaaaaaaaaaaaaaaaaa",
             NULL);
    bad_args("' ;' would start an INI comment", "value with a comment",
             "--data-dir", "/a ;b", NULL);

    argv[4] = (char *)put("cli.ini", "[router]\n");
    memcpy(copy, argv, sizeof copy);
    rc = config_load(&c, CONFIG_PROGRAM_ROUTER, 5, argv, err, sizeof err);
    ok(rc == 0 && c.port == 7000, "argv array loads");
    ok(memcmp(copy, argv, sizeof copy) == 0, "argv is not modified");
    config_free(&c);

    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--help", "--config", "/nonexistent",
              NULL);
    ok(rc == 0 && c.action == CONFIG_ACTION_HELP,
       "--help works whatever the file");
    config_free(&c);
    rc = load(&c, CONFIG_PROGRAM_AGENT, "-V", NULL);
    ok(rc == 0 && c.action == CONFIG_ACTION_VERSION, "-V");
    config_free(&c);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--list-plugins", "--config", argv[4],
              NULL);
    ok(rc == 0 && c.action == CONFIG_ACTION_LIST_PLUGINS, "--list-plugins");
    config_free(&c);
    rc = load(&c, CONFIG_PROGRAM_AGENT, "--list-plugins", NULL);
    ok(rc == -EINVAL, "herd-node has no --list-plugins");
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--plugin-dir", "/cli/p", "--config",
              put("pd.ini", "[router]\nplugin_dir = /file/p\n"), NULL);
    ok(rc == 0 && c.plugin_dir_count == 2 &&
           strcmp(c.plugin_dirs[0], "/cli/p") == 0 &&
           strcmp(c.plugin_dirs[1], "/file/p") == 0,
       "--plugin-dir first, then [router] plugin_dir");
    config_free(&c);
}

static void
test_usage(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    config_usage(CONFIG_PROGRAM_ROUTER, f);
    fclose(f);
    like(buf, "--port N", "herd --help lists --port");
    like(buf, "default: 11435; env FLEET_PORT", "with default and env");
    like(buf, "--list-plugins", "and --list-plugins");
    ok(!strstr(buf, "--node-id"), "but not herd-node's options");
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    config_usage(CONFIG_PROGRAM_AGENT, f);
    fclose(f);
    like(buf, "--node-id ID", "herd-node --help lists --node-id");
    like(buf, "default: short host name", "with its default");
    like(buf, "--learn-capacity[=BOOL]", "--learn-capacity");
    ok(!strstr(buf, "--list-plugins"), "no --list-plugins");
    free(buf);
}

static void
test_print_round_trip(void)
{
    struct herd_config a, b;
    char *text, want[600];
    const char *path =
        put("rt.ini", "[router]\n"
                      "host = 127.0.0.2\n"
                      "heartbeat_interval = 0.3\n"
                      "max_body_bytes = 1000000\n"
                      "plugin_dir = /p/file\n"
                      "[security]\n"
                      "admin_token = hunter2\n"
                      "api_key = key-a\n"
                      "[node.n1]\n"
                      "num_parallel = 2\n"
                      "[scoring.latency]\n"
                      "weight = 0.7\n"
                      "enabled = no\n"
                      "window = 30s\n"
                      "[discovery.static]\n"
                      "node = a http://127.0.0.1:1\n"
                      "node = b http://127.0.0.1:2\n"
                      "urls = http://127.0.0.1:1/aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    const char *printed;
    int rc;

    setenv("FLEET_HEARTBEAT_OFFLINE", "45", 1);
    rc = load(&a, CONFIG_PROGRAM_ROUTER, "--config", path, "--port", "12345",
              "--plugin-dir", "/p/cli", NULL);
    ok(rc == 0, "source config loads (%s)", err);
    text = print_to_string(&a);
    like(text, "port = 12345  ; from --port", "CLI source shown");
    like(text, "heartbeat_offline = 45  ; from FLEET_HEARTBEAT_OFFLINE",
         "env source shown");
    snprintf(want, sizeof want, "host = 127.0.0.2  ; from %s:2", path);
    like(text, want, "file:line source shown");
    like(text, "client_timeout = 600  ; default", "default shown");
    like(text, "admin_token = ***  ; from", "secret hidden");
    like(text, "api_key = ***", "api key hidden");
    ok(!strstr(text, "hunter2") && !strstr(text, "key-a"),
       "no secret in the output");
    like(text, "max_body_bytes = 1000000", "odd sizes in bytes");
    snprintf(want, sizeof want, "weight = 0.7  ; from %s:12", path);
    like(text, want, "plugin host key with its line");
    snprintf(want, sizeof want, "[node.n1]\nnum_parallel = 2  ; from %s:10",
             path);
    like(text, want, "node key with its line");
    like(text, "num_parallel = 2  ; from", "node key source");
    snprintf(want, sizeof want, "window = 30s  ; from %s:14", path);
    like(text, want, "plugin key with its line");
    like(text, "plugin_dir = /p/cli  ; from --plugin-dir\nplugin_dir = /p/file",
         "repeated key printed in order with sources");
    printed = put("printed.ini", text);
    clean_env();
    rc = load(&b, CONFIG_PROGRAM_ROUTER, "--config", printed, NULL);
    ok(rc == 0, "printed config loads back (%s)", err);
    if (rc == 0) {
        ok(b.port == a.port && strcmp(b.host, a.host) == 0 &&
               b.heartbeat_interval == a.heartbeat_interval &&
               b.heartbeat_offline == a.heartbeat_offline &&
               b.max_body_bytes == a.max_body_bytes &&
               b.max_header_bytes == a.max_header_bytes &&
               strcmp(b.data_dir, a.data_dir) == 0 &&
               strcmp(b.agent_node_id, a.agent_node_id) == 0 &&
               b.agent_router_url == NULL && b.node_token == NULL,
           "router and agent values survive the round trip");
        ok(b.plugin_dir_count == 2 && strcmp(b.plugin_dirs[0], "/p/cli") == 0 &&
               strcmp(b.plugin_dirs[1], "/p/file") == 0,
           "plugin dirs survive");
        is_str(b.admin_token, "***", "secrets come back masked");
        ok(b.node_count == 1 && b.nodes[0].num_parallel == 2 &&
               b.nodes[0].enabled == 1,
           "node section survives");
        ok(b.plugin_count == a.plugin_count && b.plugins[0].enabled == 0 &&
               b.plugins[0].weight == 0.7 && b.plugins[0].entry_count == 1 &&
               b.plugins[1].entry_count == 3 &&
               strcmp(b.plugins[1].entries[2].value,
                      a.plugins[1].entries[2].value) == 0,
           "plugin sections survive, long value included");
        config_free(&b);
    }
    free(text);
    config_free(&a);
}

static void
test_reload(void)
{
    struct herd_config a, b, c;
    const char *path = put("rl.ini", "[router]\nport = 1111\nhost = h1\n");
    int rc;

    setenv("FLEET_HOST", "env-host", 1);
    rc = load(&a, CONFIG_PROGRAM_ROUTER, "--config", path, "--log-level",
              "debug", NULL);
    ok(rc == 0 && a.port == 1111, "first load");
    unsetenv("FLEET_HOST");
    put("rl.ini", "[router]\nport = 2222\nlog_level = error\n"
                  "[scoring.latency]\nweight = 3\n");
    rc = config_reload(&a, &b, err, sizeof err);
    ok(rc == 0, "reload (%s)", err);
    is_int(b.port, 2222, "new file value");
    is_int(b.log_level, HERD_LOG_DEBUG, "command line still wins");
    is_str(b.host, "env-host", "environment of the first load is replayed");
    ok(file_sections(&b) == 1 && b.plugins[0].weight == 3, "new weight");
    is_str(b.config_file, path, "same file");

    put("rl.ini", "[router]\nport = nope\n");
    rc = config_reload(&b, &c, err, sizeof err);
    ok(rc == -EINVAL && c.provenance == NULL && c.port == 0,
       "a broken file fails the reload, out zeroed");
    like(err, "rl.ini:2: port: 'nope' is not", "with file:line");
    is_int(b.port, 2222, "current config untouched");
    config_free(&a);
    config_free(&b);
}

static void
test_example_and_docs(void)
{
    const char *src = getenv("top_srcdir");
    char path[1024], *text = NULL;
    struct herd_config c;
    FILE *f;
    size_t len = 0;
    int rc;

    if (!src)
        src = "..";
    snprintf(path, sizeof path, "%s/doc/examples/herd.ini", src);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    ok(rc == 0, "doc/examples/herd.ini is valid (%s)", err);
    config_free(&c);

    /* every key, variable and option of the table is in the man pages */
    snprintf(path, sizeof path, "%s/doc/herd.ini.5", src);
    f = fopen(path, "r");
    if (f) {
        text = malloc(1 << 20);
        len = fread(text, 1, (1 << 20) - 1, f);
        text[len] = '\0';
        fclose(f);
    }
    ok(text != NULL, "doc/herd.ini.5 readable");
    for (size_t i = 0; text && i < config_key_count; i++) {
        const struct config_key *k = &config_keys[i];
        char needle[128];
        snprintf(needle, sizeof needle, ".SS [%s]", k->section);
        like(text, needle, "herd.ini(5) has section [%s]", k->section);
        snprintf(needle, sizeof needle, ".B %s\n", k->name);
        like(text, needle, "herd.ini(5) documents %s.%s", k->section, k->name);
        if (k->env)
            like(text, k->env, "herd.ini(5) names %s", k->env);
    }
    free(text);
    text = NULL;
    snprintf(path, sizeof path, "%s/doc/herd.8", src);
    f = fopen(path, "r");
    if (f) {
        text = malloc(1 << 20);
        len = fread(text, 1, (1 << 20) - 1, f);
        text[len] = '\0';
        fclose(f);
    }
    ok(text != NULL, "doc/herd.8 readable");
    for (size_t i = 0; text && i < config_key_count; i++) {
        char needle[128];
        if (!config_keys[i].opt_router)
            continue;
        /* roff writes every '-' of an option as '\-' */
        {
            size_t n = 0;
            needle[n++] = '\\';
            needle[n++] = '-';
            needle[n++] = '\\';
            needle[n++] = '-';
            for (const char *o = config_keys[i].opt_router; *o; o++) {
                if (*o == '-')
                    needle[n++] = '\\';
                needle[n++] = *o;
            }
            needle[n] = '\0';
        }
        like(text, needle, "herd(8) documents --%s", config_keys[i].opt_router);
        if (config_keys[i].env)
            like(text, config_keys[i].env, "herd(8) names %s",
                 config_keys[i].env);
    }
    free(text);
}

/* The router gets a section for every default plugin the file does not
 * name (config_defaults.c); herd-node gets none. */
static void
test_builtin_sections(void)
{
    struct herd_config c;
    const char *path =
        put("builtin.ini", "[scoring.thermal]\nenabled = false\n"
                           "[scoring.memory_fit.big]\nweight = 2\n");
    size_t builtin = 0, thermal = 0, memory_fit = 0;
    int rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    ok(rc == 0, "file with scoring sections loads (%s)", err);
    for (size_t i = 0; rc == 0 && i < c.plugin_count; i++) {
        const struct config_plugin_section *p = &c.plugins[i];
        builtin += p->builtin;
        thermal += strcmp(p->name, "thermal") == 0;
        memory_fit += strcmp(p->name, "memory_fit") == 0;
        if (p->builtin)
            ok(p->enabled && p->weight == 1.0 && p->entry_count == 0 &&
                   !p->file && !p->instance,
               "built-in [%s.%s]: enabled, weight 1, no keys", p->kind,
               p->name);
    }
    is_int((int)builtin, (int)config_default_plugin_count - 2,
           "a built-in section for each default the file does not name");
    ok(thermal == 1 && c.plugins[0].enabled == 0,
       "enabled = false in the file replaces the default");
    is_int((int)memory_fit, 1, "an instance section counts as named");
    char *text = print_to_string(&c);
    like(text, "[scoring.wait_time]\nenabled = true  ; default\n",
         "--print-config shows a built-in section as default");
    free(text);
    config_free(&c);

    rc = load(&c, CONFIG_PROGRAM_AGENT, "--config", path, NULL);
    ok(rc == 0 && file_sections(&c) == c.plugin_count,
       "herd-node gets no built-in sections");
    config_free(&c);
}

/* The request path's body keys: a choice, "-1 or a duration", a number
 * and a count; defaults, each spelling, the environment, errors with their
 * line, and --print-config text that reads back. */
static void
test_request_body_keys(void)
{
    struct herd_config c, d;
    char *text;
    const char *path;
    int rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
                  put("empty.ini", "; nothing\n"), NULL);

    ok(rc == 0, "empty file loads (%s)", err);
    is_int(c.context_protection, CONFIG_CTX_STRIP, "context_protection strip");
    is_double(c.keep_alive, -1, 0, "keep_alive default -1");
    is_double(c.thinking_overhead, 4.0, 0, "thinking_overhead default");
    is_int(c.thinking_min_predict, 1024, "thinking_min_predict default");
    config_free(&c);

    path = put("body.ini", "[router]\n"
                           "context_protection = WARN\n"
                           "keep_alive = 1h30m\n"
                           "thinking_overhead = 2.5\n"
                           "thinking_min_predict = 0\n");
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config", path, NULL);
    ok(rc == 0, "values load (%s)", err);
    is_int(c.context_protection, CONFIG_CTX_WARN, "warn, any case");
    is_double(c.keep_alive, 5400, 0, "1h30m = 5400 s");
    is_double(c.thinking_overhead, 2.5, 0, "thinking_overhead 2.5");
    is_int(c.thinking_min_predict, 0, "thinking_min_predict 0");
    text = print_to_string(&c);
    like(text, "context_protection = warn  ; from", "choice printed as word");
    like(text, "keep_alive = 5400  ; from", "duration printed in seconds");
    rc = load(&d, CONFIG_PROGRAM_ROUTER, "--config", put("printed.ini", text),
              NULL);
    ok(rc == 0 && d.context_protection == CONFIG_CTX_WARN &&
           d.keep_alive == 5400,
       "printed values read back (%s)", err);
    free(text);
    config_free(&d);
    config_free(&c);

    static const struct {
        const char *text;
        double want;
    } ka[] = {{"-1", -1},  {"0", 0},        {"300", 300}, {"1.5s", 1.5},
              {"5m", 300}, {"250ms", 0.25}, {"2h", 7200}};
    for (size_t i = 0; i < sizeof ka / sizeof ka[0]; i++) {
        setenv("HERD_KEEP_ALIVE", ka[i].text, 1);
        rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
                  put("empty.ini", "; nothing\n"), NULL);
        ok(rc == 0, "HERD_KEEP_ALIVE=%s loads (%s)", ka[i].text, err);
        is_double(c.keep_alive, ka[i].want, 1e-9, "keep_alive %s", ka[i].text);
        config_free(&c);
    }
    unsetenv("HERD_KEEP_ALIVE");
    setenv("FLEET_CONTEXT_PROTECTION", "passthrough", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
              put("empty.ini", "; nothing\n"), NULL);
    ok(rc == 0 && c.context_protection == CONFIG_CTX_PASSTHROUGH,
       "FLEET_CONTEXT_PROTECTION=passthrough (%s)", err);
    config_free(&c);
    setenv("FLEET_CONTEXT_PROTECTION", "off", 1);
    rc = load(&c, CONFIG_PROGRAM_ROUTER, "--config",
              put("empty.ini", "; nothing\n"), NULL);
    ok(rc == -EINVAL, "FLEET_CONTEXT_PROTECTION=off refused");
    like(err, "FLEET_CONTEXT_PROTECTION", "the message names the variable");
    like(err, "'off' is not one of strip, warn, passthrough",
         "and lists the choices");
    unsetenv("FLEET_CONTEXT_PROTECTION");

    bad_file("[router]\ncontext_protection = drop\n",
             "2: context_protection: 'drop' is not one of strip, warn, "
             "passthrough",
             "unknown context_protection");
    bad_file("[router]\n\nkeep_alive = -2\n",
             "3: keep_alive: '-2' is not -1 or a duration", "keep_alive -2");
    bad_file("[router]\nkeep_alive = 5x\n",
             "2: keep_alive: '5x' is not -1 or a duration", "keep_alive unit");
    bad_file("[router]\nkeep_alive = 1h30\n",
             "2: keep_alive: '1h30' is not -1 or a duration",
             "keep_alive number without a unit after a pair");
    bad_file("[router]\nkeep_alive = m\n",
             "2: keep_alive: 'm' is not -1 or a duration", "keep_alive m");
    bad_file("[router]\nthinking_overhead = 0.5\n",
             "2: thinking_overhead: '0.5' is out of range (1-1000)",
             "thinking_overhead below 1");
    bad_file("[router]\nthinking_overhead = four\n",
             "2: thinking_overhead: 'four' is not a number",
             "thinking_overhead not a number");
    bad_file("[router]\nimage_fetch_max_bytes = 2T\n",
             "2: image_fetch_max_bytes: '2T' is not a size",
             "image_fetch_max_bytes unit");
    bad_file("[router]\n\nimage_fetch_max_bytes = 100\n",
             "3: image_fetch_max_bytes: '100' is out of range (1K-1G)",
             "image_fetch_max_bytes too small");
    bad_file("[router]\nimage_fetch_timeout = 0\n",
             "2: image_fetch_timeout: '0' must be more than 0",
             "image_fetch_timeout 0");
    bad_file("[router]\nstale_timeout = 0\n",
             "2: stale_timeout: '0' must be more than 0", "stale_timeout 0");
    bad_file("[router]\n\n\nstale_timeout = soon\n",
             "4: stale_timeout: 'soon' is not a number",
             "stale_timeout not a duration");
    bad_file("[router]\nthinking_min_predict = 1.5\n",
             "2: thinking_min_predict: '1.5' is not a whole number",
             "thinking_min_predict fraction");
}

int
main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/herd-config.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 99;
    }
    clean_env();
    test_defaults();
    test_file_values();
    test_precedence();
    test_file_discovery();
    test_file_errors();
    test_cli();
    test_usage();
    test_print_round_trip();
    test_reload();
    test_example_and_docs();
    test_builtin_sections();
    test_request_body_keys();
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            diag("could not remove %s", tmpdir);
    }
    return done_testing();
}
