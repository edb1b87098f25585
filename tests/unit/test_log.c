/* Log levels parse both ways, the JSONL sink writes one object a line, and
 * a stderr line shows control bytes escaped (one line, no terminal codes). */
#include "autoconfig.h"

#include "common/log.h"
#include "tap.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static void
plugin_line(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vplugin(level, fmt, ap);
    va_end(ap);
}

int
main(void)
{
    plan(12);
    is_int(log_level_parse("DEBUG"), HERD_LOG_DEBUG, "debug parses");
    is_int(log_level_parse("warn"), HERD_LOG_WARNING, "warn parses");
    is_int(log_level_parse("loud"), -1, "unknown level is refused");
    is_str(log_level_name(HERD_LOG_ERR), "error", "error has a name");

    char path[] = "/tmp/herd-test-log-XXXXXX";
    int fd = mkstemp(path);
    ok(fd >= 0, "temp file");
    is_int(log_open_jsonl(path), 0, "jsonl opens");
    log_set_level(HERD_LOG_INFO);
    log_debug("test", "hidden %d", 1);
    log_info("test", "shown %d", 2);
    plugin_line(HERD_LOG_INFO, "scoring/x: points %d", 3);
    log_open_jsonl(NULL);

    char buf[1024] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    json_object *o = json_tokener_parse(buf);
    ok(n > 0 && o, "one JSON record written (debug line filtered)");
    is_str(o ? json_object_get_string(json_object_object_get(o, "msg")) : NULL,
           "shown 2", "record holds the message");
    const char *second = strchr(buf, '\n');
    json_object *p = second ? json_tokener_parse(second + 1) : NULL;
    is_str(p ? json_object_get_string(json_object_object_get(p, "component"))
             : NULL,
           "scoring/x", "a plugin's kind/name prefix becomes the component");
    is_str(p ? json_object_get_string(json_object_object_get(p, "msg")) : NULL,
           "points 3", "and leaves the message");
    json_object_put(p);
    json_object_put(o);

    /* stderr to a file for one line */
    char epath[] = "/tmp/herd-test-log-err-XXXXXX";
    int efd = mkstemp(epath), saved = dup(STDERR_FILENO);
    dup2(efd, STDERR_FILENO);
    log_info("test", "origin %s end", "a\r\nfake line\x1b[31m\x7f");
    dup2(saved, STDERR_FILENO);
    close(saved);
    char ebuf[512] = {0};
    ssize_t en = pread(efd, ebuf, sizeof ebuf - 1, 0);
    close(efd);
    unlink(epath);
    ok(en > 0 && strchr(ebuf, '\n') == ebuf + en - 1,
       "a message with CR LF stays one line");
    like(ebuf, "origin a\\x0d\\x0afake line\\x1b[31m\\x7f end",
         "control bytes written as \\xNN");
    return done_testing();
}
