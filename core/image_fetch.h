/* Image parts of OpenAI chat messages that point at an http:// URL are
 * downloaded before the request is routed and replaced by data: URIs,
 * since Ollama takes images only inline. Downloads run on the loop (names
 * resolve through evdns), each bounded in size, the whole set in time.
 * Loop thread only. */
#ifndef HERD_CORE_IMAGE_FETCH_H
#define HERD_CORE_IMAGE_FETCH_H

#include <event2/event.h>
#include <json-c/json.h>
#include <stddef.h>

/* Most image URLs one request may carry, and downloads at once in all. */
#define IMAGE_FETCH_MAX_URLS 8
#define IMAGE_FETCH_MAX_RUNNING 64

struct image_fetcher;
struct image_job;

struct image_fetcher *image_fetcher_new(struct event_base *base);
/* Releases ended jobs; the caller cancels running ones first. */
void image_fetcher_free(struct image_fetcher *f);
/* https URLs are verified against the system's CA store and the PEM
 * certificates of ca_file (NULL or "" = none). Every call builds a new
 * context from the file as it is now, the same path included; on failure
 * (-EINVAL, err says why) the old one stays. */
int image_fetcher_set_ca_file(struct image_fetcher *f, const char *ca_file,
                              char *err, size_t errlen);

/* rc 0: every URL of the body is a data: URI now. rc -EINVAL: one could
 * not be used (err names it and why: too big, too slow, not an image,
 * unreachable, an error status). */
typedef void (*image_done_fn)(void *arg, int rc, const char *err);

/* Looks for image URLs in body (an OpenAI chat body; kept alive by the
 * caller until done or cancel). Returns 0 with *job NULL when there is
 * nothing to download, 0 with *job set when downloads run (done is called
 * once, later, unless the job is cancelled), -EINVAL for a URL that is
 * not allowed (scheme other than http(s), malformed, too many), -EBUSY when
 * too many downloads run already, -ENOMEM; err says why. */
int image_job_start(struct image_fetcher *f, json_object *body,
                    size_t max_bytes, double timeout_s, image_done_fn done,
                    void *arg, struct image_job **job, char *err,
                    size_t errlen);

/* Counts the http(s) image URLs of body (an OpenAI chat body); with
 * stand_in, also replaces each by a small data: URI, so that a copy of
 * the body can be checked whole before its downloads start. Returns the
 * count, -EINVAL for a URL that is not allowed or a part without one,
 * -ENOMEM; err says why. */
int image_http_urls(json_object *body, int stand_in, char *err, size_t errlen);

/* Stops the downloads at once; done is not called. */
void image_job_cancel(struct image_job *job);

/* Base64 (RFC 4648, padded) of len bytes into out, which holds at least
 * 4 * ((len + 2) / 3) + 1 bytes; returns the length written. */
size_t image_base64(const unsigned char *in, size_t len, char *out);

#endif
