/* sim_loadtest: opens N concurrent streaming /api/chat requests (one
 * connection each) on a loopback Ollama-protocol server and checks that
 * every one ends with 200 and a done:true line. Prints one summary line;
 * exits 0 only when all succeeded within the time limit.
 *
 *   sim_loadtest HOST PORT N MODEL [SECONDS [LOCAL_ADDRESS]]
 *
 * Client sockets are bound to LOCAL_ADDRESS (default 127.0.0.2, still
 * loopback): their 2,000 ports then never collide with a port that
 * another test is about to listen on at 127.0.0.1.
 */
#include "autoconfig.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct loadtest {
    struct event_base *base;
    int total, finished, succeeded, failed;
    long chunks;
    int first_errors; /* errors printed so far (bounded) */
};

struct loadtest_stream {
    struct loadtest *lt;
    struct evhttp_connection *conn;
    char tail[1024]; /* last bytes seen: the done line must be there */
    size_t tail_len;
    int index;
};

static void
loadtest_keep_tail(struct loadtest_stream *st, struct evbuffer *in)
{
    size_t n = evbuffer_get_length(in);
    while (n > 0) {
        char buf[sizeof st->tail];
        int got = evbuffer_remove(in, buf, sizeof buf);
        if (got <= 0)
            break;
        n -= (size_t)got;
        size_t keep = sizeof st->tail - 1;
        if ((size_t)got >= keep) {
            memcpy(st->tail, buf + got - keep, keep);
            st->tail_len = keep;
        } else {
            size_t old = st->tail_len + (size_t)got > keep ? keep - (size_t)got
                                                           : st->tail_len;
            memmove(st->tail, st->tail + st->tail_len - old, old);
            memcpy(st->tail + old, buf, (size_t)got);
            st->tail_len = old + (size_t)got;
        }
        st->tail[st->tail_len] = '\0';
    }
}

static void
loadtest_chunk_cb(struct evhttp_request *req, void *arg)
{
    struct loadtest_stream *st = arg;
    st->lt->chunks++;
    loadtest_keep_tail(st, evhttp_request_get_input_buffer(req));
}

static void
loadtest_done_cb(struct evhttp_request *req, void *arg)
{
    struct loadtest_stream *st = arg;
    struct loadtest *lt = st->lt;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (req)
        loadtest_keep_tail(st, evhttp_request_get_input_buffer(req));
    if (code == 200 && strstr(st->tail, "\"done\":true")) {
        lt->succeeded++;
    } else {
        lt->failed++;
        if (lt->first_errors++ < 5)
            fprintf(stderr, "stream %d: status %d, tail \"%s\"\n", st->index,
                    code, st->tail);
    }
    if (++lt->finished == lt->total)
        event_base_loopexit(lt->base, NULL);
}

static void
loadtest_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct loadtest *lt = arg;
    fprintf(stderr, "time limit reached with %d of %d streams finished\n",
            lt->finished, lt->total);
    event_base_loopexit(lt->base, NULL);
}

int
main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s HOST PORT N MODEL [SECONDS [LOCAL_ADDRESS]]\n",
                argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    int n = atoi(argv[3]);
    const char *model = argv[4];
    int limit = argc > 5 ? atoi(argv[5]) : 120;
    const char *local = argc > 6 ? argv[6] : "127.0.0.2";
    if (port <= 0 || port > 65535 || n <= 0 || n > 60000 || limit <= 0) {
        fprintf(stderr, "%s: bad PORT, N or SECONDS\n", argv[0]);
        return 2;
    }
    struct loadtest lt = {0};
    lt.base = event_base_new();
    lt.total = n;
    struct loadtest_stream *streams = calloc((size_t)n, sizeof *streams);
    char body[512];
    snprintf(body, sizeof body,
             "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
             "\"content\":\"load test\"}]}",
             model);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        struct loadtest_stream *st = &streams[i];
        st->lt = &lt;
        st->index = i;
        st->conn = evhttp_connection_base_new(lt.base, NULL, host,
                                              (unsigned short)port);
        evhttp_connection_set_timeout(st->conn, limit);
        if (*local)
            evhttp_connection_set_local_address(st->conn, local);
        struct evhttp_request *req = evhttp_request_new(loadtest_done_cb, st);
        evhttp_request_set_chunked_cb(req, loadtest_chunk_cb);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Host", host);
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
        if (evhttp_make_request(st->conn, req, EVHTTP_REQ_POST, "/api/chat")) {
            lt.failed++;
            lt.finished++;
        }
    }
    struct event *timeout = evtimer_new(lt.base, loadtest_timeout_cb, &lt);
    struct timeval tv = {limit, 0};
    evtimer_add(timeout, &tv);
    if (lt.finished < lt.total)
        event_base_dispatch(lt.base);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("streams %d succeeded %d failed %d unfinished %d chunks %ld "
           "seconds %.2f\n",
           n, lt.succeeded, lt.failed, n - lt.finished, lt.chunks, secs);
    for (int i = 0; i < n; i++)
        evhttp_connection_free(streams[i].conn);
    free(streams);
    event_free(timeout);
    event_base_free(lt.base);
    return lt.succeeded == n ? 0 : 1;
}
