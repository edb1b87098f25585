/* GPU figures: nvidia-smi in the background, or amdgpu sysfs. */
#include "autoconfig.h"

#include "agent_gpu.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_metrics.h"
#include "agent_sysfs.h"
#include "common/log.h"

extern char **environ;

static const char *gpu_comp = "gpu";

static double
gpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
gpu_find_smi(char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 &&
            snprintf(out, len, "%.*s/nvidia-smi", (int)n, path) < (int)len &&
            access(out, X_OK) == 0)
            return 1;
        path += n;
        if (*path == ':')
            path++;
    }
    out[0] = '\0';
    return 0;
}

unsigned
agent_gpu_parse_smi(struct agent_gpu *g, const char *text)
{
    unsigned count = 0;
    double total = 0, used = 0;
    char first[128] = "";
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        /* the name may hold commas; the two numbers are the last fields */
        char *c2 = strrchr(buf, ',');
        char *c1 = NULL;
        if (c2) {
            *c2 = '\0';
            c1 = strrchr(buf, ',');
        }
        if (c1) {
            char *e1, *e2;
            *c1 = '\0';
            double t = strtod(c1 + 1, &e1);
            double u = strtod(c2 + 1, &e2);
            e1 += strspn(e1, " \t\r");
            e2 += strspn(e2, " \t\r");
            if (!*e1 && !*e2 && e1 != c1 + 1 && t >= 0 && u >= 0) {
                total += t;
                used += u;
                if (count++ == 0) {
                    const char *name = buf + strspn(buf, " \t");
                    snprintf(first, sizeof first, "%s", name);
                }
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    if (count == 0)
        return 0;
    g->known = 1;
    g->count = count;
    g->total_gb = total / 1024.0; /* MiB */
    g->used_gb = used / 1024.0;
    g->total_gb = (double)(long long)(g->total_gb * 100 + 0.5) / 100;
    g->used_gb = (double)(long long)(g->used_gb * 100 + 0.5) / 100;
    snprintf(g->name, sizeof g->name, "%s", first);
    g->source = "nvidia-smi";
    return count;
}

static void gpu_reap_cb(evutil_socket_t fd, short what, void *arg);

/* The child has closed its output (or timed out): collect it without
 * waiting; a child that has not exited yet is looked at again shortly. */
static void
gpu_reap(struct agent_gpu *g)
{
    int status;
    if (g->pid == 0)
        return;
    pid_t r = waitpid(g->pid, &status, WNOHANG);
    if (r == 0) {
        if (gpu_now() - g->started > AGENT_GPU_TIMEOUT_S)
            kill(g->pid, SIGKILL);
        struct timeval tv = {0, 100000};
        event_add(g->ev_reap, &tv);
        return;
    }
    g->pid = 0;
    if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        g->out[g->outlen] = '\0';
        if (agent_gpu_parse_smi(g, g->out) == 0)
            log_warn(gpu_comp, "nvidia-smi printed nothing usable");
    } else {
        log_debug(gpu_comp, "nvidia-smi failed (status %d)", status);
    }
}

static void
gpu_reap_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gpu_reap(arg);
}

static void
gpu_close_pipe(struct agent_gpu *g)
{
    if (g->fd >= 0) {
        event_del(g->ev_read);
        close(g->fd);
        g->fd = -1;
    }
}

static void
gpu_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct agent_gpu *g = arg;
    if (what & EV_TIMEOUT) {
        log_warn(gpu_comp, "nvidia-smi took longer than %d s; killed",
                 AGENT_GPU_TIMEOUT_S);
        kill(g->pid, SIGKILL);
        gpu_close_pipe(g);
        gpu_reap(g);
        return;
    }
    for (;;) {
        char sink[512];
        size_t room = sizeof g->out - 1 - g->outlen;
        /* output beyond the buffer is read and dropped */
        ssize_t n = room ? read(fd, g->out + g->outlen, room)
                         : read(fd, sink, sizeof sink);
        if (n > 0) {
            if (room)
                g->outlen += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break; /* EOF or error */
    }
    gpu_close_pipe(g);
    gpu_reap(g);
}

