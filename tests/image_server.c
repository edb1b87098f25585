/* A loopback HTTP server for the image URL tests: it serves one image file
 * in the ways a remote server may (plain, chunked, oversized, slow, not an
 * image, missing) and stands in for a node's OpenAI endpoint, writing each
 * body it receives to a file so the test sees what the router forwarded.
 * Its /api/generate is a node whose non-streamed answer never ends in
 * time: 64 KiB every 50 ms for 10 s; the record file then says how many
 * pieces went out before the router closed the connection. /api/embed
 * and /api/embeddings answer 400 and 500 with a 100 KB error.
 * /moved?to=URL[&code=N] redirects (302 by default) to URL, /moved with
 * no `to` answers 302 without a Location, and /hops/N redirects to
 * /hops/N-1, /hops/1 to /img.png (N redirects in all).
 *
 *   image_server --file IMAGE --record FILE [--host ADDR] [--port N]
 *                [--cert PEM --key PEM]
 *
 * With --cert and --key it speaks https (for the router's TLS checks).
 * Prints "listening on ADDR:PORT" once it accepts connections (ADDR
 * 127.0.0.1 unless --host says otherwise, ::1 say). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct evbuffer *srv_image;
static const char *srv_record;
static SSL_CTX *srv_tls;

/* Each accepted connection speaks TLS. */
static struct bufferevent *
srv_tls_bev(struct event_base *base, void *arg)
{
    (void)arg;
    SSL *ssl = SSL_new(srv_tls);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(base, -1, ssl,
                                             BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE)
            : NULL;
    if (!bev)
        SSL_free(ssl);
    else /* the router may close without close_notify */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

/* ?bytes=N of the request, or def. */
static size_t
srv_bytes(struct evhttp_request *req, size_t def)
{
    struct evkeyvalq q;
    const char *query =
        evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    size_t n = def;
    if (query && evhttp_parse_query_str(query, &q) == 0) {
        const char *v = evhttp_find_header(&q, "bytes");
        if (v)
            n = (size_t)strtoull(v, NULL, 10);
        evhttp_clear_headers(&q);
    }
    return n;
}

static void
srv_reply(struct evhttp_request *req, int code, const char *ctype,
          const void *data, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, data, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      ctype);
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Not Found", b);
    evbuffer_free(b);
}

/* n bytes of the image (repeated), chunked, so that only the data can
 * tell the client how big it is. */
static void
srv_chunked(struct evhttp_request *req, size_t n)
{
    size_t have = evbuffer_get_length(srv_image);
    const unsigned char *img = evbuffer_pullup(srv_image, -1);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "image/png");
    evhttp_send_reply_start(req, 200, "OK");
    while (n > 0) {
        struct evbuffer *b = evbuffer_new();
        size_t k = n < have ? n : have;
        evbuffer_add(b, img, k);
        evhttp_send_reply_chunk(req, b);
        evbuffer_free(b);
        n -= k;
    }
    evhttp_send_reply_end(req);
}

static void
srv_record_body(struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    FILE *f = fopen(srv_record, "w");
    static const char answer[] =
        "{\"model\":\"llava:7b\",\"created_at\":\"2026-01-01T00:00:00Z\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"recorded\"},"
        "\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1,"
        "\"load_duration\":0,\"prompt_eval_count\":1,"
        "\"prompt_eval_duration\":1,\"eval_count\":1,\"eval_duration\":1}";
    if (!f) {
        srv_reply(req, 500, "text/plain", "cannot record", 13);
        return;
    }
    fwrite(evbuffer_pullup(in, -1), 1, evbuffer_get_length(in), f);
    fclose(f);
    srv_reply(req, 200, "application/json", answer, sizeof answer - 1);
}

/* The endless answer: one at a time. */
#define SRV_PIECE 65536
#define SRV_PIECES 200
static struct {
    struct evhttp_request *req;
    struct event *tick;
    int sent;
} srv_drip;

