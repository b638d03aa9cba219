#include "runtime/foreground.h"

#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/terminal.h"

void foreground_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (int s = 1; s < 32; s++) {
		switch (s) {
		case SIGKILL:
		case SIGSTOP:
		case SIGSEGV:
		case SIGBUS:
		case SIGILL:
		case SIGFPE:
		case SIGTRAP:
		case SIGSYS:
		case SIGABRT:
			continue;
		default:
			sigaddset(set, s);
		}
	}
}

static int wait_forwarding(int sigfd, pid_t pid, int *status, struct husk_err **err)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sigfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si))
			return husk_err_sys(err, "read signalfd");
		if (si.ssi_signo == SIGCHLD) {
			pid_t w;
			int st;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0)
				if (w == pid) {
					*status = st;
					return 0;
				}
		} else if (si.ssi_signo != SIGWINCH) {
			kill(pid, si.ssi_signo);
		}
	}
}

int foreground_wait(const sigset_t *set, pid_t pid, int pty_master, int *status,
		    struct husk_err **err)
{
	cleanup_fd int sigfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sigfd < 0)
		return husk_err_sys(err, "signalfd");
	if (pty_master >= 0)
		return terminal_proxy(pty_master, sigfd, pid, status, err);
	return wait_forwarding(sigfd, pid, status, err);
}
