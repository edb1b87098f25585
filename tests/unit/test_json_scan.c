/* json_scan: validation against the grammar, member walking, and the
 * scalars it decodes compared with what json-c decodes from the same
 * text. */
#include "autoconfig.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_util.h"
#include "common/json_scan.h"
#include "tap.h"

static int
valid(const char *s)
{
    return json_scan_valid(s, strlen(s));
}

static void
test_valid(void)
{
    static const char *const good[] = {
        "{}",
        "[]",
        " {\"a\":1} ",
        "0",
        "-0",
        "1.5e+10",
        "-12.5E-3",
        "true",
        "false",
        "null",
        "\"\"",
        "\"\\u00e9\\n\\\"\\\\\\/\"",
        "{\"a\":[1,{\"b\":[true,false,null]},\"x\"],\"c\":{}}",
        "\t[ 1 , 2 ]\r\n",
        "{\"\\u0061\":\"\\ud83d\\ude00\"}"};
    static const char *const bad[] = {"",          " ",
                                      "{",         "{\"a\"}",
                                      "{\"a\":}",  "{\"a\":1,}",
                                      "[1,]",      "[1 2]",
                                      "01",        "1.",
                                      ".5",        "1e",
                                      "-",         "+1",
                                      "tru",       "nul",
                                      "\"abc",     "\"\\x\"",
                                      "\"\\u12\"", "{'a':1}",
                                      "{a:1}",     "[1]]",
                                      "{} {}",     "NaN",
                                      "\"a\nb\"",  "{\"a\":1 \"b\":2}",
                                      "[1,2",      "{\"a\":1}x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ok(valid(good[i]), "valid: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(!valid(bad[i]), "invalid: %s", bad[i]);

    /* what the relay relies on: no cut of an answer passes as whole */
    const char *doc = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\","
                      "\"content\":\"h\\u00e9 \\\"x\\\"\"},\"done\":true,"
                      "\"eval_count\":12,\"x\":[1.5,-2e3,null,false]}";
    size_t n = strlen(doc), whole = 0;
    for (size_t k = 0; k < n; k++)
        whole += json_scan_valid(doc, k);
    ok(whole == 0 && json_scan_valid(doc, n),
       "no prefix of a document is valid, the document is");

    char deep[2 * JSON_SCAN_MAX_DEPTH + 3];
    size_t d = JSON_SCAN_MAX_DEPTH + 1;
    memset(deep, '[', d);
    memset(deep + d, ']', d);
    deep[2 * d] = '\0';
    ok(!valid(deep), "nesting past %d is refused", JSON_SCAN_MAX_DEPTH);
    deep[2 * d - 1] = '\0';
    ok(valid(deep + 1), "nesting of exactly %d is taken", JSON_SCAN_MAX_DEPTH);
}

static void
test_members(void)
{
    const char *s = " { \"a\" : 1 , \"b\\n\":\"x\", \"c\":{\"d\":[1,2]} ,"
                    "\"e\":null}";
    struct json_members it;
    struct json_member m;
    char seen[128] = "";
    ok(json_members_begin(&it, s, strlen(s)) == 0, "object begins");
    int r;
    while ((r = json_members_next(&it, &m)) == 1) {
        strncat(seen, m.key, m.key_len);
        strcat(seen, m.key_escaped ? "*=" : "=");
        strncat(seen, m.val, m.val_len);
        strcat(seen, ";");
    }
    is_int(r, 0, "ends cleanly");
    is_str(seen, "a=1;b\\n*=\"x\";c={\"d\":[1,2]};e=null;",
           "keys and value spans in order");
    ok(*it.p == '\0', "the iterator stops just past the brace");

    json_members_begin(&it, "{\"a\":1,}", 8);
    json_members_next(&it, &m);
    is_int(json_members_next(&it, &m), -1, "a trailing comma is invalid");
    ok(json_members_begin(&it, "[1]", 3) == -1, "an array is not an object");
    json_members_begin(&it, "{\"a\":1", 6);
    json_members_next(&it, &m);
    is_int(json_members_next(&it, &m), -1, "a cut object is invalid");

    struct json_member k = {.key = "done", .key_len = 4};
    ok(json_member_is(&k, "done") && !json_member_is(&k, "don") &&
           !json_member_is(&k, "doner"),
       "json_member_is compares whole keys");
    k.key_escaped = 1;
    ok(!json_member_is(&k, "done"), "an escaped key never matches");
}

static void
test_int64(void)
{
    static const char *const nums[] = {"0",
                                       "42",
                                       "-7",
                                       "1.9",
                                       "-1.9",
                                       "2e3",
                                       "1E2",
                                       "9007199254740993",
                                       "-9223372036854775808"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        int64_t got = -99;
        json_object *o = json_tokener_parse(nums[i]);
        int rc = json_scan_int64(nums[i], strlen(nums[i]), &got);
        ok(rc == 0 && got == json_object_get_int64(o),
           "%s reads as json-c reads it (%lld)", nums[i], (long long)got);
        json_object_put(o);
    }
    int64_t v;
    ok(json_scan_int64("\"1\"", 3, &v) == -1, "a string is not a number");
    ok(json_scan_int64("true", 4, &v) == -1, "true is not a number");
    ok(json_scan_int64("99999999999999999999", 20, &v) == -1,
       "out of range is refused");
    ok(json_scan_int64("1e300", 5, &v) == -1, "a huge double is refused");
}

static void
test_strings(void)
{
    static const char *const strs[] = {"\"plain\"",
                                       "\"tab\\there\"",
                                       "\"q\\\"b\\\\s\\/\"",
                                       "\"\\u00e9\\u4e2d\"",
                                       "\"\\ud83d\\ude00 smile\"",
                                       "\"lone \\ud83d x\"",
                                       "\"\\b\\f\\n\\r\"",
                                       "\"\""};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char buf[64];
        json_object *o = json_tokener_parse(strs[i]);
        int rc = json_scan_string(strs[i], strlen(strs[i]), buf, sizeof buf);
        ok(rc == 0 && strcmp(buf, json_object_get_string(o)) == 0,
           "%s decodes as json-c decodes it", strs[i]);
        json_object_put(o);
    }
    char small[5];
    json_scan_string("\"abcdefgh\"", 10, small, sizeof small);
    is_str(small, "abcd", "cut to fit, NUL-terminated");
    json_scan_string("\"ab\\u00e9\"", 10, small, 4);
    is_str(small, "ab", "never cuts a character in two");
    ok(json_scan_string("12", 2, small, sizeof small) == -1,
       "a number is not a string");
    ok(json_scan_is_true("true", 4) && !json_scan_is_true("false", 5) &&
           json_scan_is_null("null", 4) && !json_scan_is_null("nul", 3),
       "literals");
}

