/* Downloads of the image URLs of OpenAI chat bodies (image_fetch.h). */
#include "autoconfig.h"

#include "image_fetch.h"
#include "image_redirect.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMAGE_MAX_HEADERS 65536

struct image_dl {
    struct image_job *job;
    json_object *holder; /* object whose member `key` holds the URL */
    const char *key;     /* "url" or "image_url" */
    char *url;
    struct evhttp_connection *conn;
    SSL *ssl; /* https only; owned by conn's bufferevent */
    char *next_url; /* a redirect's target, followed once its answer ends */
    unsigned hops;  /* redirects followed */
    /* the connections of earlier hops: a redirect is followed inside
     * their callbacks, so they go with the job */
    struct evhttp_connection *spent[IMAGE_REDIRECT_MAX];
    struct evbuffer *data;
    char ctype[128];
    int failed; /* enum evhttp_request_error + 1, 0 = none */
    int done;
};

struct image_job {
    struct image_fetcher *f;
    struct image_job *next; /* in f->ended */
    struct image_dl dl[IMAGE_FETCH_MAX_URLS];
    size_t n, left;
    size_t max_bytes;
    double timeout_s;
    struct event *timer;
    image_done_fn done;
    void *arg;
    int ended;
    char err[400];
};

struct image_fetcher {
    struct event_base *base;
    struct evdns_base *dns;
    struct event *release; /* frees ended jobs, outside their callbacks */
    struct image_job *ended;
    size_t running; /* downloads of live jobs */
    SSL_CTX *tls;   /* https: system store plus ca_file */
};

static void
image_release(struct image_fetcher *f)
{
    while (f->ended) {
        struct image_job *job = f->ended;
        f->ended = job->next;
        for (size_t i = 0; i < job->n; i++) {
            /* freeing the connection drops its request, no callback */
            if (job->dl[i].conn)
                evhttp_connection_free(job->dl[i].conn);
            for (unsigned h = 0; h < job->dl[i].hops; h++)
                evhttp_connection_free(job->dl[i].spent[h]);
            free(job->dl[i].next_url);
            if (job->dl[i].data)
                evbuffer_free(job->dl[i].data);
            free(job->dl[i].url);
        }
        free(job);
    }
}

static void
image_release_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    image_release(arg);
}

/* A client context that verifies peers against the system's store and
 * ca_file (PEM, may be NULL). */
