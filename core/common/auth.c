/* Bearer tokens, compared in constant time. */
#include "autoconfig.h"

#include "common/auth.h"

#include <event2/keyvalq_struct.h>
#include <string.h>
#include <strings.h>

int
auth_token_equal(const char *given, const char *want)
{
    size_t glen = strlen(given), wlen = strlen(want);
    unsigned char diff = glen != wlen;
    for (size_t i = 0; i < wlen; i++)
        diff |=
            (unsigned char)(i < glen ? given[i] : 0) ^ (unsigned char)want[i];
    return diff == 0;
}

int
auth_bearer_matches(const struct evkeyvalq *headers, char *const *tokens,
                    size_t n)
{
    const char *auth = evhttp_find_header(headers,
                                          "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    while (*auth == ' ')
        auth++;
    int match = 0;
    for (size_t i = 0; i < n; i++)
        match |= tokens[i] && auth_token_equal(auth, tokens[i]);
    return match;
}