static void
test_lookup(void)
{
    struct json_member m = {
        .key = "mo\\u0064el", .key_len = 10, .key_escaped = 1};
    ok(json_member_named(&m, "model") && !json_member_named(&m, "mode") &&
           !json_member_is(&m, "model"),
       "an escaped key is named by its decoded self");
    const char *o = "{\"a\":1,\"b\":[2],\"\\u0061\":3,\"c\":{\"a\":4}}";
    ok(json_scan_member(o, strlen(o), "a", &m) == 1 && m.val_len == 1 &&
           m.val[0] == '3',
       "a key given twice: the last one, escaped or not");
    ok(json_scan_member(o, strlen(o), "d", &m) == 0, "an absent key");
    ok(json_scan_member("[1]", 3, "a", &m) == -1, "not an object");

    struct json_elements it;
    const char *a = " [ 1 , \"x\" ,{\"y\":[]} ] ", *v;
    size_t len;
    char seen[64] = "";
    int r;
    ok(json_elements_begin(&it, a, strlen(a)) == 0, "array begins");
    while ((r = json_elements_next(&it, &v, &len)) == 1) {
        strncat(seen, v, len);
        strcat(seen, ";");
    }
    ok(r == 0 && !strcmp(seen, "1;\"x\";{\"y\":[]};"), "elements: %s", seen);
    json_elements_begin(&it, "[1,]", 4);
    json_elements_next(&it, &v, &len);
    is_int(json_elements_next(&it, &v, &len), -1, "a trailing comma");
    ok(json_elements_begin(&it, "{}", 2) == -1, "an object is not an array");

    ok(json_scan_kind("{}", 2) == JSON_SCAN_OBJECT &&
           json_scan_kind("-1", 2) == JSON_SCAN_NUMBER &&
           json_scan_kind(NULL, 0) == JSON_SCAN_ABSENT &&
           json_scan_kind("false", 5) == JSON_SCAN_FALSE,
       "kinds by the first character");
    ok(json_scan_is_integer("-12", 3) && !json_scan_is_integer("1.0", 3) &&
           !json_scan_is_integer("1e2", 3) && !json_scan_is_integer("\"1\"", 3),
       "integers");

    static const char *const strs[] = {
        "\"plain\"",           "\"\\u00e9t\\u00e9\"", "\"\xc3\xa9t\xc3\xa9\"",
        "\"\\ud83d\\ude00!\"", "\"lone \\ud83d x\"",  "\"\\n\\\"\\/\""};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        json_object *s = json_tokener_parse(strs[i]);
        const unsigned char *p =
            (const unsigned char *)json_object_get_string(s);
        size_t want = 0;
        for (int k = 0; k < json_object_get_string_len(s); k++)
            want += (p[k] & 0xC0) != 0x80;
        is_int((int)json_scan_string_chars(strs[i], strlen(strs[i])), (int)want,
               "characters of %s as of json-c's string", strs[i]);
        json_object_put(s);
    }
}

