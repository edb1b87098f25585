/* Fault injection: which requests fail, and GET/POST /sim/faults. */
#include "autoconfig.h"

#include "common/log.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const faults_names[SIM_FAULT_COUNT] = {
    "refuse",    "error500",        "drop", "stall", "slow",
    "malformed", "midstream_error",
};

const char *
faults_name(enum sim_fault_kind k)
{
    return faults_names[k];
}

int
faults_hit(struct sim_server *s, enum sim_fault_kind k)
{
    struct sim_fault *f = &s->cfg.faults[k];
    int hit = 0;
    if (f->count > 0) {
        f->count--;
        hit = 1;
    } else if (f->probability > 0 && sim_rand_unit(&s->rng) < f->probability) {
        hit = 1;
    }
    if (hit) {
        f->triggered++;
        log_info("faults", "injecting %s", faults_names[k]);
    }
    return hit;
}

json_object *
faults_json(struct sim_server *s)
{
    json_object *o = json_object_new_object();
    for (int k = 0; k < SIM_FAULT_COUNT; k++) {
        const struct sim_fault *f = &s->cfg.faults[k];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "probability",
                               sim_json_double(f->probability));
        json_object_object_add(e, "count", json_object_new_int64(f->count));
        json_object_object_add(e, "seconds", sim_json_double(f->seconds));
        json_object_object_add(e, "factor", sim_json_double(f->factor));
        json_object_object_add(e, "after", json_object_new_int(f->after));
        json_object_object_add(e, "half", json_object_new_boolean(f->half));
        json_object_object_add(e, "triggered",
                               json_object_new_int64((int64_t)f->triggered));
        json_object_object_add(o, faults_names[k], e);
    }
    return o;
}

static int
faults_number(json_object *v, double min, double max, double *out)
{
    if (!json_object_is_type(v, json_type_int) &&
        !json_object_is_type(v, json_type_double))
        return -1;
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < min || d > max)
        return -1;
    *out = d;
    return 0;
}

/* Applies one mode's settings from o onto f; message in err on error. */
static int
faults_apply(struct sim_fault *f, const char *mode, json_object *o, char *err,
             size_t errlen)
{
    struct sim_fault n = *f;
    n.probability = 0;
    n.count = 0;
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "fault %s: expected an object or null", mode);
        return -EINVAL;
    }
    json_object_object_foreach(o, key, v)
    {
        double d;
        int bad;
        if (strcmp(key, "probability") == 0) {
            bad = faults_number(v, 0, 1, &d);
            n.probability = d;
        } else if (strcmp(key, "count") == 0) {
            bad = faults_number(v, 0, 1e15, &d);
            n.count = (int64_t)d;
        } else if (strcmp(key, "seconds") == 0) {
            bad = faults_number(v, 0, 86400, &d);
            n.seconds = d;
        } else if (strcmp(key, "factor") == 0) {
            bad = faults_number(v, 1, 1e6, &d);
            n.factor = d;
        } else if (strcmp(key, "after") == 0) {
            bad = faults_number(v, 0, SIM_MAX_TOKENS, &d);
            n.after = (int)d;
        } else if (strcmp(key, "half") == 0) {
            if (!json_object_is_type(v, json_type_boolean)) {
                snprintf(err, errlen, "fault %s: half must be true or false",
                         mode);
                return -EINVAL;
            }
            bad = 0;
            n.half = json_object_get_boolean(v);
        } else {
            snprintf(err, errlen, "fault %s: unknown field \"%s\"", mode, key);
            return -EINVAL;
        }
        if (bad) {
            snprintf(err, errlen,
                     "fault %s: %s is out of range or not a "
                     "number",
                     mode, key);
            return -EINVAL;
        }
    }
    *f = n;
    return 0;
}

/* Applies a POST body to every mode, or to none when one entry is bad. */
static int
faults_update(struct sim_server *s, json_object *body, char *err, size_t errlen)
{
    struct sim_fault staged[SIM_FAULT_COUNT];
    memcpy(staged, s->cfg.faults, sizeof staged);
    if (!json_object_is_type(body, json_type_object)) {
        snprintf(err, errlen, "expected a JSON object of fault modes");
        return -EINVAL;
    }
    json_object_object_foreach(body, key, v)
    {
        if (strcmp(key, "clear") == 0) {
            if (!json_object_is_type(v, json_type_boolean)) {
                snprintf(err, errlen, "clear must be a boolean");
                return -EINVAL;
            }
            for (int k = 0; json_object_get_boolean(v) && k < SIM_FAULT_COUNT;
                 k++)
                staged[k].probability = 0, staged[k].count = 0;
            continue;
        }
        int k;
        for (k = 0; k < SIM_FAULT_COUNT; k++)
            if (strcmp(key, faults_names[k]) == 0)
                break;
        if (k == SIM_FAULT_COUNT) {
            snprintf(err, errlen,
                     "unknown fault mode \"%s\" (refuse, error500, drop, "
                     "stall, slow, malformed, midstream_error)",
                     key);
            return -EINVAL;
        }
        if (!v) {
            staged[k].probability = 0;
            staged[k].count = 0;
        } else if (faults_apply(&staged[k], key, v, err, errlen)) {
            return -EINVAL;
        }
    }
    memcpy(s->cfg.faults, staged, sizeof staged);
    return 0;
}

void
faults_handle(struct sim_server *s, struct evhttp_request *req)
{
    if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
        int status;
        char err[256];
        json_object *body = sim_body_parse(req, &status, err, sizeof err);
        if (!body) {
            sim_reply_error(req, status, NULL, err);
            return;
        }
        int rc = faults_update(s, body, err, sizeof err);
        json_object_put(body);
        if (rc < 0) {
            sim_reply_error(req, 400, NULL, err);
            return;
        }
    }
    json_object *o = faults_json(s);
    sim_reply_obj(req, 200, o, NULL, 0);
    json_object_put(o);
}
