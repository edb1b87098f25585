/* The last line of a pull's answer, which says how it ended: Ollama
 * streams NDJSON progress and ends with {"status":"success"} or
 * {"error":...}. Kept in bounded memory however long the pull runs. */
#ifndef HERD_CORE_PULL_LINE_H
#define HERD_CORE_PULL_LINE_H

#include <event2/buffer.h>
#include <stddef.h>

#define PULL_LINE_MAX 4096

struct pull_line {
    struct evbuffer *rest; /* the bytes since the last newline */
    char last[PULL_LINE_MAX];
};

/* Returns 0, or -ENOMEM. */
int pull_line_init(struct pull_line *pl);
void pull_line_clear(struct pull_line *pl);

/* Reads data without taking it (the caller may still relay it). */
void pull_line_feed(struct pull_line *pl, const struct evbuffer *data);

/* Whether the bytes so far end inside a line. */
int pull_line_mid(const struct pull_line *pl);

/* The answer is over: an unterminated last line counts as the last. Then
 * 1 when it is {"status":"success"}, -1 when it is an error (its text in
 * err), 0 when it is neither (empty or not JSON). */
int pull_line_end(struct pull_line *pl, char *err, size_t errlen);

#endif
