/* Upstream bodies: model set, router extras removed, keep_alive default,
 * context protection against the loaded context, thinking budget; and
 * the per-API body checks. */
#include "autoconfig.h"

#include "config.h"
#include "model_category.h"
#include "proxy_body.h"
#include "proxy_unload.h"
#include "request_body.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The defaults of [router]; tests change them. */
static struct proxy_body_opts opts = {CONFIG_CTX_STRIP, -1, 4.0, 1024};
static enum proxy_ctx_result last_ctx;

static json_object *
build(const char *text, enum proxy_api api, const char *model,
      unsigned loaded_ctx, int *overflow)
{
    json_object *b = json_tokener_parse(text);
    size_t len, tlen;
    enum proxy_ctx_result tctx;
    /* rebuilt from a tree (an OpenAI request's), and from the client's
     * own text read in place (a native one's): the node must get the
     * same body either way */
    char *s = proxy_body_build(b, NULL, 0, api, model, loaded_ctx, &opts,
                               &last_ctx, &len);
    char *t = proxy_body_build(NULL, text, strlen(text), api, model, loaded_ctx,
                               &opts, &tctx, &tlen);
    *overflow = last_ctx == PROXY_CTX_OVERFLOW;
    json_object *o = json_tokener_parse(s);
    json_object *ot = json_tokener_parse(t);
    ok(strlen(s) == len && strlen(t) == tlen, "length reported for %s", model);
    ok(json_object_equal(o, ot) && tctx == last_ctx,
       "from the text, the same body for %s: %s", model, t);
    free(s);
    free(t);
    json_object_put(ot);
    json_object_put(b);
    return o;
}

static const char *get(json_object *o, const char *path);

/* The text sent upstream when the client's text is given. */
static char *
spliced(const char *text, enum proxy_api api, const char *model)
{
    size_t len;
    enum proxy_ctx_result ctx;
    return proxy_body_build(NULL, text, strlen(text), api, model, 0, &opts,
                            &ctx, &len);
}

static void
test_splice(void)
{
    char *s =
        spliced("{\"model\":\"a\",\"messages\":[{\"role\":\"user\","
                "\"content\":\"\\u00e9 \\/ x\"}],\"options\":"
                "{\"temperature\":0.10,\"top_p\":1e-1},\"keep_alive\":\"5m\"}",
                PROXY_API_CHAT, "a:latest");
    is_str(s,
           "{\"model\":\"a:latest\",\"messages\":[{\"role\":\"user\","
           "\"content\":\"\\u00e9 \\/ x\"}],\"options\":{\"temperature\":0.10,"
           "\"top_p\":1e-1},\"keep_alive\":\"5m\"}",
           "the client's members go out byte for byte");
    free(s);
    s = spliced("{\"mod\\u0065l\":\"a\",\"prompt\":\"p\"}", PROXY_API_GENERATE,
                "b:latest");
    json_object *o = json_tokener_parse(s);
    is_str(get(o, "model"), "\"b:latest\"",
           "an escaped key spelling model is still replaced");
    ok(strstr(s, "\\u0065") == NULL, "and not sent twice: %s", s);
    json_object_put(o);
    free(s);
    s = spliced(" {\"model\":\"a\",\"options\":{ \n},\"prompt\":\"p\"} ",
                PROXY_API_GENERATE, "a:latest");
    is_str(s, "{\"model\":\"a:latest\",\"prompt\":\"p\",\"keep_alive\":-1}",
           "empty options dropped, keep_alive added");
    free(s);
    s = spliced("{\"model\":\"a\",\"input\":\"x\",\"metadata\":{\"tags\":[]},"
                "\"name\":\"n\",\"fallback_models\":[\"c\"]}",
                PROXY_API_EMBED, "a\"q:latest");
    is_str(s, "{\"model\":\"a\\\"q:latest\",\"input\":\"x\",\"keep_alive\":-1}",
           "router extras removed, the model escaped");
    free(s);
}

