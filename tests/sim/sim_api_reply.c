/* Reply pieces the native and OpenAI layers share (see sim_api_reply.h). */
#include "autoconfig.h"

#include "sim_api_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
api_keep_piece(struct sim_job *job, enum sim_piece kind, const char *text)
{
    if (job->stream)
        return 0;
    evbuffer_add(kind == SIM_PIECE_THINKING ? job->thinking : job->text, text,
                 strlen(text));
    return 1;
}

void
api_keep_tool_call(struct sim_job *job, json_object *call)
{
    if (!job->tool_calls)
        job->tool_calls = json_object_new_array();
    json_object_array_add(job->tool_calls, call);
}

char *
api_take_text(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    return s;
}

int
api_embed_dim(const struct sim_job *job)
{
    int dim = job->model->embedding_length;
    json_object *asked = sim_jget(job->body, "dimensions");
    if (asked && json_object_get_int(asked) > 0 &&
        json_object_get_int(asked) < dim)
        dim = json_object_get_int(asked);
    return dim;
}

json_object *
api_embed_vector(const double *v, int dim, double scale)
{
    json_object *a = json_object_new_array_ext(dim);
    for (int i = 0; i < dim; i++) {
        char num[32];
        double x = v[i] * scale;
        snprintf(num, sizeof num, "%.9g", x);
        json_object_array_add(a, json_object_new_double_s(x, num));
    }
    return a;
}

char *
api_inputs_prompt(json_object *inputs)
{
    struct evbuffer *b = evbuffer_new();
    for (size_t i = 0; i < json_object_array_length(inputs); i++)
        evbuffer_add_printf(
            b, "%s\n",
            json_object_get_string(json_object_array_get_idx(inputs, i)));
    char *prompt = api_take_text(b);
    evbuffer_free(b);
    return prompt;
}
