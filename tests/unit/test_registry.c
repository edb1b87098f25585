/* Registry liveness driven by an explicit clock: online -> degraded ->
 * offline -> forgotten, drain, recently unloaded models, deleted models,
 * node settings and the node cap. */
#include "autoconfig.h"

#include "registry.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int
report(struct registry *reg, const char *id, const char *loaded, double now)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"node_id\":\"%s\",\"cpu\":{\"cores_physical\":4,"
             "\"utilization_pct\":1},\"memory\":{\"total_gb\":16,\"used_gb\":"
             "1,\"available_gb\":15},\"num_parallel\":2,"
             "\"ollama\":{\"models_loaded\":[%s]}}",
             id, loaded);
    json_object *payload;
    struct hb_snapshot s;
    char err[256];
    int r = heartbeat_parse_text(text, strlen(text), 1 << 16, &payload, &s, err,
                                 sizeof err);
    if (r != 0) {
        diag("parse: %s", err);
        return r;
    }
    r = registry_report(reg, &s, payload, "http://localhost:11434", "heartbeat",
                        now, err, sizeof err);
    if (r != 0)
        diag("report: %s", err);
    return r;
}

static int
drain(struct registry *reg, const char *id, double now)
{
    char text[128];
    snprintf(text, sizeof text, "{\"node_id\":\"%s\",\"draining\":true}", id);
    json_object *payload;
    struct hb_snapshot s;
    char err[256];
    if (heartbeat_parse_text(text, strlen(text), 1024, &payload, &s, err,
                             sizeof err) != 0)
        return -1;
    return registry_report(reg, &s, payload, "", "heartbeat", now, err,
                           sizeof err);
}

static const struct registry_node *
node(struct registry *reg, const char *id)
{
    return registry_find(reg, id);
}

static void
test_liveness(void)
{
    struct registry_settings set = {15, 30, 60, 1800, 0};
    struct registry *reg = registry_new(&set);
    is_int(report(reg, "a", "", 0), 0, "first report registers a node");
    is_int(node(reg, "a")->status, HERD_NODE_ONLINE, "new node is online");
    registry_tick(reg, 10);
    is_int(node(reg, "a")->status, HERD_NODE_ONLINE, "online at 10 s");
    registry_tick(reg, 16);
    is_int(node(reg, "a")->status, HERD_NODE_DEGRADED, "degraded after 15 s");
    is_int(node(reg, "a")->missed_heartbeats, 1, "one missed heartbeat");
    registry_tick(reg, 20);
    is_int(node(reg, "a")->missed_heartbeats, 1,
           "degraded counts once, not per tick");
    registry_tick(reg, 31);
    is_int(node(reg, "a")->status, HERD_NODE_OFFLINE, "offline after 30 s");
    is_int(node(reg, "a")->missed_heartbeats, 2, "two missed heartbeats");
    registry_tick(reg, 90);
    ok(node(reg, "a") != NULL, "still known 59 s after going offline");
    registry_tick(reg, 91);
    ok(node(reg, "a") == NULL, "forgotten 60 s after going offline");
    is_int(registry_count(reg), 0, "registry empty");

    report(reg, "a", "", 100);
    registry_tick(reg, 140);
    is_int(node(reg, "a")->status, HERD_NODE_OFFLINE, "offline again");
    report(reg, "a", "", 141);
    is_int(node(reg, "a")->status, HERD_NODE_ONLINE,
           "a heartbeat brings it back online");
    is_int(node(reg, "a")->missed_heartbeats, 0, "missed count reset");

    set.forget_after = 0;
    registry_set_settings(reg, &set);
    registry_tick(reg, 200);
    registry_tick(reg, 100000);
    ok(node(reg, "a") != NULL, "forget_after 0 never forgets");
    registry_free(reg);
}

static void
test_drain(void)
{
    struct registry_settings set = {15, 30, 0, 1800, 0};
    struct registry *reg = registry_new(&set);
    report(reg, "a", "{\"name\":\"m:1b\"}", 0);
    is_int(drain(reg, "a", 1), 0, "drain notice accepted");
    is_int(node(reg, "a")->status, HERD_NODE_OFFLINE, "draining is offline");
    ok(node(reg, "a")->draining, "draining flag set");
    is_int(node(reg, "a")->snap.loaded_count, 1,
           "last known state kept while draining");
    is_int(drain(reg, "ghost", 1), 0, "drain of an unknown node is harmless");
    ok(node(reg, "ghost") == NULL, "and registers nothing");
    report(reg, "a", "", 2);
    ok(node(reg, "a")->status == HERD_NODE_ONLINE && !node(reg, "a")->draining,
       "a normal heartbeat ends the drain");
    registry_free(reg);
}

