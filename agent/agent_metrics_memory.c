/* Memory: /proc/meminfo and PSI pressure; disk: statvfs. */
#include "autoconfig.h"

#include "agent_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "agent_sysfs.h"

#define MEMORY_PSI_THRESHOLD 10.0 /* % of the last 10 s spent stalled */

/* The kB value of "Key:   123 kB", or -1 when the key is absent. */
static long long
memory_field(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ':')
            return strtoll(p + klen + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

/* avg10 of the "some" or "full" line of a PSI file, or -1. */
static double
memory_psi_avg10(const char *text, const char *kind)
{
    size_t klen = strlen(kind);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, kind, klen) == 0 && p[klen] == ' ') {
            const char *a = strstr(p, "avg10=");
            const char *eol = strchr(p, '\n');
            if (a && (!eol || a < eol))
                return strtod(a + 6, NULL);
            return -1;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

const char *
agent_memory_pressure(double used_pct, double psi_some, double psi_full)
{
    if (psi_some >= 0) {
        if (psi_full >= MEMORY_PSI_THRESHOLD)
            return "critical";
        if (psi_some >= MEMORY_PSI_THRESHOLD)
            return "warn";
        return "normal";
    }
    if (used_pct >= 95.0)
        return "critical";
    if (used_pct >= 85.0)
        return "warn";
    return "normal";
}

static double
memory_gb(long long kb)
{
    /* two decimals, as the reference reports */
    double gb = (double)kb * 1024.0 / AGENT_GIB;
    return (double)(long long)(gb * 100.0 + 0.5) / 100.0;
}

int
agent_memory_read(const char *root, struct agent_memory *m)
{
    char buf[8192], psi[512];
    long n = agent_sysfs_read(root, "/proc/meminfo", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    long long total = memory_field(buf, "MemTotal");
    long long avail = memory_field(buf, "MemAvailable");
    long long mfree = memory_field(buf, "MemFree");
    long long buffers = memory_field(buf, "Buffers");
    long long cached = memory_field(buf, "Cached");
    long long sreclaim = memory_field(buf, "SReclaimable");
    if (total <= 0 || mfree < 0)
        return -EINVAL;
    if (avail < 0) /* kernels before 3.14 */
        avail = mfree + (buffers > 0 ? buffers : 0) + (cached > 0 ? cached : 0);
    if (avail > total)
        avail = total;
    /* "used" as psutil computes it: neither free nor reclaimable cache */
    long long used = total - mfree - (buffers > 0 ? buffers : 0) -
                     (cached > 0 ? cached : 0) - (sreclaim > 0 ? sreclaim : 0);
    if (used < 0)
        used = total - mfree;
    m->total_gb = memory_gb(total);
    m->available_gb = memory_gb(avail);
    m->used_gb = memory_gb(used);

    m->psi_some_avg10 = m->psi_full_avg10 = -1;
    if (agent_sysfs_read(root, "/proc/pressure/memory", psi, sizeof psi) > 0) {
        m->psi_some_avg10 = memory_psi_avg10(psi, "some");
        m->psi_full_avg10 = memory_psi_avg10(psi, "full");
    }
    double used_pct = (double)(total - avail) / (double)total * 100.0;
    m->pressure =
        agent_memory_pressure(used_pct, m->psi_some_avg10, m->psi_full_avg10);
    m->pressure_source = m->psi_some_avg10 >= 0 ? "psi" : "meminfo";
    return 0;
}

int
agent_disk_read(const char *path, struct agent_disk *d)
{
    struct statvfs st;
    if (statvfs(path, &st) != 0)
        return -errno;
    double unit = (double)st.f_frsize / AGENT_GIB;
    d->total_gb = (double)st.f_blocks * unit;
    d->available_gb = (double)st.f_bavail * unit;
    d->used_gb = (double)(st.f_blocks - st.f_bfree) * unit;
    d->total_gb = (double)(long long)(d->total_gb * 100 + 0.5) / 100;
    d->available_gb = (double)(long long)(d->available_gb * 100 + 0.5) / 100;
    d->used_gb = (double)(long long)(d->used_gb * 100 + 0.5) / 100;
    return 0;
}
