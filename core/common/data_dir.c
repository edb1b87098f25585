/* Data directory set-up shared by the router and the agent. */
#include "autoconfig.h"

#include "common/data_dir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"

int
data_dir_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -errno;
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(buf, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int
data_dir_open_log(const char *data_dir, char *err, size_t errlen)
{
    char logs[4200], file[4300];
    int rc;

    if (!data_dir || !*data_dir) {
        snprintf(err, errlen, "no data directory configured");
        return -EINVAL;
    }
    /* No "~" to expand: the configuration expands every path value. */
    snprintf(logs, sizeof logs, "%s/logs", data_dir);
    snprintf(file, sizeof file, "%s/herd.jsonl", logs);
    if ((rc = data_dir_mkdirs(logs)) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", logs, strerror(-rc));
        return rc;
    }
    if ((rc = log_open_jsonl(file)) != 0) {
        snprintf(err, errlen, "cannot open %s: %s", file, strerror(-rc));
        return rc;
    }
    return 0;
}
