/* Which browser origins may call an Ollama-style API: Ollama's built-in
 * list, and a configured list in OLLAMA_ORIGINS' form (comma-separated
 * origins, each with at most one '*', or '*' alone for any origin).
 * Shared by the router (its CORS policy) and herd-sim (Ollama's). */
#ifndef HERD_COMMON_CORS_ORIGIN_H
#define HERD_COMMON_CORS_ORIGIN_H

#include <stddef.h>

/* What a preflight answers, as Ollama does: the methods, the request
 * headers a browser may send (the OpenAI SDKs add the x-stainless ones),
 * and how long (seconds) the answer may be cached. */
#define CORS_ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
#define CORS_ALLOW_HEADERS                                                     \
    "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, "      \
    "OpenAI-Beta, x-stainless-arch, x-stainless-async, "                       \
    "x-stainless-custom-poll-interval, x-stainless-helper-method, "            \
    "x-stainless-lang, x-stainless-os, x-stainless-package-version, "          \
    "x-stainless-poll-helper, x-stainless-retry-count, x-stainless-runtime, "  \
    "x-stainless-runtime-version, x-stainless-timeout"
#define CORS_MAX_AGE "43200"

/* What Ollama allows with no configuration: http(s) on localhost,
 * 127.0.0.1 and 0.0.0.0 on any port, and the desktop app schemes (app,
 * file, tauri, vscode-webview, vscode-file). */
int cors_origin_builtin(const char *origin);

/* Whether origin matches an entry of list (NULL or "" lists nothing).
 * Scheme and host compare without regard to case. */
int cors_origin_listed(const char *list, const char *origin);

/* Whether list holds "*" (every origin is allowed). */
int cors_origin_list_any(const char *list);

/* 0 when every entry of list is "*" or "scheme://host[:port]" with at
 * most one '*' (no path, query, user, space or control character); else
 * -EINVAL with the reason in err. */
int cors_origin_list_check(const char *list, char *err, size_t errlen);

#endif
