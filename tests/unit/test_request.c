/* Request parsing: model normalisation, fallbacks, tags from the three
 * sources, stream flag, errors, and the token estimate. */
#include "autoconfig.h"

#include "common/json_scan.h"
#include "request.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static int
parse(const char *text, const char *hdr, int stream_default,
      struct request_info *ri, char *err, size_t errlen)
{
    struct request_body b;
    int rc = request_body_read(&b, text, strlen(text), err, errlen);
    return rc ? rc : request_parse(&b, hdr, stream_default, ri, err, errlen);
}

/* body is refused with exactly msg; name says which in the test's line. */
static void
refused(const char *body, const char *msg, const char *name)
{
    struct request_info ri;
    char err[256] = "";
    int rc = parse(body, NULL, 1, &ri, err, sizeof err);
    ok(rc == -EINVAL && strcmp(err, msg) == 0, "refused: %s", name);
    if (strcmp(err, msg) != 0)
        diag("got '%s'", err);
}

/* The estimate of a body's text. */
static struct token_estimate
estimate(const char *text)
{
    struct request_body b;
    struct token_estimate e;
    char err[128];
    memset(&e, 0, sizeof e);
    if (request_body_read(&b, text, strlen(text), err, sizeof err) == 0)
        token_estimate_body(&b, &e);
    return e;
}

static void
test_normalise(void)
{
    char out[64];
    is_int(request_normalise_model("llama3", out, sizeof out), 0, "plain");
    is_str(out, "llama3:latest", ":latest appended");
    request_normalise_model("qwen3:0.6b", out, sizeof out);
    is_str(out, "qwen3:0.6b", "a tag is kept");
    request_normalise_model("reg.local:5000/lib/m", out, sizeof out);
    is_str(out, "reg.local:5000/lib/m:latest", "a registry port is not a tag");
    request_normalise_model("library/qwen3:0.6b", out, sizeof out);
    is_str(out, "qwen3:0.6b", "the default namespace is dropped");
    request_normalise_model("Registry.Ollama.AI/Library/Qwen3", out,
                            sizeof out);
    is_str(out, "Qwen3:latest",
           "the default host and namespace, in any case, are dropped");
    request_normalise_model("registry.ollama.ai/user/m:q4", out, sizeof out);
    is_str(out, "user/m:q4", "the default host before another namespace");
    request_normalise_model("library/", out, sizeof out);
    is_str(out, "library/:latest", "a namespace alone is not emptied");
    request_normalise_model("registry.ollama.ai/m", out, sizeof out);
    is_str(out, "registry.ollama.ai/m:latest",
           "two parts: the first is a namespace, not the host");
    request_normalise_model("other.host/library/m", out, sizeof out);
    is_str(out, "other.host/library/m:latest", "another host is kept whole");
    is_int(request_normalise_model("", out, sizeof out), -EINVAL, "empty");
    is_int(request_normalise_model("a b", out, sizeof out), -EINVAL,
           "space refused");
    is_int(request_normalise_model("abcdefghij", out, 12), -ENAMETOOLONG,
           "too long for the buffer");
    /* the edges: ":latest" just fits, one byte short, a tagged name */
    is_int(request_normalise_model("abcd", out, 12), 0, "abcd:latest fits 12");
    is_str(out, "abcd:latest", "abcd:latest whole");
    is_int(request_normalise_model("abcde", out, 12), -ENAMETOOLONG,
           "abcde:latest does not fit 12");
    is_int(request_normalise_model("abcdefghij:t", out, 13), 0,
           "a tagged name that just fits");
    is_int(request_normalise_model("abcdefghij:tt", out, 13), -ENAMETOOLONG,
           "a tagged name one byte too long");
}

