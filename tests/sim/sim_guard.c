/* Ollama's two request guards: the Host check of a loopback-bound server
 * (against DNS rebinding) and CORS by Origin (ollama-api.md §0). A router
 * in front of herd-sim must pass both, as it must with Ollama. */
#include "autoconfig.h"

#include "sim.h"
#include "common/cors_origin.h"
#include "common/host_guard.h"

#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>

int
guard_check(struct sim_server *s, struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (host_guard_loopback_name(s->cfg.host) &&
        !host_guard_trusted(evhttp_find_header(in, "Host"))) {
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
