/* The heartbeat cycle: tick -> probe Ollama -> read metrics -> learner ->
 * POST -> next tick after the interval (with jitter) or the backoff. And
 * the way out: SIGTERM/SIGINT -> draining heartbeat -> save -> exit. */
#include "autoconfig.h"

#include "agent.h"

#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static const char *cycle_comp = "agent";

static double
cycle_random(void)
{
    return (double)(random() % 1000000) / 1000000.0;
}

static void
cycle_arm(struct event *ev, double seconds)
{
    struct timeval tv;
    if (seconds < 0)
        seconds = 0;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6);
    event_add(ev, &tv);
}

static void
cycle_finish(struct agent *a)
{
    a->cycle_busy = 0;
    if (a->draining)
        return;
    cycle_arm(a->tick, agent_next_delay(a->cfg->agent_heartbeat_interval,
                                        a->router.failures, cycle_random()));
}

static void
cycle_posted(struct agent *a, int ok)
{
    (void)ok;
    cycle_finish(a);
}

static void
cycle_update_chip(struct agent *a)
{
    if (a->gpu.name[0])
        snprintf(a->chip, sizeof a->chip, "%s%s%s", a->cpu_model,
                 a->cpu_model[0] ? " + " : "", a->gpu.name);
    else
        snprintf(a->chip, sizeof a->chip, "%s", a->cpu_model);
    a->bandwidth_gbps = agent_bandwidth_gbps(a->chip);
}

void
agent_learner_save(struct agent *a)
{
    char err[512];
    if (!a->learner || !a->state_path)
        return;
    if (capacity_save(a->learner, a->cfg->agent_node_id, a->state_path,
                      time(NULL), err, sizeof err) != 0)
        log_err("capacity", "%s", err);
    else
        log_debug("capacity", "state saved to %s", a->state_path);
}

/* Ollama has answered (or not): measure, learn, send. */
static void
cycle_probed(void *arg)
{
    struct agent *a = arg;
    struct agent_memory mem;
    struct agent_disk disk;
    struct agent_thermal th;
    struct capacity_result cap;
    double cpu = 0;

    if (a->draining) {
        a->cycle_busy = 0;
        return;
    }
    if (agent_cpu_sample(a->root, &a->cpu, &cpu) != 0)
        log_debug(cycle_comp, "cannot read /proc/stat");
    if (agent_memory_read(a->root, &mem) != 0) {
        /* a heartbeat without memory is refused by the router */
        log_err(cycle_comp, "cannot read /proc/meminfo; no heartbeat this "
                            "time");
        cycle_finish(a);
        return;
    }
    int have_disk = agent_disk_read("/", &disk) == 0;
    agent_thermal_read(a->root, &th);
    agent_gpu_sysfs_read(&a->gpu, a->root);
    cycle_update_chip(a);
    a->last_memory = mem;

    const struct capacity_result *capp = NULL;
    if (a->learner) {
        time_t now = time(NULL);
        double mem_pct =
            mem.total_gb > 0 ? mem.used_gb / mem.total_gb * 100.0 : 0;
        capacity_observe(a->learner, now, cpu, mem_pct);
        capacity_evaluate(a->learner, now, cpu, mem_pct, mem.total_gb, &cap);
        capp = &cap;
    }
    json_object *payload =
        agent_payload_build(a, cpu, &mem, &disk, have_disk, &th, capp);
    a->cycles++;
    double interval = a->cfg->agent_heartbeat_interval;
    double timeout = fmin(10.0, fmax(1.0, 2.0 * interval));
    int rc = a->router.conn
                 ? agent_router_post(a, payload, timeout, cycle_posted)
                 : -ENOENT;
    json_object_put(payload);
    if (rc == -ENOENT && a->cycles % 12 == 1)
        log_info(cycle_comp, "no router known yet; still looking");
    if (rc != 0)
        cycle_finish(a);
}

static void
cycle_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct agent *a = arg;
    (void)fd;
    (void)what;
    if (a->draining)
        return;
    if (a->cycle_busy) {
        log_debug(cycle_comp, "previous heartbeat still running; skipped");
        return;
    }
    a->cycle_busy = 1;
    if (agent_ollama_probe(&a->ollama, cycle_probed, a) != 0)
        cycle_probed(a);
}

void
agent_cycle_kick(struct agent *a)
{
    /* a plugin may find the router while starting, before the cycle:
     * the first tick comes at once anyway */
    if (!a->tick || a->draining || a->cycle_busy)
        return;
    event_del(a->tick);
    cycle_arm(a->tick, 0);
}

static void
cycle_save_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    agent_learner_save(arg);
}

static void
cycle_exit(struct agent *a)
{
    agent_learner_save(a);
    event_base_loopexit(a->base, NULL);
}

static void
cycle_drained(struct agent *a, int ok)
{
    if (ok)
        log_info(cycle_comp, "router told: this node is draining");
    cycle_exit(a);
}

static void
cycle_drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct agent *a = arg;
    (void)fd;
    (void)what;
    log_warn(cycle_comp, "no answer to the draining heartbeat; exiting");
    cycle_exit(a);
}

static void
cycle_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct agent *a = arg;
    char err[512];
    (void)what;
    if (a->draining) {
        log_warn(cycle_comp, "second signal: exiting now");
        event_base_loopexit(a->base, NULL);
        return;
    }
    a->draining = 1;
    log_info(cycle_comp, "%s received: draining",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
    event_del(a->tick);
    if (!a->router.url_text) {
        cycle_exit(a);
        return;
    }
    /* A fresh connection: the drain notice must not queue behind a
     * heartbeat stuck on a slow router. */
    char *url = strdup(a->router.url_text);
    int state = a->router.state;
    int rc = url ? agent_router_set(a, NULL, err, sizeof err) : -ENOMEM;
    if (rc == 0)
        rc = agent_router_set(a, url, err, sizeof err);
    a->router.state = state; /* the same router: no "accepts" line again */
    free(url);
    json_object *p = agent_payload_drain(a);
    if (rc == 0)
        rc = agent_router_post(a, p, AGENT_DRAIN_TIMEOUT_S, cycle_drained);
    json_object_put(p);
    if (rc != 0) {
        cycle_exit(a);
        return;
    }
    cycle_arm(a->drain_timer, AGENT_DRAIN_TIMEOUT_S + 1.0);
}

int
agent_cycle_start(struct agent *a)
{
    a->tick = event_new(a->base, -1, 0, cycle_tick_cb, a);
    a->drain_timer = event_new(a->base, -1, 0, cycle_drain_timeout_cb, a);
    a->sig_term = evsignal_new(a->base, SIGTERM, cycle_signal_cb, a);
    a->sig_int = evsignal_new(a->base, SIGINT, cycle_signal_cb, a);
    if (!a->tick || !a->drain_timer || !a->sig_term || !a->sig_int ||
        event_add(a->sig_term, NULL) != 0 || event_add(a->sig_int, NULL) != 0)
        return -ENOMEM;
    if (a->learner) {
        a->save_timer = event_new(a->base, -1, EV_PERSIST, cycle_save_cb, a);
        if (!a->save_timer)
            return -ENOMEM;
        cycle_arm(a->save_timer, AGENT_SAVE_INTERVAL_S);
    }
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    cycle_arm(a->tick, 0); /* the first heartbeat does not wait */
    return 0;
}

void
agent_cycle_stop(struct agent *a)
{
    struct event **evs[] = {&a->tick, &a->drain_timer, &a->sig_term,
                            &a->sig_int, &a->save_timer};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        if (*evs[i]) {
            event_free(*evs[i]);
            *evs[i] = NULL;
        }
}
