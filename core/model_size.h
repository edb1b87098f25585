/* Estimated memory size of a model, in GiB, for routing decisions.
 *
 * Best source first: the resident size of the model where it is loaded
 * (this node, else any node); the on-disk size or parameter count a node
 * reported for it (its /api/tags object); the model's name. Name tokens
 * are matched whole ("13b" is 13 billion parameters, never "3b"). */
#ifndef HERD_CORE_MODEL_SIZE_H
#define HERD_CORE_MODEL_SIZE_H

#include "registry.h"

/* Size of a model when nothing is known about it. */
#define MODEL_SIZE_DEFAULT_GB 10.0

/* From the name alone (the reference's table, by whole tokens; other
 * parameter counts at ~0.6 GB per billion). Never fails: unknown names get
 * MODEL_SIZE_DEFAULT_GB. */
double model_size_from_name(const char *model);

/* From a parameter_size text ("32.8B", "567M") and an optional
 * quantization ("Q4_K_M", "Q8_0", "F16"). Returns 0 when the text cannot
 * be read. */
double model_size_from_params(const char *parameter_size,
                              const char *quantization);

/* The fleet-wide estimate for model (normalised): the resident size where
 * it is loaded (largest seen), else a node's on-disk size or parameter
 * count, else the name. */
double model_size_estimate(const struct registry *reg, const char *model);

/* The resident size of model on node n, or 0 when not loaded there. */
double model_size_loaded(const struct registry_node *n, const char *model);

#endif
