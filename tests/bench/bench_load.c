/* bench_load: the one load generator of the benchmarks (direct, nginx and
 * herd all see the same client). libevent, keep-alive connections pooled
 * per target, every request timed from its scheduled start (an open loop
 * does not hide queueing), first chunk and gaps between chunks recorded,
 * and each Ollama chunk's delay: arrival minus the created_at its server
 * stamped on it (same machine, same clock), the relay delay per chunk.
 *
 *   bench_load [OPTIONS] HOST:PORT...
 *     --schedule FILE   open loop: lines "OFFSET_MS TAG PATH BODY"
 *     --closed N        closed loop: N connections send --path/--body back
 *                       to back for --duration seconds (saturation)
 *     --alternate N     one request at a time on one keep-alive connection
 *                       per target, taking the targets in turn (each round
 *                       starts one further), until every target answered
 *                       N or --duration is over: the cost of each path,
 *                       measured interleaved so drift hits all alike
 *     --warmup K        --alternate: K rounds first, not recorded (20)
 *     --path P --body JSON --duration S
 *     --timeout S       per-request inactivity timeout (60)
 *     --limit S         the whole run stops after S seconds (600)
 *     --max-conns N     connections at most; later requests wait (10000)
 *     --out FILE        one TSV line per request (see bench_out_header)
 *
 * Prints one JSON summary line; exits 0 when the run finished in time. */
#include "autoconfig.h"

#define _GNU_SOURCE /* memmem, timegm */

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_TARGETS 64
#define BENCH_MAX_REQUESTS 1000000 /* schedule lines */
#define BENCH_MAX_CLOSED 400000    /* closed-loop requests recorded */
#define BENCH_MAX_GAPS 4000000
#define BENCH_MAX_BODY (1024 * 1024)
#define BENCH_TAIL 128

struct bench_target {
    char host[64];
    unsigned short port;
    char label[72]; /* HOST:PORT, the tag of --alternate requests */
};

struct bench_conn {
    struct evhttp_connection *evcon;
    int target;
    struct bench_conn *next_idle;
};

struct bench;

struct bench_req {
    struct bench *b;
    double sched; /* seconds since start */
    double sent, first, done;
    char *tag, *path, *body; /* borrowed from the schedule text */
    int status, chunks, target;
    int warmup; /* --alternate: sent to warm the path, not recorded */
    double gap_sum, gap_max, last_chunk;
    char node[64];
    char tail[BENCH_TAIL];
    size_t tail_len;
    struct bench_conn *conn;
    struct bench_req *next_wait;
};

struct bench {
    struct event_base *base;
    struct bench_target targets[BENCH_MAX_TARGETS];
    int ntargets, next_target;
    double t0, timeout, limit;
    int max_conns, nconns;
    struct bench_conn **conns; /* all, freed at the end */
    struct bench_conn *idle[BENCH_MAX_TARGETS];
    struct bench_req *wait_head, *wait_tail;
    /* open loop */
    struct bench_req *reqs;
    size_t nreqs, next_sched, finished;
    struct event *tick;
    /* closed loop */
    int closed;
    double duration;
    const char *path, *body;
    size_t closed_active;
    /* alternate: requests per target, rounds to discard, progress */
    size_t alternate, warmup, round, turn;
    struct bench_req warm; /* the one warm-up request in flight */
    /* per chunk: arrival minus the created_at the server stamped on it,
     * and the target it came from */
    double *delays;
    unsigned char *delay_target;
    size_t ndelays;
    int timed_out;
};

static double
bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
bench_elapsed(const struct bench *b)
{
    return bench_now() - b->t0;
}

static struct bench_conn *
bench_conn_get(struct bench *b, int target)
{
    struct bench_conn *c = b->idle[target];
    if (c) {
        b->idle[target] = c->next_idle;
        return c;
    }
    if (b->nconns >= b->max_conns)
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->target = target;
    c->evcon = evhttp_connection_base_new(
        b->base, NULL, b->targets[target].host, b->targets[target].port);
    if (!c->evcon) {
        free(c);
        return NULL;
    }
    evhttp_connection_set_timeout(c->evcon, (int)b->timeout);
    b->conns[b->nconns++] = c;
    return c;
}

