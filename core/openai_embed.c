/* /api/embed's answer in the shape of /v1/embeddings: a list of
 * embedding objects, each vector as numbers or, when the client asked
 * encoding_format "base64", as base64 of little-endian float32 bytes. */
#include "autoconfig.h"

#include "openai_shape.h"

#include "image_fetch.h" /* image_base64 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
is_vector(const json_object *v)
{
    if (!v || !json_object_is_type((json_object *)v, json_type_array))
        return 0;
    size_t n = json_object_array_length(v);
    for (size_t i = 0; i < n; i++) {
        json_object *x = json_object_array_get_idx(v, i);
        if (!json_object_is_type(x, json_type_double) &&
            !json_object_is_type(x, json_type_int))
            return 0;
    }
    return 1;
}

/* The node's numbers are kept as it wrote them (json-c keeps a parsed
 * number's text), so the values match Ollama's own layer exactly. */
static json_object *
vector_as_numbers(const json_object *v)
{
    return json_object_get((json_object *)v);
}

static json_object *
vector_as_base64(const json_object *v)
{
    size_t n = json_object_array_length(v), len = n * 4;
    unsigned char *raw = malloc(len ? len : 1);
    char *text = malloc(4 * ((len + 2) / 3) + 1);
    json_object *s = NULL;
    if (raw && text) {
        for (size_t i = 0; i < n; i++) {
            float f =
                (float)json_object_get_double(json_object_array_get_idx(v, i));
            uint32_t u;
            memcpy(&u, &f, sizeof u);
            for (int b = 0; b < 4; b++)
                raw[4 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
        }
        image_base64(raw, len, text);
        s = json_object_new_string(text);
    }
    free(raw);
    free(text);
    return s;
}

static json_object *
embedding_item(const json_object *v, size_t index, int base64)
{
    json_object *e = json_object_new_object();
    int err = openai_put_str(e, "object", "embedding");
    err |= openai_put(e, "embedding",
                      base64 ? vector_as_base64(v) : vector_as_numbers(v));
    err |= openai_put(e, "index", json_object_new_int64((int64_t)index));
    if (err) {
        json_object_put(e);
        return NULL;
    }
    return e;
}

int
openai_embed_body(struct openai_reply *r, const json_object *native,
                  struct evbuffer *out)
{
    json_object *vectors = openai_jget(native, "embeddings");
    if (!vectors || !json_object_is_type(vectors, json_type_array))
        return -EINVAL;
    size_t n = json_object_array_length(vectors);
    for (size_t i = 0; i < n; i++)
        if (!is_vector(json_object_array_get_idx(vectors, i)))
            return -EINVAL;
    openai_note_model(r, native);
    json_object *o = json_object_new_object(), *data = json_object_new_array();
    int err = openai_put_str(o, "object", "list");
    for (size_t i = 0; i < n && !err; i++) {
        json_object *item =
            embedding_item(json_object_array_get_idx(vectors, i), i, r->base64);
        if (!item || !data || json_object_array_add(data, item) != 0) {
            json_object_put(item);
            err = 1;
        }
    }
    err |= openai_put(o, "data", data);
    err |= openai_put_str(o, "model", r->model);
    int64_t prompt = openai_jcount(native, "prompt_eval_count");
    json_object *usage = json_object_new_object();
    err |= openai_put(usage, "prompt_tokens", json_object_new_int64(prompt));
    err |= openai_put(usage, "total_tokens", json_object_new_int64(prompt));
    err |= openai_put(o, "usage", usage);
    int rc = err ? -ENOMEM : openai_write_body(out, o);
    json_object_put(o);
    return rc;
}
