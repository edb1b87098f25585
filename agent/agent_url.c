/* URL parsing for the agent's two peers. */
#include "autoconfig.h"

#include "agent_url.h"

#include <errno.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

int
agent_url_parse(const char *text, int default_port, struct agent_url *u,
                char *err, size_t errlen)
{
    struct evhttp_uri *uri = evhttp_uri_parse(text);
    const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
    const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int rc = -EINVAL;

    memset(u, 0, sizeof *u);
    if (!uri)
        snprintf(err, errlen, "'%s' is not a valid URL", text);
    else if (!scheme || strcmp(scheme, "http") != 0)
        snprintf(err, errlen, "'%s' is not an http:// URL", text);
    else if (!host || !*host || strlen(host) >= sizeof u->host)
        snprintf(err, errlen, "'%s' has no usable host", text);
    else if (evhttp_uri_get_query(uri) || evhttp_uri_get_fragment(uri) ||
             evhttp_uri_get_userinfo(uri))
        snprintf(err, errlen, "'%s' must be http://host[:port][/path]", text);
    else if (path && strlen(path) >= sizeof u->prefix)
        snprintf(err, errlen, "'%s': path too long", text);
    else {
        int port = evhttp_uri_get_port(uri);
        u->port = port > 0 ? port : default_port;
        size_t hl = strlen(host);
        /* libevent keeps the brackets of an IPv6 literal */
        if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
            snprintf(u->host, sizeof u->host, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(u->host, sizeof u->host, "%s", host);
        host = u->host;
        snprintf(u->hostport, sizeof u->hostport,
                 strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, u->port);
        snprintf(u->prefix, sizeof u->prefix, "%s", path ? path : "");
        size_t n = strlen(u->prefix);
        while (n > 0 && u->prefix[n - 1] == '/')
            u->prefix[--n] = '\0';
        rc = 0;
    }
    if (uri)
        evhttp_uri_free(uri);
    return rc;
}

int
agent_url_is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0;
}
