/* The monitor's side of the channel (channel.h): a thread that relays the
 * runtime's stdio and signals to the guest agent and the workload's output
 * and exit status back.  Runs next to vm_boot() in the container's init. */
#ifndef HUSK_VM_AGENT_HOST_RELAY_H
#define HUSK_VM_AGENT_HOST_RELAY_H

#include <signal.h>
#include <stdbool.h>

#include "common/err.h"

struct host_relay_opts {
	int chan;	     /* the monitor's end of the virtio console's socket */
	int in, out, err;    /* the runtime's stdio */
	bool terminal;	     /* in is a terminal: its size goes to the guest */
	const sigset_t *fwd; /* blocked in every thread: forwarded to the workload */
	/* The monitor's listening socket for `husk exec` (<state dir>/vm.sock),
	 * -1 for none.  Each client is one exec session: it sends CHAN_EXEC then
	 * stdin, signals, window sizes, and gets the process's output and status
	 * (frames as on the channel, session 0); the monitor renumbers them to
	 * its session on the guest channel.  A client that goes away before the
	 * status SIGKILLs its process in the guest. */
	int exec_listen;
	/* The agent has already spoken on chan: an exec relay's handshake read
	 * CHAN_STARTED itself.  Otherwise nothing is sent, and stdin is not
	 * read, until the guest's first frame (host_relay.c). */
	bool guest_up;
};

struct host_relay;

int host_relay_start(const struct host_relay_opts *o, struct host_relay **out,
		     struct husk_err **err);
/* Stop the thread (the VM has stopped) and free it.  Returns 1 with *status
 * (a wait status) when the guest reported the workload's end, 0 when it did
 * not; *error (heap, or NULL) is what the agent reported instead;
 * *started_ns when the workload's execve was reported (now_ns(), 0: never). */
/* For an exec client (chan: its connection to the monitor): wait until the
 * monitor closed the connection (after the status), then host_relay_finish. */
void host_relay_wait(struct host_relay *r);
/* An exec client's first read: the agent's answer to CHAN_EXEC, which must
 * be CHAN_STARTED (0) or CHAN_ERROR (-1 with its text, control characters
 * shown as '?'); anything else, a frame over CHAN_MAX_PAYLOAD or an early
 * end is an error too.  Blocking; reads exactly that one frame. */
int host_relay_handshake(int conn, struct husk_err **err);
int host_relay_finish(struct host_relay *r, int *status, char **error,
		      unsigned long long *started_ns);

#endif
