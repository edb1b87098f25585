/* Ollama's read-only endpoints answered from the registry: GET/HEAD /,
 * /api/tags (fleet-wide union), /api/ps (loaded models per node) and
 * /api/version. Offline nodes are left out, as Ollama clients use these to
 * decide what they can ask for. */
#include "autoconfig.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_util.h"
#include "router.h"

#define API_META_GIB 1073741824.0

void
api_meta_root(struct router *r, struct http_req *req)
{
    const char *accept =
        evhttp_find_header(http_req_in_headers(req), "Accept");
    (void)r;
    /* Browsers get the dashboard; API clients probing "is Ollama up?" get
     * Ollama's own answer (the reference sent HTML to both). */
    if (accept && strstr(accept, "text/html")) {
        http_req_add_header(req, "Location", "/dashboard");
        http_reply(req, 302, http_reason(302), NULL);
        return;
    }
    http_send_text(req, 200, "Ollama is running");
}

static json_object *
api_meta_member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    if (o && json_object_object_get_ex(o, key, &v) && v &&
        json_object_is_type(v, type))
        return v;
    return NULL;
}

/* Ollama's details object from what a heartbeat says about a model. */
static json_object *
api_meta_details(const struct hb_loaded *l)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "parent_model", json_object_new_string(""));
    if (l && l->parameter_size)
        json_object_object_add(d, "parameter_size",
                               json_object_new_string(l->parameter_size));
    if (l && l->quantization)
        json_object_object_add(d, "quantization_level",
                               json_object_new_string(l->quantization));
    return d;
}

static int64_t
api_meta_loaded_bytes(const struct hb_loaded *l)
{
    json_object *size = api_meta_member(l->raw, "size", json_type_int);
    if (size)
        return json_object_get_int64(size);
    return (int64_t)(l->size_gb * API_META_GIB);
}

struct api_meta_tag {
    const char *name;
    json_object *raw;           /* first /api/tags object seen, borrowed */
    const struct hb_loaded *ld; /* first loaded entry seen, borrowed */
    json_object *nodes;         /* ids holding it */
    const char *last_node;      /* the id added last, borrowed */
};

/* The union of every node's models. Names are found through a hash (a
 * json-c object as a set), so the union costs one lookup per entry: a
 * fleet of many nodes with long model lists stays linear, not quadratic. */
struct api_meta_tags {
    struct api_meta_tag *v;
    size_t n, cap;
    json_object *index; /* name -> position in v */
};

static struct api_meta_tag *
api_meta_tags_get(struct api_meta_tags *t, const char *name)
{
    json_object *at;
    if (json_object_object_get_ex(t->index, name, &at))
        return &t->v[json_object_get_int64(at)];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct api_meta_tag *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    json_object *pos = json_object_new_int64((int64_t)t->n);
    if (!pos || json_object_object_add(t->index, name, pos) != 0) {
        json_object_put(pos);
        return NULL;
    }
    struct api_meta_tag *m = &t->v[t->n++];
    memset(m, 0, sizeof *m);
    m->name = name;
    m->nodes = json_object_new_array();
    return m;
}

/* Nodes are visited one after the other, so a node already holding the
 * model is the one added last. */
static void
api_meta_tag_node(struct api_meta_tag *m, const char *id)
{
    if (m->last_node == id)
        return;
    m->last_node = id;
    json_object_array_add(m->nodes, json_object_new_string(id));
}

static int
api_meta_tag_cmp(const void *a, const void *b)
{
    return strcmp(((const struct api_meta_tag *)a)->name,
                  ((const struct api_meta_tag *)b)->name);
}

static json_object *
api_meta_tag_json(struct api_meta_tag *m)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(m->name));
    if (m->raw) {
        /* Ollama's own fields as the node reported them. */
        json_object_object_foreach(m->raw, key, val)
        {
            if (strcmp(key, "name") != 0 && strcmp(key, "nodes") != 0)
                json_object_object_add(o, key, json_object_get(val));
        }
    }
    json_object *have = NULL;
    if (!json_object_object_get_ex(o, "model", &have))
        json_object_object_add(o, "model", json_object_new_string(m->name));
    if (!json_object_object_get_ex(o, "size", &have))
        json_object_object_add(
            o, "size",
            json_object_new_int64(m->ld ? api_meta_loaded_bytes(m->ld) : 0));
    if (!json_object_object_get_ex(o, "details", &have))
        json_object_object_add(o, "details", api_meta_details(m->ld));
    json_object_object_add(o, "nodes", json_object_get(m->nodes));
    return o;
}

