/* Starting the workload in the guest: its stdio (three pipes, or a pty from
 * the guest's devpts), then the caller's exec_workload() in the child.  A
 * close-on-exec pipe tells the agent whether the execve happened. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/agent/workload.h"

static int open_pty(const struct agent_config *cfg, int *master, int *slave, struct husk_err **err)
{
	*master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return husk_err_sys(err, "open /dev/ptmx");
	int unlock = 0;
	if (ioctl(*master, TIOCSPTLCK, &unlock) < 0)
		return husk_err_sys(err, "unlock the pty");
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (*slave < 0)
		return husk_err_sys(err, "open the pty's slave");
	if (cfg->rows && cfg->cols) {
		struct winsize ws = {.ws_row = cfg->rows, .ws_col = cfg->cols};
		ioctl(*master, TIOCSWINSZ, &ws);
	}
	return 0;
}

__attribute__((noreturn)) static void child(const struct agent_config *cfg, int fds[3], bool tty,
					    int report)
{
	struct husk_err *err = NULL;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0) {
		husk_err_sys(&err, "setsid");
	} else if (tty && ioctl(fds[0], TIOCSCTTY, 0) < 0) {
		husk_err_sys(&err, "make the pty the controlling terminal");
	} else {
		for (int i = 0; i < 3 && !err; i++)
			if (dup2(fds[i], i) < 0)
				husk_err_sys(&err, "stdio");
		if (!err)
			cfg->exec_workload(cfg->ctx, &err);
	}
	const char *msg = err && err->msg ? err->msg : "exec failed";
	(void)!write(report, msg, strlen(msg));
	_exit(127);
}

/* EOF on the report pipe: the execve happened; else the child's error. */
static int wait_exec(int report, struct husk_err **err)
{
	char msg[1024];
	ssize_t n = read_all(report, msg, sizeof(msg) - 1);
	if (n <= 0)
		return 0;
	msg[n] = '\0';
	return husk_err_set(err, ENOEXEC, "%s", msg);
}

int workload_start(const struct agent_config *cfg, struct workload *w, struct husk_err **err)
{
	*w = (struct workload){.pid = -1, .in = -1, .out = -1, .err = -1, .master = -1};
	int child_fds[3] = {-1, -1, -1};
	int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
	cleanup_fd int slave = -1;
	int report[2] = {-1, -1};
	int ret = -1;
	if (cfg->terminal) {
		if (open_pty(cfg, &w->master, &slave, err) < 0)
			goto out;
		child_fds[0] = child_fds[1] = child_fds[2] = slave;
	} else {
		for (int i = 0; i < 3; i++)
			if (pipe2(p[i], O_CLOEXEC) < 0) {
				husk_err_sys(err, "pipe");
				goto out;
			}
		child_fds[0] = p[0][0];
		child_fds[1] = p[1][1];
		child_fds[2] = p[2][1];
	}
	if (pipe2(report, O_CLOEXEC) < 0) {
		husk_err_sys(err, "pipe");
		goto out;
	}
	w->pid = fork();
	if (w->pid < 0) {
		husk_err_sys(err, "fork the workload");
		goto out;
	}
	if (w->pid == 0)
		child(cfg, child_fds, cfg->terminal, report[1]);
	close(report[1]);
	report[1] = -1;
	if (wait_exec(report[0], err) < 0)
		goto out;
	if (!cfg->terminal) {
		w->in = steal_fd(&p[0][1]);
		w->out = steal_fd(&p[1][0]);
		w->err = steal_fd(&p[2][0]);
	}
	int nb[] = {w->in, w->out, w->err, w->master};
	for (size_t i = 0; i < ARRAY_SIZE(nb); i++)
		if (nb[i] >= 0)
			fcntl(nb[i], F_SETFL, fcntl(nb[i], F_GETFL) | O_NONBLOCK);
	ret = 0;
out:
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (p[i][j] >= 0)
				close(p[i][j]);
	for (int j = 0; j < 2; j++)
		if (report[j] >= 0)
			close(report[j]);
	if (ret < 0 && w->master >= 0) {
		close(w->master);
		w->master = -1;
	}
	return ret;
}
