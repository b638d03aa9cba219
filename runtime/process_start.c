/* The process-start path shared by create and exec (process_start.h). */
#include "runtime/process_start.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/terminal.h"

int process_start_open(struct process_start *ps, const sigset_t *block, const char *console_socket,
		       struct husk_err **err)
{
	*ps = (struct process_start){.sync_fd = -1,
				     .peer_fd = -1,
				     .pty_master = -1,
				     .console_socket =
					 console_socket && *console_socket ? console_socket : NULL};
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return husk_err_sys(err, "socketpair");
	ps->sync_fd = sv[0];
	ps->peer_fd = sv[1];
	if (block) {
		sigprocmask(SIG_BLOCK, block, &ps->orig_mask);
		ps->mask_changed = true;
	} else {
		sigprocmask(SIG_SETMASK, NULL, &ps->orig_mask);
	}
	return 0;
}

static pid_t clone_into(unsigned long flags, int into_fd, bool *cloned_into)
{
	*cloned_into = false;
	if (into_fd >= 0) {
		struct clone_args args = {.flags = flags | CLONE_INTO_CGROUP,
					  .exit_signal = SIGCHLD,
					  .cgroup = (uint64_t)into_fd};
		pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*cloned_into = true;
			return pid;
		}
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

pid_t process_start_clone(struct process_start *ps, unsigned long flags, int into_cgroup_fd,
			  bool *cloned_into_cgroup)
{
	bool into;
	pid_t pid = clone_into(flags, into_cgroup_fd, &into);
	if (cloned_into_cgroup)
		*cloned_into_cgroup = into;
	if (pid == 0) {
		close(ps->sync_fd);
		ps->sync_fd = steal_fd(&ps->peer_fd);
		return 0;
	}
	int saved = errno;
	close(steal_fd(&ps->peer_fd));
	if (pid > 0)
		ps->child = pid;
	errno = saved;
	return pid;
}

int process_start_fork(int sync_fd, struct husk_err **err)
{
	int barrier[2];
	if (pipe2(barrier, O_CLOEXEC) < 0)
		return husk_err_sys(err, "pipe");
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		close(barrier[0]);
		close(barrier[1]);
		return husk_err_sys(err, "fork");
	}
	if (pid > 0) {
		/* The new process waits for our exit (EOF on the barrier). */
		close(barrier[0]);
		_exit(sync_send_blob(sync_fd, SYNC_PID, &pid, sizeof(pid), NULL) < 0);
	}
	close(barrier[1]);
	char b;
	while (read(barrier[0], &b, 1) < 0 && errno == EINTR)
		;
	close(barrier[0]);
	return 0;
}

bool process_start_report(int sync_fd, const struct husk_err *err)
{
	return sync_fd >= 0 && sync_send(sync_fd, SYNC_ERROR, NULL) == 0 &&
	       husk_err_send(sync_fd, err) > 0;
}

static void reap(pid_t pid)
{
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int receive_pid(struct process_start *ps, struct husk_err **err)
{
	cleanup_free char *buf = NULL;
	uint32_t len;
	if (sync_recv_blob(ps->sync_fd, &buf, &len, err) < 0)
		return -1;
	if (len != sizeof(pid_t))
		return husk_err_set(err, EPROTO, "sync: bad pid message");
	memcpy(&ps->pid, buf, sizeof(pid_t));
	/* The forking child exits right after sending: reap it, the process it
	 * named is the one to watch from now on. */
	if (ps->child != ps->pid)
		reap(ps->child);
	ps->child = ps->pid;
	return 0;
}

static int receive_pty(struct process_start *ps, struct husk_err **err)
{
	cleanup_fd int master = -1;
	if (terminal_recv_fd(ps->sync_fd, &master, err) < 0)
		return -1;
	if (ps->console_socket)
		return terminal_send_to_console_socket(ps->console_socket, master, err);
	if (ps->pty_master >= 0)
		close(ps->pty_master);
	ps->pty_master = steal_fd(&master);
	return 0;
}

int process_start_converse(struct process_start *ps, const char *who, process_start_msg_fn on_msg,
			   void *arg, struct husk_err **err)
{
	for (;;) {
		enum sync_type t;
		struct husk_err *eof = NULL;
		if (sync_recv_type(ps->sync_fd, &t, &eof) < 0) {
			husk_err_free(&eof);
			/* The socket is close-on-exec: EOF after SYNC_EXEC means the
			 * process runs; without it, it died on the way. */
			if (ps->exec_reached && ps->pid > 0)
				return 0;
			return husk_err_set(err, ECHILD, "%s exited during set-up", who);
		}
		int r = 0;
		switch (t) {
		case SYNC_PID:
			r = receive_pid(ps, err);
			break;
		case SYNC_PTY:
			r = receive_pty(ps, err);
			break;
		case SYNC_EXEC:
			ps->exec_reached = true;
			break;
		case SYNC_ERROR:
			husk_err_recv(ps->sync_fd, err);
			return -1;
		default:
			if (!on_msg)
				return husk_err_set(err, EPROTO, "unexpected message %d from %s",
						    (int)t, who);
			r = on_msg(arg, t, err);
			if (r > 0)
				return 0;
		}
		if (r < 0)
			return -1;
	}
}

void process_start_abort(struct process_start *ps)
{
	if (ps->pid > 0 && ps->pid != ps->child)
		kill(ps->pid, SIGKILL);
	if (ps->child > 0)
		kill(ps->child, SIGKILL);
	reap(ps->child);
	if (ps->pid != ps->child)
		reap(ps->pid);
	ps->child = ps->pid = 0;
	if (ps->pty_master >= 0)
		close(ps->pty_master);
	ps->pty_master = -1;
}

void process_start_close(struct process_start *ps, bool keep_mask)
{
	if (ps->sync_fd >= 0)
		close(ps->sync_fd);
	if (ps->peer_fd >= 0)
		close(ps->peer_fd);
	ps->sync_fd = ps->peer_fd = -1;
	if (ps->mask_changed && !keep_mask)
		sigprocmask(SIG_SETMASK, &ps->orig_mask, NULL);
	ps->mask_changed = false;
}

int process_start_write_pid_file(const char *path, pid_t pid, struct husk_err **err)
{
	if (!path || !*path)
		return 0;
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write_file_atomic_at(AT_FDCWD, path, buf, n, 0644, err) < 0)
		return husk_err_wrap(err, "pid file");
	return 0;
}