static void
test_unloaded(void)
{
    struct registry_settings set = {15, 30, 0, 1800, 0};
    struct registry *reg = registry_new(&set);
    report(reg, "a", "{\"name\":\"x:7b\"},{\"name\":\"y:1b\"}", 0);
    is_int(node(reg, "a")->unloaded_count, 0, "nothing unloaded yet");
    report(reg, "a", "{\"name\":\"y:1b\"}", 5);
    is_int(node(reg, "a")->unloaded_count, 1, "x unloaded");
    is_str(node(reg, "a")->unloaded[0].name, "x:7b", "unloaded name");
    is_double(node(reg, "a")->unloaded[0].when, 5, 1e-9, "unloaded time");
    report(reg, "a", "{\"name\":\"x:7b\"}", 10);
    is_int(node(reg, "a")->unloaded_count, 1,
           "x loaded again leaves the list, y joins it");
    is_str(node(reg, "a")->unloaded[0].name, "y:1b", "y now warm");
    report(reg, "a", "{\"name\":\"x:7b\"}", 1811);
    is_int(node(reg, "a")->unloaded_count, 0,
           "warm memory expires after its window");
    registry_free(reg);
}

static void
test_deleted(void)
{
    struct registry_settings set = {15, 30, 0, 1800, 0};
    struct registry *reg = registry_new(&set);
    report(reg, "a", "{\"name\":\"x:7b\"},{\"name\":\"y:1b\"}", 0);
    report(reg, "a", "{\"name\":\"x:7b\"},{\"name\":\"w:1b\"}", 5);
    registry_note_pulled(reg, "a", "z:1b");
    is_int(registry_note_deleted(reg, "a", "X:7B"), 0,
           "delete noted, the name in another case");
    ok(!registry_node_lists(node(reg, "a"), "x:7b"), "x no longer listed");
    ok(registry_node_lists(node(reg, "a"), "w:1b") &&
           node(reg, "a")->snap.loaded_count == 1,
       "the other loaded model stays");
    registry_note_deleted(reg, "a", "z:1b");
    ok(!registry_node_lists(node(reg, "a"), "z:1b") &&
           node(reg, "a")->snap.available_count == 0,
       "a model on disk only leaves the list");
    registry_note_deleted(reg, "a", "y:1b");
    is_int(node(reg, "a")->unloaded_count, 0, "a deleted model is not warm");
    is_int(registry_note_deleted(reg, "a", "none:1b"), 0,
           "a model the node does not list: nothing to do");
    is_int(registry_note_deleted(reg, "b", "w:1b"), -ENOENT, "unknown node");
    registry_free(reg);
}

static void
test_config_and_cap(void)
{
    struct registry_settings set = {15, 30, 0, 1800, 2};
    struct registry *reg = registry_new(&set);
    struct config_node cfg[] = {{.id = (char *)"b", .num_parallel = 8}};
    report(reg, "a", "", 0);
    is_int(registry_node_num_parallel(node(reg, "a")), 2,
           "num_parallel from the heartbeat");
    is_int(registry_set_node_config(reg, cfg, 1), 0, "node config set");
    report(reg, "b", "", 0);
    is_int(registry_node_num_parallel(node(reg, "b")), 8,
           "[node.b] num_parallel overrides the heartbeat");
    is_int(node(reg, "b")->cfg_enabled, 0, "[node.b] enabled = false");
    is_int(node(reg, "a")->cfg_enabled, 1, "other nodes stay enabled");
    is_int(report(reg, "c", "", 0), -ENOSPC, "third node over the cap");
    ok(node(reg, "c") == NULL && registry_count(reg) == 2,
       "refused node not registered");
    is_int(report(reg, "a", "", 1), 0, "known nodes still report when full");
    is_int(registry_remove(reg, "a"), 0, "remove a");
    is_int(registry_remove(reg, "a"), -ENOENT, "remove unknown node");
    is_int(registry_set_node_config(reg, NULL, 0), 0, "config cleared");
    is_int(registry_node_num_parallel(node(reg, "b")), 2,
           "cleared config falls back to the heartbeat");
    registry_free(reg);
}

int
main(void)
{
    test_liveness();
    test_drain();
    test_unloaded();
    test_deleted();
    test_config_and_cap();
    return done_testing();
}
