/* Bearer-token checks shared by the heartbeat sink, admin actions and the
 * client API keys. */
#ifndef HERD_COMMON_AUTH_H
#define HERD_COMMON_AUTH_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stddef.h>

/* Equality in time that does not depend on where the first difference is,
 * so a token cannot be guessed byte by byte. */
int auth_token_equal(const char *given, const char *want);

/* Whether headers hold "Authorization: Bearer T" with T one of
 * tokens[0..n). The whole list is always walked. */
int auth_bearer_matches(const struct evkeyvalq *headers, char *const *tokens,
                        size_t n);

#endif
