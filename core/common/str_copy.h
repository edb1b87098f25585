/* A string copied into a fixed buffer, as snprintf(dst, size, "%s", src)
 * would copy it but without parsing a format: the request path copies
 * model and node names several times per request, and each snprintf
 * cost some 600 instructions. */
#ifndef HERD_COMMON_STR_COPY_H
#define HERD_COMMON_STR_COPY_H

#include <stddef.h>
#include <string.h>

/* Copies src into dst (size bytes; they must not overlap), cut to fit and
 * terminated when size > 0. Returns strlen(src): size or more says the
 * copy was cut, as snprintf's result does. */
static inline size_t
str_copy(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

#endif
