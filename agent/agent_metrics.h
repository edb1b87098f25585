/* What herd-node measures about its machine, read from /proc and /sys.
 *
 * Every reader takes the root of the file system it reads ("" for the real
 * one), so the unit tests can hand it a directory of fixture files. The
 * readers only read small kernel files: they never block for long and never
 * start a process, so they run on the heartbeat path. GPU figures from
 * nvidia-smi are the exception and live in agent_gpu.h. */
#ifndef HERD_AGENT_METRICS_H
#define HERD_AGENT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_GIB 1073741824.0

/* CPU time counters of the previous sample (for utilisation since then). */
struct agent_cpu {
    uint64_t total, idle;
    int primed;
};

struct agent_memory {
    double total_gb, used_gb, available_gb;
    const char *pressure;                  /* "normal", "warn" or "critical" */
    const char *pressure_source;           /* "psi" or "meminfo" */
    double psi_some_avg10, psi_full_avg10; /* -1 when PSI is absent */
};

struct agent_disk {
    double total_gb, used_gb, available_gb;
};

struct agent_thermal {
    double temperature_c; /* NaN when no sensor was found */
    const char *state;    /* "nominal", "warning" or "unknown" */
    char source[400];     /* "hwmon:k10temp", "thermal_zone:x86_pkg_temp" */
};

/* Temperature from which the thermal state is "warning" (the reference's). */
#define AGENT_THERMAL_WARNING_C 85.0

/* CPU utilisation in percent since the previous call, from /proc/stat. The
 * first call primes the counters and returns 0. Returns -errno when the
 * file cannot be read or parsed. */
int agent_cpu_sample(const char *root, struct agent_cpu *cpu, double *pct);

/* Physical cores: distinct (package, core) pairs of the sysfs topology,
 * else of /proc/cpuinfo, else the online processors. At least 1. */
unsigned agent_cpu_physical_cores(const char *root);

/* /proc/meminfo, and memory pressure from /proc/pressure/memory when the
 * kernel has PSI, else from the share of memory in use. Returns 0 or
 * -errno. */
int agent_memory_read(const char *root, struct agent_memory *m);

/* Pressure from PSI averages: full avg10 >= 10 % is critical, some avg10 >=
 * 10 % is warn. Without PSI (some < 0): used share >= 95 % critical, >= 85 %
 * warn (the reference's thresholds). */
const char *agent_memory_pressure(double used_pct, double psi_some,
                                  double psi_full);

/* statvfs of path. Returns 0 or -errno. */
int agent_disk_read(const char *path, struct agent_disk *d);

/* Peak temperature of the CPU sensors in hwmon (coretemp, k10temp,
 * zenpower, cpu_thermal), else of any hwmon sensor, else of the thermal
 * zones. Never fails: no sensor means state "unknown". */
void agent_thermal_read(const char *root, struct agent_thermal *t);

/* The CPU's model name from /proc/cpuinfo ("model name", else "Hardware",
 * "Model" or "cpu model"); "" when there is none. */
void agent_cpu_model(const char *root, char *buf, size_t len);

/* Memory bandwidth in GB/s for a chip name (the reference's tables: Apple
 * chips by exact name, GPUs by substring), 0 when unknown. */
double agent_bandwidth_gbps(const char *chip);

/* The address this machine would use towards the LAN: a UDP socket
 * "connected" (no packet is sent) to 10.255.255.255:1. "127.0.0.1" when
 * there is no route. */
void agent_lan_ip(char *buf, size_t len);

#endif
