/* Structured logging shared by herd, herd-node and herd-sim.
 *
 * Every line goes to stderr as "time level component: message" and, when a
 * JSONL file is open, as one JSON object per line to that file. Safe to call
 * from any thread: each line is written with a single write(2). */
#ifndef HERD_COMMON_LOG_H
#define HERD_COMMON_LOG_H

#include <stdarg.h>

#include <herd/plugin.h> /* enum herd_log_level */

/* Parses "error", "warning", "info", "debug" (any case; "warn" too).
 * Returns the level, or -1 when name is not a level. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

/* Lines above level are dropped. Default HERD_LOG_INFO. */
void log_set_level(int level);
int log_get_level(void);

/* Also write JSONL to path (appended; directories must exist). NULL
 * closes it. Returns 0 or -errno. */
int log_open_jsonl(const char *path);

/* The program name written in each JSONL record ("herd", "herd-sim"). */
void log_set_program(const char *program);

void log_msg(int level, const char *component, const char *fmt, ...)
    HERD_PRINTF(3, 4);
void log_vmsg(int level, const char *component, const char *fmt, va_list ap)
    HERD_PRINTF(3, 0);

/* A plugin's line "kind/name: text" (the loader adds the prefix) logged
 * with "kind/name" as its component, like the daemons' own lines; other
 * text goes out under "plugin". For the hosts' log callbacks. */
void log_vplugin(int level, const char *fmt, va_list ap) HERD_PRINTF(2, 0);

#define log_err(comp, ...) log_msg(HERD_LOG_ERR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(HERD_LOG_WARNING, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(HERD_LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_msg(HERD_LOG_DEBUG, comp, __VA_ARGS__)

#endif
