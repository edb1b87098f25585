/* CPU: utilisation since the previous sample, physical cores, model name. */
#include "autoconfig.h"

#include "agent_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_sysfs.h"

#define CPU_MAX_PAIRS 4096

int
agent_cpu_sample(const char *root, struct agent_cpu *cpu, double *pct)
{
    char buf[4096];
    uint64_t v[10] = {0};
    long n = agent_sysfs_read(root, "/proc/stat", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    /* "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
     * old kernels stop after idle or iowait. */
    int got = sscanf(buf,
                     "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                     " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                     &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    if (got < 4)
        return -EINVAL;
    /* guest time is already counted in user and nice */
    uint64_t idle = v[3] + v[4];
    uint64_t total = 0;
    for (int i = 0; i < 8; i++)
        total += v[i];
    *pct = 0;
    if (cpu->primed && total > cpu->total && idle >= cpu->idle) {
        double dt = (double)(total - cpu->total);
        double di = (double)(idle - cpu->idle);
        double busy = dt > di ? (dt - di) / dt * 100.0 : 0.0;
        *pct = busy > 100.0 ? 100.0 : busy;
    }
    cpu->total = total;
    cpu->idle = idle;
    cpu->primed = 1;
    return 0;
}

struct cpu_pair {
    long long package, core;
};

static int
cpu_pair_add(struct cpu_pair *pairs, size_t *count, long long package,
             long long core)
{
    for (size_t i = 0; i < *count; i++)
        if (pairs[i].package == package && pairs[i].core == core)
            return 0;
    if (*count == CPU_MAX_PAIRS)
        return 0;
    pairs[*count].package = package;
    pairs[*count].core = core;
    (*count)++;
    return 1;
}

static size_t
cpu_cores_sysfs(const char *root, struct cpu_pair *pairs)
{
    char dirpath[4096];
    size_t count = 0;
    snprintf(dirpath, sizeof dirpath, "%s/sys/devices/system/cpu",
             root ? root : "");
    DIR *d = opendir(dirpath);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        long long package = 0, core;
        if (strncmp(e->d_name, "cpu", 3) != 0 ||
            strspn(e->d_name + 3, "0123456789") != strlen(e->d_name + 3) ||
            !e->d_name[3])
            continue;
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/%s/topology/core_id", e->d_name);
        if (agent_sysfs_read_long(root, path, &core) != 0)
            continue;
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/%s/topology/physical_package_id",
                 e->d_name);
        agent_sysfs_read_long(root, path, &package);
        cpu_pair_add(pairs, &count, package, core);
    }
    closedir(d);
    return count;
}

static size_t
cpu_cores_cpuinfo(const char *root, struct cpu_pair *pairs)
{
    static char buf[1 << 20]; /* loop thread only */
    size_t count = 0;
    long long package = 0, core = -1;
    if (agent_sysfs_read(root, "/proc/cpuinfo", buf, sizeof buf) < 0)
        return 0;
    /* Blocks separated by blank lines; one block per logical CPU. */
    for (char *line = buf; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "physical id", 11) == 0 && strchr(line, ':'))
            package = strtoll(strchr(line, ':') + 1, NULL, 10);
        else if (strncmp(line, "core id", 7) == 0 && strchr(line, ':'))
            core = strtoll(strchr(line, ':') + 1, NULL, 10);
        else if (!*line || !next) {
            if (core >= 0)
                cpu_pair_add(pairs, &count, package, core);
            package = 0;
            core = -1;
        }
        line = next;
    }
    return count;
}

unsigned
agent_cpu_physical_cores(const char *root)
{
    struct cpu_pair *pairs = calloc(CPU_MAX_PAIRS, sizeof *pairs);
    size_t n = 0;
    if (pairs) {
        n = cpu_cores_sysfs(root, pairs);
        if (n == 0)
            n = cpu_cores_cpuinfo(root, pairs);
        free(pairs);
    }
    if (n == 0) {
        long online = (root && *root) ? 1 : sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (size_t)online : 1;
    }
    return (unsigned)n;
}

void
agent_cpu_model(const char *root, char *buf, size_t len)
{
    static char info[1 << 20];
    static const char *const keys[] = {"model name", "Hardware", "Model",
                                       "cpu model", NULL};
    if (len == 0)
        return;
    buf[0] = '\0';
    if (agent_sysfs_read(root, "/proc/cpuinfo", info, sizeof info) < 0)
        return;
    for (size_t k = 0; keys[k]; k++) {
        size_t klen = strlen(keys[k]);
        for (char *line = info; line && *line;) {
            char *next = strchr(line, '\n');
            size_t linelen = next ? (size_t)(next - line) : strlen(line);
            char *colon = memchr(line, ':', linelen);
            if (colon && strncmp(line, keys[k], klen) == 0 &&
                strspn(line + klen, " \t") == (size_t)(colon - line - klen)) {
                const char *v = colon + 1;
                v += strspn(v, " \t");
                size_t vlen = linelen - (size_t)(v - line);
                while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' ||
                                v[vlen - 1] == '\r'))
                    vlen--;
                if (vlen >= len)
                    vlen = len - 1;
                memcpy(buf, v, vlen);
                buf[vlen] = '\0';
                if (vlen)
                    return;
            }
            line = next ? next + 1 : NULL;
        }
    }
}
