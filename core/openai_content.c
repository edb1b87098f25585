/* The array form of an OpenAI message's content: text parts joined into
 * the native content, image parts (data: URIs by now) as bare base64 in
 * the native images. */
#include "autoconfig.h"

#include <errno.h>
#include <json-c/printbuf.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "openai_request_impl.h"

static int
base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* The payload of a base64 data: URI of an image as a new string in *out:
 * line breaks dropped and missing padding added, since Ollama decodes
 * strictly. The media type may be empty (some clients omit it) or must
 * be image/...; -EINVAL for anything else. */
static int
image_data_uri(const char *uri, size_t len, json_object **out)
{
    if (len < 5 || strncasecmp(uri, "data:", 5) != 0)
        return -EINVAL;
    const char *head = uri + 5;
    const char *comma = memchr(head, ',', len - 5);
    if (!comma)
        return -EINVAL;
    size_t head_len = (size_t)(comma - head);
    size_t type_len = 0;
    while (type_len < head_len && head[type_len] != ';')
        type_len++;
    if (type_len != 0 && (type_len <= 6 || strncasecmp(head, "image/", 6) != 0))
        return -EINVAL;
    if (head_len < 7 || strncasecmp(comma - 7, ";base64", 7) != 0)
        return -EINVAL;

    const char *data = comma + 1;
    size_t data_len = len - (size_t)(data - uri), n = 0, pad = 0;
    char *b64 = malloc(data_len + 3);
    if (!b64)
        return -ENOMEM;
    for (size_t k = 0; k < data_len; k++) {
        char c = data[k];
        if (c == '\r' || c == '\n')
            continue;
        if (c == '=' && pad < 2) {
            pad++;
        } else if (pad > 0 || !base64_char(c)) {
            free(b64);
            return -EINVAL;
        }
        b64[n++] = c;
    }
    /* padding is optional, but when there it must be what the digits
     * call for: two after 2 of a group of 4, one after 3, none after 4 */
    size_t digits = n - pad;
    if (digits == 0 || digits % 4 == 1 || (pad > 0 && n % 4 != 0)) {
        free(b64);
        return -EINVAL;
    }
    while (n % 4 != 0)
        b64[n++] = '=';
    *out = json_object_new_string_len(b64, (int)n);
    free(b64);
    return *out ? 0 : -ENOMEM;
}

/* An image_url part: its URL (a string, or {url}) must be a data: URI by
 * now, since the router downloads http(s) images before converting. */
static int
image_part_to_native(const json_object *part, size_t i, size_t j,
                     json_object *images, char *err, size_t errlen)
{
    json_object *url = oai_req_member(part, "image_url");
    if (oai_req_is(url, json_type_object))
        url = oai_req_member(url, "url");
    if (!oai_req_is(url, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].content[%zu].image_url: expected "
                               "a URL string or an object with a url",
                               i, j);
    json_object *b64 = NULL;
    int rc = image_data_uri(json_object_get_string(url),
                            (size_t)json_object_get_string_len(url), &b64);
    if (rc == -EINVAL)
        return oai_req_invalid(
            err, errlen,
            "messages[%zu].content[%zu].image_url: '%.40s%s' is not a base64 "
            "data: URI of an image",
            i, j, json_object_get_string(url),
            json_object_get_string_len(url) > 40 ? "..." : "");
    if (rc != 0)
        return rc;
    if (json_object_array_add(images, b64) != 0) {
        json_object_put(b64);
        return -ENOMEM;
    }
    return 0;
}

/* One part of an array content: text (and refusal) parts go to text,
 * joined by line breaks as the reference system does (*texts counts
 * them); images to images. */
static int
part_to_native(const json_object *part, size_t i, size_t j,
               struct printbuf *text, int *texts, json_object *images,
               char *err, size_t errlen)
{
    json_object *type = oai_req_member(part, "type");
    if (!oai_req_is(type, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].content[%zu]: expected a part "
                               "object with a string type",
                               i, j);
    const char *t = json_object_get_string(type);
    if (strcmp(t, "image_url") == 0)
        return image_part_to_native(part, i, j, images, err, errlen);
    /* an assistant turn replayed with a refusal part: its text is what
     * the model said */
    const char *key = strcmp(t, "refusal") == 0 ? "refusal" : "text";
    if (strcmp(t, key) != 0)
        return oai_req_invalid(err, errlen,
                               "messages[%zu].content[%zu].type: '%.40s' parts "
                               "are not supported (text, image_url and refusal "
                               "are)",
                               i, j, t);
    json_object *s = oai_req_member(part, key);
    if (!oai_req_is(s, json_type_string))
        return oai_req_invalid(err, errlen,
                               "messages[%zu].content[%zu].%s: expected a "
                               "string",
                               i, j, key);
    if ((*texts)++ > 0 && printbuf_memappend(text, "\n", 1) < 0)
        return -ENOMEM;
    if (printbuf_memappend(text, json_object_get_string(s),
                           json_object_get_string_len(s)) < 0)
        return -ENOMEM;
    return 0;
}

/* An array content -> native content (the text) and images (when any). */
int
openai_content_to_native(const json_object *parts, size_t i, json_object *msg,
                         char *err, size_t errlen)
{
    struct printbuf *text = printbuf_new();
    json_object *images = json_object_new_array();
    int rc = text && images ? 0 : -ENOMEM, texts = 0;
    size_t n = json_object_array_length(parts);
    for (size_t j = 0; rc == 0 && j < n; j++)
        rc = part_to_native(json_object_array_get_idx(parts, j), i, j, text,
                            &texts, images, err, errlen);
    if (rc == 0)
        rc = oai_req_put(msg, "content",
                         json_object_new_string_len(text->buf, text->bpos));
    if (rc == 0 && json_object_array_length(images) > 0) {
        rc = oai_req_put(msg, "images", images);
        images = NULL;
    }
    json_object_put(images);
    if (text)
        printbuf_free(text);
    return rc;
}
