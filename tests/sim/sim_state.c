/* GET /sim/state: what the simulator did, for tests to assert on. */
#include "autoconfig.h"

#include "sim.h"

static json_object *
state_u64(uint64_t v)
{
    return json_object_new_int64((int64_t)v);
}

static json_object *
state_model(struct sim_server *s, struct sim_model *m)
{
    json_object *o = json_object_new_object();
    struct sim_runner *r = m->runner;
    int waiting = 0;
    struct sim_job *j;
    TAILQ_FOREACH(j, &s->pending, link)
    waiting += j->model == m;
    if (r)
        TAILQ_FOREACH(j, &r->slot_wait, link)
    waiting++;
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "size", state_u64(m->size_bytes));
    json_object_object_add(
        o, "loaded",
        json_object_new_boolean(r && r->state == SIM_RUNNER_READY));
    json_object_object_add(
        o, "loading",
        json_object_new_boolean(r && r->state == SIM_RUNNER_LOADING));
    json_object_object_add(o, "context_length",
                           json_object_new_int(r ? r->num_ctx : 0));
    json_object_object_add(o, "num_parallel",
                           json_object_new_int(r ? r->nslots : 0));
    json_object_object_add(o, "active", json_object_new_int(r ? r->active : 0));
    json_object_object_add(o, "waiting", json_object_new_int(waiting));
    json_object_object_add(o, "loads", state_u64(m->st.loads));
    json_object_object_add(o, "reloads", state_u64(m->st.reloads));
    json_object_object_add(o, "evictions", state_u64(m->st.evictions));
    json_object_object_add(o, "unloads", state_u64(m->st.unloads));
    json_object_object_add(o, "requests", state_u64(m->st.requests));
    json_object_object_add(o, "max_concurrent",
                           state_u64(m->st.max_concurrent));
    json_object_object_add(o, "prompt_cache_hits", state_u64(m->st.cache_hits));
    json_object_object_add(o, "prompt_tokens_cached",
                           state_u64(m->st.cached_tokens));
    json_object_object_add(o, "prompt_tokens", state_u64(m->st.prompt_tokens));
    json_object_object_add(o, "eval_tokens", state_u64(m->st.eval_tokens));
    return o;
}

void
state_handle(struct sim_server *s, struct evhttp_request *req)
{
    json_object *srv = json_object_new_object();
    json_object_object_add(srv, "memory_total",
                           state_u64((uint64_t)(s->cfg.memory_gb * SIM_GIB)));
    json_object_object_add(srv, "memory_used", state_u64(sched_memory_used(s)));
    json_object_object_add(srv, "loaded_models",
                           json_object_new_int(sched_loaded_count(s)));
    json_object_object_add(srv, "requests_in_flight",
                           state_u64(s->requests_in_flight));
    json_object_object_add(srv, "requests_pending",
                           json_object_new_int(s->npending));
    json_object_object_add(srv, "requests_waiting_slot",
                           json_object_new_int(s->nslot_waiting));
    json_object_object_add(srv, "requests_total", state_u64(s->requests_total));
    json_object_object_add(srv, "rejected_busy", state_u64(s->rejected_busy));
    json_object_object_add(srv, "num_parallel",
                           json_object_new_int(s->cfg.num_parallel));
    json_object_object_add(srv, "max_queue",
                           json_object_new_int(s->cfg.max_queue));
    json_object_object_add(srv, "max_loaded_models",
                           json_object_new_int(s->cfg.max_loaded));
    json_object_object_add(srv, "time_scale",
                           sim_json_double(s->cfg.time_scale));
    json_object *models = json_object_new_array();
    for (struct sim_model *m = s->models; m; m = m->next)
        if (!m->deleted || m->runner)
            json_object_array_add(models, state_model(s, m));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "server", srv);
    json_object_object_add(o, "models", models);
    json_object_object_add(o, "faults", faults_json(s));
    sim_reply_obj(req, 200, o, NULL, 0);
    json_object_put(o);
}