static int
api_meta_node_serves(const struct registry_node *n)
{
    return n->status != HERD_NODE_OFFLINE && n->cfg_enabled;
}

void
api_meta_tags(struct router *r, struct http_req *req)
{
    struct api_meta_tags tags = {.index = json_object_new_object()};
    int nomem = !tags.index;
    for (size_t i = 0; i < registry_count(r->registry) && !nomem; i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (!api_meta_node_serves(n))
            continue;
        for (size_t j = 0; j < n->snap.available_count && !nomem; j++) {
            struct api_meta_tag *m =
                api_meta_tags_get(&tags, n->snap.available[j].name);
            if (!m) {
                nomem = 1;
                break;
            }
            if (!m->raw)
                m->raw = n->snap.available[j].raw;
            api_meta_tag_node(m, n->id);
        }
        /* A loaded model is on disk too, whatever the list said. */
        for (size_t j = 0; j < n->snap.loaded_count && !nomem; j++) {
            struct api_meta_tag *m =
                api_meta_tags_get(&tags, n->snap.loaded[j].name);
            if (!m) {
                nomem = 1;
                break;
            }
            if (!m->ld)
                m->ld = &n->snap.loaded[j];
            api_meta_tag_node(m, n->id);
        }
    }
    if (tags.n > 1)
        qsort(tags.v, tags.n, sizeof tags.v[0], api_meta_tag_cmp);
    json_object *models = json_object_new_array();
    for (size_t i = 0; i < tags.n; i++) {
        if (!nomem)
            json_object_array_add(models, api_meta_tag_json(&tags.v[i]));
        json_object_put(tags.v[i].nodes);
    }
    free(tags.v);
    json_object_put(tags.index);
    if (nomem) {
        json_object_put(models);
        http_send_error(req, 503, "out of memory");
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "models", models);
    http_send_json(req, 200, o);
    json_object_put(o);
}

static json_object *
api_meta_ps_entry(const struct registry_node *n, const struct hb_loaded *l)
{
    json_object *o = json_object_new_object();
    json_object *v;
    json_object_object_add(o, "name", json_object_new_string(l->name));
    v = api_meta_member(l->raw, "model", json_type_string);
    json_object_object_add(
        o, "model", v ? json_object_get(v) : json_object_new_string(l->name));
    json_object_object_add(o, "size",
                           json_object_new_int64(api_meta_loaded_bytes(l)));
    if ((v = api_meta_member(l->raw, "digest", json_type_string)))
        json_object_object_add(o, "digest", json_object_get(v));
    v = api_meta_member(l->raw, "details", json_type_object);
    json_object_object_add(o, "details",
                           v ? json_object_get(v) : api_meta_details(l));
    if ((v = api_meta_member(l->raw, "expires_at", json_type_string)))
        json_object_object_add(o, "expires_at", json_object_get(v));
    if ((v = api_meta_member(l->raw, "size_vram", json_type_int)))
        json_object_object_add(o, "size_vram", json_object_get(v));
    if (l->context_length)
        json_object_object_add(o, "context_length",
                               json_object_new_int64(l->context_length));
    if (l->num_parallel)
        json_object_object_add(o, "num_parallel",
                               json_object_new_int64(l->num_parallel));
    json_object_object_add(o, "node", json_object_new_string(n->id));
    return o;
}

void
api_meta_ps(struct router *r, struct http_req *req)
{
    json_object *models = json_object_new_array();
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (n->status == HERD_NODE_OFFLINE)
            continue;
        for (size_t j = 0; j < n->snap.loaded_count; j++)
            json_object_array_add(models,
                                  api_meta_ps_entry(n, &n->snap.loaded[j]));
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "models", models);
    http_send_json(req, 200, o);
    json_object_put(o);
}

void
api_meta_version(struct router *r, struct http_req *req)
{
    const char *version = "unknown";
    for (size_t i = 0; i < registry_count(r->registry); i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (n->status == HERD_NODE_ONLINE && n->snap.ollama_version &&
            *n->snap.ollama_version) {
            version = n->snap.ollama_version;
            break;
        }
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_string(version));
    json_object_object_add(o, "herd_version",
                           json_object_new_string(PACKAGE_VERSION));
    http_send_json(req, 200, o);
    json_object_put(o);
}
