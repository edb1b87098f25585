/* The score breakdown of a trace: its points are written in exactly the
 * text json-c gives a double (whole numbers by a fast path, the rest by
 * json-c), so traces read the same as before the fast path. */
#include "autoconfig.h"

#include "scorer.h"
#include "tap.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The breakdown of one candidate with one signal worth v, as text. */
static void
breakdown_text(double v, char *out, size_t len)
{
    char signals[1][SCORER_NAME_MAX] = {"s"};
    double points[1] = {v};
    struct route_candidate c = {.node = "n", .total = v, .points = points};
    struct route_result r = {.signals = signals,
                             .signal_count = 1,
                             .candidates = &c,
                             .candidate_count = 1};
    json_object *o = route_result_breakdown(&r, 0);
    snprintf(out, len, "%s",
             o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)
               : "(null)");
    json_object_put(o);
}

/* What json-c itself writes for v in the same object. */
static void
json_c_text(double v, char *out, size_t len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "s", json_object_new_double(v));
    json_object_object_add(o, "total", json_object_new_double(v));
    snprintf(out, len, "%s",
             json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

int
main(void)
{
    const double values[] = {
        0,    50,      -12,   1,           -1,     100,
        -0.0, 3.5,     -2.25, 0.1,         1e14,   -999999999999999,
        1e15, -1e15,   1e17,  123456789.0, 2.5e-7, 4503599627370497.0,
        NAN,  INFINITY};
    char got[256], want[256];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        breakdown_text(values[i], got, sizeof got);
        json_c_text(values[i], want, sizeof want);
        is_str(got, want, "%.17g is written as json-c writes it", values[i]);
    }
    breakdown_text(50, got, sizeof got);
    is_str(got, "{\"s\":50.0,\"total\":50.0}",
           "a whole number keeps its .0, as in the traces so far");

    /* the value stays a double for readers of the object */
    char signals[1][SCORER_NAME_MAX] = {"s"};
    double points[1] = {-40};
    struct route_candidate c = {.node = "n", .total = -40, .points = points};
    struct route_result r = {.signals = signals,
                             .signal_count = 1,
                             .candidates = &c,
                             .candidate_count = 1};
    json_object *o = route_result_breakdown(&r, 0), *v = NULL;
    ok(o && json_object_object_get_ex(o, "s", &v) &&
           json_object_is_type(v, json_type_double) &&
           json_object_get_double(v) == -40,
       "the points read back as the double -40");
    json_object_put(o);
    ok(route_result_breakdown(&r, 1) == NULL, "no candidate 1: NULL");
    return done_testing();
}
