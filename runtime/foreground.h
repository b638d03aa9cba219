/* A foreground `run` or `exec`: husk stays until its process exits, passing
 * on the signals it gets (runc forwards all it can catch) and, with a
 * terminal and no --console-socket, proxying the pty to its own stdio. */
#ifndef HUSK_RUNTIME_FOREGROUND_H
#define HUSK_RUNTIME_FOREGROUND_H

#include <signal.h>
#include <sys/types.h>

#include "common/err.h"

/* The signals forwarded: everything but those a process cannot catch or that
 * report husk's own faults. */
void foreground_signal_set(sigset_t *set);

/* Wait for pid, forwarding the signals of set (blocked by the caller since
 * before pid was made) and proxying pty_master when >= 0.  *status: pid's
 * wait status. */
int foreground_wait(const sigset_t *set, pid_t pid, int pty_master, int *status,
		    struct husk_err **err);

#endif
