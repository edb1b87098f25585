/* The environment layer. The variables the loader reads are captured once
 * at the first load and replayed on reload, so SIGHUP sees the same
 * environment as start-up did. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"

/* Read by the loader beside the schema's variables. */
static const char *const env_extra[] = {"HERD_CONFIG", "XDG_CONFIG_HOME",
                                        "HOME"};

static int
env_add(struct config_env *env, const char *name, const char *value)
{
    char **n = realloc(env->names, (env->count + 1) * sizeof *n);
    char **v;

    if (!n)
        return -ENOMEM;
    env->names = n;
    v = realloc(env->values, (env->count + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    env->values = v;
    n[env->count] = strdup(name);
    v[env->count] = value ? strdup(value) : NULL;
    if (!n[env->count] || (value && !v[env->count])) {
        free(n[env->count]);
        free(v[env->count]);
        return -ENOMEM;
    }
    env->count++;
    return 0;
}

int
config_env_capture(struct config_env *env)
{
    memset(env, 0, sizeof *env);
    for (size_t i = 0; i < sizeof env_extra / sizeof env_extra[0]; i++)
        if (env_add(env, env_extra[i], getenv(env_extra[i])) < 0)
            goto nomem;
    for (size_t i = 0; i < config_key_count; i++) {
        const char *name = config_keys[i].env;
        if (name && env_add(env, name, getenv(name)) < 0)
            goto nomem;
    }
    return 0;
nomem:
    config_env_free(env);
    return -ENOMEM;
}

int
config_env_copy(struct config_env *dst, const struct config_env *src)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->count; i++)
        if (env_add(dst, src->names[i], src->values[i]) < 0) {
            config_env_free(dst);
            return -ENOMEM;
        }
    return 0;
}

const char *
config_env_get(const struct config_env *env, const char *name)
{
    for (size_t i = 0; env && i < env->count; i++)
        if (strcmp(env->names[i], name) == 0)
            return env->values[i];
    return NULL;
}

void
config_env_free(struct config_env *env)
{
    for (size_t i = 0; i < env->count; i++) {
        free(env->names[i]);
        free(env->values[i]);
    }
    free(env->names);
    free(env->values);
    memset(env, 0, sizeof *env);
}

int
config_env_settings(const struct config_env *env, struct config_layer *layer,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < config_key_count; i++) {
        const char *name = config_keys[i].env;
        const char *value = name ? config_env_get(env, name) : NULL;
        if (!value)
            continue;
        if (config_layer_add(layer, (int)i, value, CONFIG_SRC_ENV, name) < 0) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    return 0;
}
