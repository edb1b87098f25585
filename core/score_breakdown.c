/* The scores_breakdown text of a trace, written directly: every request
 * stores one, and building it as a json-c object and printing it cost
 * more than ranking the nodes. */
#include "autoconfig.h"

#include "score_breakdown.h"

#include <stdlib.h>

#include "common/json_text.h"
#include "scorer.h"

char *
score_breakdown_text(const char *const *names, const double *points,
                     size_t count, double total)
{
    struct json_text t;
    json_text_init(&t, 256); /* eight signals fit; more grow it */
    json_text_put(&t, "{", 1);
    for (size_t k = 0; k < count; k++) {
        json_text_str(&t, names[k]);
        json_text_put(&t, ":", 1);
        json_text_num(&t, points[k]);
        json_text_put(&t, ",", 1);
    }
    json_text_put(&t, "\"total\":", 8);
    json_text_num(&t, total);
    json_text_put(&t, "}", 1);
    return json_text_take(&t, NULL);
}

size_t
route_result_signal_names(const struct route_result *r,
                          const char *names[SCORER_MAX_SIGNALS])
{
    size_t n = r->signal_count < SCORER_MAX_SIGNALS ? r->signal_count
                                                    : SCORER_MAX_SIGNALS;
    for (size_t k = 0; k < n; k++)
        names[k] = r->signals[k];
    return n;
}
