/* What the native and the OpenAI layers build alike (sim_api_reply.c):
 * the text, thinking and tool calls a non-streamed answer collects until
 * finish, embedding vectors, and the text embed inputs stand for. */
#ifndef HERD_SIM_API_REPLY_H
#define HERD_SIM_API_REPLY_H

#include <event2/buffer.h>
#include <json-c/json.h>

#include "sim.h"

/* A job that does not stream keeps text in job->text or job->thinking for
 * its finish and returns 1; a streaming one returns 0, to send it now. */
int api_keep_piece(struct sim_job *job, enum sim_piece kind, const char *text);

/* Adds call (the reference passes to the job) to job->tool_calls. */
void api_keep_tool_call(struct sim_job *job, json_object *call);

/* Empties b into a new NUL-ended string, for the caller to free. */
char *api_take_text(struct evbuffer *b);

/* The length of the job's vectors: the model's embedding length, or the
 * request's "dimensions" when that is smaller. */
int api_embed_dim(const struct sim_job *job);

/* v[0..dim) times scale as an array of numbers printed with %.9g. */
json_object *api_embed_vector(const double *v, int dim, double scale);

/* Embed inputs (an array of strings) one a line: the text the prompt
 * cache and the token counts see. For the caller to free. */
char *api_inputs_prompt(json_object *inputs);

#endif
