/* Resolving a redirect's Location (image_redirect.h). RFC 3986's
 * reference resolution, for the forms servers send; dot segments are
 * left to the server that receives them. */
#include "autoconfig.h"

#include "image_redirect.h"

#include <ctype.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the scheme that s starts with ("http" of "http://..."), 0
 * when it has none. */
static size_t
image_scheme_len(const char *s)
{
    size_t n = 0;
    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
           s[n] == '.')
        n++;
    return s[n] == ':' ? n : 0;
}

static int
image_http_scheme(const char *s, size_t n)
{
    return (n == 4 && strncasecmp(s, "http", 4) == 0) ||
           (n == 5 && strncasecmp(s, "https", 5) == 0);
}

char *
image_redirect_url(const char *base, const char *location, char *err,
                   size_t errlen)
{
    size_t loc_len = strcspn(location, "#");
    size_t sn = image_scheme_len(location);
    if (loc_len == 0 || strspn(location, " \t") > 0) {
        snprintf(err, errlen, "redirect to '%.200s' is malformed", location);
        return NULL;
    }
    if (sn > 0 && !image_http_scheme(location, sn)) {
        snprintf(err, errlen,
                 "redirect to '%.200s': scheme '%.*s' is not allowed (http "
                 "or https)",
                 location, (int)sn, location);
        return NULL;
    }
    struct evhttp_uri *b = evhttp_uri_parse(base);
    const char *scheme = b ? evhttp_uri_get_scheme(b) : NULL;
    const char *host = b ? evhttp_uri_get_host(b) : NULL;
    if (!scheme || !host || !*host) {
        snprintf(err, errlen, "image URL '%.200s' is malformed", base);
        if (b)
            evhttp_uri_free(b);
        return NULL;
    }
    /* what is kept of base: nothing, the scheme, the authority, or the
     * authority and the path's directory */
    char authority[400] = "";
    const char *dir = "";
    size_t dir_len = 0;
    if (sn == 0) {
        int port = evhttp_uri_get_port(b);
        char portbuf[16] = "";
        if (port > 0)
            snprintf(portbuf, sizeof portbuf, ":%d", port);
        if (strncmp(location, "//", 2) == 0)
            snprintf(authority, sizeof authority, "%s:", scheme);
        else
            snprintf(authority, sizeof authority, "%s://%s%s", scheme, host,
                     portbuf); /* an IPv6 host keeps its brackets */
        if (location[0] != '/') {
            const char *path = evhttp_uri_get_path(b);
            dir = path && *path ? path : "/";
            const char *slash = strrchr(dir, '/');
            dir_len = slash ? (size_t)(slash - dir) + 1 : 0;
            if (dir_len == 0) {
                dir = "/";
                dir_len = 1;
            }
        }
    }
    size_t a_len = strlen(authority);
    char *url = malloc(a_len + dir_len + loc_len + 1);
    if (url) {
        memcpy(url, authority, a_len);
        memcpy(url + a_len, dir, dir_len);
        memcpy(url + a_len + dir_len, location, loc_len);
        url[a_len + dir_len + loc_len] = '\0';
    } else
        snprintf(err, errlen, "out of memory");
    evhttp_uri_free(b);
    if (url) {
        /* the result must itself be a URL herd can fetch */
        struct evhttp_uri *u = evhttp_uri_parse(url);
        const char *h = u ? evhttp_uri_get_host(u) : NULL;
        if (!h || !*h) {
            snprintf(err, errlen, "redirect to '%.200s' is malformed",
                     location);
            free(url);
            url = NULL;
        }
        if (u)
            evhttp_uri_free(u);
    }
    return url;
}
