/* http_write_now: an evhttp reply is on the client's socket before the
 * handler returns to the loop, and evhttp still completes the request
 * (keep-alive goes on, Connection: close closes, the completion callback
 * runs), for whole replies and for chunked ones. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/http_util.h"
#include "tap.h"

static int client = -1, handled, completed, warnings;
static char seen[4096]; /* what the client could read inside the handler */

static void
on_log(int severity, const char *msg)
{
    if (severity >= EVENT_LOG_WARN) {
        warnings++;
        diag("libevent: %s", msg);
    }
}

static void
on_complete(struct evhttp_request *req, void *arg)
{
    (void)req;
    (void)arg;
    completed++;
}

/* Everything readable on the client socket right now, without waiting. */
static void
read_now(void)
{
    size_t n = strlen(seen);
    for (;;) {
        ssize_t r = recv(client, seen + n, sizeof seen - 1 - n, MSG_DONTWAIT);
        if (r == 0) {
            snprintf(seen + n, sizeof seen - n, "<EOF>");
            return;
        }
        if (r < 0)
            return;
        n += (size_t)r;
        seen[n] = '\0';
    }
}

static void
handler(struct evhttp_request *req, void *arg)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct evbuffer *body = evbuffer_new();
    (void)arg;
    int one = 1;
    handled++;
    seen[0] = '\0';
    /* as the router's client connections: no Nagle delay on small writes */
    setsockopt(bufferevent_getfd(evhttp_connection_get_bufferevent(conn)),
               IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    evhttp_request_set_on_complete_cb(req, on_complete, NULL);
    if (strcmp(evhttp_request_get_uri(req), "/chunked") == 0) {
        evhttp_send_reply_start(req, 200, "OK");
        evbuffer_add(body, "first", 5);
        evhttp_send_reply_chunk(req, body);
        http_write_now(req);
        read_now();
        evhttp_send_reply_end(req);
    } else {
        evbuffer_add(body, "hello", 5);
        evhttp_send_reply(req, 200, "OK", body);
    }
    http_write_now(req); /* last touch of req */
    read_now();
    evbuffer_free(body);
}

static void
request(struct event_base *base, const char *text)
{
    int before = handled;
    ok(send(client, text, strlen(text), 0) == (ssize_t)strlen(text),
       "request sent");
    for (int i = 0; i < 100 && handled == before; i++)
        event_base_loop(base, EVLOOP_ONCE);
    /* what evhttp does after the handler (nothing is left to write) */
    for (int i = 0; i < 3; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

int
main(void)
{
    event_set_log_callback(on_log);
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_gencb(http, handler, NULL);
    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    ok(bound != NULL, "server listens on loopback");
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&a,
                &alen);
    client = socket(AF_INET, SOCK_STREAM, 0);
    ok(connect(client, (struct sockaddr *)&a, alen) == 0, "client connects");

    request(base, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    like(seen, "HTTP/1.1 200 OK",
         "the reply is on the socket before the "
         "handler returns");
    like(seen, "\r\n\r\nhello", "with its body");
    is_int(completed, 1, "and evhttp completed the request");

    request(base, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    ok(handled == 2 && strstr(seen, "hello") != NULL,
       "the kept-alive connection serves a second request");
    is_int(completed, 2, "completed too");

    request(base, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
    like(seen, "Transfer-Encoding: chunked", "a chunked reply's head");
    like(seen, "5\r\nfirst\r\n", "its chunk, before the handler returns");
    like(seen, "\r\n0\r\n\r\n", "and its end");
    is_int(completed, 3, "completed");

    request(base, "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    is_str(seen, "", "a connection that closes is left to evhttp's pass");
    read_now();
    like(seen, "hello", "which answers");
    like(seen, "<EOF>", "and closes the connection, as asked");
    is_int(completed, 4, "completed");

    close(client);
    client = socket(AF_INET, SOCK_STREAM, 0);
    ok(connect(client, (struct sockaddr *)&a, alen) == 0, "a new client");
    request(base, "GET /d HTTP/1.0\r\nHost: x\r\n\r\n");
    is_str(seen, "", "so is an HTTP/1.0 one");
    read_now();
    ok(strstr(seen, "HTTP/1.0 200") && strstr(seen, "<EOF>"),
       "answered and closed: %s", seen);
    is_int(warnings, 0, "libevent had nothing to warn about");

    close(client);
    evhttp_free(http);
    event_base_free(base);
    return done_testing();
}
