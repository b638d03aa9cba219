/* agent_run(): the workload's life in the guest.  One poll loop relays
 * host -> guest frames (stdin, EOF, signals, window size) and the workload's
 * output -> frames, and reaps every child (PID 1 inherits orphans).  Once
 * the workload is gone, what it wrote is drained, the exit status sent, and
 * the host's acknowledgement awaited: the host then has every byte. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/agent/agent.h"
#include "vm-sandbox/agent/channel.h"
#include "vm-sandbox/agent/workload.h"

#define ACK_TIMEOUT_MS 10000

struct relay {
	int chan;
	struct workload w;
	struct chan_reader rd;
	/* stdin bytes the workload has not read yet */
	uint8_t *pending;
	size_t pending_len;
	bool stdin_eof;
	bool exited, acked;
	int status;
};

static void close_in(struct relay *r)
{
	if (r->w.in >= 0)
		close(r->w.in);
	r->w.in = -1;
}

static void flush_stdin(struct relay *r)
{
	int fd = r->w.in >= 0 ? r->w.in : r->w.master;
	while (r->pending_len && fd >= 0) {
		ssize_t n = write(fd, r->pending, r->pending_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				r->pending_len = 0; /* the workload closed its stdin */
			break;
		}
		memmove(r->pending, r->pending + n, r->pending_len - (size_t)n);
		r->pending_len -= (size_t)n;
	}
	if (!r->pending_len && r->stdin_eof) {
		if (r->w.in >= 0)
			close_in(r);
		else if (r->w.master >= 0) {
			/* A terminal's EOF is its VEOF character (^D) at a line start. */
			struct termios t;
			if (tcgetattr(r->w.master, &t) == 0)
				(void)!write(r->w.master, &t.c_cc[VEOF], 1);
		}
		r->stdin_eof = false;
	}
}

static int on_frame(void *arg, const struct chan_frame *f)
{
	struct relay *r = arg;
	int32_t v = 0;
	switch (f->type) {
	case CHAN_STDIN:
		if (r->w.in < 0 && r->w.master < 0)
			return 0;
		r->pending = xrealloc(r->pending, r->pending_len + f->len);
		memcpy(r->pending + r->pending_len, f->data, f->len);
		r->pending_len += f->len;
		flush_stdin(r);
		return 0;
	case CHAN_STDIN_EOF:
		r->stdin_eof = true;
		flush_stdin(r);
		return 0;
	case CHAN_SIGNAL:
		if (f->len == sizeof(v)) {
			memcpy(&v, f->data, sizeof(v));
			if (!r->exited && v > 0 && v < NSIG)
				kill(r->w.pid, v);
		}
		return 0;
	case CHAN_WINSIZE:
		if (f->len == 4 && r->w.master >= 0) {
			uint16_t rc[2];
			memcpy(rc, f->data, sizeof(rc));
			struct winsize ws = {.ws_row = rc[0], .ws_col = rc[1]};
			ioctl(r->w.master, TIOCSWINSZ, &ws);
		}
		return 0;
	case CHAN_EXIT_ACK:
		r->acked = true;
		return 0;
	default:
		return 0; /* guest -> host types do not come this way */
	}
}

/* Everything readable from fd now, as frames of type t.  Returns false at
 * EOF (or EIO: a pty whose slave is gone). */
static bool pump_out(struct relay *r, int fd, uint32_t t)
{
	static uint8_t buf[CHAN_MAX_PAYLOAD];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		struct husk_err *err = NULL;
		if (chan_send(r->chan, t, buf, (uint32_t)n, &err) < 0)
			husk_err_free(&err);
	}
}

static void reap(struct relay *r)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == r->w.pid) {
			r->exited = true;
			r->status = st;
		}
}

static void drop(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int loop(struct relay *r, int sigfd, struct husk_err **err)
{
	while (!r->exited) {
		struct pollfd p[5] = {
		    {r->chan, POLLIN, 0},
		    {sigfd, POLLIN, 0},
		    {r->w.out, POLLIN, 0},
		    {r->w.err, POLLIN, 0},
		    {r->w.master, POLLIN | (r->pending_len ? POLLOUT : 0), 0},
		};
		/* stdin the workload has not taken yet is retried every 50 ms */
		if (poll(p, 5, r->pending_len ? 50 : -1) < 0 && errno != EINTR)
			return husk_err_sys(err, "poll");
		if (p[0].revents & (POLLIN | POLLHUP)) {
			int rc = chan_read(&r->rd, r->chan, on_frame, r, err);
			if (rc != 0)
				return rc < 0 ? -1
					      : husk_err_set(err, EPIPE,
							     "the host closed the channel");
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			reap(r);
		}
		if ((p[2].revents & (POLLIN | POLLHUP)) && !pump_out(r, r->w.out, CHAN_STDOUT))
			drop(&r->w.out);
		if ((p[3].revents & (POLLIN | POLLHUP)) && !pump_out(r, r->w.err, CHAN_STDERR))
			drop(&r->w.err);
		if ((p[4].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !pump_out(r, r->w.master, CHAN_STDOUT))
			drop(&r->w.master);
		flush_stdin(r);
	}
	return 0;
}

/* What the workload wrote before it exited, then its status; then wait for
 * the host to confirm it has it all. */
static int finish(struct relay *r, struct husk_err **err)
{
	if (r->w.out >= 0)
		pump_out(r, r->w.out, CHAN_STDOUT);
	if (r->w.err >= 0)
		pump_out(r, r->w.err, CHAN_STDERR);
	if (r->w.master >= 0)
		pump_out(r, r->w.master, CHAN_STDOUT);
	if (getenv(AGENT_ENV_DEBUG))
		dprintf(2, "husk-agent: the workload (pid %d) ended: wait status %#x\n", (int)r->w.pid,
			r->status);
	if (chan_send_i32(r->chan, CHAN_EXIT, r->status, err) < 0)
		return -1;
	while (!r->acked) {
		struct pollfd p = {r->chan, POLLIN, 0};
		int n = poll(&p, 1, ACK_TIMEOUT_MS);
		if (n == 0)
			return husk_err_set(err, ETIMEDOUT, "no acknowledgement from the host");
		if (n < 0 && errno != EINTR)
			return husk_err_sys(err, "poll");
		if (n > 0 && chan_read(&r->rd, r->chan, on_frame, r, err) != 0)
			return -1;
	}
	return 0;
}

int agent_run(int chan, const struct agent_config *cfg, struct husk_err **err)
{
	struct relay *r = xcalloc(1, sizeof(*r));
	r->chan = chan;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int ret = -1;
	if (sigfd < 0) {
		husk_err_sys(err, "signalfd");
		goto out;
	}
	if (workload_start(cfg, &r->w, err) < 0) {
		if (r->w.pid > 0)
			waitpid(r->w.pid, NULL, 0);
		goto out;
	}
	if (chan_send(chan, CHAN_STARTED, NULL, 0, err) < 0)
		goto out;
	reap(r); /* a SIGCHLD before the signalfd existed */
	if (loop(r, sigfd, err) < 0 || finish(r, err) < 0)
		goto out;
	ret = r->status;
out:
	if (sigfd >= 0)
		close(sigfd);
	drop(&r->w.in);
	drop(&r->w.out);
	drop(&r->w.err);
	drop(&r->w.master);
	free(r->pending);
	free(r);
	return ret;
}
