/* Helpers shared by herd and herd-sim: reason phrases and the parser of
 * JSON request bodies. herd's replies are in core/http_reply.h. */
#ifndef HERD_COMMON_HTTP_UTIL_H
#define HERD_COMMON_HTTP_UTIL_H

#include <json-c/json.h>
#include <stddef.h>

/* Parses text as one JSON value (whitespace around it allowed). Returns a
 * new reference, or NULL with a message in err (not JSON, trailing data,
 * JSON null, over INT_MAX bytes). */
json_object *http_json_parse(const char *text, size_t len, char *err,
                             size_t errlen);

/* Standard reason phrase for code ("OK", "Not Found", ...). */
const char *http_reason(int code);

#endif
