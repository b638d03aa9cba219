#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#define HOOK_OUTPUT_MAX 4096

static void hook_child(const struct oci_hook *h, int in_fd, int out_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(127);
	/* The spec gives a hook its stdin (the state) and nothing else: whatever
	 * husk inherited from its caller stays out too, and a hook's background
	 * child can hold no lock or pipe of husk's. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	char *fallback[] = {h->path, NULL};
	char *noenv[] = {NULL};
	char **argv = h->args.n ? h->args.v : fallback;
	char **envp = h->env.n ? h->env.v : noenv;
	execve(h->path, argv, envp);
	dprintf(2, "exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

static void append_output(char *buf, size_t *used, int fd)
{
	char tmp[1024];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return;
	size_t room = HOOK_OUTPUT_MAX - *used;
	if ((size_t)n > room)
		n = room;
	memcpy(buf + *used, tmp, n);
	*used += n;
}

/* Wait for the hook, draining its output, killing it at the deadline. */
static int hook_wait(pid_t pid, int out_fd, long timeout_ms, int *status, char *out, size_t *used,
		     bool *timed_out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	unsigned long long deadline = timeout_ms > 0 ? now_ns() + timeout_ms * 1000000ull : 0;
	bool out_open = true;
	*timed_out = false;
	while (pidfd >= 0) {
		struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = out_open ? out_fd : -1, .events = POLLIN}};
		int wait_ms = -1;
		if (deadline) {
			unsigned long long now = now_ns();
			wait_ms = now >= deadline ? 0 : (int)((deadline - now) / 1000000ull) + 1;
		}
		int r = poll(p, 2, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && deadline && now_ns() >= deadline) {
			kill(pid, SIGKILL);
			*timed_out = true;
			break;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			size_t before = *used;
			append_output(out, used, out_fd);
			if (*used == before && !(p[1].revents & POLLIN))
				out_open = false;
			else if (*used == before && *used >= HOOK_OUTPUT_MAX)
				out_open = false;
		}
		if (p[0].revents & POLLIN)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	/* Whatever is left in the pipe after exit. */
	fcntl(out_fd, F_SETFL, O_NONBLOCK);
	for (size_t before = ~(size_t)0; before != *used && *used < HOOK_OUTPUT_MAX;) {
		before = *used;
		append_output(out, used, out_fd);
	}
	return 0;
}

static int hook_run_one(const struct oci_hook *h, const char *kind, size_t idx,
			const char *state_json, struct husk_err **err)
{
	if (!h->path || h->path[0] != '/')
		return husk_err_set(err, EINVAL, "%s hook #%zu: path must be absolute, got \"%s\"",
				    kind, idx, h->path ? h->path : "");
	int in[2], out[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return husk_err_sys(err, "%s hook #%zu: socketpair", kind, idx);
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return husk_err_sys(err, "%s hook #%zu: pipe", kind, idx);
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return husk_err_set(err, e, "%s hook #%zu: fork", kind, idx);
	}
	if (pid == 0)
		hook_child(h, in[1], out[1]);
	close(in[1]);
	close(out[1]);
	cleanup_fd int in_fd = in[0];
	cleanup_fd int out_fd = out[0];
	size_t len = state_json ? strlen(state_json) : 0;
	for (size_t done = 0; done < len;) {
		ssize_t n = send(in_fd, state_json + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the hook does not read its stdin: that is its business */
		done += n;
	}
	shutdown(in_fd, SHUT_WR);
	char output[HOOK_OUTPUT_MAX + 1];
	size_t used = 0;
	int status = 0;
	bool timed_out;
	long timeout_ms = h->timeout.set ? (long)h->timeout.v * 1000 : 0;
	if (hook_wait(pid, out_fd, timeout_ms, &status, output, &used, &timed_out) < 0)
		return husk_err_sys(err, "%s hook #%zu (%s): wait", kind, idx, h->path);
	output[used] = '\0';
	while (used && (output[used - 1] == '\n' || output[used - 1] == ' '))
		output[--used] = '\0';
	if (timed_out)
		return husk_err_set(err, ETIMEDOUT, "%s hook #%zu (%s): timed out after %llds",
				    kind, idx, h->path, (long long)h->timeout.v);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (used)
			log_debug("%s hook #%zu (%s) output: %s", kind, idx, h->path, output);
		return 0;
	}
	if (WIFSIGNALED(status))
		return husk_err_set(err, 0, "%s hook #%zu (%s): killed by signal %d%s%s", kind, idx,
				    h->path, WTERMSIG(status), used ? ", output: " : "", output);
	return husk_err_set(err, 0, "%s hook #%zu (%s): exit status %d%s%s", kind, idx, h->path,
			    WEXITSTATUS(status), used ? ", output: " : "", output);
}

int hooks_run(const struct oci_hook_list *hooks, const char *kind, const char *state_json,
	      struct husk_err **err)
{
	for (size_t i = 0; hooks && i < hooks->n; i++)
		if (hook_run_one(&hooks->v[i], kind, i, state_json, err) < 0)
			return -1;
	return 0;
}

void hooks_run_warn(const struct oci_hook_list *hooks, const char *kind, const char *state_json)
{
	for (size_t i = 0; hooks && i < hooks->n; i++) {
		struct husk_err *err = NULL;
		if (hook_run_one(&hooks->v[i], kind, i, state_json, &err) < 0)
			log_warn("%s", err->msg);
		husk_err_free(&err);
	}
}
