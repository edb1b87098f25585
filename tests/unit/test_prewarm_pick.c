/* The runner-up of a pre-warm: only a node that has the model on disk,
 * is usable, is not offered by the scorer, runs nothing of ours, is not
 * cooling down and could hold the model once its idle models go; among
 * those the most free memory wins, then the fastest history. */
#include "autoconfig.h"

#include "prewarm_pick.h"
#include "tap.h"

#include <math.h>
#include <string.h>

/* A node that fits a 4 GB model: 8 GB total, 2 GB free now. */
static struct prewarm_node
fit(const char *id)
{
    struct prewarm_node n;
    memset(&n, 0, sizeof n);
    n.id = id;
    n.usable = 1;
    n.on_disk = 1;
    n.total_gb = 8;
    n.free_gb = 2;
    n.p75_ms = NAN;
    return n;
}

static void
test_reasons(void)
{
    struct prewarm_node n = fit("b");
    ok(prewarm_unfit(&n, 4) == NULL, "on disk, idle, 8 GB total: fits 4 GB");
    is_int((int)prewarm_pick(&n, 1, 4), 0, "and is picked");

    n = fit("b");
    n.usable = 0;
    like(prewarm_unfit(&n, 4), "not online", "an unusable node does not fit");
    n = fit("b");
    n.candidate = 1;
    like(prewarm_unfit(&n, 4), "offers it", "a candidate needs no pre-warm");
    n = fit("b");
    n.loaded = 1;
    like(prewarm_unfit(&n, 4), "loaded already",
         "nor a node that has it loaded");
    n = fit("b");
    n.on_disk = 0;
    like(prewarm_unfit(&n, 4), "does not have", "nor one without the model");
    n = fit("b");
    n.cooling = 1;
    like(prewarm_unfit(&n, 4), "cooldown", "nor one pre-warmed recently");
    n = fit("b");
    n.running = 1;
    like(prewarm_unfit(&n, 4), "runs requests",
         "nor one running our requests (its models are not idle)");
    n = fit("b");
    n.total_gb = 0;
    like(prewarm_unfit(&n, 4), "no memory figures",
         "nor one without memory figures");
    n = fit("b");
    like(prewarm_unfit(&n, 9), "larger than its memory",
         "nor one whose whole memory is too small");
    ok(prewarm_unfit(&n, 8) == NULL, "a model of exactly its memory fits");
    like(prewarm_unfit(&n, 0), "larger", "an unknown model size fits nowhere");
    n.ceiling_gb = 6;
    is_double(prewarm_room_gb(&n), 6, 1e-9,
              "the learned ceiling caps the room");
    like(prewarm_unfit(&n, 7), "larger",
         "a model above the learned ceiling does not fit");
    ok(prewarm_unfit(&n, 6) == NULL, "one at the ceiling does");
    n.ceiling_gb = 20;
    is_double(prewarm_room_gb(&n), 8, 1e-9,
              "a ceiling above the total changes nothing");
}

static void
test_order(void)
{
    struct prewarm_node v[4] = {fit("a"), fit("b"), fit("c"), fit("d")};
    v[0].candidate = 1; /* the busy node that has it */
    v[0].free_gb = 50;
    v[1].free_gb = 3;
    v[2].free_gb = 5;
    v[3].free_gb = 4;
    is_int((int)prewarm_pick(v, 4, 4), 2, "the most free memory wins");

    v[1].free_gb = v[2].free_gb = v[3].free_gb = 5;
    v[1].p75_ms = 900;
    v[3].p75_ms = 300;
    is_int((int)prewarm_pick(v, 4, 4), 3,
           "equal memory: the fastest history wins");
    v[1].p75_ms = v[3].p75_ms = NAN;
    is_int((int)prewarm_pick(v, 4, 4), 1, "no history: the first wins");
    v[2].p75_ms = 5000;
    is_int((int)prewarm_pick(v, 4, 4), 2, "some history beats none");

    v[1].running = v[2].running = v[3].running = 1;
    is_int((int)prewarm_pick(v, 4, 4), -1, "none fits: -1");
    is_int((int)prewarm_pick(v, 0, 4), -1, "no nodes: -1");
}

int
main(void)
{
    test_reasons();
    test_order();
    return done_testing();
}
