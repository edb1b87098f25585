/* The dashboard's analytics endpoints (/dashboard/api/traces, usage,
 * trends, models, overview, tags, tags/daily). Parameters are checked
 * here; the query itself runs on the storage thread through the storage
 * plugins' query() and the answer comes back on the loop. */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/http_util.h"
#include "router.h"
#include "storage_router.h"
#include "traces.h"

/* What a query accepts: at most one integer parameter with its range. */
struct api_analytics_query {
    const char *name;  /* query name for the plugins */
    const char *param; /* NULL = none */
    long def, min, max;
    double unit_s; /* seconds per unit of param, for "since"; 0 = none */
};

static const struct api_analytics_query api_analytics_traces_q = {
    "traces", "limit", 50, 1, 1000, 0};
static const struct api_analytics_query api_analytics_usage_q = {
    "usage", "days", 7, 1, 3650, 86400};
static const struct api_analytics_query api_analytics_trends_q = {
    "trends", "hours", 72, 1, 87600, 3600};
static const struct api_analytics_query api_analytics_models_q = {
    "models", "days", 7, 1, 3650, 86400};
static const struct api_analytics_query api_analytics_overview_q = {
    "overview", NULL, 0, 0, 0, 0};
static const struct api_analytics_query api_analytics_tags_q = {
    "tags", "days", 7, 1, 3650, 86400};
static const struct api_analytics_query api_analytics_tags_daily_q = {
    "tags_daily", "days", 7, 1, 3650, 86400};

static void
api_analytics_done(void *arg, int rc, const char *text, size_t len,
                   const char *err)
{
    struct http_req *req = arg;
    if (rc == HERD_DECLINED) {
        http_send_error(req, 503,
                           "no storage plugin answers analytics queries "
                           "(load [storage.sqlite])");
        return;
    }
    if (rc != 0) {
        http_send_error(req, 503, "storage query failed: %s", err);
        return;
    }
    struct evbuffer *buf = evbuffer_new();
    if (!buf) {
        http_send_error(req, 503, "out of memory");
        return;
    }
    evbuffer_add(buf, text, len);
    http_req_set_header(req, "Content-Type", "application/json; charset=utf-8");
    http_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

/* Reads q's parameter from the query string into *value; 400 otherwise. */
static int
api_analytics_params(struct http_req *req,
                     const struct api_analytics_query *q, long *value)
{
    const char *query =
        evhttp_uri_get_query(http_req_uri(req));
    struct evkeyvalq args;
    int seen = 0;

    *value = q->def;
    args.tqh_first = NULL;
    args.tqh_last = &args.tqh_first;
    if (query && evhttp_parse_query_str(query, &args) != 0) {
        http_send_error(req, 400, "malformed query string");
        return -EINVAL;
    }
    for (struct evkeyval *kv = args.tqh_first; kv; kv = kv->next.tqe_next) {
        if (!q->param || strcmp(kv->key, q->param) != 0) {
            if (q->param)
                http_send_error(req, 400,
                                   "unknown parameter \"%.64s\" (this "
                                   "endpoint takes %s)",
                                   kv->key, q->param);
            else
                http_send_error(req, 400,
                                   "unknown parameter \"%.64s\" (this "
                                   "endpoint takes none)",
                                   kv->key);
            goto bad;
        }
        if (seen++) {
            http_send_error(req, 400, "parameter %s given twice", q->param);
            goto bad;
        }
        char *end;
        errno = 0;
        long v = strtol(kv->value, &end, 10);
        if (errno || end == kv->value || *end || v < q->min || v > q->max) {
            http_send_error(req, 400,
                               "%s must be a whole number from %ld to %ld, "
                               "not \"%.64s\"",
                               q->param, q->min, q->max, kv->value);
            goto bad;
        }
        *value = v;
    }
    evhttp_clear_headers(&args);
    return 0;
bad:
    evhttp_clear_headers(&args);
    return -EINVAL;
}

static void
api_analytics_run(struct router *r, struct http_req *req,
                  const struct api_analytics_query *q)
{
    long value;
    char params[128];

    if (api_analytics_params(req, q, &value) != 0)
        return;
    if (!q->param)
        snprintf(params, sizeof params, "{}");
    else if (q->unit_s > 0)
        snprintf(params, sizeof params, "{\"%s\":%ld,\"since\":%.3f}", q->param,
                 value, (double)time(NULL) - (double)value * q->unit_s);
    else
        snprintf(params, sizeof params, "{\"%s\":%ld}", q->param, value);
    int rc = r->traces ? traces_query(r->traces, q->name, params,
                                      api_analytics_done, req)
                       : -ENOTSUP;
    if (rc == -EBUSY) {
        http_req_add_header(req, "Retry-After", "1");
        http_send_error(req, 503, "too many analytics queries waiting");
    } else if (rc != 0) {
        http_send_error(req, 503, "storage is not available");
    }
}

void
api_analytics_traces(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_traces_q);
}

void
api_analytics_usage(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_usage_q);
}

void
api_analytics_trends(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_trends_q);
}

void
api_analytics_models(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_models_q);
}

void
api_analytics_overview(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_overview_q);
}

void
api_analytics_tags(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_tags_q);
}

void
api_analytics_tags_daily(struct router *r, struct http_req *req)
{
    api_analytics_run(r, req, &api_analytics_tags_daily_q);
}
