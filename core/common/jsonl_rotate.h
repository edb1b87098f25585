/* One JSONL file shared by several writers (the router's and the agent's
 * loggers, the jsonl storage plugin) in several processes, rotated at UTC
 * midnight to FILE.YYYY-MM-DD and pruned after keep_days.
 *
 * The protocol every writer follows, so that they agree without talking:
 *  - Before writing, a writer whose UTC day changed and who finds FILE
 *    last modified on an earlier day takes flock(LOCK_EX) on FILE.lock,
 *    and renames FILE to FILE.<day of FILE's mtime> only if that is still
 *    so and the target does not exist yet: a day is rotated once, whoever
 *    comes first. Then it removes rotated files older than keep_days.
 *  - Before writing, every writer compares FILE's inode with the one it
 *    has open, and re-opens FILE when they differ (someone rotated).
 *  - Each record (or batch of whole records) is one write(2) with
 *    O_APPEND, so lines never interleave.
 *
 * Static functions in a header: the logger (libherdcommon) and the plugin
 * (which links nothing of herd's) compile the same code. */
#ifndef HERD_COMMON_JSONL_ROTATE_H
#define HERD_COMMON_JSONL_ROTATE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JSONL_ROTATE_KEEP_DAYS 30

struct jsonl_file {
    char path[4096];
    int fd;
    dev_t dev;
    ino_t ino;
    long checked_day; /* UTC day (epoch days) of the last rotation check */
    int keep_days;    /* 0 = keep every rotated file */
};

static inline void
jsonl_rotate_day_name(long day, char *buf, size_t len)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

/* The epoch day of "YYYY-MM-DD", or -1. */
static inline long
jsonl_rotate_parse_day(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    /* days from civil (proleptic Gregorian) */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline void
jsonl_rotate_prune(const struct jsonl_file *f, long today)
{
    char dir[4096];
    const char *base = strrchr(f->path, '/');
    if (f->keep_days <= 0)
        return;
    if (base) {
        snprintf(dir, sizeof dir, "%.*s", (int)(base - f->path), f->path);
        base++;
    } else {
        snprintf(dir, sizeof dir, ".");
        base = f->path;
    }
    DIR *d = opendir(dir[0] ? dir : "/");
    if (!d)
        return;
    size_t blen = strlen(base);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.')
            continue;
        long day = jsonl_rotate_parse_day(e->d_name + blen + 1);
        if (day < 0 || day > today - f->keep_days)
            continue;
        char victim[8192];
        snprintf(victim, sizeof victim, "%s/%s", dir, e->d_name);
        unlink(victim);
    }
    closedir(d);
}

/* Whether path holds lines of a day before today (then it is due). */
static inline int
jsonl_rotate_due(const char *path, long today, long *mday)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0)
        return 0;
    *mday = (long)(st.st_mtime / 86400);
    return *mday < today;
}

/* The midnight check; see the protocol above. The lock file is made only
 * when a rotation looks due, and the look is repeated under the lock. */
static inline void
jsonl_rotate_check(struct jsonl_file *f, long today)
{
    char lock[4200], target[4200], day[16];
    long mday;
    if (jsonl_rotate_due(f->path, today, &mday)) {
        snprintf(lock, sizeof lock, "%s.lock", f->path);
        int lfd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        if (lfd >= 0) {
            while (flock(lfd, LOCK_EX) != 0 && errno == EINTR)
                ;
            if (jsonl_rotate_due(f->path, today, &mday)) {
                jsonl_rotate_day_name(mday, day, sizeof day);
                snprintf(target, sizeof target, "%s.%s", f->path, day);
                if (access(target, F_OK) != 0 && errno == ENOENT)
                    rename(f->path, target);
            }
            flock(lfd, LOCK_UN);
            close(lfd);
        }
    }
    /* Two writers pruning at once only race to unlink the same names. */
    jsonl_rotate_prune(f, today);
}

static inline void
jsonl_file_init(struct jsonl_file *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->checked_day = -1;
    f->keep_days = JSONL_ROTATE_KEEP_DAYS;
}

static inline void
jsonl_file_close(struct jsonl_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

static inline int
jsonl_file_reopen(struct jsonl_file *f)
{
    int fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    jsonl_file_close(f);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

/* Opens path for appending. Returns 0 or -errno. */
static inline int
jsonl_file_open(struct jsonl_file *f, const char *path)
{
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path)
        return -ENAMETOOLONG;
    return jsonl_file_reopen(f);
}

/* Call before each write with the current epoch time: rotates when the UTC
 * day changed, and follows a rotation made by another writer. Returns the
 * descriptor to write to, or -1. */
static inline int
jsonl_file_prepare(struct jsonl_file *f, time_t now)
{
    long today = (long)(now / 86400);
    if (!f->path[0])
        return -1;
    if (today != f->checked_day) {
        jsonl_rotate_check(f, today);
        f->checked_day = today;
    }
    struct stat st;
    if (f->fd < 0 || stat(f->path, &st) != 0 || st.st_ino != f->ino ||
        st.st_dev != f->dev)
        jsonl_file_reopen(f);
    return f->fd;
}

#endif