static SSL_CTX *
image_tls_new(const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX *tls = SSL_CTX_new(TLS_client_method());
    if (!tls) {
        if (err)
            snprintf(err, errlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* a peer that just closes must not leave an error in the thread's
     * queue, where it would fail the next connection's handshake */
    SSL_CTX_set_options(tls, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    /* no system store is not fatal: ca_file may be all there is */
    if (SSL_CTX_set_default_verify_paths(tls) != 1)
        ERR_clear_error();
    if (ca_file && SSL_CTX_load_verify_locations(tls, ca_file, NULL) != 1) {
        unsigned long e = ERR_get_error();
        const char *why = e ? ERR_reason_error_string(e) : NULL;
        if (err)
            snprintf(err, errlen,
                     "image_fetch_ca_file %s: no PEM certificate loaded "
                     "(%s)",
                     ca_file, why ? why : "missing, unreadable or empty");
        ERR_clear_error();
        SSL_CTX_free(tls);
        return NULL;
    }
    return tls;
}

struct image_fetcher *
image_fetcher_new(struct event_base *base)
{
    struct image_fetcher *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->base = base;
    f->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!f->dns)
        f->dns = evdns_base_new(base, 0);
    f->release = event_new(base, -1, 0, image_release_cb, f);
    f->tls = image_tls_new(NULL, NULL, 0);
    if (!f->dns || !f->release || !f->tls) {
        image_fetcher_free(f);
        return NULL;
    }
    return f;
}

int
image_fetcher_set_ca_file(struct image_fetcher *f, const char *ca_file,
                          char *err, size_t errlen)
{
    if (ca_file && !*ca_file)
        ca_file = NULL;
    /* built anew even for the same path: a CA rotated or revoked by
     * rewriting the file must take effect on SIGHUP */
    SSL_CTX *tls = image_tls_new(ca_file, err, errlen);
    if (!tls)
        return -EINVAL;
    /* connections hold references of their own to the old context */
    SSL_CTX_free(f->tls);
    f->tls = tls;
    return 0;
}

void
image_fetcher_free(struct image_fetcher *f)
{
    if (!f)
        return;
    image_release(f);
    if (f->release)
        event_free(f->release);
    if (f->dns)
        evdns_base_free(f->dns, 0);
    SSL_CTX_free(f->tls);
    free(f);
}

size_t
image_base64(const unsigned char *in, size_t len, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v =
            (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* Ends the job: no callback of its downloads counts any more, and it is
 * freed from the loop, not from inside an evhttp callback. */
static void
image_job_end(struct image_job *job)
{
    struct image_fetcher *f = job->f;
    job->ended = 1;
    f->running -= job->n;
    if (job->timer) {
        event_free(job->timer);
        job->timer = NULL;
    }
    job->next = f->ended;
    f->ended = job;
    event_active(f->release, EV_TIMEOUT, 0);
}

static void
image_job_fail(struct image_job *job)
{
    image_done_fn done = job->done;
    void *arg = job->arg;
    char err[sizeof job->err];
    snprintf(err, sizeof err, "%s", job->err);
    image_job_end(job);
    done(arg, -EINVAL, err);
}

/* Every download arrived: each URL becomes a data: URI. */
static void
image_job_complete(struct image_job *job)
{
    for (size_t i = 0; i < job->n; i++) {
        struct image_dl *d = &job->dl[i];
        size_t len = evbuffer_get_length(d->data);
        const unsigned char *bytes = evbuffer_pullup(d->data, -1);
        size_t pre = strlen("data:;base64,") + strlen(d->ctype);
        char *uri = malloc(pre + 4 * ((len + 2) / 3) + 1);
        json_object *s = NULL;
        if (uri && (bytes || len == 0)) {
            snprintf(uri, pre + 1, "data:%s;base64,", d->ctype);
            image_base64(bytes, len, uri + pre);
            s = json_object_new_string(uri);
        }
        free(uri);
        if (!s || json_object_object_add(d->holder, d->key, s) != 0) {
            json_object_put(s);
            snprintf(job->err, sizeof job->err,
                     "out of memory converting image %s", d->url);
            image_job_fail(job);
            return;
        }
        /* the bytes are in the body now */
        evbuffer_drain(d->data, len);
    }
    image_done_fn done = job->done;
    void *arg = job->arg;
    image_job_end(job);
    done(arg, 0, NULL);
}

/* A 3xx answer: where it leads goes to d->next_url, or job->err says why
 * not. Returns -1 either way (its body is not read). */
static int
image_redirect(struct image_dl *d, int code, const char *location)
{
    struct image_job *job = d->job;
    char why[300];
    if (!location || !*location) {
        snprintf(job->err, sizeof job->err,
                 "image URL %s answered HTTP %d without a Location", d->url,
                 code);
        return -1;
    }
    if (d->hops == IMAGE_REDIRECT_MAX) {
        snprintf(job->err, sizeof job->err,
                 "image URL %s redirects more than %d times", d->url,
                 IMAGE_REDIRECT_MAX);
        return -1;
    }
    d->next_url = image_redirect_url(d->url, location, why, sizeof why);
    if (!d->next_url)
        snprintf(job->err, sizeof job->err, "image URL %s: %s", d->url, why);
    return -1;
}

static int
image_header_cb(struct evhttp_request *req, void *arg)
{
    struct image_dl *d = arg;
    struct image_job *job = d->job;
    if (job->ended)
        return -1;
    int code = evhttp_request_get_response_code(req);
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *ct = evhttp_find_header(h, "Content-Type");
    const char *cl = evhttp_find_header(h, "Content-Length");
    if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308)
        return image_redirect(d, code, evhttp_find_header(h, "Location"));
    if (code != 200) {
        snprintf(job->err, sizeof job->err,
                 "image URL %s answered HTTP %d, not 200", d->url, code);
        return -1;
    }
    if (!ct || strncasecmp(ct, "image/", 6) != 0) {
        snprintf(job->err, sizeof job->err,
                 "image URL %s is not an image (Content-Type %s)", d->url,
                 ct ? ct : "missing");
        return -1;
    }
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)ct[i]) && !strchr("/.+-_", ct[i])) {
            snprintf(job->err, sizeof job->err,
                     "image URL %s has a malformed Content-Type", d->url);
            return -1;
        }
    if (n >= sizeof d->ctype)
        n = sizeof d->ctype - 1;
    memcpy(d->ctype, ct, n);
    d->ctype[n] = '\0';
    if (cl && strtod(cl, NULL) > (double)job->max_bytes) {
        snprintf(job->err, sizeof job->err,
                 "image URL %s is larger than %zu bytes (Content-Length %s)",
                 d->url, job->max_bytes, cl);
        return -1;
    }
    return 0;
}