static void
bench_keep_tail(struct bench_req *r, struct evbuffer *in)
{
    size_t n = evbuffer_get_length(in);
    size_t keep = sizeof r->tail - 1;
    if (n >= keep) {
        evbuffer_drain(in, n - keep);
        r->tail_len = 0;
        n = keep;
    }
    if (r->tail_len + n > keep) {
        size_t drop = r->tail_len + n - keep;
        memmove(r->tail, r->tail + drop, r->tail_len - drop);
        r->tail_len -= drop;
    }
    evbuffer_remove(in, r->tail + r->tail_len, n);
    r->tail_len += n;
    r->tail[r->tail_len] = '\0';
}

/* created_at of an Ollama chunk ("2026-01-02T03:04:05.123456789Z", UTC)
 * as epoch seconds; 0 when the chunk has none. */
static double
bench_created_at(struct evbuffer *in)
{
    static const char key[] = "\"created_at\":\"";
    size_t len = evbuffer_get_length(in);
    const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
    const char *p = NULL;
    for (const char *q = data; q && (size_t)(q - data) < len;) {
        q = memmem(q, len - (size_t)(q - data), key, sizeof key - 1);
        if (!q)
            break;
        p = q + sizeof key - 1;
        q = p;
    }
    struct tm tm = {0};
    int frac_start = 0;
    if (!p || (size_t)(data + len - p) < 20 ||
        sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
               &frac_start) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double t = (double)timegm(&tm), scale = 0.1;
    for (p += frac_start; *p == '.' || (*p >= '0' && *p <= '9'); p++) {
        if (*p == '.')
            continue;
        t += (*p - '0') * scale;
        scale /= 10;
    }
    return t;
}

static double
bench_wallclock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_chunk_cb(struct evhttp_request *req, void *arg)
{
    struct bench_req *r = arg;
    double t = bench_now();
    struct bench *b = r->b;
    double created = bench_created_at(evhttp_request_get_input_buffer(req));
    if (created > 0 && !r->warmup && b->ndelays < BENCH_MAX_GAPS) {
        b->delay_target[b->ndelays] = (unsigned char)r->target;
        b->delays[b->ndelays++] = bench_wallclock() - created;
    }
    if (r->chunks == 0) {
        r->first = t;
    } else {
        double gap = t - r->last_chunk;
        r->gap_sum += gap;
        if (gap > r->gap_max)
            r->gap_max = gap;
    }
    r->last_chunk = t;
    r->chunks++;
    bench_keep_tail(r, evhttp_request_get_input_buffer(req));
}

static void bench_send(struct bench *b, struct bench_req *r);
static void bench_closed_next(struct bench *b, struct bench_conn *c);
static void bench_alternate_next(struct bench *b);

static void
bench_done_cb(struct evhttp_request *req, void *arg)
{
    struct bench_req *r = arg;
    struct bench *b = r->b;
    struct bench_conn *c = r->conn;

    r->done = bench_now();
    r->status = req ? evhttp_request_get_response_code(req) : 0;
    if (req) {
        const char *node = evhttp_find_header(
            evhttp_request_get_input_headers(req), "X-Fleet-Node");
        if (!node)
            node = evhttp_find_header(evhttp_request_get_input_headers(req),
                                      "X-Bench-Upstream");
        if (node)
            snprintf(r->node, sizeof r->node, "%s", node);
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        if (evbuffer_get_length(in) > 0) {
            if (r->chunks == 0)
                r->first = r->done;
            bench_keep_tail(r, in);
        }
    }
    if (r->chunks == 0 && r->first == 0)
        r->first = r->done;
    if (!r->node[0])
        snprintf(r->node, sizeof r->node, "%s:%u", b->targets[c->target].host,
                 b->targets[c->target].port);
    if (!r->warmup)
        b->finished++;

    if (b->alternate) {
        bench_alternate_next(b);
        return;
    }
    if (b->closed) {
        bench_closed_next(b, c);
        return;
    }
    /* the connection goes back to the pool, or to a waiting request */
    if (b->wait_head) {
        struct bench_req *w = b->wait_head;
        b->wait_head = w->next_wait;
        if (!b->wait_head)
            b->wait_tail = NULL;
        w->target = c->target;
        w->conn = c;
        bench_send(b, w);
    } else {
        c->next_idle = b->idle[c->target];
        b->idle[c->target] = c;
    }
    if (b->finished == b->nreqs)
        event_base_loopexit(b->base, NULL);
}

