/* HTTP reason phrases and the JSON body parser. */
#include "autoconfig.h"

#include "common/http_util.h"
#include "common/json_scan.h"

#include <limits.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>

const char *
http_reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return code < 400 ? "OK" : "Error";
    }
}

/* Making a tokener (three zeroed allocations) costs about as much as
 * parsing a small body: one is kept for the next parse. Any thread may
 * parse; the one kept goes to whoever takes it first, the others make
 * their own. Only one that finished a parse is kept: json_tokener_reset
 * leaves the half of a surrogate pair a failed parse stopped in, which
 * the next text's lone low half would then complete. */
static json_tokener *_Atomic http_spare_tokener;

static json_tokener *
http_tokener_take(void)
{
    json_tokener *tok = atomic_exchange(&http_spare_tokener, NULL);
    if (tok) {
        json_tokener_reset(tok);
        return tok;
    }
    return json_tokener_new_ex(JSON_TOKENER_DEPTH);
}

static void
http_tokener_give(json_tokener *tok, enum json_tokener_error jerr)
{
    json_tokener *none = NULL;
    if (jerr != json_tokener_success ||
        !atomic_compare_exchange_strong(&http_spare_tokener, &none, tok))
        json_tokener_free(tok);
}

json_object *
http_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    /* json-c takes an int length; a longer text would be cut or read
     * past its end. */
    if (len > INT_MAX) {
        snprintf(err, errlen, "%zu bytes of JSON is more than can be parsed",
                 len);
        return NULL;
    }
    json_tokener *tok = http_tokener_take();
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* A number or literal at the very end waits for a delimiter:
         * the terminating NUL says the input ends here. */
        o = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        used = len;
    }
    http_tokener_give(tok, jerr);
    if (jerr != json_tokener_success) {
        json_object_put(o);
        snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
        return NULL;
    }
    for (; used < len; used++) {
        if (!strchr(" \t\r\n", text[used])) {
            json_object_put(o);
            snprintf(err, errlen, "invalid JSON: trailing data after value");
            return NULL;
        }
    }
    /* json-c also takes what is not JSON, and would write some of it on
     * (NaN, Infinity), which a node's decoder then refuses */
    if (!json_scan_valid(text, len)) {
        json_object_put(o);
        snprintf(err, errlen,
                 "invalid JSON: NaN, Infinity, comments, single quotes, "
                 "trailing commas and raw control characters are not JSON");
        return NULL;
    }
    if (!o)
        snprintf(err, errlen, "expected a JSON object, not null");
    return o;
}
