/* json_text: what it writes is JSON that json-c reads back as the values
 * written (strings exactly, numbers to a millionth). */
#include "autoconfig.h"

#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_text.h"
#include "tap.h"

static char *
num_text(double v)
{
    struct json_text t;
    json_text_init(&t, 0);
    json_text_num(&t, v);
    return json_text_take(&t, NULL);
}

int
main(void)
{
    static const char *const strs[] = {
        "plain",
        "",
        "quote \" and back \\ slash",
        "tab\tnew\nline\r",
        "ctl \x01\x1f end",
        "utf-8 \xc3\xa9\xe4\xb8\xad \xf0\x9f\x98\x80",
        "a/b"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        struct json_text t;
        json_text_init(&t, i % 2 ? 4 : 0); /* grown from small and none */
        json_text_str(&t, strs[i]);
        size_t len;
        char *s = json_text_take(&t, &len);
        json_object *o = json_tokener_parse(s);
        ok(s && strlen(s) == len && o &&
               strcmp(json_object_get_string(o), strs[i]) == 0,
           "string %zu reads back the same: %s", i, s);
        json_object_put(o);
        free(s);
    }
    struct json_text t;
    json_text_init(&t, 0);
    json_text_str(&t, NULL);
    char *s = json_text_take(&t, NULL);
    is_str(s, "null", "a NULL string is null");
    free(s);

    static const struct {
        double v;
        const char *want;
    } nums[] = {{50, "50.0"},
                {-12.5, "-12.5"},
                {0, "0.0"},
                {-0.0000001, "0.0"},
                {3.14159265, "3.141593"},
                {96.809524, "96.809524"},
                {1795761165.1833439, "1795761165.183344"},
                {0.000001, "0.000001"},
                {-7.190476, "-7.190476"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        s = num_text(nums[i].v);
        is_str(s, nums[i].want, "number %.9g", nums[i].v);
        free(s);
    }
    s = num_text(1e15);
    json_object *o = json_tokener_parse(s);
    ok(o && json_object_get_double(o) == 1e15, "beyond 1e12, every digit: %s",
       s);
    json_object_put(o);
    free(s);
    s = num_text(NAN);
    is_str(s, "null", "NaN is null");
    free(s);
    s = num_text(-INFINITY);
    is_str(s, "null", "infinity is null");
    free(s);

    json_text_init(&t, 0);
    json_text_put(&t, "[", 1);
    json_text_int(&t, INT64_MIN);
    json_text_put(&t, ",", 1);
    json_text_int(&t, INT64_MAX);
    json_text_put(&t, ",", 1);
    json_text_int(&t, 0);
    json_text_put(&t, "]", 1);
    s = json_text_take(&t, NULL);
    is_str(s, "[-9223372036854775808,9223372036854775807,0]",
           "integers, both ends");
    free(s);
    ok(t.s == NULL && t.len == 0, "take leaves the writer empty");
    json_text_init(&t, 0);
    s = json_text_take(&t, NULL);
    is_str(s, "", "nothing written: the empty text");
    free(s);
    return done_testing();
}
