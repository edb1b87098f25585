/* Numeric and boolean keys of the scoring plugins' INI sections.
 *
 * Compiled into each scoring plugin (they share no library): a plugin
 * describes its keys in a table of offsets into its context, and
 * scoring_param_set() parses one key = value against it. */
#ifndef HERD_SCORING_PARAM_H
#define HERD_SCORING_PARAM_H

#include <stddef.h>

enum scoring_param_type { SCORING_PARAM_NUMBER, SCORING_PARAM_BOOL };

struct scoring_param {
    const char *key;
    enum scoring_param_type type;
    size_t offset;   /* of a double (NUMBER) or an int (BOOL) in ctx */
    double min, max; /* inclusive bounds of a NUMBER */
};

/* Sets the key of table (terminated by a NULL key) in ctx from value.
 * Returns 0, -ENOENT for a key not in table, -EINVAL with the reason in err
 * for a value that is not a finite number in [min, max] or not a boolean. */
int scoring_param_set(const struct scoring_param *table, void *ctx,
                      const char *key, const char *value, char *err,
                      size_t errlen);

#endif