/* The first OpenSSL error of d's connection, if any, into err. */
static int
image_tls_error(struct image_dl *d, char *err, size_t errlen)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(d->conn);
    unsigned long e = bev ? bufferevent_get_openssl_error(bev) : 0;
    while (bev && bufferevent_get_openssl_error(bev) != 0)
        ; /* drain the rest so they do not linger */
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    if (!e)
        return 0;
    snprintf(err, errlen, "image URL %s: TLS failed (%s)", d->url,
             why ? why : "the connection ended during the handshake");
    return 1;
}

static void
image_error_cb(enum evhttp_request_error e, void *arg)
{
    struct image_dl *d = arg;
    d->failed = (int)e + 1;
}

static int image_dl_start(struct image_fetcher *f, struct image_dl *d,
                          char *err, size_t errlen);

/* The download goes on at the redirect's target, on a new connection
 * (it may be another host, or https); the job's timer still bounds it. */
static void
image_follow(struct image_dl *d)
{
    struct image_job *job = d->job;
    d->spent[d->hops++] = d->conn;
    d->conn = NULL;
    d->ssl = NULL;
    d->failed = 0;
    d->ctype[0] = '\0';
    free(d->url);
    d->url = d->next_url;
    d->next_url = NULL;
    if (image_dl_start(job->f, d, job->err, sizeof job->err) != 0)
        image_job_fail(job);
}

static void
image_done_cb(struct evhttp_request *req, void *arg)
{
    struct image_dl *d = arg;
    struct image_job *job = d->job;
    if (job->ended)
        return;
    if (d->next_url) {
        image_follow(d);
        return;
    }
    if (!req || evhttp_request_get_response_code(req) != 200 || !d->ctype[0]) {
        if (job->err[0])
            ; /* the header check said why */
        else if (d->failed == EVREQ_HTTP_DATA_TOO_LONG + 1)
            snprintf(job->err, sizeof job->err,
                     "image URL %s is larger than %zu bytes", d->url,
                     job->max_bytes);
        else if (d->failed == EVREQ_HTTP_TIMEOUT + 1)
            snprintf(job->err, sizeof job->err,
                     "image URL %s took longer than %g s", d->url,
                     job->timeout_s);
        else if (d->ssl && SSL_get_verify_result(d->ssl) != X509_V_OK)
            snprintf(
                job->err, sizeof job->err,
                "image URL %s: the server's certificate is refused (%s)",
                d->url,
                X509_verify_cert_error_string(SSL_get_verify_result(d->ssl)));
        else if (d->ssl && image_tls_error(d, job->err, sizeof job->err))
            ; /* the TLS layer said why */
        else
            snprintf(job->err, sizeof job->err,
                     "image URL %s cannot be fetched (no answer from its "
                     "server)",
                     d->url);
        ERR_clear_error(); /* nothing of this TLS failure may linger */
        image_job_fail(job);
        return;
    }
    evbuffer_add_buffer(d->data, evhttp_request_get_input_buffer(req));
    d->done = 1;
    if (--job->left == 0)
        image_job_complete(job);
}

