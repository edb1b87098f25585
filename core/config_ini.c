/* Reading an INI file: our own line reader feeds inih, which only splits
 * lines; the callback records what it gets and validation comes later.
 *
 * Debian's inih r55 cuts lines at INI_MAX_LINE and parses the rest as a
 * new line, and cuts section names at 49 characters, so the reader refuses
 * both with file:line instead of letting a mangled value through. It also
 * strips leading blanks, which turns off inih's indented continuation
 * lines (a second value for the previous key, easy to write by mistake). */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_impl.h"

#define READER_FILE_MAX (1024 * 1024)
#define READER_SECTION_MAX 49 /* inih's MAX_SECTION less the NUL */

struct reader_state {
    const char *path;
    const char *buf;
    size_t len, pos;
    int line;
    config_ini_fn fn;
    void *user;
    int failed; /* err is set: stop */
    char *err;
    size_t errlen;
};

size_t
config_ini_line_max(void)
{
    return INI_MAX_LINE - 3;
}

static int
reader_read_all(const char *path, char **out, size_t *outlen, char *err,
                size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    size_t len = 0;

    if (fd < 0) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -errno;
    }
    buf = malloc(READER_FILE_MAX + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, READER_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            snprintf(err, errlen, "cannot read '%s': %s", path, strerror(e));
            free(buf);
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > READER_FILE_MAX) {
            snprintf(err, errlen, "%s: file too large (over %d bytes)", path,
                     READER_FILE_MAX);
            free(buf);
            close(fd);
            return -EFBIG;
        }
    }
    close(fd);
    *out = buf;
    *outlen = len;
    return 0;
}

/* An fgets-shaped reader over the file in memory. */
static char *
reader_next_line(char *str, int num, void *stream)
{
    struct reader_state *r = stream;
    const char *line, *nl;
    size_t n, raw;

    if (r->failed || r->pos >= r->len)
        return NULL;
    line = r->buf + r->pos;
    nl = memchr(line, '\n', r->len - r->pos);
    n = nl ? (size_t)(nl - line) : r->len - r->pos;
    r->pos += n + (nl != NULL);
    r->line++;
    if (memchr(line, '\0', n)) {
        snprintf(r->err, r->errlen, "%s:%d: NUL byte in line", r->path,
                 r->line);
        r->failed = 1;
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\r')
        n--;
    raw = n;
    if (r->line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        n -= 3;
    }
    if (raw > config_ini_line_max() || n + 1 > (size_t)num) {
        snprintf(r->err, r->errlen,
                 "%s:%d: line too long (%zu characters, at most %zu)", r->path,
                 r->line, raw, config_ini_line_max());
        r->failed = 1;
        return NULL;
    }
    while (n > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    memcpy(str, line, n);
    str[n] = '\0';

    if (str[0] == '[') {
        char *end = strchr(str, ']');
        if (end) {
            size_t sn = (size_t)(end - str - 1);
            char name[READER_SECTION_MAX + 1];
            if (sn > READER_SECTION_MAX) {
                snprintf(r->err, r->errlen,
                         "%s:%d: section name too long (%zu characters, at "
                         "most %d)",
                         r->path, r->line, sn, READER_SECTION_MAX);
                r->failed = 1;
                return NULL;
            }
            memcpy(name, str + 1, sn);
            name[sn] = '\0';
            if (r->fn(r->user, name, NULL, NULL, r->line, r->err, r->errlen) <
                0) {
                r->failed = 1;
                return NULL;
            }
        }
    }
    return str;
}

/* inih's convention is inverted: non-zero means "go on". */
static int
reader_record(void *user, const char *section, const char *name,
              const char *value)
{
    struct reader_state *r = user;

    if (r->failed)
        return 0;
    if (r->fn(r->user, section, name, value, r->line, r->err, r->errlen) < 0) {
        r->failed = 1;
        return 0;
    }
    return 1;
}

int
config_ini_parse(const char *path, config_ini_fn fn, void *user, char *err,
                 size_t errlen)
{
    struct reader_state r = {
        .path = path, .fn = fn, .user = user, .err = err, .errlen = errlen};
    char *buf = NULL;
    size_t len = 0;
    int rc;

    rc = reader_read_all(path, &buf, &len, err, errlen);
    if (rc < 0)
        return rc;
    r.buf = buf;
    r.len = len;
    rc = ini_parse_stream(reader_next_line, &r, reader_record, &r);
    free(buf);
    if (r.failed)
        return -EINVAL;
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    if (rc != 0) {
        snprintf(err, errlen,
                 "%s:%d: syntax error: expected [section], key = value or "
                 "a comment",
                 path, rc);
        return -EINVAL;
    }
    return 0;
}
