/* The least any proxy can do: a TCP forwarder that parses nothing. Each
 * client connection gets its own connection to the upstream, and bytes go
 * across as soon as they can be read (read, then write at once, in the
 * same pass). The overhead benchmark measures it beside nginx and herd:
 * what it adds to a request is the cost of the two extra loopback hops
 * on this machine, the floor under any router's added latency.
 *
 *   bench_forward --listen PORT --to IPV4:PORT
 *
 * Loopback only; runs until SIGTERM/SIGINT. Benchmark tool, not product. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define FWD_BUF 65536
#define FWD_MAX_FD 65536

/* One direction of a pair: bytes read from fd wait in buf for peer. */
struct side {
    int fd;
    struct side *peer;
    char *buf; /* what peer could not take yet */
    size_t len;
    int eof;
};

static struct side *sides[FWD_MAX_FD];
static int ep;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int
nonblock_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
watch(struct side *s)
{
    struct epoll_event ev = {.events = EPOLLIN | (s->peer->len ? EPOLLOUT : 0),
                             .data.fd = s->fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev) != 0)
        epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void
close_pair(struct side *s)
{
    struct side *p = s->peer;
    for (int i = 0; i < 2; i++, s = p) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        sides[s->fd] = NULL;
        free(s->buf);
        free(s);
    }
}

/* Writes what waits for s; returns -1 when the connection is broken. */
static int
flush_to(struct side *s, const char *data, size_t len)
{
    struct side *from = s->peer;
    while (len) {
        ssize_t n = write(s->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!from->buf && !(from->buf = malloc(FWD_BUF)))
                return -1;
            memmove(from->buf, data, len);
            from->len = len;
            watch(from);
            watch(s);
            return 0;
        }
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    from->len = 0;
    return 0;
}

static void
on_ready(struct side *s, unsigned events)
{
    char buf[FWD_BUF];
    if ((events & EPOLLOUT) && s->peer->len) {
        /* s can take what its peer read earlier */
        if (flush_to(s, s->peer->buf, s->peer->len) != 0) {
            close_pair(s);
            return;
        }
        watch(s);
        watch(s->peer);
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || s->len)
        return; /* its peer still has bytes of s to take */
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || flush_to(s->peer, buf, (size_t)n) != 0)
        close_pair(s);
}

static int
connect_to(const struct sockaddr_in *to)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    /* blocking connect on loopback: immediate, and simpler to measure */
    if (connect(fd, (const struct sockaddr *)to, sizeof *to) != 0 ||
        nonblock_nodelay(fd) != 0 || fd >= FWD_MAX_FD) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
on_accept(int lfd, const struct sockaddr_in *to)
{
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            return;
        int u = connect_to(to);
        struct side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
        if (u < 0 || c >= FWD_MAX_FD || !a || !b) {
            close(c);
            if (u >= 0)
                close(u);
            free(a);
            free(b);
            continue;
        }
        nonblock_nodelay(c);
        a->fd = c, b->fd = u, a->peer = b, b->peer = a;
        sides[c] = a, sides[u] = b;
        watch(a);
        watch(b);
    }
}

int
main(int argc, char **argv)
{
    int port = -1;
    const char *to_arg = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--to") == 0)
            to_arg = argv[i + 1];
    }
    char host[64];
    int to_port;
    struct sockaddr_in to = {.sin_family = AF_INET};
    if (port < 0 || port > 65535 || !to_arg ||
        sscanf(to_arg, "%63[^:]:%d", host, &to_port) != 2 ||
        inet_pton(AF_INET, host, &to.sin_addr) != 1) {
        fprintf(stderr, "usage: %s --listen PORT --to IPV4:PORT\n", argv[0]);
        return 2;
    }
    to.sin_port = htons((unsigned short)to_port);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in at = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof at;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&at, sizeof at) != 0 ||
        listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&at, &alen) != 0) {
        perror("bench_forward: listen");
        return 1;
    }
    ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    printf("bench_forward listening on 127.0.0.1:%d\n", ntohs(at.sin_port));
    fflush(stdout);
    while (!stop) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 200);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd)
                on_accept(lfd, &to);
            else if (fd < FWD_MAX_FD && sides[fd])
                on_ready(sides[fd], evs[i].events);
        }
    }
    return 0;
}