static void
image_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct image_job *job = arg;
    (void)fd;
    (void)what;
    for (size_t i = 0; i < job->n; i++)
        if (!job->dl[i].done) {
            snprintf(job->err, sizeof job->err,
                     "image URL %s took longer than %g s", job->dl[i].url,
                     job->timeout_s);
            break;
        }
    image_job_fail(job);
}

/* Checks one URL; 1 = download it, 0 = inline already, -EINVAL. */
static int
image_url_kind(const char *url, char *err, size_t errlen)
{
    size_t n = strcspn(url, ":");
    if (strncasecmp(url, "data:", 5) == 0)
        return 0;
    if (url[n] != ':' || n == 0 || n > 16) {
        snprintf(err, errlen,
                 "image URL '%.200s' is neither a data: URI nor an http URL",
                 url);
        return -EINVAL;
    }
    if ((n == 4 && strncasecmp(url, "http", 4) == 0) ||
        (n == 5 && strncasecmp(url, "https", 5) == 0))
        return 1;
    snprintf(err, errlen,
             "image URL '%.200s': scheme '%.*s' is not allowed (http, https "
             "or a data: URI)",
             url, (int)n, url);
    return -EINVAL;
}

/* Calls visit with every image part's URL (the member `key` of holder),
 * in the message order; a part without a URL string is an error. Stops
 * at the first non-zero return of visit, which it returns. */
typedef int (*image_visit_fn)(void *arg, json_object *holder, const char *key,
                              const char *url, char *err, size_t errlen);

