/* Origin lists: Ollama's built-in one and OLLAMA_ORIGINS-style patterns.
 * Read in place on every call, so a reloaded list applies at once and no
 * parsed copy has to be kept in step with the configuration. */
#include "autoconfig.h"

#include "common/cors_origin.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The entry of a comma-separated list at p, blanks around it dropped;
 * empty entries are skipped. Returns where the next one starts, or NULL
 * when there is none. */
static const char *
cors_origin_next(const char *p, const char **entry, size_t *len)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (!*p)
        return NULL;
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *entry = p;
    *len = n;
    return end ? end : p + strlen(p);
}

static int
cors_origin_prefix(const char *s, const char *prefix, size_t n)
{
    return strncasecmp(s, prefix, n) == 0;
}

/* pattern (len n) holds at most one '*', which stands for any text. */
static int
cors_origin_match(const char *pattern, size_t n, const char *origin)
{
    const char *star = memchr(pattern, '*', n);
    size_t olen = strlen(origin);
    if (!star)
        return olen == n && cors_origin_prefix(origin, pattern, n);
    size_t head = (size_t)(star - pattern), tail = n - head - 1;
    return olen >= head + tail && cors_origin_prefix(origin, pattern, head) &&
           cors_origin_prefix(origin + olen - tail, star + 1, tail);
}

int
cors_origin_builtin(const char *origin)
{
    static const char *const schemes[] = {
        "app://", "file://", "tauri://", "vscode-webview://", "vscode-file://",
    };
    static const char *const hosts[] = {"localhost", "127.0.0.1", "0.0.0.0"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (cors_origin_prefix(origin, schemes[i], strlen(schemes[i])))
            return 1;
    const char *p = NULL;
    if (cors_origin_prefix(origin, "http://", 7))
        p = origin + 7;
    else if (cors_origin_prefix(origin, "https://", 8))
        p = origin + 8;
    for (size_t i = 0; p && i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t n = strlen(hosts[i]);
        if (!cors_origin_prefix(p, hosts[i], n))
            continue;
        p += n;
        if (*p == ':' && p[1]) /* a port: digits only */
            p += 1 + strspn(p + 1, "0123456789");
        return *p == '\0';
    }
    return 0;
}

int
cors_origin_listed(const char *list, const char *origin)
{
    const char *entry;
    size_t n;
    for (const char *p = list; p && (p = cors_origin_next(p, &entry, &n));)
        if (cors_origin_match(entry, n, origin))
            return 1;
    return 0;
}

int
cors_origin_list_any(const char *list)
{
    const char *entry;
    size_t n;
    for (const char *p = list; p && (p = cors_origin_next(p, &entry, &n));)
        if (n == 1 && *entry == '*')
            return 1;
    return 0;
}

/* "*", or scheme://rest: a scheme as RFC 3986 spells it, one '*' at most,
 * nothing blank or unprintable, and in rest nothing a browser's Origin
 * never holds (a path, query, fragment or user), so that no entry is one
 * that can never match. */
static int
cors_origin_valid(const char *e, size_t n)
{
    if (n == 1 && *e == '*')
        return 1;
    size_t stars = 0, i = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)e[k];
        if (c <= ' ' || c >= 0x7f)
            return 0;
        stars += c == '*';
    }
    if (stars > 1 || !isalpha((unsigned char)e[0]))
        return 0;
    while (i < n && (isalnum((unsigned char)e[i]) || e[i] == '+' ||
                     e[i] == '-' || e[i] == '.'))
        i++;
    if (n - i <= 3 || memcmp(e + i, "://", 3) != 0)
        return 0;
    for (size_t k = i + 3; k < n; k++)
        if (strchr("/?#@", e[k]))
            return 0;
    return 1;
}

int
cors_origin_list_check(const char *list, char *err, size_t errlen)
{
    const char *entry;
    size_t n;
    for (const char *p = list; p && (p = cors_origin_next(p, &entry, &n));)
        if (!cors_origin_valid(entry, n)) {
            snprintf(err, errlen,
                     "'%.*s' is not an origin (scheme://host[:port], no path, "
                     "at most one *, or * alone)",
                     (int)(n > 200 ? 200 : n), entry);
            return -EINVAL;
        }
    return 0;
}
