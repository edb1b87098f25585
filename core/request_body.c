/* One walk over the top-level members of a request body. */
#include "autoconfig.h"

#include "request_body.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/http_util.h"
#include "common/json_scan.h"

/* a member's key, its length and where its span is */
#define BODY_FIELD(f) #f, sizeof #f - 1, offsetof(struct request_body, f)

static const struct {
    const char *key;
    size_t len;
    size_t at;
} body_fields[] = {
    {BODY_FIELD(model)},      {BODY_FIELD(name)},
    {BODY_FIELD(stream)},     {BODY_FIELD(fallback_models)},
    {BODY_FIELD(metadata)},   {BODY_FIELD(user)},
    {BODY_FIELD(messages)},   {BODY_FIELD(prompt)},
    {BODY_FIELD(system)},     {BODY_FIELD(images)},
    {BODY_FIELD(input)},      {BODY_FIELD(options)},
    {BODY_FIELD(keep_alive)},
};

static void
body_take(struct request_body *b, const struct json_member *m)
{
    for (size_t i = 0; i < sizeof body_fields / sizeof body_fields[0]; i++) {
        if (m->key_escaped
                ? !json_member_named(m, body_fields[i].key)
                : m->key_len != body_fields[i].len ||
                      memcmp(m->key, body_fields[i].key, m->key_len) != 0)
            continue;
        struct json_span *sp =
            (struct json_span *)((char *)b + body_fields[i].at);
        sp->s = m->val;
        sp->len = m->val_len;
        return;
    }
}

/* Not one object: the message a 400 gives. The error path only, so
 * json-c may name what is wrong with the text. */
static int
body_refuse(const char *text, size_t len, char *err, size_t errlen)
{
    if (json_scan_valid(text, len)) {
        size_t i = 0;
        while (i < len && strchr(" \t\r\n", text[i]))
            i++;
        snprintf(err, errlen, "%s",
                 json_scan_is_null(text + i, len - i < 4 ? len - i : 4)
                     ? "expected a JSON object, not null"
                     : "request body must be a JSON object");
        return -EINVAL;
    }
    json_object *o = http_json_parse(text, len, err, errlen);
    if (o) /* json-c took what the strict reading did not */
        snprintf(err, errlen, "invalid JSON");
    json_object_put(o);
    return -EINVAL;
}

int
request_body_read(struct request_body *b, const char *text, size_t len,
                  char *err, size_t errlen)
{
    struct json_members it;
    struct json_member m;
    int rc;
    memset(b, 0, sizeof *b);
    b->text = text;
    b->len = len;
    if (json_members_begin(&it, text, len) != 0)
        return body_refuse(text, len, err, errlen);
    /* the walk validates each value it passes */
    while ((rc = json_members_next(&it, &m)) == 1)
        body_take(b, &m);
    if (rc != 0 || !json_members_done(&it))
        return body_refuse(text, len, err, errlen);
    return 0;
}
