/* Whether a native body asks for an unload, read in place: keep_alive
 * zero and nothing to run. */
#include "autoconfig.h"

#include "proxy_unload.h"

#include <stdlib.h>
#include <string.h>

#include "common/json_scan.h"

/* A duration text of zero: a number 0, with a unit or none. */
static int
unload_text_zero(const char *s)
{
    char *num_end;
    double d = strtod(s, &num_end);
    if (num_end == s || d != 0)
        return 0;
    static const char *const units[] = {"",   "ns", "us", "µs",
                                        "ms", "s",  "m",  "h"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(num_end, units[i]) == 0)
            return 1;
    return 0;
}

/* keep_alive as Ollama reads it is zero: the number 0, or a duration
 * string of 0 in any unit ("0", "0s", "0m"). */
static int
unload_keep_alive_zero(const struct json_span *v)
{
    char buf[64];
    enum json_scan_kind k = json_scan_kind(v->s, v->len);
    if (k != JSON_SCAN_NUMBER && k != JSON_SCAN_STRING)
        return 0;
    char *s = json_scan_cstr(v->s, v->len, buf, sizeof buf);
    if (!s)
        return 0;
    int zero =
        k == JSON_SCAN_NUMBER ? strtod(s, NULL) == 0 : unload_text_zero(s);
    if (s != buf)
        free(s);
    return zero;
}

/* Whether the member is absent, null, or an empty string / array. */
static int
unload_empty(const struct json_span *v, enum json_scan_kind kind)
{
    enum json_scan_kind k = json_scan_kind(v->s, v->len);
    struct json_elements it;
    const char *e;
    size_t n;
    if (k == JSON_SCAN_ABSENT || k == JSON_SCAN_NULL)
        return 1;
    if (k != kind)
        return 0;
    if (k == JSON_SCAN_STRING)
        return v->len == 2;
    return json_elements_begin(&it, v->s, v->len) == 0 &&
           json_elements_next(&it, &e, &n) == 0;
}

int
proxy_unload_asked(const struct request_body *b, enum proxy_api api)
{
    if ((api != PROXY_API_GENERATE && api != PROXY_API_CHAT) ||
        !unload_keep_alive_zero(&b->keep_alive))
        return 0;
    if (api == PROXY_API_GENERATE)
        return unload_empty(&b->prompt, JSON_SCAN_STRING);
    return unload_empty(&b->messages, JSON_SCAN_ARRAY);
}
