/* Unloading a model on every node that has it loaded. Ollama unloads a
 * model when /api/generate has no prompt, or /api/chat no messages, and
 * keep_alive is 0; sent to one node as any request, it would leave the
 * model loaded everywhere else. */
#ifndef HERD_PROXY_UNLOAD_H
#define HERD_PROXY_UNLOAD_H

#include "proxy.h"
#include "request_body.h"

struct router;
struct http_req;

/* Whether body (of a native generate or chat) asks for an unload. */
int proxy_unload_asked(const struct request_body *body, enum proxy_api api);

/* Sends the unload of model to every usable node that has it loaded and
 * answers req with the first node's answer once all have answered (its
 * status and body; X-Fleet-Node names that node, X-Fleet-Unloaded every
 * node that unloaded it). asked: the client's own spelling of model (or
 * NULL), sent to the nodes that list model as it is, so that the answer
 * echoes it as Ollama's does. Returns 0 when started (req is answered
 * then), -ENOENT when no node has the model loaded (route it as any
 * request), -ESHUTDOWN while draining, -ENOMEM. */
int proxy_unload_start(struct router *r, struct http_req *req,
                       enum proxy_api api, const char *model,
                       const char *asked);

#endif
