/* A model's category by its name (the reference's §5.6 keywords), for the
 * VRAM fallback: a request may be served by another loaded model of the
 * same category, never across chat and embedding. */
#ifndef HERD_CORE_MODEL_CATEGORY_H
#define HERD_CORE_MODEL_CATEGORY_H

enum model_category {
    MODEL_CAT_GENERAL,
    MODEL_CAT_CODING,
    MODEL_CAT_REASONING,
    MODEL_CAT_CREATIVE,
    MODEL_CAT_VISION,
    MODEL_CAT_IMAGE,
    MODEL_CAT_EMBEDDING
};

enum model_category model_category(const char *name);
const char *model_category_name(enum model_category c);

#endif
