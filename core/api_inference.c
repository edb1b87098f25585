/* Ollama's inference endpoints and the queue view: thin entries into the
 * request path (proxy.h; proxy_handle is in proxy_req.c). */
#include "autoconfig.h"

#include "proxy.h"
#include "router.h"

void
api_inference_chat(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_CHAT);
}

void
api_inference_generate(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_GENERATE);
}

void
api_inference_embed(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_EMBED);
}

void
api_inference_embeddings(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_EMBEDDINGS);
}

void
api_inference_queue(struct router *r, struct http_req *req)
{
    json_object *o = proxy_queue_json(r->proxy);
    http_send_json(req, 200, o);
    json_object_put(o);
}
