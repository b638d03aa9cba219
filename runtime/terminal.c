#include "runtime/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd_pass.h"
#include "common/util.h"

int terminal_set_size(const struct oci_process *proc, int slave, struct husk_err **err)
{
	if (!proc->console_height.set && !proc->console_width.set)
		return 0;
	struct winsize ws = {.ws_row = proc->console_height.v, .ws_col = proc->console_width.v};
	if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
		return husk_err_sys(err, "terminal: set consoleSize");
	return 0;
}

/* A pty from the host's devpts, for configs that mount no devpts of their own. */
static int terminal_open_from(int ptmx_fd, const struct oci_process *proc, int *master, int *slave,
			      struct husk_err **err)
{
	cleanup_fd int m = ptmx_fd;
	/* No grantpt(): it stats /dev/pts/N by name, which may be another devpts. */
	if (unlockpt(m) < 0)
		return husk_err_sys(err, "terminal: unlock pty");
	cleanup_fd int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return husk_err_sys(err, "terminal: open pty slave");
	if (terminal_set_size(proc, s, err) < 0)
		return -1;
	*slave = steal_fd(&s);
	*master = steal_fd(&m);
	return 0;
}

int terminal_open(const struct oci_process *proc, int *master, int *slave, struct husk_err **err)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return husk_err_sys(err, "terminal: open /dev/ptmx");
	return terminal_open_from(m, proc, master, slave, err);
}

int terminal_send_fd(int sock, int fd, const char *payload, struct husk_err **err)
{
	const char *data = payload && *payload ? payload : "-";
	if (fd_pass_send(sock, data, strlen(data), fd) < 0)
		return husk_err_sys(err, "send terminal fd");
	return 0;
}

int terminal_recv_fd(int sock, int *fd, struct husk_err **err)
{
	char data; /* one message, one byte */
	if (fd_pass_recv(sock, &data, 1, fd) < 0)
		return husk_err_sys(err, "receive terminal fd");
	if (*fd < 0)
		return husk_err_set(err, EPROTO, "terminal fd missing from message");
	return 0;
}

int terminal_send_to_console_socket(const char *path, int master, struct husk_err **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return husk_err_set(err, ENAMETOOLONG, "console socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	cleanup_fd int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return husk_err_sys(err, "console socket: socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return husk_err_sys(err, "connect to console socket %s", path);
	char name[64] = "/dev/ptmx";
	unsigned n;
	if (ioctl(master, TIOCGPTN, &n) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%u", n);
	if (terminal_send_fd(s, master, name, err) < 0)
		return husk_err_wrap(err, "console socket %s", path);
	return 0;
}

int terminal_become_stdio(int slave, struct husk_err **err)
{
	if (setsid() < 0)
		return husk_err_sys(err, "terminal: setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return husk_err_sys(err, "terminal: set controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup3(slave, i, 0) < 0)
			return husk_err_sys(err, "terminal: dup to fd %d", i);
	return 0;
}

static bool copy_once(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && errno == EINTR;
	return write_all(to, buf, n) >= 0;
}

int terminal_proxy(int master, int sigfd, pid_t pid, int *status, struct husk_err **err)
{
	struct termios saved;
	bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		t.c_oflag |= OPOST; /* keep output post-processing of the host terminal */
		tcsetattr(0, TCSANOW, &t);
		struct winsize ws;
		if (ioctl(0, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	bool in_open = true, master_open = true, exited = false;
	int rc = 0;
	while (!exited || master_open) {
		struct pollfd p[3] = {{.fd = sigfd, .events = POLLIN},
				      {.fd = master_open ? master : -1, .events = POLLIN},
				      {.fd = in_open && master_open ? 0 : -1, .events = POLLIN}};
		/* Once the init is gone, drain the master without waiting forever. */
		int r = poll(p, 3, exited ? 100 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = husk_err_sys(err, "terminal proxy: poll");
			break;
		}
		if (r == 0)
			break;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			if (!copy_once(master, 1))
				master_open = false;
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			if (!copy_once(0, master))
				in_open = false;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				int st;
				pid_t w;
				while ((w = waitpid(-1, &st, WNOHANG)) > 0)
					if (w == pid) {
						*status = st;
						exited = true;
					}
			} else if (si.ssi_signo == SIGWINCH) {
				struct winsize ws;
				if (ioctl(0, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
			} else {
				kill(pid, si.ssi_signo);
			}
		}
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	if (!exited && rc == 0) {
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	}
	return rc;
}
