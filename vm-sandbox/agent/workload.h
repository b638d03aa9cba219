/* The workload's process in the guest (internal to the agent). */
#ifndef HUSK_VM_AGENT_WORKLOAD_H
#define HUSK_VM_AGENT_WORKLOAD_H

#include <sys/types.h>

#include "vm-sandbox/agent/agent.h"

struct workload {
	pid_t pid;
	int in, out, err; /* pipe ends the agent keeps (non-blocking), -1 with a terminal */
	int master;	  /* the pty's master (non-blocking), -1 without */
};

/* Fork, set up stdio, exec through cfg->exec_workload.  On failure (the
 * child's own error included) *err says why; a forked child is left to be
 * reaped by the caller (w->pid > 0). */
int workload_start(const struct agent_config *cfg, struct workload *w, struct husk_err **err);

#endif
