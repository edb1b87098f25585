/* The data directory shared by herd and herd-node (~/.fleet-manager):
 * creating it and opening the JSONL log both programs append to. */
#ifndef HERD_COMMON_DATA_DIR_H
#define HERD_COMMON_DATA_DIR_H

#include <stddef.h>

/* mkdir -p path; what it creates gets mode 0700. Returns 0, or -errno
 * (-ENOTDIR when path exists but is not a directory). */
int data_dir_mkdirs(const char *path);

/* Creates data_dir/logs and sends log lines to data_dir/logs/herd.jsonl
 * as well as stderr. data_dir comes from the configuration, "~" already
 * expanded. Returns 0, or -errno with "cannot create ...: reason" in err. */
int data_dir_open_log(const char *data_dir, char *err, size_t errlen);

#endif
