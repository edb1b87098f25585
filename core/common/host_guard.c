/* host_guard: the Host check Ollama applies when it listens on loopback,
 * shared by the router and herd-sim. */
#include "autoconfig.h"

#include "common/host_guard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int
host_guard_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
host_guard_is_machine_ip(int family, const void *addr)
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
host_guard_ip_allowed(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) {
        return a[0] == 127 || a[0] == 10 ||
               (a[0] == 172 && (a[1] & 0xf0) == 16) ||
               (a[0] == 192 && a[1] == 168) ||
               (a[0] | a[1] | a[2] | a[3]) == 0 ||
               host_guard_is_machine_ip(AF_INET, a);
    }
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char zero[16];
        int loop = memcmp(a, zero, 15) == 0 && a[15] == 1;
        return loop || memcmp(a, zero, 16) == 0 || (a[0] & 0xfe) == 0xfc ||
               host_guard_is_machine_ip(AF_INET6, a);
    }
    return -1; /* not an IP literal */
}

int
host_guard_loopback_name(const char *listen)
{
    return strcmp(listen, "localhost") == 0 ||
           strncmp(listen, "127.", 4) == 0 || strcmp(listen, "::1") == 0;
}

int
host_guard_trusted(const char *hosthdr)
{
    if (!hosthdr || !*hosthdr)
        return 1;
    char host[256];
    const char *end;
    if (hosthdr[0] == '[') { /* [v6]:port */
        end = strchr(hosthdr, ']');
        if (!end || end - hosthdr > 64)
            return 0;
        snprintf(host, sizeof host, "%.*s", (int)(end - hosthdr - 1),
                 hosthdr + 1);
    } else {
        if (strlen(hosthdr) >= sizeof host)
            return 0; /* longer than any name: never cut one to fit */
        end = strrchr(hosthdr, ':');
        if (end && strchr(hosthdr, ':') == end)
            snprintf(host, sizeof host, "%.*s", (int)(end - hosthdr), hosthdr);
        else
            snprintf(host, sizeof host, "%s", hosthdr);
    }
    int ip = host_guard_ip_allowed(host);
    if (ip >= 0)
        return ip;
    char me[256] = "";
    gethostname(me, sizeof me - 1);
    return strcasecmp(host, "localhost") == 0 || strcasecmp(host, me) == 0 ||
           host_guard_ends_with(host, ".localhost") ||
           host_guard_ends_with(host, ".local") ||
           host_guard_ends_with(host, ".internal");
}
