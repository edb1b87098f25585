/* http://host[:port][/path] as herd-node uses it for Ollama and the
 * router. */
#ifndef HERD_AGENT_URL_H
#define HERD_AGENT_URL_H

#include <stddef.h>

struct agent_url {
    char host[256]; /* without brackets for IPv6 */
    int port;
    char hostport[300]; /* for the Host header: "h:p" or "[v6]:p" */
    char prefix[512];   /* path without the trailing slash, may be "" */
};

/* Parses text; a missing port is default_port. Returns 0 or -EINVAL with
 * the reason in err. */
int agent_url_parse(const char *text, int default_port, struct agent_url *u,
                    char *err, size_t errlen);

/* True when host is a loopback name or address. */
int agent_url_is_loopback(const char *host);

#endif
