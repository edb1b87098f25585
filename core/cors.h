/* The router's CORS policy, Ollama's rules (ollama-api.md §0): a request
 * that carries an Origin must come from an allowed origin (Ollama's
 * built-in list, or [security] cors_origins) or it is refused with 403
 * before anything runs; an allowed one gets the Access-Control headers,
 * and its preflight (OPTIONS) is answered here. The router drops Origin
 * towards the nodes, so this is the only place a browser is checked. */
#ifndef HERD_CORE_CORS_H
#define HERD_CORE_CORS_H

#include "http_server.h"

/* Returns 1 when the request goes on to its handler (with the CORS
 * headers added to its reply when it is a browser's), 0 when it was
 * answered here (a preflight, or a refusal). origins: the configured
 * list (may be NULL). */
int cors_admit(struct http_req *req, const char *origins);

#endif