static void
gpu_run(struct agent_gpu *g)
{
    int p[2];
    posix_spawn_file_actions_t fa;
    char *argv[] = {g->smi, "--query-gpu=name,memory.total,memory.used",
                    "--format=csv,noheader,nounits", NULL};

    if (g->pid != 0 || pipe(p) != 0)
        return;
    /* the child gets its end through dup2, which clears FD_CLOEXEC */
    for (int i = 0; i < 2; i++)
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY,
                                     0);
    int rc = posix_spawn(&g->pid, g->smi, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        log_warn(gpu_comp, "cannot run %s: %s", g->smi, strerror(rc));
        g->pid = 0;
        close(p[0]);
        return;
    }
    g->fd = p[0];
    g->outlen = 0;
    g->started = gpu_now();
    struct timeval tv = {AGENT_GPU_TIMEOUT_S, 0};
    event_assign(g->ev_read, g->base, g->fd, EV_READ | EV_PERSIST, gpu_read_cb,
                 g);
    event_add(g->ev_read, &tv);
}

static void
gpu_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gpu_run(arg);
}

int
agent_gpu_start(struct agent_gpu *g, struct event_base *base)
{
    g->base = base;
    g->fd = -1;
    if (!gpu_find_smi(g->smi, sizeof g->smi))
        return 0;
    g->ev_read = event_new(base, -1, 0, gpu_read_cb, g);
    g->ev_timer = event_new(base, -1, EV_PERSIST, gpu_timer_cb, g);
    g->ev_reap = event_new(base, -1, 0, gpu_reap_cb, g);
    if (!g->ev_read || !g->ev_timer || !g->ev_reap)
        return -ENOMEM;
    struct timeval tv = {AGENT_GPU_REFRESH_S, 0};
    event_add(g->ev_timer, &tv);
    log_info(gpu_comp, "GPU figures from %s every %d s", g->smi,
             AGENT_GPU_REFRESH_S);
    gpu_run(g);
    return 0;
}

void
agent_gpu_sysfs_read(struct agent_gpu *g, const char *root)
{
    char dirpath[4096];
    double total = 0, used = 0;
    unsigned count = 0;
    if (g->smi[0])
        return; /* nvidia-smi answers */
    snprintf(dirpath, sizeof dirpath, "%s/sys/class/drm", root);
    DIR *d = opendir(dirpath);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        long long t, u;
        /* card0, card1 ...; not the connectors (card0-DP-1) */
        if (strncmp(e->d_name, "card", 4) != 0 ||
            strspn(e->d_name + 4, "0123456789") != strlen(e->d_name + 4) ||
            !e->d_name[4])
            continue;
        snprintf(path, sizeof path,
                 "/sys/class/drm/%s/device/mem_info_vram_total", e->d_name);
        if (agent_sysfs_read_long(root, path, &t) != 0 || t <= 0)
            continue;
        snprintf(path, sizeof path,
                 "/sys/class/drm/%s/device/mem_info_vram_used", e->d_name);
        if (agent_sysfs_read_long(root, path, &u) != 0)
            u = 0;
        total += (double)t;
        used += (double)u;
        count++;
    }
    closedir(d);
    if (count == 0)
        return;
    g->known = 1;
    g->count = count;
    g->total_gb = (double)(long long)(total / AGENT_GIB * 100 + 0.5) / 100;
    g->used_gb = (double)(long long)(used / AGENT_GIB * 100 + 0.5) / 100;
    g->source = "sysfs";
}

void
agent_gpu_stop(struct agent_gpu *g)
{
    gpu_close_pipe(g);
    if (g->pid > 0) {
        kill(g->pid, SIGKILL);
        waitpid(g->pid, NULL, 0); /* at exit: SIGKILL makes this quick */
        g->pid = 0;
    }
    if (g->ev_read)
        event_free(g->ev_read);
    if (g->ev_timer)
        event_free(g->ev_timer);
    if (g->ev_reap)
        event_free(g->ev_reap);
    g->ev_read = g->ev_timer = g->ev_reap = NULL;
}