static const char *
get(json_object *o, const char *path)
{
    static char buf[256];
    json_object *v = o;
    char p[128], *save = NULL;
    snprintf(p, sizeof p, "%s", path);
    for (char *k = strtok_r(p, ".", &save); k; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(v, k, &v))
            return "(absent)";
    snprintf(buf, sizeof buf, "%s",
             json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    return buf;
}

/* Reading the client's body in place: num_ctx as Ollama reads it, an
 * unload asked for, keys given twice or escaped. */
static int64_t
ctx_of(const char *text)
{
    struct request_body b;
    char err[128];
    if (request_body_read(&b, text, strlen(text), err, sizeof err) != 0)
        return -1;
    return proxy_body_ctx_asked(&b);
}

static int
unload_of(const char *text, enum proxy_api api)
{
    struct request_body b;
    char err[128];
    return request_body_read(&b, text, strlen(text), err, sizeof err) == 0 &&
           proxy_unload_asked(&b, api);
}

static void
test_in_place(void)
{
    int64_t n = -1;
    ok(proxy_body_num_ctx("{\"num_ctx\":4096.5}", 18, &n) && n == 4096,
       "num_ctx 4096.5 read as 4096");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":2048}}"), 2048, "num_ctx");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":1e3}}"), 1000,
           "num_ctx with an exponent");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":\"2048\"}}"), 0,
           "a num_ctx string is none");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":-5}}"), 0,
           "a negative num_ctx is none");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":1024,\"num_ctx\":8192}}"),
           8192, "num_ctx given twice: the last one");
    is_int((int)ctx_of("{\"options\":{\"num_ctx\":1024},\"options\":{}}"), 0,
           "options given twice: the last one");
    is_int((int)ctx_of("{\"opti\\u006fns\":{\"num\\u005fctx\":4096}}"), 4096,
           "escaped keys decoded");
    is_int(
        (int)ctx_of("{\"options\":{\"num_ctx\":4096."
                    "000000000000000000000000000000000000000000000000000000000"
                    "000000000000}}"),
        4096, "a num_ctx of 70 characters read as json-c reads it");

    /* 128 containers around a number: the scan takes it, so must the
     * tree a rebuilt body (a key given twice) is made from */
    char deep[600];
    int k = snprintf(deep, sizeof deep,
                     "{\"model\":\"m\",\"model\":\"m\",\"format\":");
    memset(deep + k, '[', 127);
    k += 127;
    k += snprintf(deep + k, sizeof deep - (size_t)k, "1");
    memset(deep + k, ']', 127);
    k += 127;
    snprintf(deep + k, sizeof deep - (size_t)k, "}");
    char *out = spliced(deep, PROXY_API_GENERATE, "m");
    ok(out && strstr(out, "[[1]]"), "a body 128 deep is rebuilt, not lost");
    free(out);

    ok(unload_of("{\"model\":\"m\",\"keep_alive\":0}", PROXY_API_GENERATE),
       "keep_alive 0 without a prompt unloads");
    ok(unload_of("{\"model\":\"m\",\"keep_alive\":\"0s\",\"prompt\":\"\"}",
                 PROXY_API_GENERATE),
       "keep_alive \"0s\" with an empty prompt unloads");
    ok(unload_of("{\"model\":\"m\",\"keep_alive\":\"0m\",\"messages\":[ ]}",
                 PROXY_API_CHAT),
       "keep_alive \"0m\" with no messages unloads");
    ok(unload_of("{\"model\":\"m\",\"keep_alive\":0.0,\"messages\":null}",
                 PROXY_API_CHAT),
       "keep_alive 0.0 with null messages unloads");
    ok(unload_of("{\"model\":\"m\",\"keep_alive\":\"\\u0030\"}",
                 PROXY_API_CHAT),
       "an escaped \"0\" unloads");
    ok(!unload_of("{\"model\":\"m\",\"keep_alive\":0,\"prompt\":\"x\"}",
                  PROXY_API_GENERATE),
       "not with a prompt");
    ok(!unload_of("{\"model\":\"m\",\"keep_alive\":0,\"messages\":[{}]}",
                  PROXY_API_CHAT),
       "not with messages");
    ok(!unload_of("{\"model\":\"m\",\"keep_alive\":\"0x\"}", PROXY_API_CHAT) &&
           !unload_of("{\"model\":\"m\",\"keep_alive\":\"5m\"}",
                      PROXY_API_CHAT) &&
           !unload_of("{\"model\":\"m\",\"keep_alive\":false}", PROXY_API_CHAT),
       "not with another keep_alive");
    ok(!unload_of("{\"model\":\"m\",\"keep_alive\":0,\"keep_alive\":1}",
                  PROXY_API_CHAT),
       "keep_alive given twice: the last one");
    ok(!unload_of("{\"model\":\"m\",\"keep_alive\":0}", PROXY_API_EMBED),
       "not for another API");
}

