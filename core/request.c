/* Parsing the routing-relevant parts of an inference request. */
#include "autoconfig.h"

#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json_scan.h"
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

/* One entry of metadata.tags: falsy ones (false, null) are skipped,
 * strings taken decoded, anything else as the client wrote it. */
static void
request_tag_value(struct request_info *ri, const char *val, size_t len)
{
    char buf[2 * REQUEST_TAG_MAX]; /* request_add_tag cuts it */
    switch (json_scan_kind(val, len)) {
    case JSON_SCAN_FALSE:
    case JSON_SCAN_NULL:
        return;
    case JSON_SCAN_STRING:
        json_scan_string(val, len, buf, sizeof buf);
        request_add_tag(ri, buf, strlen(buf));
        return;
    default:
        request_add_tag(ri, val, len);
    }
}

static int
request_tags_body(const struct request_body *b, struct request_info *ri,
                  char *err, size_t errlen)
{
    struct json_member tags;
    enum json_scan_kind k = json_scan_kind(b->metadata.s, b->metadata.len);
    if (k == JSON_SCAN_ABSENT || k == JSON_SCAN_NULL)
        return 0;
    if (k != JSON_SCAN_OBJECT) {
        snprintf(err, errlen, "metadata must be an object");
        return -EINVAL;
    }
    if (json_scan_member(b->metadata.s, b->metadata.len, "tags", &tags) != 1)
        return 0;
    k = json_scan_kind(tags.val, tags.val_len);
    if (k == JSON_SCAN_NULL)
        return 0;
    /* OpenAI's metadata holds strings: there, a comma-separated list */
    if (k == JSON_SCAN_STRING) {
        char buf[512];
        char *csv = json_scan_cstr(tags.val, tags.val_len, buf, sizeof buf);
        if (!csv) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        request_tags_csv(csv, ri);
        if (csv != buf)
            free(csv);
        return 0;
    }
    if (k != JSON_SCAN_ARRAY) {
        snprintf(err, errlen,
                 "metadata.tags must be an array or a comma-separated string");
        return -EINVAL;
    }
    struct json_elements it;
    const char *val;
    size_t len;
    json_elements_begin(&it, tags.val, tags.val_len);
    while (json_elements_next(&it, &val, &len) == 1)
        request_tag_value(ri, val, len);
    return 0;
}

/* A model name of the body, normalised into out. Returns 0, -EINVAL
 * (not a string, or not a name), -ENAMETOOLONG or -ENOMEM. */
static int
request_model_name(const char *val, size_t len, char *out, size_t outlen,
                   char *asked, size_t asked_len)
{
    char buf[REQUEST_MODEL_MAX * 2];
    if (json_scan_kind(val, len) != JSON_SCAN_STRING)
        return -EINVAL;
    char *name = json_scan_cstr(val, len, buf, sizeof buf);
    if (!name)
        return -ENOMEM;
    int rc = request_normalise_model(name, out, outlen);
    /* a name that fits only once shortened is sent shortened */
    if (rc == 0 && asked && str_copy(asked, asked_len, name) >= asked_len)
        asked[0] = '\0';
    if (name != buf)
        free(name);
    return rc;
}

static int
request_fallbacks(const struct request_body *b, struct request_info *ri,
                  char *err, size_t errlen)
{
    struct json_elements it;
    const char *val;
    size_t len, n = 0;
    enum json_scan_kind k =
        json_scan_kind(b->fallback_models.s, b->fallback_models.len);
    if (k == JSON_SCAN_ABSENT || k == JSON_SCAN_NULL)
        return 0;
    if (k != JSON_SCAN_ARRAY) {
        snprintf(err, errlen, "fallback_models must be an array of names");
        return -EINVAL;
    }
    json_elements_begin(&it, b->fallback_models.s, b->fallback_models.len);
    while (json_elements_next(&it, &val, &len) == 1)
        n++;
    if (n > REQUEST_MAX_FALLBACKS) {
        snprintf(err, errlen, "fallback_models: at most %d names",
                 REQUEST_MAX_FALLBACKS);
        return -EINVAL;
    }
    json_elements_begin(&it, b->fallback_models.s, b->fallback_models.len);
    while (json_elements_next(&it, &val, &len) == 1) {
        int rc = request_model_name(val, len, ri->fallbacks[ri->fallback_count],
                                    REQUEST_MODEL_MAX, NULL, 0);
        if (rc == -ENOMEM) {
            snprintf(err, errlen, "out of memory");
            return rc;
        }
        if (rc != 0) {
            snprintf(err, errlen, "fallback_models[%zu] is not a model name",
                     ri->fallback_count);
            return -EINVAL;
        }
        ri->fallback_count++;
    }
    return 0;
}

/* model, or name when there is no model (as Ollama's /api/pull and
 * /api/show take it). */
static int
request_model(const struct request_body *b, struct request_info *ri, char *err,
              size_t errlen)
{
    const struct json_span *v = b->model.s ? &b->model : &b->name;
    int rc = v->len > 2
                 ? request_model_name(v->s, v->len, ri->model, sizeof ri->model,
                                      ri->model_asked, sizeof ri->model_asked)
                 : -EINVAL; /* absent, or not a non-empty string */
    if (rc == -EINVAL && (v->len <= 2 || *v->s != '"')) {
        snprintf(err, errlen, "model is required");
        return -EINVAL;
    }
    if (rc != 0) {
        snprintf(err, errlen, "model: %s",
                 rc == -ENAMETOOLONG ? "name too long"
                 : rc == -ENOMEM     ? "out of memory"
                                     : "invalid name");
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    return 0;
}

static int
request_stream(const struct request_body *b, int stream_default,
               struct request_info *ri, char *err, size_t errlen)
{
    ri->stream = stream_default;
    switch (json_scan_kind(b->stream.s, b->stream.len)) {
    case JSON_SCAN_ABSENT:
    case JSON_SCAN_NULL:
        return 0;
    case JSON_SCAN_TRUE:
        ri->stream = 1;
        return 0;
    case JSON_SCAN_FALSE:
        ri->stream = 0;
        return 0;
    default:
        snprintf(err, errlen, "stream must be true or false");
        return -EINVAL;
    }
}

static void
request_user_tag(const struct request_body *b, struct request_info *ri)
{
    char user[2 * REQUEST_TAG_MAX], tag[2 * REQUEST_TAG_MAX + 8];
    if (json_scan_kind(b->user.s, b->user.len) != JSON_SCAN_STRING ||
        b->user.len <= 2)
        return;
    json_scan_string(b->user.s, b->user.len, user, sizeof user);
    /* request_add_tag cuts it */
    int n = snprintf(tag, sizeof tag, "user:%s", user);
    request_add_tag(ri, tag, n < (int)sizeof tag ? (size_t)n : sizeof tag - 1);
}

int
request_parse(const struct request_body *b, const char *tags_header,
              int stream_default, struct request_info *ri, char *err,
              size_t errlen)
{
    int rc;
    memset(ri, 0, sizeof *ri);
    if ((rc = request_model(b, ri, err, errlen)) != 0 ||
        (rc = request_stream(b, stream_default, ri, err, errlen)) != 0 ||
        (rc = request_fallbacks(b, ri, err, errlen)) != 0 ||
        (rc = request_tags_body(b, ri, err, errlen)) != 0)
        return rc;
    request_tags_csv(tags_header, ri);
    request_user_tag(b, ri);
    token_estimate_body(b, &ri->estimate);
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
