/* Reading small text files of /proc and /sys under a root directory. */
#ifndef HERD_AGENT_SYSFS_H
#define HERD_AGENT_SYSFS_H

#include <stddef.h>

/* Reads root/path (root "" = the real file system) into buf, NUL
 * terminated; a longer file is cut at len - 1 bytes. Returns the number of
 * bytes read or -errno. */
long agent_sysfs_read(const char *root, const char *path, char *buf,
                      size_t len);

/* Reads a file holding one integer (sysfs style). Returns 0 or -errno. */
int agent_sysfs_read_long(const char *root, const char *path, long long *out);

#endif
