/* Where an image URL's redirect leads: the Location of a 3xx answer made
 * into a full http(s) URL against the URL that answered. */
#ifndef HERD_CORE_IMAGE_REDIRECT_H
#define HERD_CORE_IMAGE_REDIRECT_H

#include <stddef.h>

/* Redirects one image download follows before it gives up. */
#define IMAGE_REDIRECT_MAX 5

/* The URL that location (a Location header: absolute, scheme-relative,
 * absolute path or relative path; a fragment is dropped) names, seen
 * from base (an http(s) URL). Returns it (malloc'd), or NULL with err
 * saying why: malformed, or a scheme other than http and https. */
char *image_redirect_url(const char *base, const char *location, char *err,
                         size_t errlen);

#endif
