/* Categories by name keywords, checked in a fixed order: embedding first
 * (never confused with chat), then the reference's list. */
#include "autoconfig.h"

#include "model_category.h"

#include <ctype.h>
#include <string.h>

static int
category_has(const char *lower, const char *const *words)
{
    for (; *words; words++)
        if (strstr(lower, *words))
            return 1;
    return 0;
}

enum model_category
model_category(const char *name)
{
    static const char *const embed[] = {
        "embed", "minilm", "bge-", "bge:", "e5-", "gte-", NULL};
    static const char *const coding[] = {"coder", "codestral", "devstral",
                                         "starcoder", NULL};
    static const char *const reasoning[] = {"deepseek-r1", "phi-4", "reasoning",
                                            NULL};
    static const char *const creative[] = {"creative", "mistral-nemo", "story",
                                           NULL};
    static const char *const vision[] = {"vision", "llava", "moondream",
                                         "minicpm-v", NULL};
    char lower[256];
    size_t i;
    for (i = 0; name[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    lower[i] = '\0';
    if (category_has(lower, embed))
        return MODEL_CAT_EMBEDDING;
    if (strncmp(lower, "x/", 2) == 0)
        return MODEL_CAT_IMAGE;
    if (category_has(lower, coding))
        return MODEL_CAT_CODING;
    if (category_has(lower, reasoning))
        return MODEL_CAT_REASONING;
    if (category_has(lower, creative))
        return MODEL_CAT_CREATIVE;
    if (category_has(lower, vision))
        return MODEL_CAT_VISION;
    return MODEL_CAT_GENERAL;
}

const char *
model_category_name(enum model_category c)
{
    static const char *const names[] = {"general",  "coding", "reasoning",
                                        "creative", "vision", "image",
                                        "embedding"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}