static void
bench_send(struct bench *b, struct bench_req *r)
{
    struct evhttp_request *req = evhttp_request_new(bench_done_cb, r);
    r->b = b;
    if (!req) {
        fprintf(stderr, "bench_load: out of memory\n");
        event_base_loopbreak(b->base);
        return;
    }
    r->sent = bench_now();
    evhttp_request_set_chunked_cb(req, bench_chunk_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", b->targets[r->conn->target].host);
    evhttp_add_header(h, "Content-Type", "application/json");
    evbuffer_add(evhttp_request_get_output_buffer(req), r->body,
                 strlen(r->body));
    /* a failure here (no socket) is a failed request; libevent does not
     * call back for it */
    if (evhttp_make_request(r->conn->evcon, req, EVHTTP_REQ_POST, r->path))
        bench_done_cb(NULL, r);
}

/* Open loop: every request due by now goes out. */
static void
bench_dispatch(struct bench *b, struct bench_req *r)
{
    int t = b->next_target;
    b->next_target = (b->next_target + 1) % b->ntargets;
    r->target = t;
    r->conn = bench_conn_get(b, t);
    if (r->conn) {
        bench_send(b, r);
        return;
    }
    if (b->wait_tail)
        b->wait_tail->next_wait = r;
    else
        b->wait_head = r;
    b->wait_tail = r;
}

static void
bench_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct bench *b = arg;
    double now = bench_elapsed(b);
    (void)fd;
    (void)what;
    while (b->next_sched < b->nreqs && b->reqs[b->next_sched].sched <= now)
        bench_dispatch(b, &b->reqs[b->next_sched++]);
    if (b->next_sched < b->nreqs) {
        double wait = b->reqs[b->next_sched].sched - now;
        struct timeval tv = {(time_t)wait,
                             (suseconds_t)((wait - (time_t)wait) * 1e6)};
        evtimer_add(b->tick, &tv);
    }
}

/* Closed loop: the connection sends again until the duration is over. */
static void
bench_closed_next(struct bench *b, struct bench_conn *c)
{
    if (bench_elapsed(b) >= b->duration || b->nreqs >= BENCH_MAX_CLOSED) {
        if (--b->closed_active == 0)
            event_base_loopexit(b->base, NULL);
        return;
    }
    struct bench_req *r = &b->reqs[b->nreqs++];
    memset(r, 0, sizeof *r);
    r->sched = bench_elapsed(b);
    r->tag = (char *)"closed";
    r->path = (char *)b->path;
    r->body = (char *)b->body;
    r->target = c->target;
    r->conn = c;
    bench_send(b, r);
}

/* Alternate: the next target in this round, or the first of the next
 * round; each round starts one target further, so no path always follows
 * the same one. Returns when every target has its N or time is up. */
static void
bench_alternate_next(struct bench *b)
{
    size_t nt = (size_t)b->ntargets;
    if (++b->turn == nt) {
        b->turn = 0;
        b->round++;
    }
    int warm = b->round < b->warmup;
    if ((!warm && bench_elapsed(b) >= b->duration) ||
        b->nreqs >= b->alternate * nt) {
        event_base_loopexit(b->base, NULL);
        return;
    }
    int t = (int)((b->round + b->turn) % nt);
    struct bench_req *r = warm ? &b->warm : &b->reqs[b->nreqs++];
    memset(r, 0, sizeof *r);
    r->warmup = warm;
    r->sched = bench_elapsed(b);
    r->tag = b->targets[t].label;
    r->path = (char *)b->path;
    r->body = (char *)b->body;
    r->target = t;
    r->conn = b->conns[t];
    bench_send(b, r);
}

static void
bench_limit_cb(evutil_socket_t fd, short what, void *arg)
{
    struct bench *b = arg;
    (void)fd;
    (void)what;
    fprintf(stderr, "bench_load: time limit reached, %zu of %zu finished\n",
            b->finished, b->nreqs);
    b->timed_out = 1;
    event_base_loopbreak(b->base);
}

