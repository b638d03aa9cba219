/* Starting a process in a container, the one path for the init (create.c,
 * init.c) and for exec (exec.c).  Internal to runtime/.
 *
 * husk clones a child that talks to it over a socketpair (sync.h) until its
 * execve closes the socket.  When the process must be forked once more (a pid
 * namespace entered by unshare or setns applies to children), the child forks
 * it with CLONE_PARENT, so it is husk's child too, and SYNC_PID names it.
 *
 *   parent                                   child
 *   process_start_open    socketpair, signals blocked
 *   process_start_clone   clone ---------->  (its own set-up)
 *                                            [process_start_fork: SYNC_PID]
 *   process_start_converse  <-- SYNC_PID / SYNC_PTY / the caller's messages
 *                           <-- SYNC_EXEC    execve next
 *                           <-- EOF          execve closed the socket
 *   process_start_write_pid_file
 *
 * Any failure in the child: process_start_report sends SYNC_ERROR and the
 * error; the parent's converse returns it. */
#ifndef HUSK_RUNTIME_PROCESS_START_H
#define HUSK_RUNTIME_PROCESS_START_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime/sync.h"

struct process_start {
	int sync_fd;		    /* parent: its end; child: its end */
	int peer_fd;		    /* the child's end, in the parent until the clone */
	pid_t child;		    /* the process husk cloned (reaped once SYNC_PID names
				     * another) */
	pid_t pid;		    /* the process that execs; 0 until known */
	bool exec_reached;	    /* SYNC_EXEC came: EOF now means execve happened */
	int pty_master;		    /* SYNC_PTY without a console socket, else -1 */
	const char *console_socket; /* receives the pty master when set */
	sigset_t orig_mask;	    /* the mask before process_start_open; the process
				     * restores it before execve */
	bool mask_changed;
};

/* The control socket; block (may be NULL) stays blocked in husk (run and exec
 * forward those signals from a signalfd). */
int process_start_open(struct process_start *ps, const sigset_t *block, const char *console_socket,
		       struct husk_err **err);

/* clone(flags): 0 in the child (ps->sync_fd is then the child's end), the pid
 * in the parent, -1 with errno on failure.  into_cgroup_fd >= 0: clone3 with
 * CLONE_INTO_CGROUP puts the child straight into that v2 cgroup
 * (*cloned_into_cgroup says whether it did; kernels without it get a plain
 * clone). */
pid_t process_start_clone(struct process_start *ps, unsigned long flags, int into_cgroup_fd,
			  bool *cloned_into_cgroup);

/* Child: fork the process that will execve as husk's child (CLONE_PARENT);
 * this process sends its pid (SYNC_PID) and exits.  Returns 0 in the new
 * process once the pid is sent, so messages on the socket never interleave. */
int process_start_fork(int sync_fd, struct husk_err **err);

/* Child: send err to the parent.  False when nobody listens. */
bool process_start_report(int sync_fd, const struct husk_err *err);

/* Parent: handle messages until the process execs (EOF after SYNC_EXEC) or
 * on_msg returns 1.  SYNC_PID, SYNC_PTY, SYNC_EXEC and SYNC_ERROR are handled
 * here; every other message goes to on_msg (0: go on, 1: done, < 0: failed),
 * which may be NULL.  who names the child in errors. */
typedef int (*process_start_msg_fn)(void *arg, enum sync_type t, struct husk_err **err);
int process_start_converse(struct process_start *ps, const char *who, process_start_msg_fn on_msg,
			   void *arg, struct husk_err **err);

/* Parent, on failure: kill and reap what was started, close the pty master. */
void process_start_abort(struct process_start *ps);
/* Close the socket; restore the signal mask unless keep_mask (the caller
 * goes on forwarding signals). */
void process_start_close(struct process_start *ps, bool keep_mask);

/* --pid-file: the pid, written atomically. */
int process_start_write_pid_file(const char *path, pid_t pid, struct husk_err **err);

#endif