int
main(void)
{
    int of;
    test_splice();
    test_in_place();
    ok(proxy_body_is_thinking("deepseek-r1:7b") &&
           proxy_body_is_thinking("DeepSeek-R1:7B") &&
           !proxy_body_is_thinking("qwen3:0.6b"),
       "thinking models by name, without regard to case");
    json_object *o = build(
        "{\"model\":\"a\",\"fallback_models\":[\"b\"],\"metadata\":{\"tags\":"
        "[]},\"messages\":[],\"options\":{\"num_ctx\":2048,\"seed\":1}}",
        PROXY_API_CHAT, "b:latest", 4096, &of);
    is_str(get(o, "model"), "\"b:latest\"", "model set to the chosen one");
    is_str(get(o, "fallback_models"), "(absent)", "fallback_models removed");
    is_str(get(o, "metadata"), "(absent)", "metadata removed");
    is_str(get(o, "keep_alive"), "-1", "keep_alive defaults to -1");
    is_str(get(o, "options.num_ctx"), "(absent)",
           "num_ctx within the loaded context stripped");
    is_str(get(o, "options.seed"), "1", "other options kept");
    ok(!of, "no overflow");
    json_object_put(o);

    o = build("{\"model\":\"a\",\"keep_alive\":\"5m\",\"options\":{\"num_ctx\":"
              "8192}}",
              PROXY_API_GENERATE, "a:latest", 4096, &of);
    is_str(get(o, "keep_alive"), "\"5m\"", "a client's keep_alive is kept");
    is_str(get(o, "options.num_ctx"), "8192", "a larger num_ctx is kept");
    ok(of, "and flagged as overflow");
    json_object_put(o);

    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":1024}}",
              PROXY_API_CHAT, "a:latest", 0, &of);
    is_str(get(o, "options.num_ctx"), "1024",
           "unknown loaded context: num_ctx kept");
    json_object_put(o);

    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":1024}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    is_str(get(o, "options"), "(absent)", "an emptied options goes");
    json_object_put(o);

    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":100}}",
              PROXY_API_CHAT, "deepseek-r1:8b", 0, &of);
    is_str(get(o, "options.num_predict"), "1024",
           "thinking model: num_predict raised to at least 1024");
    json_object_put(o);
    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":500}}",
              PROXY_API_CHAT, "gpt-oss:20b", 0, &of);
    is_str(get(o, "options.num_predict"), "2000", "or 4x");
    json_object_put(o);
    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":100}}",
              PROXY_API_CHAT, "llama3.2:3b", 0, &of);
    is_str(get(o, "options.num_predict"), "100", "other models untouched");
    json_object_put(o);

    is_int(last_ctx, PROXY_CTX_NONE, "other models: no num_ctx, no action");

    /* context_protection warn and passthrough */
    opts.context_protection = CONFIG_CTX_WARN;
    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":2048}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    is_str(get(o, "options.num_ctx"), "2048", "warn: a covered num_ctx kept");
    is_int(last_ctx, PROXY_CTX_KEPT, "warn: reported as kept");
    json_object_put(o);
    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":8192}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    ok(of, "warn: a larger one is an overflow");
    json_object_put(o);
    opts.context_protection = CONFIG_CTX_PASSTHROUGH;
    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":2048}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    is_str(get(o, "options.num_ctx"), "2048", "passthrough: num_ctx kept");
    is_int(last_ctx, PROXY_CTX_NONE, "passthrough: nothing looked at");
    json_object_put(o);
    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":8192}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    ok(!of, "passthrough: not even an overflow flag");
    json_object_put(o);
    opts.context_protection = CONFIG_CTX_STRIP;
    o = build("{\"model\":\"a\",\"options\":{\"num_ctx\":2048}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    is_int(last_ctx, PROXY_CTX_STRIPPED, "strip: reported as stripped");
    json_object_put(o);

    /* a key given twice: json-c keeps the last; the text is not spliced
     * (build() checks that both paths agree) */
    o = build("{\"model\":\"a\",\"messages\":[],\"options\":{\"num_ctx\":2048},"
              "\"options\":{}}",
              PROXY_API_CHAT, "a:latest", 4096, &of);
    is_str(
        get(o, "options"), "(absent)",
        "a repeated options: the last (empty) one counts, as json-c read it");
    json_object_put(o);

    /* keep_alive and thinking settings */
    opts.keep_alive = 300;
    o = build("{\"model\":\"a\"}", PROXY_API_GENERATE, "a:latest", 0, &of);
    is_str(get(o, "keep_alive"), "300", "keep_alive 300 s sent as a number");
    json_object_put(o);
    opts.keep_alive = 1.5;
    o = build("{\"model\":\"a\"}", PROXY_API_CHAT, "a:latest", 0, &of);
    is_str(get(o, "keep_alive"), "1.5", "fractional seconds kept");
    json_object_put(o);
    opts.keep_alive = -1;
    opts.thinking_overhead = 2;
    opts.thinking_min_predict = 10;
    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":100}}",
              PROXY_API_CHAT, "qwq:32b", 0, &of);
    is_str(get(o, "options.num_predict"), "200", "thinking_overhead 2");
    json_object_put(o);
    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":3}}",
              PROXY_API_CHAT, "qwq:32b", 0, &of);
    is_str(get(o, "options.num_predict"), "10", "thinking_min_predict 10");
    json_object_put(o);
    o = build("{\"model\":\"r\",\"options\":{\"num_predict\":-1}}",
              PROXY_API_CHAT, "qwq:32b", 0, &of);
    is_str(get(o, "options.num_predict"), "-1", "unlimited stays unlimited");
    json_object_put(o);
    opts.thinking_overhead = 4;
    opts.thinking_min_predict = 1024;

    o = build("{\"model\":\"a\",\"metadata\":{\"x\":1},\"messages\":[]}",
              PROXY_API_OAI_CHAT, "a:latest", 0, &of);
    is_str(get(o, "keep_alive"), "(absent)", "OpenAI bodies get no keep_alive");
    json_object_put(o);
    o = build("{\"model\":\"a\",\"prompt\":\"x\"}", PROXY_API_EMBEDDINGS,
              "a:latest", 0, &of);
    is_str(get(o, "keep_alive"), "-1",
           "legacy /api/embeddings gets the keep_alive default too");
    json_object_put(o);

    struct {
        const char *body;
        enum proxy_api api;
        const char *msg; /* NULL = accepted */
    } checks[] = {
        {"{}", PROXY_API_CHAT, NULL},
        {"{\"messages\":{}}", PROXY_API_CHAT, "messages must be an array"},
        {"{}", PROXY_API_OAI_CHAT, "messages is required and must be an array"},
        {"{\"prompt\":1}", PROXY_API_GENERATE, "prompt must be a string"},
        {"{}", PROXY_API_EMBED, NULL}, /* the load form */
        {"{\"input\":3}", PROXY_API_EMBED,
         "input must be a string or an array"},
        {"{}", PROXY_API_OAI_EMBEDDINGS,
         "input is required and must be a string or an array"},
        {"{\"input\":[\"a\"]}", PROXY_API_OAI_EMBEDDINGS, NULL},
        {"{\"prompt\":[\"a\"]}", PROXY_API_OAI_COMPLETIONS, NULL},
        {"{}", PROXY_API_EMBEDDINGS, NULL}, /* the load form */
        {"{\"prompt\":1}", PROXY_API_EMBEDDINGS, "prompt must be a string"},
        {"{\"options\":[]}", PROXY_API_CHAT, "options must be an object"},
        {"{\"options\":null}", PROXY_API_CHAT, NULL},
        {"{\"messages\":[],\"messages\":\"x\"}", PROXY_API_CHAT,
         "messages must be an array"}, /* the last one counts */
        {"{\"pr\\u006fmpt\":1}", PROXY_API_GENERATE,
         "prompt must be a string"}, /* an escaped key */
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char err[128] = "";
        struct request_body b;
        request_body_read(&b, checks[i].body, strlen(checks[i].body), err,
                          sizeof err);
        int rc = proxy_body_check(&b, checks[i].api, err, sizeof err);
        if (checks[i].msg)
            ok(rc == -EINVAL && strcmp(err, checks[i].msg) == 0,
               "check refuses: %s", checks[i].msg);
        else
            ok(rc == 0, "check accepts %s (api %d)", checks[i].body,
               (int)checks[i].api);
        if (checks[i].msg && strcmp(err, checks[i].msg) != 0)
            diag("got '%s'", err);
    }

    is_str(model_category_name(model_category("nomic-embed-text:latest")),
           "embedding", "category: embedding");
    is_str(model_category_name(model_category("qwen2.5-coder:7b")), "coding",
           "category: coding");
    is_str(model_category_name(model_category("deepseek-r1:8b")), "reasoning",
           "category: reasoning");
    is_str(model_category_name(model_category("LLaVA:13b")), "vision",
           "category: vision, case-insensitive");
    is_str(model_category_name(model_category("x/flux")), "image",
           "category: image");
    is_str(model_category_name(model_category("llama3.2:3b")), "general",
           "category: general");
    return done_testing();
}