static void
srv_drip_done(const char *how)
{
    FILE *f = fopen(srv_record, "w");
    if (f) {
        fprintf(f, "%s after %d pieces\n", how, srv_drip.sent);
        fclose(f);
    }
    event_free(srv_drip.tick);
    srv_drip.tick = NULL;
    srv_drip.req = NULL;
}

static void
srv_drip_closed(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    (void)arg;
    if (srv_drip.req)
        srv_drip_done("closed");
}

static void
srv_drip_tick(evutil_socket_t fd, short what, void *arg)
{
    static char piece[SRV_PIECE];
    (void)fd;
    (void)what;
    (void)arg;
    if (srv_drip.sent == 0) /* the answer's opening, then filler */
        memset(piece, 'x', sizeof piece);
    struct evbuffer *b = evbuffer_new();
    if (srv_drip.sent == 0)
        evbuffer_add_printf(b, "{\"model\":\"llava:7b\",\"response\":\"");
    evbuffer_add(b, piece, sizeof piece);
    evhttp_send_reply_chunk(srv_drip.req, b);
    evbuffer_free(b);
    if (++srv_drip.sent < SRV_PIECES)
        return;
    struct evhttp_request *req = srv_drip.req;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL,
                                  NULL);
    srv_drip_done("completed");
    evhttp_send_reply_end(req);
}

static void
srv_drip_start(struct evhttp_request *req)
{
    static const struct timeval every = {0, 50000};
    if (srv_drip.req) {
        srv_reply(req, 503, "text/plain", "busy", 4);
        return;
    }
    struct event_base *base =
        evhttp_connection_get_base(evhttp_request_get_connection(req));
    srv_drip.tick = event_new(base, -1, EV_PERSIST, srv_drip_tick, NULL);
    if (!srv_drip.tick) {
        srv_reply(req, 500, "text/plain", "no memory", 9);
        return;
    }
    srv_drip.req = req;
    srv_drip.sent = 0;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                  srv_drip_closed, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evhttp_send_reply_start(req, 200, "OK");
    event_add(srv_drip.tick, &every);
}

/* An error answer with a 100 KB message. */
static void
srv_big_error(struct evhttp_request *req, int code)
{
    static char body[100 * 1000];
    size_t n = sizeof body;
    memcpy(body, "{\"error\":\"", 10);
    memset(body + 10, 'e', n - 12);
    memcpy(body + n - 2, "\"}", 2);
    srv_reply(req, code, "application/json", body, n);
}

/* The redirects of the header comment. */
static void
srv_redirect(struct evhttp_request *req, const char *path)
{
    struct evkeyvalq q;
    const char *query =
        evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    char loc[600] = "";
    int code = 302;
    if (strncmp(path, "/hops/", 6) == 0) {
        int n = atoi(path + 6);
        if (n > 1)
            snprintf(loc, sizeof loc, "/hops/%d", n - 1);
        else
            snprintf(loc, sizeof loc, "/img.png");
    } else if (query && evhttp_parse_query_str(query, &q) == 0) {
        const char *to = evhttp_find_header(&q, "to");
        const char *c = evhttp_find_header(&q, "code");
        if (to)
            snprintf(loc, sizeof loc, "%s", to);
        if (c)
            code = atoi(c);
        evhttp_clear_headers(&q);
    }
    if (loc[0])
        evhttp_add_header(out, "Location", loc);
    srv_reply(req, code, "text/plain", "moved", 5);
}

