/* GET /fleet/status: the reference's shape (fleet counters, nodes, queues,
 * timestamp) plus what it leaves out: thermal, disk, capacity, liveness
 * details, where each node came from and its slots. Members of the last
 * payload that herd does not model are passed through unchanged. */
#include "autoconfig.h"

#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "common/http_util.h"
#include "proxy.h"
#include "router.h"
#include "storage_router.h"

/* Members built here; everything else in the payload is passed through. */
static const char *const api_fleet_modelled[] = {
    "node_id", "cpu",      "memory",       "thermal",
    "disk",    "capacity", "ollama",       "arch",
    "chip",    "draining", "num_parallel", "memory_bandwidth_gbps",
    NULL};

static json_object *
api_fleet_raw(const struct registry_node *n, const char *key)
{
    json_object *v = NULL;
    if (n->payload && json_object_object_get_ex(n->payload, key, &v) && v)
        return json_object_get(v);
    return NULL;
}

static json_object *
api_fleet_double_or_null(int known, double v)
{
    return known && isfinite(v) ? json_object_new_double(v) : NULL;
}

static json_object *
api_fleet_string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static int
api_fleet_is_modelled(const char *key)
{
    for (size_t i = 0; api_fleet_modelled[i]; i++)
        if (strcmp(api_fleet_modelled[i], key) == 0)
            return 1;
    return 0;
}

static json_object *
api_fleet_hardware(const struct registry_node *n)
{
    const struct hb_snapshot *s = &n->snap;
    json_object *hw = json_object_new_object();
    json_object_object_add(
        hw, "memory_total_gb",
        api_fleet_double_or_null(s->has_memory, s->memory_total_gb));
    json_object_object_add(
        hw, "cores_physical",
        s->has_cpu ? json_object_new_int64((int64_t)s->cores_physical) : NULL);
    json_object_object_add(hw, "chip", api_fleet_string_or_null(s->chip));
    json_object_object_add(hw, "memory_bandwidth_gbps",
                           json_object_new_double(s->memory_bandwidth_gbps));
    json_object_object_add(hw, "arch", api_fleet_string_or_null(s->arch));
    return hw;
}

static json_object *
api_fleet_unloaded(const struct registry_node *n, double now)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n->unloaded_count; i++) {
        json_object *u = json_object_new_object();
        json_object_object_add(u, "name",
                               json_object_new_string(n->unloaded[i].name));
        json_object_object_add(
            u, "seconds_ago",
            json_object_new_double(round((now - n->unloaded[i].when) * 10) /
                                   10));
        json_object_array_add(arr, u);
    }
    return arr;
}

static json_object *
api_fleet_node(const struct registry_node *n, double now)
{
    json_object *o = json_object_new_object();
    unsigned slots = registry_node_num_parallel(n);
    json_object *ollama = api_fleet_raw(n, "ollama");

    json_object_object_add(o, "node_id", json_object_new_string(n->id));
    json_object_object_add(
        o, "status", json_object_new_string(registry_status_name(n->status)));
    json_object_object_add(
        o, "source",
        api_fleet_string_or_null(n->source ? n->source : "heartbeat"));
    json_object_object_add(o, "url", api_fleet_string_or_null(n->url));
    json_object_object_add(o, "ollama_url", api_fleet_string_or_null(n->url));
    json_object_object_add(o, "agentless",
                           json_object_new_boolean(n->snap.agentless));
    json_object_object_add(o, "draining", json_object_new_boolean(n->draining));
    json_object_object_add(o, "enabled",
                           json_object_new_boolean(n->cfg_enabled));
    json_object_object_add(o, "hardware", api_fleet_hardware(n));
    json_object_object_add(o, "cpu", api_fleet_raw(n, "cpu"));
    json_object_object_add(o, "memory", api_fleet_raw(n, "memory"));
    json_object_object_add(o, "thermal", api_fleet_raw(n, "thermal"));
    json_object_object_add(o, "disk", api_fleet_raw(n, "disk"));
    json_object_object_add(o, "capacity", api_fleet_raw(n, "capacity"));
    if (!ollama) {
        ollama = json_object_new_object();
        json_object_object_add(ollama, "models_loaded",
                               json_object_new_array());
        json_object_object_add(ollama, "models_available",
                               json_object_new_array());
        json_object_object_add(ollama, "requests_active",
                               json_object_new_int(0));
    }
    json_object_object_add(o, "ollama", ollama);
    json_object_object_add(o, "num_parallel",
                           slots ? json_object_new_int64(slots) : NULL);
    json_object_object_add(
        o, "last_heartbeat_age_s",
        json_object_new_double(round((now - n->last_seen) * 10) / 10));
    json_object_object_add(o, "missed_heartbeats",
                           json_object_new_int64(n->missed_heartbeats));
    json_object_object_add(o, "recently_unloaded", api_fleet_unloaded(n, now));

    if (n->payload) {
        json_object_object_foreach(n->payload, key, val)
        {
            json_object *have = NULL;
            if (api_fleet_is_modelled(key) ||
                json_object_object_get_ex(o, key, &have))
                continue;
            json_object_object_add(o, key, json_object_get(val));
        }
    }
    return o;
}

void
api_fleet_status(struct router *r, struct http_req *req)
{
    double now = router_now();
    size_t total = registry_count(r->registry), online = 0, loaded = 0;
    uint64_t active = 0;
    json_object *nodes = json_object_new_array();

    for (size_t i = 0; i < total; i++) {
        const struct registry_node *n = registry_at(r->registry, i);
        if (n->status == HERD_NODE_ONLINE)
            online++;
        if (n->status != HERD_NODE_OFFLINE) {
            loaded += n->snap.loaded_count;
            active += n->snap.requests_active;
        }
        json_object_array_add(nodes, api_fleet_node(n, now));
    }
    json_object *fleet = json_object_new_object();
    json_object_object_add(fleet, "nodes_total", json_object_new_int64(total));
    json_object_object_add(fleet, "nodes_online",
                           json_object_new_int64(online));
    json_object_object_add(fleet, "models_loaded",
                           json_object_new_int64(loaded));
    /* Ollama does not report running requests (nodes say 0); the router
     * knows what it has in flight, the same figures as /fleet/queue. */
    json_object *queue = r->proxy ? proxy_queue_json(r->proxy) : NULL;
    json_object *queues = NULL, *in_flight = NULL;
    if (queue && json_object_object_get_ex(queue, "in_flight", &in_flight))
        active += (uint64_t)json_object_get_int64(in_flight);
    if (queue && json_object_object_get_ex(queue, "queues", &queues))
        json_object_get(queues);
    json_object_put(queue);
    json_object_object_add(fleet, "requests_active",
                           json_object_new_int64((int64_t)active));

    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "fleet", fleet);
    json_object_object_add(o, "nodes", nodes);
    json_object_object_add(o, "queues",
                           queues ? queues : json_object_new_object());
    json_object_object_add(o, "traces", router_storage_status(r));
    json_object_object_add(
        o, "timestamp", json_object_new_double(tv.tv_sec + tv.tv_usec / 1e6));
    http_send_json(req, 200, o);
    json_object_put(o);
}
