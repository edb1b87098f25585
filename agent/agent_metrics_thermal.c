/* Thermal: the hottest CPU sensor of hwmon, else any sensor, else the
 * thermal zones. */
#include "autoconfig.h"

#include "agent_metrics.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent_sysfs.h"

static const char *const thermal_cpu_drivers[] = {
    "coretemp", "k10temp", "zenpower", "cpu_thermal", NULL};

static int
thermal_is_cpu_driver(const char *name)
{
    for (size_t i = 0; thermal_cpu_drivers[i]; i++)
        if (strcmp(thermal_cpu_drivers[i], name) == 0)
            return 1;
    return 0;
}

/* Highest temp*_input of one hwmon directory, NaN when none. */
static double
thermal_hwmon_peak(const char *root, const char *dirname)
{
    char dirpath[4096];
    double peak = NAN;
    snprintf(dirpath, sizeof dirpath, "%s/sys/class/hwmon/%s", root, dirname);
    DIR *d = opendir(dirpath);
    if (!d)
        return NAN;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char path[600];
        long long milli;
        if (strncmp(e->d_name, "temp", 4) != 0 || len < 10 ||
            strcmp(e->d_name + len - 6, "_input") != 0)
            continue;
        snprintf(path, sizeof path, "/sys/class/hwmon/%s/%s", dirname,
                 e->d_name);
        if (agent_sysfs_read_long(root, path, &milli) != 0)
            continue;
        double c = (double)milli / 1000.0;
        /* sensors report absurd values when unplugged */
        if (c > -100 && c < 200 && (isnan(peak) || c > peak))
            peak = c;
    }
    closedir(d);
    return peak;
}

/* Scans hwmon; cpu_only picks the CPU drivers. */
static void
thermal_scan_hwmon(const char *root, int cpu_only, struct agent_thermal *t)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s/sys/class/hwmon", root);
    DIR *d = opendir(dirpath);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512], name[64];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/sys/class/hwmon/%s/name", e->d_name);
        if (agent_sysfs_read(root, path, name, sizeof name) <= 0)
            continue;
        name[strcspn(name, "\n")] = '\0';
        if (cpu_only && !thermal_is_cpu_driver(name))
            continue;
        double c = thermal_hwmon_peak(root, e->d_name);
        if (!isnan(c) && (isnan(t->temperature_c) || c > t->temperature_c)) {
            t->temperature_c = c;
            snprintf(t->source, sizeof t->source, "hwmon:%s", name);
        }
    }
    closedir(d);
}

static void
thermal_scan_zones(const char *root, struct agent_thermal *t)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s/sys/class/thermal", root);
    DIR *d = opendir(dirpath);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512], type[300] = "";
        long long milli;
        if (strncmp(e->d_name, "thermal_zone", 12) != 0)
            continue;
        snprintf(path, sizeof path, "/sys/class/thermal/%s/temp", e->d_name);
        if (agent_sysfs_read_long(root, path, &milli) != 0)
            continue;
        double c = (double)milli / 1000.0;
        if (c <= -100 || c >= 200)
            continue;
        snprintf(path, sizeof path, "/sys/class/thermal/%s/type", e->d_name);
        if (agent_sysfs_read(root, path, type, sizeof type) < 0)
            snprintf(type, sizeof type, "%s", e->d_name);
        type[strcspn(type, "\n")] = '\0';
        if (isnan(t->temperature_c) || c > t->temperature_c) {
            t->temperature_c = c;
            snprintf(t->source, sizeof t->source, "thermal_zone:%s", type);
        }
    }
    closedir(d);
}

void
agent_thermal_read(const char *root, struct agent_thermal *t)
{
    if (!root)
        root = "";
    t->temperature_c = NAN;
    t->source[0] = '\0';
    thermal_scan_hwmon(root, 1, t);
    if (isnan(t->temperature_c))
        thermal_scan_hwmon(root, 0, t);
    if (isnan(t->temperature_c))
        thermal_scan_zones(root, t);
    if (isnan(t->temperature_c))
        t->state = "unknown";
    else
        t->state =
            t->temperature_c >= AGENT_THERMAL_WARNING_C ? "warning" : "nominal";
    /* one decimal is all a sensor is good for */
    if (!isnan(t->temperature_c))
        t->temperature_c = round(t->temperature_c * 10.0) / 10.0;
}
