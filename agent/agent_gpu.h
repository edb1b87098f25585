/* GPU memory and name: from nvidia-smi when it is installed, else from the
 * amdgpu sysfs files.
 *
 * nvidia-smi can take seconds, so it never runs on the heartbeat path: it
 * is started in the background every AGENT_GPU_REFRESH_S, its output is
 * read through the event loop, and the heartbeat uses the last answer. */
#ifndef HERD_AGENT_GPU_H
#define HERD_AGENT_GPU_H

#include <stddef.h>
#include <sys/types.h>

#define AGENT_GPU_REFRESH_S 60
#define AGENT_GPU_TIMEOUT_S 10

struct event_base;
struct event;

struct agent_gpu {
    int known;       /* the figures below are valid */
    unsigned count;  /* GPUs seen */
    double total_gb; /* summed over the GPUs */
    double used_gb;
    char name[128];     /* first GPU's name, "" when unknown */
    const char *source; /* "nvidia-smi" or "sysfs" */

    /* private */
    struct event_base *base;
    char smi[4096]; /* path of nvidia-smi, "" when absent */
    pid_t pid;      /* running nvidia-smi, 0 when none */
    int fd;
    struct event *ev_read, *ev_timer, *ev_reap;
    char out[8192];
    size_t outlen;
    double started;
};

/* Looks for nvidia-smi on PATH and, when found, starts the first query.
 * Returns 0 (also when there is no nvidia-smi) or -ENOMEM. */
int agent_gpu_start(struct agent_gpu *g, struct event_base *base);

/* For machines without nvidia-smi: re-reads the sysfs figures (amdgpu's
 * mem_info_vram_total/used) under root. Cheap; call per heartbeat. */
void agent_gpu_sysfs_read(struct agent_gpu *g, const char *root);

/* Parses nvidia-smi's "name, total MiB, used MiB" CSV lines into g.
 * Returns the number of GPUs parsed (0: nothing usable). */
unsigned agent_gpu_parse_smi(struct agent_gpu *g, const char *text);

/* Stops the timer and a running query (killed and reaped). */
void agent_gpu_stop(struct agent_gpu *g);

#endif
