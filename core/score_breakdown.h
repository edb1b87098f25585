/* A trace's scores_breakdown as JSON text: {"<signal>":points,...,
 * "total":total}, points rounded to a millionth. The scorer's ranking and
 * the trace writer's storage thread both write it from plain numbers. */
#ifndef HERD_CORE_SCORE_BREAKDOWN_H
#define HERD_CORE_SCORE_BREAKDOWN_H

#include <stddef.h>

/* Malloc'd text, or NULL when memory runs out. */
char *score_breakdown_text(const char *const *names, const double *points,
                           size_t count, double total);

#endif
