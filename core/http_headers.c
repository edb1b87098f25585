/* A request's headers, both ways, and its other small texts, kept in the
 * request's own arena. evhttp_add_header makes three allocations per
 * header (its entry, a copy of the key and one of the value) and glibc
 * serves the entry's calloc from its slow path; a proxied request has
 * about ten headers. Here an entry and its texts are one piece carved
 * from the arena, which is reused with the request, and only what does
 * not fit is allocated. The lists stay evkeyvalq lists, so
 * evhttp_find_header reads them. */
#include "autoconfig.h"

#include "http_server_impl.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
http_in_arena(const struct http_req *r, const void *p)
{
    uintptr_t a = (uintptr_t)r->arena, q = (uintptr_t)p;
    return q >= a && q < a + sizeof r->arena;
}

void *
http_req_alloc(struct http_req *r, size_t n)
{
    size_t at = (r->arena_used + alignof(max_align_t) - 1) &
                ~(alignof(max_align_t) - 1);
    if (n <= sizeof r->arena && at <= sizeof r->arena - n) {
        r->arena_used = at + n;
        return r->arena + at;
    }
    return malloc(n);
}

void
http_req_release(struct http_req *r, void *p)
{
    if (p && !http_in_arena(r, p))
        free(p);
}

/* As libevent's check: a CR or LF only to fold a line, never in a key. */
static int
http_header_ok(const char *key, const char *value)
{
    if (strpbrk(key, "\r\n"))
        return 0;
    const char *p = value;
    while ((p = strpbrk(p, "\r\n")) != NULL) {
        p += strspn(p, "\r\n");
        if (*p != ' ' && *p != '\t')
            return 0;
    }
    return 1;
}

int
http_headers_add(struct http_req *r, struct evkeyvalq *list, const char *key,
                 const char *value)
{
    if (!http_header_ok(key, value))
        return -1;
    size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
    struct evkeyval *h = http_req_alloc(r, sizeof *h + kl + vl);
    if (!h)
        return -1;
    h->key = memcpy((char *)(h + 1), key, kl);
    h->value = memcpy(h->key + kl, value, vl);
    TAILQ_INSERT_TAIL(list, h, next);
    return 0;
}

void
http_headers_clear(struct http_req *r, struct evkeyvalq *list)
{
    struct evkeyval *h;
    while ((h = TAILQ_FIRST(list)) != NULL) {
        TAILQ_REMOVE(list, h, next);
        http_req_release(r, h);
    }
}

int
http_req_add_header(struct http_req *req, const char *key, const char *value)
{
    return http_headers_add(req, &req->out, key, value);
}

int
http_req_set_header(struct http_req *req, const char *key, const char *value)
{
    struct evkeyval *h = TAILQ_FIRST(&req->out), *next;
    for (; h; h = next) {
        next = TAILQ_NEXT(h, next);
        if (strcasecmp(h->key, key) == 0) {
            TAILQ_REMOVE(&req->out, h, next);
            http_req_release(req, h);
        }
    }
    return http_req_add_header(req, key, value);
}
