/* Structured logging: stderr for people, JSONL for tools. */
#include "autoconfig.h"

#include "common/log.h"
#include "common/jsonl_rotate.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_level = HERD_LOG_INFO;
/* Shared with other writers; follows their midnight rotation. */
static struct jsonl_file log_jsonl = {.fd = -1, .checked_day = -1};
static int log_jsonl_open;
static const char *log_program = "herd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
    const char *name;
    int level;
} log_levels[] = {
    {"error", HERD_LOG_ERR},     {"err", HERD_LOG_ERR},
    {"warning", HERD_LOG_WARNING}, {"warn", HERD_LOG_WARNING},
    {"info", HERD_LOG_INFO},     {"debug", HERD_LOG_DEBUG},
};

int
log_level_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof log_levels / sizeof log_levels[0];
         i++)
        if (strcasecmp(name, log_levels[i].name) == 0)
            return log_levels[i].level;
    return -1;
}

const char *
log_level_name(int level)
{
    switch (level) {
    case HERD_LOG_ERR:
        return "error";
    case HERD_LOG_WARNING:
        return "warning";
    case HERD_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void
log_set_level(int level)
{
    log_level = level;
}

int
log_get_level(void)
{
    return log_level;
}

void
log_set_program(const char *program)
{
    log_program = program;
}

int
log_open_jsonl(const char *path)
{
    struct jsonl_file next;
    jsonl_file_init(&next);
    if (path) {
        int rc = jsonl_file_open(&next, path);
        if (rc != 0)
            return rc;
    }
    pthread_mutex_lock(&log_lock);
    jsonl_file_close(&log_jsonl);
    log_jsonl = next;
    log_jsonl_open = path != NULL;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

static void
log_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/* msg with its control bytes written as \xNN: text a client sent (a path,
 * an Origin) cannot start a line of its own or drive the terminal. */
static void
log_clean(const char *msg, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)*p;
            continue;
        }
        if (o + 4 >= outlen)
            break;
        out[o++] = '\\';
        out[o++] = 'x';
        out[o++] = hex[*p >> 4];
        out[o++] = hex[*p & 15];
    }
    out[o] = '\0';
}

void
log_vmsg(int level, const char *component, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[40];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", (long)(tv.tv_usec / 1000));

    char clean[2300];
    log_clean(msg, clean, sizeof clean);
    char line[2400];
    int len = snprintf(line, sizeof line, "%s %-7s %s: %s\n", stamp,
                       log_level_name(level), component, clean);
    if (len > (int)sizeof line - 1)
        len = (int)sizeof line - 1;
    log_write_all(STDERR_FILENO, line, (size_t)len);

    if (!log_jsonl_open)
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ts", json_object_new_string(stamp));
    json_object_object_add(o, "level",
                           json_object_new_string(log_level_name(level)));
    json_object_object_add(o, "program", json_object_new_string(log_program));
    json_object_object_add(o, "component", json_object_new_string(component));
    json_object_object_add(o, "msg", json_object_new_string(msg));
    size_t jlen;
    const char *js =
        json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &jlen);
    pthread_mutex_lock(&log_lock);
    int fd = log_jsonl_open ? jsonl_file_prepare(&log_jsonl, tv.tv_sec) : -1;
    if (fd >= 0) {
        /* One write per record so lines of two processes never interleave. */
        char *rec = malloc(jlen + 1);
        if (rec) {
            memcpy(rec, js, jlen);
            rec[jlen] = '\n';
            log_write_all(fd, rec, jlen + 1);
            free(rec);
        }
    }
    pthread_mutex_unlock(&log_lock);
    json_object_put(o);
}

void
log_msg(int level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, component, fmt, ap);
    va_end(ap);
}

void
log_vplugin(int level, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *sep = strstr(msg, ": ");
    if (sep && memchr(msg, '/', (size_t)(sep - msg)) &&
        !memchr(msg, ' ', (size_t)(sep - msg))) {
        *sep = '\0';
        log_msg(level, msg, "%s", sep + 2);
    } else {
        log_msg(level, "plugin", "%s", msg);
    }
}
