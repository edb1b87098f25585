/* The OpenAI-compatible endpoints: inference goes through the request
 * path, converted to the native API and back (openai_request.h,
 * openai_response.h); the model list is the fleet's. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/http_util.h"
#include "proxy.h"
#include "request.h"
#include "router.h"

void
api_openai_chat(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_OAI_CHAT);
}

void
api_openai_completions(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_OAI_COMPLETIONS);
}

void
api_openai_embeddings(struct router *r, struct http_req *req)
{
    proxy_handle(r->proxy, req, PROXY_API_OAI_EMBEDDINGS);
}

/* created: herd is not told when a model was made, so the time of the
 * answer. owned_by: the namespace, as Ollama says it: "user" of
 * "user/model", "org" of "hf.co/org/model", "library" without one. */
static json_object *
api_openai_model_obj(const char *id)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    const char *last = strrchr(id, '/'), *ns = "library";
    size_t ns_len = strlen(ns);
    if (last) {
        const char *start = last;
        while (start > id && start[-1] != '/')
            start--;
        if (last > start) {
            ns = start;
            ns_len = (size_t)(last - start);
        }
    }
    json_object *m = json_object_new_object();
    json_object_object_add(m, "id", json_object_new_string(id));
    json_object_object_add(m, "object", json_object_new_string("model"));
    json_object_object_add(m, "created", json_object_new_int64(tv.tv_sec));
    json_object_object_add(m, "owned_by",
                           json_object_new_string_len(ns, (int)ns_len));
    return m;
}

/* Every model that a node not offline has loaded or on disk, once, in
 * name order. */
static json_object *
api_openai_names(struct router *r)
{
    json_object *seen = json_object_new_object();
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (n->status == HERD_NODE_OFFLINE)
            continue;
        for (size_t k = 0; k < n->snap.loaded_count; k++)
            if (n->snap.loaded[k].name)
                json_object_object_add(seen, n->snap.loaded[k].name, NULL);
        for (size_t k = 0; k < n->snap.available_count; k++)
            if (n->snap.available[k].name)
                json_object_object_add(seen, n->snap.available[k].name, NULL);
    }
    return seen;
}

static int
api_openai_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
api_openai_models(struct router *r, struct http_req *req)
{
    json_object *seen = api_openai_names(r);
    size_t n = (size_t)json_object_object_length(seen), k = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    json_object *data = json_object_new_array();
    if (names) {
        json_object_object_foreach(seen, key, val)
        {
            (void)val;
            names[k++] = key;
        }
        qsort(names, k, sizeof *names, api_openai_cmp);
        for (size_t i = 0; i < k; i++)
            json_object_array_add(data, api_openai_model_obj(names[i]));
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "object", json_object_new_string("list"));
    json_object_object_add(o, "data", data);
    http_send_json(req, 200, o);
    json_object_put(o);
    free(names);
    json_object_put(seen);
}

/* GET /v1/models/{id}: the id as listed, or with :latest added. */
void
api_openai_model(struct router *r, struct http_req *req)
{
    const struct evhttp_uri *uri = http_req_uri(req);
    const char *path = evhttp_uri_get_path(uri);
    size_t id_len = 0;
    char *id = evhttp_uridecode(path + strlen("/v1/models/"), 0, &id_len);
    char norm[REQUEST_MODEL_MAX];
    if (id && strlen(id) != id_len) { /* a %00 would cut the name short */
        http_send_openai_error(req, 400, "invalid_request_error",
                               "a model id cannot contain a NUL byte");
        free(id);
        return;
    }
    json_object *seen = api_openai_names(r);
    const char *found = NULL;
    if (id && json_object_object_get_ex(seen, id, NULL))
        found = id;
    else if (id && request_normalise_model(id, norm, sizeof norm) == 0) {
        const char *listed = registry_model_spelling(r->registry, norm);
        if (json_object_object_get_ex(seen, norm, NULL))
            found = norm;
        else if (listed && json_object_object_get_ex(seen, listed, NULL))
            found = listed;
    }
    if (found) {
        json_object *m = api_openai_model_obj(found);
        http_send_json(req, 200, m);
        json_object_put(m);
    } else {
        http_send_openai_error(req, 404, "not_found_error",
                               "The model '%s' does not exist", id ? id : "");
    }
    json_object_put(seen);
    free(id);
}
