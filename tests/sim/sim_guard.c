/* Ollama's two request guards: the Host check of a loopback-bound server
 * (against DNS rebinding) and CORS by Origin (ollama-api.md §0). A router
 * in front of herd-sim must pass both, as it must with Ollama. */
#include "autoconfig.h"

#include "sim.h"
#include "common/cors_origin.h"

#include <arpa/inet.h>
#include <event2/keyvalq_struct.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int
guard_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
guard_is_machine_ip(int family, const void *addr)
{
    struct ifaddrs *ifs, *i;
    int found = 0;
    if (getifaddrs(&ifs) < 0)
        return 0;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family)
            continue;
        if (family == AF_INET)
            found = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, addr,
                           4) == 0;
        else
            found = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                           addr, 16) == 0;
    }
    freeifaddrs(ifs);
    return found;
}

/* Go's IsLoopback, IsPrivate, IsUnspecified, or one of our addresses. */
static int
guard_ip_allowed(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) {
        return a[0] == 127 || a[0] == 10 ||
               (a[0] == 172 && (a[1] & 0xf0) == 16) ||
               (a[0] == 192 && a[1] == 168) ||
               (a[0] | a[1] | a[2] | a[3]) == 0 ||
               guard_is_machine_ip(AF_INET, a);
    }
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char zero[16];
        int loop = memcmp(a, zero, 15) == 0 && a[15] == 1;
        return loop || memcmp(a, zero, 16) == 0 || (a[0] & 0xfe) == 0xfc ||
               guard_is_machine_ip(AF_INET6, a);
    }
    return -1; /* not an IP literal */
}

static int
guard_bound_to_loopback(const char *listen)
{
    return strcmp(listen, "localhost") == 0 ||
           strncmp(listen, "127.", 4) == 0 || strcmp(listen, "::1") == 0;
}

static int
guard_host_ok(struct sim_server *s, const char *hosthdr)
{
    if (!guard_bound_to_loopback(s->cfg.host) || !hosthdr || !*hosthdr)
        return 1;
    char host[256];
    const char *end;
    if (hosthdr[0] == '[') { /* [v6]:port */
        end = strchr(hosthdr, ']');
        if (!end)
            return 0;
        snprintf(host, sizeof host, "%.*s", (int)(end - hosthdr - 1),
                 hosthdr + 1);
    } else {
        end = strrchr(hosthdr, ':');
        if (end && strchr(hosthdr, ':') == end)
            snprintf(host, sizeof host, "%.*s", (int)(end - hosthdr), hosthdr);
        else
            snprintf(host, sizeof host, "%s", hosthdr);
    }
    int ip = guard_ip_allowed(host);
    if (ip >= 0)
        return ip;
    char me[256] = "";
    gethostname(me, sizeof me - 1);
    return strcasecmp(host, "localhost") == 0 || strcasecmp(host, me) == 0 ||
           guard_ends_with(host, ".localhost") ||
           guard_ends_with(host, ".local") ||
           guard_ends_with(host, ".internal");
}

int
guard_check(struct sim_server *s, struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (!guard_host_ok(s, evhttp_find_header(in, "Host"))) {
        sim_reply_empty(req, 403);
        return -1;
    }
    const char *origin = evhttp_find_header(in, "Origin");
    if (!origin)
        return 0;
    if (!cors_origin_builtin(origin)) {
        sim_reply_empty(req, 403);
        return -1;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
    evhttp_add_header(out, "Vary", "Origin");
    if (evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS) {
        evhttp_add_header(out, "Access-Control-Allow-Methods",
                          CORS_ALLOW_METHODS);
        evhttp_add_header(out, "Access-Control-Allow-Headers",
                          CORS_ALLOW_HEADERS);
        evhttp_add_header(out, "Access-Control-Max-Age", CORS_MAX_AGE);
        sim_reply_empty(req, 204);
        return -1;
    }
    return 0;
}
