/* herd-node's readers of /proc and /sys against a fixture tree, plus the
 * pure helpers: pressure thresholds, bandwidth table, nvidia-smi output,
 * URLs and the heartbeat backoff. */
#include "autoconfig.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent.h"
#include "tap.h"

static char root[64];

static void
put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", root, rel);
    /* mkdir -p of the parent */
    for (char *p = path + strlen(root) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void
test_cpu(void)
{
    struct agent_cpu cpu = {0};
    double pct = -1;
    put("/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n");
    is_int(agent_cpu_sample(root, &cpu, &pct), 0, "first sample");
    is_double(pct, 0, 0, "the first sample only primes");
    /* +300 busy, +100 idle, +100 iowait: 60 % */
    put("/proc/stat", "cpu  300 50 150 900 100 0 0 0 0 0\n");
    is_int(agent_cpu_sample(root, &cpu, &pct), 0, "second sample");
    is_double(pct, 60, 1e-9, "busy share since the previous sample");
    put("/proc/stat", "intr 1 2 3\n");
    ok(agent_cpu_sample(root, &cpu, &pct) < 0, "a file without cpu fails");

    /* 2 packages x 2 cores x 2 threads */
    for (int i = 0; i < 8; i++) {
        char rel[128], v[8];
        snprintf(rel, sizeof rel,
                 "/sys/devices/system/cpu/cpu%d/topology/core_id", i);
        snprintf(v, sizeof v, "%d\n", (i / 2) % 2);
        put(rel, v);
        snprintf(rel, sizeof rel,
                 "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
                 i);
        snprintf(v, sizeof v, "%d\n", i / 4);
        put(rel, v);
    }
    put("/sys/devices/system/cpu/cpufreq/x", "");
    is_int(agent_cpu_physical_cores(root), 4,
           "physical cores: distinct package/core pairs");

    char model[128];
    put("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
                         "model name\t: AMD Ryzen 9 7950X 16-Core Processor  "
                         "\nphysical id\t: 0\ncore id\t\t: 0\n\n");
    agent_cpu_model(root, model, sizeof model);
    is_str(model, "AMD Ryzen 9 7950X 16-Core Processor",
           "model name, trailing blanks cut");
}

static void
test_memory(void)
{
    struct agent_memory m;
    put("/proc/meminfo", "MemTotal:       16777216 kB\n"
                         "MemFree:         4194304 kB\n"
                         "MemAvailable:    8388608 kB\n"
                         "Buffers:         1048576 kB\n"
                         "Cached:          2097152 kB\n"
                         "SReclaimable:    1048576 kB\n");
    is_int(agent_memory_read(root, &m), 0, "meminfo read");
    is_double(m.total_gb, 16, 1e-9, "MemTotal in GiB");
    is_double(m.available_gb, 8, 1e-9, "MemAvailable in GiB");
    is_double(m.used_gb, 8, 1e-9, "used: not free, buffers or cache");
    is_str(m.pressure_source, "meminfo", "no PSI file: used share");
    is_str(m.pressure, "normal", "50 %% used is normal");
    put("/proc/pressure/memory",
        "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
        "full avg10=2.00 avg60=0.50 avg300=0.10 total=45\n");
    is_int(agent_memory_read(root, &m), 0, "with PSI");
    is_str(m.pressure_source, "psi", "PSI is used when present");
    is_double(m.psi_some_avg10, 12.5, 1e-9, "some avg10");
    is_double(m.psi_full_avg10, 2, 1e-9, "full avg10");
    is_str(m.pressure, "warn", "some >= 10 %% is warn");
    is_str(agent_memory_pressure(50, 0, 10), "critical", "full >= 10 %%");
    is_str(agent_memory_pressure(50, 9.9, 9.9), "normal", "below both");
    is_str(agent_memory_pressure(85, -1, -1), "warn", "no PSI: 85 %% warn");
    is_str(agent_memory_pressure(95, -1, -1), "critical",
           "no PSI: 95 %% critical");
    is_str(agent_memory_pressure(84.9, -1, -1), "normal", "no PSI: below");
    put("/proc/meminfo", "garbage\n");
    ok(agent_memory_read(root, &m) < 0, "a meminfo without MemTotal fails");

    struct agent_disk d;
    is_int(agent_disk_read("/", &d), 0, "statvfs of /");
    ok(d.total_gb > 0 && d.available_gb <= d.total_gb, "sane disk figures");
    ok(agent_disk_read("/no/such/dir", &d) == -ENOENT, "missing path");
}

static void
test_thermal(void)
{
    struct agent_thermal t;
    agent_thermal_read(root, &t);
    is_str(t.state, "unknown", "no sensors: unknown");
    ok(isnan(t.temperature_c), "and no temperature");
    put("/sys/class/thermal/thermal_zone0/temp", "47000\n");
    put("/sys/class/thermal/thermal_zone0/type", "acpitz\n");
    agent_thermal_read(root, &t);
    is_double(t.temperature_c, 47, 1e-9, "thermal zone as the last resort");
    is_str(t.source, "thermal_zone:acpitz", "named by its type");
    put("/sys/class/hwmon/hwmon0/name", "nvme\n");
    put("/sys/class/hwmon/hwmon0/temp1_input", "91000\n");
    agent_thermal_read(root, &t);
    is_double(t.temperature_c, 91, 1e-9, "any hwmon sensor before zones");
    is_str(t.state, "warning", "85 C and more is warning");
    put("/sys/class/hwmon/hwmon1/name", "k10temp\n");
    put("/sys/class/hwmon/hwmon1/temp1_input", "61250\n");
    put("/sys/class/hwmon/hwmon1/temp3_input", "70500\n");
    put("/sys/class/hwmon/hwmon1/temp3_label", "Tccd1\n");
    agent_thermal_read(root, &t);
    is_double(t.temperature_c, 70.5, 1e-9,
              "CPU drivers win over a hotter disk: their peak");
    is_str(t.source, "hwmon:k10temp", "source names the driver");
    is_str(t.state, "nominal", "below 85 C is nominal");
}

static void
test_gpu(void)
{
    struct agent_gpu g;
    memset(&g, 0, sizeof g);
    is_int(agent_gpu_parse_smi(&g, "NVIDIA GeForce RTX 4090, 24564, 1024\n"
                                   "NVIDIA GeForce RTX 4090, 24564, 2048\n"),
           2, "two GPUs parsed");
    is_double(g.total_gb, 47.98, 1e-9, "memory summed, MiB to GiB");
    is_double(g.used_gb, 3, 1e-9, "used summed");
    is_str(g.name, "NVIDIA GeForce RTX 4090", "first name");
    memset(&g, 0, sizeof g);
    is_int(agent_gpu_parse_smi(&g, "No devices were found\n"), 0,
           "an error text is nothing");
    ok(!g.known, "and leaves the figures unknown");
    is_int(agent_gpu_parse_smi(&g, "Tesla, Inc. X, 1024, [N/A]\n"), 0,
           "non-numbers are refused");

    put("/sys/class/drm/card0/device/mem_info_vram_total", "17163091968\n");
    put("/sys/class/drm/card0/device/mem_info_vram_used", "1073741824\n");
    put("/sys/class/drm/card0-DP-1/device/mem_info_vram_total", "99\n");
    agent_gpu_sysfs_read(&g, root);
    ok(g.known && g.count == 1, "amdgpu card found, connectors skipped");
    is_double(g.total_gb, 15.98, 1e-9, "VRAM total in GiB");
    is_double(g.used_gb, 1, 1e-9, "VRAM used");
    is_str(g.source, "sysfs", "source sysfs");
}

static void
test_ident(void)
{
    is_double(agent_bandwidth_gbps("AMD Ryzen 9 7950X 16-Core Processor + "
                                   "NVIDIA GeForce RTX 4090"),
              1008, 0, "RTX 4090 by substring");
    is_double(agent_bandwidth_gbps("Apple  M3 Max"), 400, 0,
              "Apple chip, blanks collapsed, case ignored");
    is_double(agent_bandwidth_gbps("M4 Pro"), 273, 0, "Apple chip, short");
    is_double(agent_bandwidth_gbps("Apple M3 Max Pro"), 0, 0,
              "Apple names must match whole");
    is_double(agent_bandwidth_gbps("Intel(R) Xeon(R) CPU"), 0, 0,
              "unknown is 0");
    char ip[64];
    agent_lan_ip(ip, sizeof ip);
    ok(strchr(ip, '.') != NULL, "a LAN address or 127.0.0.1 (%s)", ip);
}

static void
test_url_and_backoff(void)
{
    struct agent_url u;
    char err[256];
    is_int(agent_url_parse("http://127.0.0.1:8080/herd/", 11435, &u, err,
                           sizeof err),
           0, "URL with a path");
    ok(!strcmp(u.host, "127.0.0.1") && u.port == 8080 &&
           !strcmp(u.prefix, "/herd"),
       "host, port, path without trailing slash");
    is_int(agent_url_parse("http://[::1]/", 11434, &u, err, sizeof err), 0,
           "IPv6 literal");
    ok(!strcmp(u.host, "::1") && u.port == 11434 &&
           !strcmp(u.hostport, "[::1]:11434"),
       "default port and bracketed Host");
    is_int(agent_url_parse("https://x:1", 1, &u, err, sizeof err), -EINVAL,
           "https is refused");
    ok(strstr(err, "http://") != NULL, "with a reason: %s", err);
    ok(agent_url_is_loopback("localhost") && agent_url_is_loopback("::1") &&
           agent_url_is_loopback("127.0.0.2") &&
           !agent_url_is_loopback("10.0.0.1"),
       "loopback hosts");

    is_double(agent_next_delay(5, 0, 0.5), 5, 1e-9, "interval when fine");
    is_double(agent_next_delay(5, 0, 0), 4.5, 1e-9, "jitter -10 %%");
    is_double(agent_next_delay(5, 0, 1), 5.5, 1e-9, "jitter +10 %%");
    is_double(agent_next_delay(5, 1, 0.5), 10, 1e-9, "one failure: x2");
    is_double(agent_next_delay(5, 2, 0.5), 20, 1e-9, "two: x4");
    is_double(agent_next_delay(5, 3, 0.5), 30, 1e-9, "capped at 30 s");
    is_double(agent_next_delay(5, 1000, 0.5), 30, 1e-9, "and stays there");
    is_double(agent_next_delay(60, 5, 0.5), 60, 1e-9,
              "never shorter than the interval");
    is_double(agent_next_delay(0.5, 3, 0.5), 4, 1e-9,
              "short intervals back off from themselves");
}

int
main(void)
{
    snprintf(root, sizeof root, "/tmp/test_agent_metrics.XXXXXX");
    if (!mkdtemp(root)) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    plan(69);
    test_cpu();
    test_memory();
    test_thermal();
    test_gpu();
    test_ident();
    test_url_and_backoff();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        diag("could not remove %s", root);
    return done_testing();
}
