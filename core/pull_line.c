/* The last line of a pull's NDJSON answer. */
#include "autoconfig.h"

#include "pull_line.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pull_line_init(struct pull_line *pl)
{
    pl->last[0] = '\0';
    pl->rest = evbuffer_new();
    return pl->rest ? 0 : -ENOMEM;
}

void
pull_line_clear(struct pull_line *pl)
{
    if (pl->rest)
        evbuffer_free(pl->rest);
    pl->rest = NULL;
}

void
pull_line_feed(struct pull_line *pl, const struct evbuffer *data)
{
    char chunk[4096];
    struct evbuffer_ptr at;
    size_t n = evbuffer_get_length(data);
    if (!pl->rest)
        return;
    evbuffer_ptr_set((struct evbuffer *)data, &at, 0, EVBUFFER_PTR_SET);
    while (n > 0) {
        ev_ssize_t got = evbuffer_copyout_from((struct evbuffer *)data, &at,
                                               chunk, sizeof chunk);
        if (got <= 0)
            break;
        evbuffer_add(pl->rest, chunk, (size_t)got);
        evbuffer_ptr_set((struct evbuffer *)data, &at, (size_t)got,
                         EVBUFFER_PTR_ADD);
        n -= (size_t)got;
    }
    for (;;) {
        size_t len;
        char *line = evbuffer_readln(pl->rest, &len, EVBUFFER_EOL_LF);
        if (!line)
            break;
        if (len > 0)
            snprintf(pl->last, sizeof pl->last, "%s", line);
        free(line);
    }
    /* a line longer than any status line: only its end can matter */
    size_t left = evbuffer_get_length(pl->rest);
    if (left > PULL_LINE_MAX)
        evbuffer_drain(pl->rest, left - PULL_LINE_MAX);
}

int
pull_line_mid(const struct pull_line *pl)
{
    return pl->rest && evbuffer_get_length(pl->rest) > 0;
}

int
pull_line_end(struct pull_line *pl, char *err, size_t errlen)
{
    size_t left = pl->rest ? evbuffer_get_length(pl->rest) : 0;
    json_object *o, *v;
    int rc = 0;
    if (left > 0 && left < sizeof pl->last) {
        evbuffer_remove(pl->rest, pl->last, left);
        pl->last[left] = '\0';
    }
    err[0] = '\0';
    o = json_tokener_parse(pl->last);
    if (o && json_object_object_get_ex(o, "error", &v)) {
        snprintf(err, errlen, "%s", json_object_get_string(v));
        rc = -1;
    } else if (o && json_object_object_get_ex(o, "status", &v) &&
               strcmp(json_object_get_string(v), "success") == 0) {
        rc = 1;
    }
    json_object_put(o);
    return rc;
}