static void
srv_cb(struct evhttp_request *req, void *arg)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    size_t have = evbuffer_get_length(srv_image);
    (void)arg;
    if (!path)
        path = "/";
    if (strcmp(path, "/api/chat") == 0)
        srv_record_body(req);
    else if (strcmp(path, "/api/generate") == 0)
        srv_drip_start(req);
    else if (strcmp(path, "/api/embed") == 0)
        srv_big_error(req, 400);
    else if (strcmp(path, "/api/embeddings") == 0)
        srv_big_error(req, 500);
    else if (strcmp(path, "/img.png") == 0)
        srv_reply(req, 200, "image/png", evbuffer_pullup(srv_image, -1), have);
    else if (strcmp(path, "/img") == 0) /* a type with parameters */
        srv_reply(req, 200, "image/jpeg; charset=binary",
                  evbuffer_pullup(srv_image, -1), have);
    else if (strcmp(path, "/chunked.png") == 0)
        srv_chunked(req, srv_bytes(req, have));
    else if (strcmp(path, "/announced.png") == 0) {
        /* announces ?bytes=N, sends the image: refused on the header */
        char len[32];
        snprintf(len, sizeof len, "%zu", srv_bytes(req, have));
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Length", len);
        srv_reply(req, 200, "image/png", evbuffer_pullup(srv_image, -1), have);
    } else if (strcmp(path, "/page.html") == 0)
        srv_reply(req, 200, "text/html", "<html></html>", 13);
    else if (strcmp(path, "/moved") == 0 || strncmp(path, "/hops/", 6) == 0)
        srv_redirect(req, path);
    else if (strcmp(path, "/slow.png") == 0)
        ; /* never answered; evhttp frees it with the connection */
    else
        srv_reply(req, 404, "text/plain", "not found", 9);
}

static int
srv_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[4096];
    size_t n;
    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        evbuffer_add(srv_image, buf, n);
    fclose(f);
    return evbuffer_get_length(srv_image) > 0 ? 0 : -1;
}

static void
srv_stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
    const char *file = NULL, *cert = NULL, *key = NULL, *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--file") == 0)
            file = argv[i + 1];
        else if (strcmp(argv[i], "--record") == 0)
            srv_record = argv[i + 1];
        else if (strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--cert") == 0)
            cert = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            key = argv[i + 1];
    }
    if (!file || !srv_record) {
        fprintf(stderr, "usage: image_server --file IMAGE --record FILE "
                        "[--host ADDR] [--port N] [--cert PEM --key PEM]\n");
        return 2;
    }
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    srv_image = evbuffer_new();
    if (!base || !http || !srv_image || srv_load(file) != 0) {
        fprintf(stderr, "image_server: cannot start (is %s readable?)\n", file);
        return 1;
    }
    if (cert || key) {
        srv_tls = SSL_CTX_new(TLS_server_method());
        if (!srv_tls || !cert || !key ||
            SSL_CTX_use_certificate_chain_file(srv_tls, cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(srv_tls, key, SSL_FILETYPE_PEM) != 1) {
            fprintf(stderr, "image_server: cannot use --cert/--key\n");
            return 1;
        }
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
        SSL_CTX_set_options(srv_tls, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
        evhttp_set_bevcb(http, srv_tls_bev, NULL);
    }
    struct evhttp_bound_socket *s =
        evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port);
    if (!s) {
        fprintf(stderr, "image_server: cannot listen on port %d (in use?)\n",
                port);
        return 1;
    }
    struct sockaddr_storage ss;
    ev_socklen_t len = sizeof ss;
    getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&ss, &len);
    evhttp_set_gencb(http, srv_cb, NULL);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    struct event *term = evsignal_new(base, SIGTERM, srv_stop_cb, base);
    struct event *intr = evsignal_new(base, SIGINT, srv_stop_cb, base);
    event_add(term, NULL);
    event_add(intr, NULL);
    printf("listening on %s:%d\n", host,
           ntohs(ss.ss_family == AF_INET6
                     ? ((struct sockaddr_in6 *)&ss)->sin6_port
                     : ((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);
    event_base_dispatch(base);
    event_free(term);
    event_free(intr);
    evhttp_free(http);
    evbuffer_free(srv_image);
    event_base_free(base);
    SSL_CTX_free(srv_tls);
    return 0;
}
