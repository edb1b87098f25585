/* Request fields shared by the native and OpenAI handlers: keep_alive,
 * think, and the deterministic tool-call rule. */
#include "autoconfig.h"

#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int
api_parse_keep_alive(json_object *v, int *has, int64_t *ns, char *err,
                     size_t errlen)
{
    *has = 0;
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_int) ||
        json_object_is_type(v, json_type_double)) {
        double secs = json_object_get_double(v);
        if (secs > SIM_KEEP_ALIVE_MAX_S)
            secs = SIM_KEEP_ALIVE_MAX_S;
        *ns = secs < 0 ? -1 : (int64_t)(secs * 1e9);
        *has = 1;
        return 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        snprintf(err, errlen,
                 "json: cannot unmarshal %s into Go value of "
                 "type api.Duration",
                 json_object_is_type(v, json_type_boolean) ? "bool" : "object");
        return -EINVAL;
    }
    int64_t d;
    if (sim_parse_go_duration(json_object_get_string(v), &d, err, errlen) < 0)
        return -EINVAL;
    *ns = d < 0 ? -1 : d;
    *has = 1;
    return 0;
}

int
api_parse_think(json_object *v, struct sim_model *m, const char *echo,
                int *think, char *err, size_t errlen)
{
    int capable = (m->caps & SIM_CAP_THINKING) != 0;
    if (!v) {
        *think = capable; /* thinking models think unless told not to */
        return 0;
    }
    if (json_object_is_type(v, json_type_boolean)) {
        *think = json_object_get_boolean(v);
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (strcmp(s, "low") && strcmp(s, "medium") && strcmp(s, "high") &&
            strcmp(s, "max")) {
            snprintf(err, errlen,
                     "invalid think value: \"%s\" (must be \"high\", "
                     "\"medium\", \"low\", \"max\", true, or false)",
                     s);
            return -EINVAL;
        }
        *think = 1;
    } else {
        snprintf(err, errlen,
                 "invalid think value: %s (must be \"high\", "
                 "\"medium\", \"low\", \"max\", true, or false)",
                 json_object_to_json_string(v));
        return -EINVAL;
    }
    if (*think && !capable) {
        snprintf(err, errlen, "\"%s\" does not support thinking", echo);
        return -EINVAL;
    }
    return 0;
}

/* The rule: a tool is called when the last user message names it. */
json_object *
api_pick_tool(json_object *tools, const char *last_user)
{
    if (!tools || !last_user || !json_object_is_type(tools, json_type_array))
        return NULL;
    size_t n = json_object_array_length(tools);
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tools, i);
        const char *name = sim_jstr(sim_jget(t, "function"), "name");
        if (name && *name && strcasestr(last_user, name))
            return t;
    }
    return NULL;
}

/* {"id":"call_x","function":{"index":0,"name":..,"arguments":{..}}} with
 * deterministic arguments for each declared parameter. */
json_object *
api_tool_call(struct sim_job *job, json_object *tool)
{
    json_object *fn = sim_jget(tool, "function");
    json_object *props = sim_jget(sim_jget(fn, "parameters"), "properties");
    json_object *args = json_object_new_object();
    if (props && json_object_is_type(props, json_type_object)) {
        json_object_object_foreach(props, key, spec)
        {
            const char *type = sim_jstr(spec, "type");
            json_object *val;
            if (!type || strcmp(type, "string") == 0)
                val = json_object_new_string(gen_word(&job->rng));
            else if (strcmp(type, "integer") == 0)
                val = json_object_new_int(42);
            else if (strcmp(type, "number") == 0)
                val = sim_json_double(4.2);
            else if (strcmp(type, "boolean") == 0)
                val = json_object_new_boolean(1);
            else if (strcmp(type, "array") == 0)
                val = json_object_new_array();
            else
                val = json_object_new_object();
            json_object_object_add(args, key, val);
        }
    }
    char id[16] = "call_";
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 8; i++)
        id[5 + i] = alnum[sim_rand_next(&job->rng) % 36];
    id[13] = '\0';
    json_object *f = json_object_new_object();
    json_object_object_add(f, "index", json_object_new_int(0));
    json_object_object_add(f, "name",
                           json_object_new_string(sim_jstr(fn, "name")));
    json_object_object_add(f, "arguments", args);
    json_object *call = json_object_new_object();
    json_object_object_add(call, "id", json_object_new_string(id));
    json_object_object_add(call, "function", f);
    return call;
}