/* Reads the schedule; text stays allocated for the borrowed pointers. */
static int
bench_read_schedule(struct bench *b, const char *file, char **text)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bench_load: %s: %s\n", file, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0, lines = 0;
    char *buf = NULL;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    if (!buf)
        return -1;
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    lines++;
    if (lines > BENCH_MAX_REQUESTS) {
        fprintf(stderr, "bench_load: %s: more than %d lines\n", file,
                BENCH_MAX_REQUESTS);
        free(buf);
        return -1;
    }
    b->reqs = calloc(lines, sizeof *b->reqs);
    if (!b->reqs) {
        free(buf);
        return -1;
    }
    double last = 0;
    size_t lineno = 0;
    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        struct bench_req *r = &b->reqs[b->nreqs];
        char *end;
        double ms = strtod(line, &end);
        char *tag = end + strspn(end, " ");
        char *path = strchr(tag, ' ');
        char *body = path ? strchr(path + 1, ' ') : NULL;
        if (end == line || ms < last || !body || path[1] != '/') {
            fprintf(stderr,
                    "bench_load: %s:%zu: want OFFSET_MS TAG PATH BODY with "
                    "offsets in order\n",
                    file, lineno);
            free(buf);
            return -1;
        }
        *path++ = '\0';
        *body++ = '\0';
        r->sched = ms / 1000.0;
        r->tag = tag;
        r->path = path;
        r->body = body;
        last = ms;
        b->nreqs++;
    }
    *text = buf;
    return 0;
}

static int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile of sorted v[0..n-1] (nearest rank). */
static double
bench_pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static int
bench_req_ok(const struct bench_req *r)
{
    return r->status == 200 && r->done > 0 && !strstr(r->tail, "{\"error\"");
}

static void
bench_out_line(const struct bench *b, const struct bench_req *r, FILE *out)
{
    fprintf(out, "%s\t%.3f\t%.3f\t%d\t%d\t%.3f\t%.3f\t%d\t%.3f\t%.3f\t%s\n",
            r->tag, r->sched * 1e3, (r->sent - b->t0 - r->sched) * 1e3,
            r->status, bench_req_ok(r),
            r->first > 0 ? (r->first - b->t0 - r->sched) * 1e3 : -1,
            r->done > 0 ? (r->done - b->t0 - r->sched) * 1e3 : -1, r->chunks,
            r->chunks > 1 ? r->gap_sum / (r->chunks - 1) * 1e3 : 0,
            r->gap_max * 1e3, r->node);
}

/* One JSON line over the requests sent to target (all when -1). */
static void
bench_summary(struct bench *b, int target, double seconds)
{
    size_t n = 0, ok = 0, nl = 0, ng = 0, nd = 0;
    double *lat = calloc(b->nreqs + 1, sizeof *lat);
    double *ttf = calloc(b->nreqs + 1, sizeof *ttf);
    /* per-request mean gap: each stream weighs the same */
    double *gaps = calloc(b->nreqs + 1, sizeof *gaps);
    double *delays = calloc(b->ndelays + 1, sizeof *delays);
    double lsum = 0, tsum = 0, gsum = 0, dsum = 0;
    if (!lat || !ttf || !gaps || !delays)
        goto out;
    for (size_t i = 0; i < b->nreqs; i++) {
        const struct bench_req *r = &b->reqs[i];
        if (target >= 0 && r->target != target)
            continue;
        n++;
        if (r->chunks > 1 && r->done > 0)
            gaps[ng++] = r->gap_sum / (r->chunks - 1);
        if (!bench_req_ok(r))
            continue;
        ok++;
        lat[nl] = (r->done - b->t0 - r->sched) * 1e3;
        ttf[nl] = (r->first - b->t0 - r->sched) * 1e3;
        lsum += lat[nl];
        tsum += ttf[nl];
        nl++;
    }
    for (size_t i = 0; i < b->ndelays; i++)
        if (target < 0 || b->delay_target[i] == target)
            dsum += delays[nd++] = b->delays[i];
    for (size_t i = 0; i < ng; i++)
        gsum += gaps[i];
    qsort(lat, nl, sizeof *lat, bench_cmp_double);
    qsort(ttf, nl, sizeof *ttf, bench_cmp_double);
    qsort(gaps, ng, sizeof *gaps, bench_cmp_double);
    qsort(delays, nd, sizeof *delays, bench_cmp_double);
    double d = nl ? (double)nl : 1;
    double g = ng ? (double)ng : 1;
    if (target >= 0)
        printf("{\"target\":\"%s\",", b->targets[target].label);
    else
        printf("{");
    printf("\"requests\":%zu,\"ok\":%zu,\"failed\":%zu,\"seconds\":%.3f,"
           "\"rps\":%.1f,\"lat_mean\":%.3f,\"lat_p50\":%.3f,\"lat_p95\":%.3f,"
           "\"lat_p99\":%.3f,\"ttfc_mean\":%.3f,\"ttfc_p50\":%.3f,"
           "\"ttfc_p95\":%.3f,\"ttfc_p99\":%.3f,\"gap_mean\":%.4f,"
           "\"gap_p50\":%.4f,\"gap_p99\":%.4f,\"delay_chunks\":%zu,"
           "\"delay_mean\":%.4f,\"delay_p50\":%.4f,\"delay_p99\":%.4f,"
           "\"timed_out\":%s}\n",
           n, ok, n - ok, seconds, seconds > 0 ? (double)ok / seconds : 0,
           lsum / d, bench_pct(lat, nl, 50), bench_pct(lat, nl, 95),
           bench_pct(lat, nl, 99), tsum / d, bench_pct(ttf, nl, 50),
           bench_pct(ttf, nl, 95), bench_pct(ttf, nl, 99), gsum / g * 1e3,
           bench_pct(gaps, ng, 50) * 1e3, bench_pct(gaps, ng, 99) * 1e3, nd,
           nd ? dsum / (double)nd * 1e3 : 0, bench_pct(delays, nd, 50) * 1e3,
           bench_pct(delays, nd, 99) * 1e3, b->timed_out ? "true" : "false");
out:
    free(lat);
    free(ttf);
    free(gaps);
    free(delays);
}