static int
image_walk(json_object *body, image_visit_fn visit, void *arg, char *err,
           size_t errlen)
{
    json_object *msgs, *content;
    if (!json_object_object_get_ex(body, "messages", &msgs) ||
        !json_object_is_type(msgs, json_type_array))
        return 0;
    for (size_t m = 0; m < json_object_array_length(msgs); m++) {
        json_object *msg = json_object_array_get_idx(msgs, m);
        if (!json_object_is_type(msg, json_type_object) ||
            !json_object_object_get_ex(msg, "content", &content) ||
            !json_object_is_type(content, json_type_array))
            continue;
        for (size_t p = 0; p < json_object_array_length(content); p++) {
            json_object *part = json_object_array_get_idx(content, p), *iu, *u;
            json_object *holder = part;
            const char *key = "image_url";
            if (!json_object_is_type(part, json_type_object) ||
                !json_object_object_get_ex(part, "image_url", &iu))
                continue;
            u = iu;
            if (json_object_is_type(iu, json_type_object)) {
                holder = iu;
                key = "url";
                if (!json_object_object_get_ex(iu, "url", &u))
                    u = NULL;
            }
            if (!u || !json_object_is_type(u, json_type_string)) {
                snprintf(err, errlen,
                         "messages[%zu].content[%zu].image_url needs a url "
                         "string",
                         m, p);
                return -EINVAL;
            }
            int rc =
                visit(arg, holder, key, json_object_get_string(u), err, errlen);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* One URL for image_scan: collected into the job when it is to be
 * downloaded. */
static int
image_scan_one(void *arg, json_object *holder, const char *key, const char *url,
               char *err, size_t errlen)
{
    struct image_job *job = arg;
    int k = image_url_kind(url, err, errlen);
    if (k <= 0)
        return k;
    if (job->n == IMAGE_FETCH_MAX_URLS) {
        snprintf(err, errlen,
                 "more than %d image URLs in one request; send "
                 "images inline as data: URIs",
                 IMAGE_FETCH_MAX_URLS);
        return -EINVAL;
    }
    struct image_dl *d = &job->dl[job->n++];
    d->job = job;
    d->holder = holder;
    d->key = key;
    d->url = strdup(url);
    d->data = evbuffer_new();
    if (!d->url || !d->data) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* Collects the parts to download into job (not started). */
static int
image_scan(struct image_job *job, json_object *body, char *err, size_t errlen)
{
    return image_walk(body, image_scan_one, job, err, errlen);
}

/* One URL for image_http_urls: counted when it is http(s), and then
 * made a one-pixel PNG when asked. */
struct image_count {
    size_t n;
    int stand_in;
};

static int
image_count_one(void *arg, json_object *holder, const char *key,
                const char *url, char *err, size_t errlen)
{
    static const char png[] =
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
        "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    struct image_count *c = arg;
    int k = image_url_kind(url, err, errlen);
    if (k <= 0)
        return k;
    c->n++;
    if (!c->stand_in)
        return 0;
    json_object *s = json_object_new_string(png);
    if (!s || json_object_object_add(holder, key, s) != 0) {
        json_object_put(s);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int
image_http_urls(json_object *body, int stand_in, char *err, size_t errlen)
{
    struct image_count c = {0, stand_in};
    int rc = image_walk(body, image_count_one, &c, err, errlen);
    return rc < 0 ? rc : (int)c.n;
}

/* An evhttp connection over TLS to host: SNI for names, the certificate
 * checked against the name or the address. */
static struct evhttp_connection *
image_tls_conn(struct image_fetcher *f, struct image_dl *d, const char *host,
               int port, char *err, size_t errlen)
{
    SSL *ssl = SSL_new(f->tls);
    struct in6_addr a6;
    struct in_addr a4;
    int literal = inet_pton(AF_INET, host, &a4) == 1 ||
                  inet_pton(AF_INET6, host, &a6) == 1;
    X509_VERIFY_PARAM *vp = ssl ? SSL_get0_param(ssl) : NULL;
    if (!ssl ||
        (literal ? X509_VERIFY_PARAM_set1_ip_asc(vp, host)
                 : X509_VERIFY_PARAM_set1_host(vp, host, 0)) != 1 ||
        (!literal && SSL_set_tlsext_host_name(ssl, host) != 1)) {
        snprintf(err, errlen, "out of memory");
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        f->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!bev) {
        snprintf(err, errlen, "out of memory");
        SSL_free(ssl);
        return NULL;
    }
    /* many servers close without close_notify; the length bounds the body */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    struct evhttp_connection *conn = evhttp_connection_base_bufferevent_new(
        f->base, f->dns, bev, host, (unsigned short)port);
    if (!conn) {
        snprintf(err, errlen, "out of memory");
        bufferevent_free(bev); /* frees ssl too */
        return NULL;
    }
    d->ssl = ssl;
    return conn;
}

static int
image_dl_start(struct image_fetcher *f, struct image_dl *d, char *err,
               size_t errlen)
{
    struct evhttp_uri *uri = evhttp_uri_parse(d->url);
    const char *bracketed = uri ? evhttp_uri_get_host(uri) : NULL;
    struct evhttp_request *req = NULL;
    char host[256], hostport[300], *path = NULL;
    int rc = -EINVAL;

    /* libevent keeps an IPv6 literal's brackets; connecting, TLS and the
     * Host header want it bare */
    size_t hlen = bracketed ? strlen(bracketed) : 0;
    if (hlen >= 2 && bracketed[0] == '[' && bracketed[hlen - 1] == ']') {
        bracketed++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof host) {
        snprintf(err, errlen, "image URL '%.200s' is malformed", d->url);
        goto out;
    }
    memcpy(host, bracketed, hlen);
    host[hlen] = '\0';
    const char *scheme = evhttp_uri_get_scheme(uri);
    int tls = scheme && strcasecmp(scheme, "https") == 0;
    int port = evhttp_uri_get_port(uri);
    if (port <= 0)
        port = tls ? 443 : 80;
    snprintf(hostport, sizeof hostport, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
             host, port);
    const char *p = evhttp_uri_get_path(uri);
    const char *qs = evhttp_uri_get_query(uri);
    size_t plen = (p && *p ? strlen(p) : 1) + (qs ? strlen(qs) + 1 : 0) + 1;
    path = malloc(plen);
    if (tls)
        d->conn = image_tls_conn(f, d, host, port, err, errlen);
    else
        d->conn = evhttp_connection_base_new(f->base, f->dns, host,
                                             (unsigned short)port);
    if (tls && !d->conn) {
        rc = -ENOMEM;
        goto out;
    }
    req = evhttp_request_new(image_done_cb, d);
    if (!path || !d->conn || !req) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    snprintf(path, plen, "%s%s%s", p && *p ? p : "/", qs ? "?" : "",
             qs ? qs : "");
    evhttp_connection_set_retries(d->conn, 0);
    evhttp_connection_set_max_body_size(d->conn, (ev_ssize_t)d->job->max_bytes);
    evhttp_connection_set_max_headers_size(d->conn, IMAGE_MAX_HEADERS);
    struct timeval tv = {
        (time_t)d->job->timeout_s,
        (suseconds_t)((d->job->timeout_s - (double)(time_t)d->job->timeout_s) *
                      1e6)};
    evhttp_connection_set_timeout_tv(d->conn, &tv);
    evhttp_request_set_header_cb(req, image_header_cb);
    evhttp_request_set_error_cb(req, image_error_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", hostport);
    evhttp_add_header(h, "User-Agent", "herd/" PACKAGE_VERSION);
    evhttp_add_header(h, "Accept", "image/*");
    if (evhttp_make_request(d->conn, req, EVHTTP_REQ_GET, path) != 0) {
        req = NULL; /* evhttp freed it */
        snprintf(err, errlen, "image URL '%.200s' cannot be requested", d->url);
        goto out;
    }
    req = NULL;
    rc = 0;
out:
    if (req)
        evhttp_request_free(req);
    free(path);
    if (uri)
        evhttp_uri_free(uri);
    return rc;
}

int
image_job_start(struct image_fetcher *f, json_object *body, size_t max_bytes,
                double timeout_s, image_done_fn done, void *arg,
                struct image_job **out, char *err, size_t errlen)
{
    struct image_job *job = calloc(1, sizeof *job);
    int rc;
    *out = NULL;
    if (!job) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    job->f = f;
    job->max_bytes = max_bytes;
    job->timeout_s = timeout_s;
    job->done = done;
    job->arg = arg;
    rc = image_scan(job, body, err, errlen);
    if (rc == 0 && job->n == 0) {
        image_job_end(job); /* nothing to fetch: freed from the loop */
        return 0;
    }
    if (rc == 0 && f->running + job->n > IMAGE_FETCH_MAX_RUNNING) {
        snprintf(err, errlen,
                 "too many image downloads at once (%d); try again shortly",
                 IMAGE_FETCH_MAX_RUNNING);
        rc = -EBUSY;
    }
    f->running += job->n; /* image_job_end takes them off again */
    if (rc == 0) {
        job->timer = evtimer_new(f->base, image_timeout_cb, job);
        struct timeval tv = {
            (time_t)timeout_s,
            (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
        if (!job->timer || evtimer_add(job->timer, &tv) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
        }
    }
    for (size_t i = 0; rc == 0 && i < job->n; i++)
        rc = image_dl_start(f, &job->dl[i], err, errlen);
    if (rc != 0) {
        image_job_end(job);
        return rc;
    }
    job->left = job->n;
    *out = job;
    return 0;
}

void
image_job_cancel(struct image_job *job)
{
    if (job && !job->ended)
        image_job_end(job);
}
