/* Where plugins are looked for: --plugin-dir, $HERD_PLUGIN_PATH, then the
 * installed directory. */
#include "autoconfig.h"

#include "plugin_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *
plugin_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int
path_push(struct plugin_path *p, const char *dir, size_t len)
{
    char *copy = strndup(dir, len);
    if (!copy)
        return -ENOMEM;
    p->dirs[p->count++] = copy;
    return 0;
}

int
plugin_path_init(struct plugin_path *p, char *const *dirs, size_t dir_count)
{
    const char *env = getenv("HERD_PLUGIN_PATH");
    size_t env_count = 0;

    p->count = 0;
    for (const char *s = env; s && *s; s++)
        if (*s == ':')
            env_count++;
    if (env && *env)
        env_count++;
    p->dirs = calloc(dir_count + env_count + 1, sizeof *p->dirs);
    if (!p->dirs)
        return -ENOMEM;

    for (size_t i = 0; i < dir_count; i++)
        if (dirs[i] && *dirs[i] && path_push(p, dirs[i], strlen(dirs[i])))
            goto nomem;
    /* Empty entries ("a::b", a trailing ':') are skipped. */
    for (const char *s = env; s && *s;) {
        size_t len = strcspn(s, ":");
        if (len > 0 && path_push(p, s, len))
            goto nomem;
        s += len;
        if (*s == ':')
            s++;
    }
    if (path_push(p, HERD_PKGLIBDIR, strlen(HERD_PKGLIBDIR)))
        goto nomem;
    return 0;

nomem:
    plugin_path_free(p);
    return -ENOMEM;
}

void
plugin_path_free(struct plugin_path *p)
{
    for (size_t i = 0; p->dirs && i < p->count; i++)
        free(p->dirs[i]);
    free(p->dirs);
    p->dirs = NULL;
    p->count = 0;
}

static int
path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file libltdl's extension search would open for base, if any:
 * base.la first, then base.so. */
static char *
path_probe(const char *base)
{
    static const char *const exts[] = {".la", ".so"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char *file = plugin_strdupf("%s%s", base, exts[i]);
        if (!file)
            return NULL;
        if (path_is_file(file))
            return file;
        free(file);
    }
    return NULL;
}

int
plugin_path_find(const struct plugin_path *p, const char *kind,
                 const char *name, char **base, char **file)
{
    for (size_t i = 0; i < p->count; i++) {
        for (int flat = 0; flat <= 1; flat++) {
            char *b = flat ? plugin_strdupf("%s/%s", p->dirs[i], name)
                           : plugin_strdupf("%s/%s/%s", p->dirs[i], kind, name);
            if (!b)
                return -ENOMEM;
            char *f = path_probe(b);
            if (f) {
                *base = b;
                *file = f;
                return 0;
            }
            free(b);
        }
    }
    return -ENOENT;
}

void
plugin_path_describe(const struct plugin_path *p, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < p->count && used < len; i++) {
        int n =
            snprintf(buf + used, len - used, "%s%s", i ? ", " : "", p->dirs[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