static int
bench_parse_target(struct bench *b, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == arg || (size_t)(colon - arg) >= 64 || *end ||
        port <= 0 || port > 65535 || b->ntargets == BENCH_MAX_TARGETS) {
        fprintf(stderr, "bench_load: bad target '%s' (want HOST:PORT)\n", arg);
        return -1;
    }
    struct bench_target *t = &b->targets[b->ntargets++];
    memcpy(t->host, arg, (size_t)(colon - arg));
    t->host[colon - arg] = '\0';
    t->port = (unsigned short)port;
    snprintf(t->label, sizeof t->label, "%.*s:%ld", (int)(colon - arg), arg,
             port);
    return 0;
}

static int
bench_positive(const char *opt, const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d > 0) || d > 1e7) {
        fprintf(stderr, "bench_load: %s wants a positive number, not '%s'\n",
                opt, v);
        return -1;
    }
    *out = d;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"schedule", required_argument, 0, 's'},
        {"closed", required_argument, 0, 'c'},
        {"alternate", required_argument, 0, 'a'},
        {"warmup", required_argument, 0, 'w'},
        {"path", required_argument, 0, 'p'},
        {"body", required_argument, 0, 'b'},
        {"duration", required_argument, 0, 'd'},
        {"timeout", required_argument, 0, 't'},
        {"limit", required_argument, 0, 'l'},
        {"max-conns", required_argument, 0, 'm'},
        {"out", required_argument, 0, 'o'},
        {0, 0, 0, 0}};
    struct bench b = {0};
    const char *schedule = NULL, *outfile = NULL;
    double closed = 0, maxc = 10000, alternate = 0, warmup = 20;
    char *text = NULL;
    int opt, rc = 2;

    b.timeout = 60;
    b.limit = 600;
    b.path = "/api/chat";
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 's':
            schedule = optarg;
            break;
        case 'c':
            bad = bench_positive("--closed", optarg, &closed);
            break;
        case 'a':
            bad = bench_positive("--alternate", optarg, &alternate);
            break;
        case 'w': /* 0 is allowed: no warm-up */
            warmup = 0;
            bad = strcmp(optarg, "0") != 0 &&
                  bench_positive("--warmup", optarg, &warmup);
            break;
        case 'p':
            b.path = optarg;
            break;
        case 'b':
            b.body = optarg;
            break;
        case 'd':
            bad = bench_positive("--duration", optarg, &b.duration);
            break;
        case 't':
            bad = bench_positive("--timeout", optarg, &b.timeout);
            break;
        case 'l':
            bad = bench_positive("--limit", optarg, &b.limit);
            break;
        case 'm':
            bad = bench_positive("--max-conns", optarg, &maxc);
            break;
        case 'o':
            outfile = optarg;
            break;
        default:
            bad = 1;
        }
        if (bad)
            return 2;
    }
    for (int i = optind; i < argc; i++)
        if (bench_parse_target(&b, argv[i]))
            return 2;
    if (b.ntargets == 0 || (!!schedule + !!closed + !!alternate) != 1 ||
        (!schedule && (!b.body || b.duration <= 0))) {
        fprintf(stderr, "usage: bench_load (--schedule FILE | (--closed N | "
                        "--alternate N [--warmup K]) --body JSON --duration S "
                        "[--path P]) [--timeout S] [--limit S] [--max-conns N] "
                        "[--out FILE] HOST:PORT...\n");
        return 2;
    }
    if (alternate * b.ntargets > BENCH_MAX_CLOSED) {
        fprintf(stderr, "bench_load: --alternate: at most %d requests in all\n",
                BENCH_MAX_CLOSED);
        return 2;
    }
    b.max_conns = closed ? (int)closed : alternate ? b.ntargets : (int)maxc;
    b.conns = calloc((size_t)b.max_conns, sizeof *b.conns);
    b.delays = calloc(BENCH_MAX_GAPS, sizeof *b.delays);
    b.delay_target = calloc(BENCH_MAX_GAPS, sizeof *b.delay_target);
    b.base = event_base_new();
    if (!b.conns || !b.delays || !b.delay_target || !b.base)
        goto out;
    if (schedule) {
        if (bench_read_schedule(&b, schedule, &text))
            goto out;
    } else {
        b.closed = closed > 0;
        b.alternate = (size_t)alternate;
        b.warmup = (size_t)warmup;
        b.reqs = calloc(BENCH_MAX_CLOSED, sizeof *b.reqs);
        if (!b.reqs)
            goto out;
    }
    FILE *out = NULL;
    if (outfile && !(out = fopen(outfile, "w"))) {
        fprintf(stderr, "bench_load: %s: %s\n", outfile, strerror(errno));
        goto out;
    }
    struct event *limit = evtimer_new(b.base, bench_limit_cb, &b);
    struct timeval ltv = {(time_t)b.limit, 0};
    evtimer_add(limit, &ltv);
    b.t0 = bench_now();
    if (b.alternate) {
        /* one connection per target, in target order (conns[t]) */
        for (int t = 0; t < b.ntargets; t++)
            if (!bench_conn_get(&b, t))
                goto out_run;
        b.turn = (size_t)b.ntargets - 1; /* the next turn starts round 0 */
        b.round = (size_t)-1;
        bench_alternate_next(&b);
    } else if (b.closed) {
        for (int i = 0; i < b.max_conns; i++) {
            struct bench_conn *c = bench_conn_get(&b, i % b.ntargets);
            if (!c)
                break;
            b.closed_active++;
            bench_closed_next(&b, c);
        }
    } else {
        b.tick = evtimer_new(b.base, bench_tick_cb, &b);
        bench_tick_cb(-1, 0, &b);
    }
    if (b.alternate ? 1 : b.closed ? b.closed_active > 0 : b.finished < b.nreqs)
        event_base_dispatch(b.base);
    double secs = bench_elapsed(&b);
    if (out) {
        fprintf(out,
                "# tag\tsched_ms\twait_ms\tstatus\tok\tfirst_ms\tlatency_ms"
                "\tchunks\tgap_mean_ms\tgap_max_ms\tnode\n");
        for (size_t i = 0; i < b.nreqs; i++)
            if (b.reqs[i].sent > 0)
                bench_out_line(&b, &b.reqs[i], out);
    }
    if (b.alternate)
        for (int t = 0; t < b.ntargets; t++)
            bench_summary(&b, t, secs);
    else
        bench_summary(
            &b, -1, b.closed ? (b.duration < secs ? secs : b.duration) : secs);
    rc = b.timed_out ? 1 : 0;
out_run:
    if (out)
        fclose(out);
    for (int i = 0; i < b.nconns; i++) {
        evhttp_connection_free(b.conns[i]->evcon);
        free(b.conns[i]);
    }
    if (b.tick)
        event_free(b.tick);
    event_free(limit);
out:
    if (b.base)
        event_base_free(b.base);
    free(b.conns);
    free(b.delays);
    free(b.delay_target);
    free(b.reqs);
    free(text);
    return rc;
}
