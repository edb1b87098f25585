/* Small-file reads for the metrics collectors. */
#include "autoconfig.h"

#include "agent_sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

long
agent_sysfs_read(const char *root, const char *path, char *buf, size_t len)
{
    char full[4096];
    size_t used = 0;

    if (len == 0)
        return -EINVAL;
    if (snprintf(full, sizeof full, "%s%s", root ? root : "", path) >=
        (int)sizeof full)
        return -ENAMETOOLONG;
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* /proc files come in several reads; stop at EOF or a full buffer. */
    while (used < len - 1) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    return (long)used;
}

int
agent_sysfs_read_long(const char *root, const char *path, long long *out)
{
    char buf[64], *end;
    long n = agent_sysfs_read(root, path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || errno)
        return -EINVAL;
    *out = v;
    return 0;
}