static void
test_parse(void)
{
    struct request_info ri;
    char err[128];
    int rc = parse("{\"model\":\"m\",\"fallback_models\":[\"a\",\"b:7b\"],"
                   "\"metadata\":{\"tags\":[\"x\",\"y\",false,3,\"x\"]},"
                   "\"user\":\"bob\",\"messages\":[]}",
                   " y , z,,", 1, &ri, err, sizeof err);
    is_int(rc, 0, "a full body parses");
    is_str(ri.model, "m:latest", "model normalised");
    is_int((int)ri.fallback_count, 2, "two fallbacks");
    is_str(ri.fallbacks[0], "a:latest", "fallbacks normalised");
    is_str(ri.fallbacks[1], "b:7b", "fallback tag kept");
    is_int((int)ri.tag_count, 5, "tags: body, header, user, de-duplicated");
    is_str(ri.tags[0], "x", "body tag first");
    is_str(ri.tags[2], "3", "numbers stringified");
    is_str(ri.tags[3], "z", "header tag trimmed");
    is_str(ri.tags[4], "user:bob", "user tag last");
    ok(ri.stream == 1, "stream defaults as asked");
    json_object *t = request_tags_json(&ri);
    is_str(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
           "[\"x\",\"y\",\"3\",\"z\",\"user:bob\"]", "tags as JSON");
    struct request_info rs;
    rc = parse("{\"model\":\"m\",\"metadata\":{\"tags\":\" a, b ,,a\","
               "\"team\":\"x\"}}",
               NULL, 1, &rs, err, sizeof err);
    ok(rc == 0 && rs.tag_count == 2 && !strcmp(rs.tags[0], "a") &&
           !strcmp(rs.tags[1], "b"),
       "OpenAI-style metadata: tags as a comma-separated string");
    json_object_put(t);

    rc = parse("{\"model\":\"m\",\"stream\":false}", NULL, 1, &ri, err,
               sizeof err);
    ok(rc == 0 && ri.stream == 0, "stream:false read");
    ok(request_tags_json(&ri) == NULL, "no tags -> NULL");
    rc = parse("{\"name\":\"m\"}", NULL, 0, &ri, err, sizeof err);
    ok(rc == 0 && strcmp(ri.model, "m:latest") == 0, "name accepted");

    /* a long tag is cut before a character, never inside one */
    char body[600], header[300], user[300];
    char *p = header;
    for (int i = 0; i < REQUEST_TAG_MAX - 2; i++)
        *p++ = 'h';
    strcpy(p, "\xc3\xa9\xc3\xa9"); /* the first é straddles the cut */
    snprintf(user, sizeof user, "%.*s\xe2\x82\xac", REQUEST_TAG_MAX - 7,
             header); /* "user:" + that: the euro sign straddles it */
    snprintf(body, sizeof body, "{\"model\":\"m\",\"user\":\"%s\"}", user);
    rc = parse(body, header, 1, &ri, err, sizeof err);
    ok(rc == 0 && ri.tag_count == 2, "a long header tag and a long user");
    is_int((int)strlen(ri.tags[0]), REQUEST_TAG_MAX - 2,
           "the header tag stops before the split character");
    is_int((int)strlen(ri.tags[1]), REQUEST_TAG_MAX - 2,
           "so does the user tag");

    struct {
        const char *body, *msg;
    } bad[] = {
        {"[]", "request body must be a JSON object"},
        {"{}", "model is required"},
        {"{\"model\":\"\"}", "model is required"},
        {"{\"model\":7}", "model is required"},
        {"{\"model\":\"a\\nb\"}", "model: invalid name"},
        {"{\"model\":\"m\",\"stream\":\"yes\"}",
         "stream must be true or false"},
        {"{\"model\":\"m\",\"fallback_models\":\"x\"}",
         "fallback_models must be an array of names"},
        {"{\"model\":\"m\",\"fallback_models\":[1]}",
         "fallback_models[0] is not a model name"},
        {"{\"model\":\"m\",\"fallback_models\":[\"1\",\"2\",\"3\",\"4\",\"5\","
         "\"6\",\"7\",\"8\",\"9\"]}",
         "fallback_models: at most 8 names"},
        {"{\"model\":\"m\",\"metadata\":[]}", "metadata must be an object"},
        {"{\"model\":\"m\",\"metadata\":{\"tags\":5}}",
         "metadata.tags must be an array or a comma-separated string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(bad[i].body, bad[i].msg, bad[i].msg);
}

static void
test_estimate(void)
{
    struct token_estimate e = estimate(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
        "\"abcd\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]},"
        "{\"role\":\"user\",\"content\":\"\\u00e9\\u00e9\\u00e9\\u00e9\","
        "\"images\":[\"a\",\"b\"]}]}");
    is_int((int)e.chars, 16 * 3 + 8 + 4 + 4, "chars: text, parts, UTF-8");
    is_int((int)e.images, 3, "an image part and two images");
    is_int((int)e.tokens, 64 / 4 + 450, "tokens = chars/4 + 150/image");

    e = estimate("{\"prompt\":\"0123456789012345\",\"system\":"
                 "\"abcd\",\"images\":[\"i\"]}");
    is_int((int)e.tokens, (16 + 16 + 4) / 4 + 150,
           "generate: the prompt is one message");
    e = estimate("{\"input\":[\"abcdefgh\",\"abcd\",5]}");
    is_int((int)e.tokens, 3, "embedding input array");
    e = estimate("{\"messages\":7}");
    is_int((int)e.tokens, 1, "odd types count nothing, minimum 1");

    /* strings count decoded characters: an escape is one, a raw é one,
     * a surrogate pair one, \n one */
    e = estimate("{\"input\":\"\\u00e9\xc3\xa9\\ud83d\\ude00\\n\\\"\"}");
    is_int((int)e.chars, 5, "\\u00e9, a raw é, a surrogate pair, \\n, \\\": 5");
    e = estimate("{\"messages\":[{\"content\":\"ab\",\"content\":\"abcdefgh\","
                 "\"images\":[1],\"images\":[]}]}");
    ok(e.chars == 16 + 8 && e.images == 0,
       "a member given twice: the last one counts (%llu chars, %u images)",
       (unsigned long long)e.chars, e.images);
    e = estimate("{\"messages\":[{\"cont\\u0065nt\":\"abcd\"}],"
                 "\"prompt\":\"x\"}");
    is_int((int)e.chars, 16 + 4, "an escaped key is its decoded self");
    struct token_estimate m;
    const char *msgs = "[{\"content\":\"abcdefgh\"},{\"images\":[\"i\"]}]";
    token_estimate_messages(msgs, strlen(msgs), &m);
    ok(m.chars == 32 + 8 && m.images == 1, "a messages array alone");
}

/* The JSON-c semantics the in-place reading keeps, and what json-c got
 * wrong that it does not. */
static void
test_in_place(void)
{
    struct request_info ri;
    char err[256];
    int rc = parse("{\"model\":\"a\",\"stream\":true,\"model\":\"b\","
                   "\"stream\":false}",
                   NULL, 1, &ri, err, sizeof err);
    ok(rc == 0 && !strcmp(ri.model, "b:latest") && ri.stream == 0,
       "a key given twice: the last one counts (%s)", ri.model);
    rc = parse("{\"mo\\u0064el\":\"\\u0071wen3:0.6b\",\"fallback_models\":"
               "[\"\\u006cl\\u0061ma3\"],\"meta\\u0064ata\":{\"t\\u0061gs\":"
               "[\"t\\u00e9\",\"a\\\"b\"]}}",
               NULL, 1, &ri, err, sizeof err);
    ok(rc == 0, "escaped keys and strings parse");
    is_str(ri.model, "qwen3:0.6b", "an escaped key and model name decoded");
    is_str(ri.model_asked, "qwen3:0.6b", "sent as decoded");
    ok(ri.fallback_count == 1 && !strcmp(ri.fallbacks[0], "llama3:latest"),
       "an escaped fallback decoded");
    ok(ri.tag_count == 2 && !strcmp(ri.tags[0], "t\xc3\xa9") &&
           !strcmp(ri.tags[1], "a\"b"),
       "escaped tags decoded");
    rc = parse("{\"model\":\"m\",\"metadata\":{\"tags\":[1.50,true,null,"
               "-0,{\"a\":1}]}}",
               NULL, 1, &ri, err, sizeof err);
    ok(rc == 0 && ri.tag_count == 4 && !strcmp(ri.tags[0], "1.50") &&
           !strcmp(ri.tags[1], "true") && !strcmp(ri.tags[2], "-0") &&
           !strcmp(ri.tags[3], "{\"a\":1}"),
       "other tags as the client wrote them; null skipped");
    rc = parse("{\"model\":\"m\",\"metadata\":{\"tags\":\"x\",\"tags\":5}}",
               NULL, 1, &ri, err, sizeof err);
    ok(rc == -EINVAL, "metadata.tags given twice: the last one is checked");
    rc = parse("{\"model\":7,\"name\":\"m\"}", NULL, 1, &ri, err, sizeof err);
    ok(rc == -EINVAL && !strcmp(err, "model is required"),
       "a model not a string is not replaced by name");

    char deep[2 * 200 + 64];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"model\":\"m\",\"f\":");
    for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    rc = parse(deep, NULL, 1, &ri, err, sizeof err);
    ok(rc == -EINVAL && !strncmp(err, "invalid JSON", 12),
       "nesting past %d refused: %s", JSON_SCAN_MAX_DEPTH, err);

    struct {
        const char *body, *msg;
    } bad[] = {
        {"[{\"model\":\"m\"}]", "request body must be a JSON object"},
        {"\"m\"", "request body must be a JSON object"},
        {" null ", "expected a JSON object, not null"},
        {"{\"model\":\"m\",\"x\":NaN}",
         "invalid JSON: NaN, Infinity, comments, single quotes, trailing "
         "commas and raw control characters are not JSON"},
        {"{\"model\":\"m\"} x", "invalid JSON: trailing data after value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(bad[i].body, bad[i].msg, bad[i].body);
    rc = parse("{\"model\":\"m\"", NULL, 1, &ri, err, sizeof err);
    ok(rc == -EINVAL && !strncmp(err, "invalid JSON: ", 14),
       "a cut body: json-c says why (%s)", err);
}

int
main(void)
{
    test_normalise();
    test_parse();
    test_estimate();
    test_in_place();
    return done_testing();
}
