/* The scores_breakdown text of a trace, written directly: every request
 * stores one, and building it as a json-c object and printing it cost
 * more than ranking the nodes. */
#include "autoconfig.h"

#include <stdlib.h>

#include "common/json_text.h"
#include "scorer.h"

char *
route_result_breakdown_text(const struct route_result *r, size_t i)
{
    if (i >= r->candidate_count)
        return NULL;
    const struct route_candidate *c = &r->candidates[i];
    struct json_text t;
    json_text_init(&t, 256); /* eight signals fit; more grow it */
    json_text_put(&t, "{", 1);
    for (size_t k = 0; k < r->signal_count; k++) {
        json_text_str(&t, r->signals[k]);
        json_text_put(&t, ":", 1);
        json_text_num(&t, c->points[k]);
        json_text_put(&t, ",", 1);
    }
    json_text_put(&t, "\"total\":", 8);
    json_text_num(&t, c->total);
    json_text_put(&t, "}", 1);
    return json_text_take(&t, NULL);
}
