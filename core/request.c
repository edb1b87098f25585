/* Parsing the routing-relevant parts of an inference request. */
#include "autoconfig.h"

#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/str_copy.h"

/* Past the parts of a name Ollama fills in by default: the host
 * "registry.ollama.ai" of a three-part name and the namespace "library"
 * of a two-part one, both matched without regard to case. Nodes list
 * the shortest form ("qwen3:0.6b", "user/model:tag"). */
static const char *
request_skip_defaults(const char *name)
{
    static const char host[] = "registry.ollama.ai/", ns[] = "library/";
    const char *first = strchr(name, '/');
    if (first && strchr(first + 1, '/') &&
        strncasecmp(name, host, sizeof host - 1) == 0)
        name += sizeof host - 1;
    first = strchr(name, '/');
    if (first && !strchr(first + 1, '/') && first[1] &&
        strncasecmp(name, ns, sizeof ns - 1) == 0)
        name += sizeof ns - 1;
    return name;
}

int
request_normalise_model(const char *name, char *out, size_t outlen)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
            return -EINVAL;
    name = request_skip_defaults(name);
    /* A tag is what follows the last ':' after the last '/', so a
     * registry host with a port ("host:5000/m") still gets ":latest". */
    const char *slash = strrchr(name, '/');
    const char *colon = strchr(slash ? slash : name, ':');
    size_t n = str_copy(out, outlen, name);
    if (!colon && n < outlen)
        n += str_copy(out + n, outlen - n, ":latest");
    if (n >= outlen)
        return -ENAMETOOLONG;
    return 0;
}

static void
request_add_tag(struct request_info *ri, const char *tag, size_t len)
{
    if (len == 0 || ri->tag_count >= REQUEST_MAX_TAGS)
        return;
    if (len >= REQUEST_TAG_MAX) {
        len = REQUEST_TAG_MAX - 1;
        /* cut before a character, not inside one: what the trace stores
         * must stay UTF-8 */
        while (len > 0 && ((unsigned char)tag[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < ri->tag_count; i++)
        if (strncmp(ri->tags[i], tag, len) == 0 && ri->tags[i][len] == '\0')
            return;
    memcpy(ri->tags[ri->tag_count], tag, len);
    ri->tags[ri->tag_count][len] = '\0';
    ri->tag_count++;
}

/* Tags from a comma-separated list (X-Herd-Tags, or OpenAI-style
 * metadata.tags), trimmed, empty ones dropped. */
static void
request_tags_csv(const char *h, struct request_info *ri)
{
    while (h && *h) {
        const char *end = strchr(h, ',');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        const char *s = h;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        request_add_tag(ri, s, len);
        h = end ? end + 1 : NULL;
    }
}

static int
request_tags_body(const json_object *body, struct request_info *ri, char *err,
                  size_t errlen)
{
    json_object *meta, *tags;
    if (!json_object_object_get_ex(body, "metadata", &meta) ||
        json_object_is_type(meta, json_type_null))
        return 0;
    if (!json_object_is_type(meta, json_type_object)) {
        snprintf(err, errlen, "metadata must be an object");
        return -EINVAL;
    }
    if (!json_object_object_get_ex(meta, "tags", &tags) ||
        json_object_is_type(tags, json_type_null))
        return 0;
    /* OpenAI's metadata holds strings: there, a comma-separated list */
    if (json_object_is_type(tags, json_type_string)) {
        request_tags_csv(json_object_get_string(tags), ri);
        return 0;
    }
    if (!json_object_is_type(tags, json_type_array)) {
        snprintf(err, errlen,
                 "metadata.tags must be an array or a comma-separated string");
        return -EINVAL;
    }
    size_t n = json_object_array_length(tags);
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tags, i);
        /* falsy entries are skipped; others are stringified */
        if (!t || (json_object_is_type(t, json_type_boolean) &&
                   !json_object_get_boolean(t)))
            continue;
        const char *s =
            json_object_is_type(t, json_type_string)
                ? json_object_get_string(t)
                : json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
        request_add_tag(ri, s, strlen(s));
    }
    return 0;
}


static int
request_fallbacks(const json_object *body, struct request_info *ri, char *err,
                  size_t errlen)
{
    json_object *fb;
    if (!json_object_object_get_ex(body, "fallback_models", &fb) ||
        json_object_is_type(fb, json_type_null))
        return 0;
    if (!json_object_is_type(fb, json_type_array)) {
        snprintf(err, errlen, "fallback_models must be an array of names");
        return -EINVAL;
    }
    size_t n = json_object_array_length(fb);
    if (n > REQUEST_MAX_FALLBACKS) {
        snprintf(err, errlen, "fallback_models: at most %d names",
                 REQUEST_MAX_FALLBACKS);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(fb, i);
        if (!json_object_is_type(m, json_type_string) ||
            request_normalise_model(json_object_get_string(m),
                                    ri->fallbacks[ri->fallback_count],
                                    REQUEST_MODEL_MAX) != 0) {
            snprintf(err, errlen, "fallback_models[%zu] is not a model name",
                     i);
            return -EINVAL;
        }
        ri->fallback_count++;
    }
    return 0;
}

int
request_parse(const json_object *body, const char *tags_header,
              int stream_default, struct request_info *ri, char *err,
              size_t errlen)
{
    json_object *v;
    memset(ri, 0, sizeof *ri);
    if (!json_object_is_type(body, json_type_object)) {
        snprintf(err, errlen, "request body must be a JSON object");
        return -EINVAL;
    }
    if (!json_object_object_get_ex(body, "model", &v) &&
        !json_object_object_get_ex(body, "name", &v)) {
        snprintf(err, errlen, "model is required");
        return -EINVAL;
    }
    if (!json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) == 0) {
        snprintf(err, errlen, "model is required");
        return -EINVAL;
    }
    int rc = request_normalise_model(json_object_get_string(v), ri->model,
                                     sizeof ri->model);
    /* a name that fits only once shortened is sent shortened */
    if (rc == 0 && str_copy(ri->model_asked, sizeof ri->model_asked,
                            json_object_get_string(v)) >=
                       sizeof ri->model_asked)
        ri->model_asked[0] = '\0';
    if (rc != 0) {
        snprintf(err, errlen, "model: %s",
                 rc == -ENAMETOOLONG ? "name too long" : "invalid name");
        return -EINVAL;
    }
    ri->stream = stream_default;
    if (json_object_object_get_ex(body, "stream", &v) &&
        !json_object_is_type(v, json_type_null)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            snprintf(err, errlen, "stream must be true or false");
            return -EINVAL;
        }
        ri->stream = json_object_get_boolean(v);
    }
    if ((rc = request_fallbacks(body, ri, err, errlen)) != 0 ||
        (rc = request_tags_body(body, ri, err, errlen)) != 0)
        return rc;
    request_tags_csv(tags_header, ri);
    if (json_object_object_get_ex(body, "user", &v) &&
        json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) > 0) {
        char tag[2 * REQUEST_TAG_MAX]; /* request_add_tag cuts it */
        int n = snprintf(tag, sizeof tag, "user:%s", json_object_get_string(v));
        request_add_tag(ri, tag,
                        n < (int)sizeof tag ? (size_t)n : sizeof tag - 1);
    }
    token_estimate_body(body, &ri->estimate);
    return 0;
}

json_object *
request_tags_json(const struct request_info *ri)
{
    if (ri->tag_count == 0)
        return NULL;
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < ri->tag_count; i++)
        json_object_array_add(a, json_object_new_string(ri->tags[i]));
    return a;
}