/* Strings are scanned eight bytes at a time: a quote, a backslash or a
 * control character at every place in and around a word, and strings
 * that end (or are cut) at every length, give what the byte-by-byte
 * grammar says. */
static void
test_string_words(void)
{
    static const struct {
        char c;
        int valid;
    } stops[] = {{'"', 0},    {'\\', 0},   {'\n', 0}, {'\x1f', 0}, {'\x01', 0},
                 {'\x7f', 1}, {'\x20', 1}, {'!', 1},  {'[', 1},    {'#', 1}};
    char text[64];
    int wrong = 0, checks = 0;
    for (size_t len = 0; len <= 24; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
                /* "aaa<stop>aaa": a lone quote ends the string early and
                 * leaves text after it; a lone backslash escapes 'a' */
                text[0] = '"';
                memset(text + 1, 'a', len);
                if (at < len)
                    text[1 + at] = stops[k].c;
                text[1 + len] = '"';
                int want = at == len || stops[k].valid;
                checks++;
                wrong += json_scan_valid(text, len + 2) != want;
                /* the same text without its closing quote is not,
                 * unless the quote put in closes it */
                checks++;
                wrong += json_scan_valid(text, len + 1) !=
                         (stops[k].c == '"' && at + 1 == len);
            }
        }
    }
    /* bytes above 0x7f are plain (UTF-8 is not checked, as json-c) */
    memset(text, 0xe9, sizeof text);
    text[0] = text[40] = '"';
    checks++;
    wrong += json_scan_valid(text, 41) != 1;
    is_int(wrong, 0, "%d strings scanned as the grammar says", checks);
}

/* http_json_parse keeps its tokener for the next parse only after one
 * that ended well: json-c's reset leaves the half of a surrogate pair a
 * failed parse stopped in. And it takes what the scan takes. */
static void
test_http_parse(void)
{
    char err[128];
    json_object *o =
        http_json_parse("{\"a\":\"\\ud83d\\u", 15, err, sizeof err);
    ok(!o, "a text cut inside a surrogate pair is refused: %s", err);
    const char *low = "{\"b\":\"\\udde0\"}";
    o = http_json_parse(low, strlen(low), err, sizeof err);
    json_object *b = NULL;
    ok(o && json_object_object_get_ex(o, "b", &b) &&
           strcmp(json_object_get_string(b), "\xef\xbf\xbd") == 0,
       "a lone low half after it is U+FFFD, not the pair's second half");
    json_object_put(o);

    char deep[300];
    memset(deep, '[', 128);
    deep[128] = '1';
    memset(deep + 129, ']', 128);
    ok(json_scan_valid(deep, 257), "128 arrays around a number scan");
    o = http_json_parse(deep, 257, err, sizeof err);
    ok(o != NULL, "and parse (%s)", o ? "" : err);
    json_object_put(o);
}

/* json_scan_cstr: a string decoded, other values as written; in the
 * caller's buffer when they fit, else in an allocation. */
static void
test_cstr(void)
{
    char buf[12], *s;
    s = json_scan_cstr("\"a\\u00e9\"", 9, buf, sizeof buf);
    ok(s == buf && strcmp(s, "a\xc3\xa9") == 0,
       "a short string decoded in buf");
    s = json_scan_cstr("-12.5", 5, buf, sizeof buf);
    ok(s == buf && strcmp(s, "-12.5") == 0, "a number as written");
    const char *lng = "\"0123456789abcdef\"";
    s = json_scan_cstr(lng, strlen(lng), buf, sizeof buf);
    ok(s && s != buf && strcmp(s, "0123456789abcdef") == 0,
       "a longer one in an allocation");
    if (s != buf)
        free(s);
}

int
main(void)
{
    test_valid();
    test_string_words();
    test_http_parse();
    test_cstr();
    test_members();
    test_int64();
    test_strings();
    test_lookup();
    return done_testing();
}
