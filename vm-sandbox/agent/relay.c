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

/* One process and its stdio: the container's (session 0) or an exec's. */
struct session {
	uint32_t id;
	struct workload w;
	/* stdin bytes the process has not read yet */
	uint8_t *pending;
	size_t pending_len;
	bool stdin_eof;
	bool exited;
	int status;
};

#define MAX_EXECS 64

struct relay {
	int chan;
	const struct agent_config *cfg;
	struct session main;
	struct session *execs[MAX_EXECS];
	struct chan_reader rd;
	bool acked;
};

static void close_in(struct session *r)
{
	if (r->w.in >= 0)
		close(r->w.in);
	r->w.in = -1;
}

static void flush_stdin(struct session *r)
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

static void drop(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void session_free(struct session *s)
{
	drop(&s->w.in);
	drop(&s->w.out);
	drop(&s->w.err);
	drop(&s->w.master);
	free(s->pending);
	free(s);
}

static struct session *session_find(struct relay *r, uint32_t id)
{
	if (!id)
		return &r->main;
	for (size_t i = 0; i < MAX_EXECS; i++)
		if (r->execs[i] && r->execs[i]->id == id)
			return r->execs[i];
	return NULL;
}

/* CHAN_EXEC: the caller's prepare_exec() reads the process, then it starts
 * as the workload does; CHAN_STARTED or CHAN_ERROR tells the host. */
static void exec_start(struct relay *r, const struct chan_frame *f)
{
	struct husk_err *err = NULL;
	struct agent_config ec = {0};
	size_t slot = MAX_EXECS;
	for (size_t i = 0; i < MAX_EXECS && slot == MAX_EXECS; i++)
		if (!r->execs[i])
			slot = i;
	struct session *s = xcalloc(1, sizeof(*s));
	s->id = f->session;
	s->w = (struct workload){.pid = -1, .in = -1, .out = -1, .err = -1, .master = -1};
	if (slot == MAX_EXECS)
		husk_err_set(&err, EAGAIN, "too many exec processes (%d)", MAX_EXECS);
	else if (!r->cfg->prepare_exec)
		husk_err_set(&err, ENOTSUP, "this agent cannot exec");
	else if (r->cfg->prepare_exec(r->cfg->ctx, f->data, f->len, &ec, &err) == 0) {
		if (workload_start(&ec, &s->w, &err) < 0 && s->w.pid > 0)
			waitpid(s->w.pid, NULL, 0);
		if (r->cfg->release_exec)
			r->cfg->release_exec(ec.ctx);
	}
	if (err) {
		const char *msg = err->msg ? err->msg : "exec failed";
		struct husk_err *e2 = NULL;
		chan_send_s(r->chan, s->id, CHAN_ERROR, msg, (uint32_t)strlen(msg), &e2);
		husk_err_free(&e2);
		husk_err_free(&err);
		s->w.pid = -1;
		session_free(s);
		return;
	}
	r->execs[slot] = s;
	if (getenv(AGENT_ENV_DEBUG))
		dprintf(2, "husk-agent: exec session %u is pid %d\n", s->id, (int)s->w.pid);
	chan_send_s(r->chan, s->id, CHAN_STARTED, NULL, 0, &err);
	husk_err_free(&err);
}

static int on_frame(void *arg, const struct chan_frame *f)
{
	struct relay *rl = arg;
	if (f->type == CHAN_EXEC) {
		if (f->session && !session_find(rl, f->session))
			exec_start(rl, f);
		return 0;
	}
	if (f->type == CHAN_EXIT_ACK) {
		if (!f->session)
			rl->acked = true;
		return 0;
	}
	struct session *r = session_find(rl, f->session);
	if (!r)
		return 0; /* a process that ended meanwhile */
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
	default:
		return 0; /* guest -> host types do not come this way */
	}
}

/* Everything readable from fd now, as frames of type t.  Returns false at
 * EOF (or EIO: a pty whose slave is gone). */
static bool pump_out(int chan, struct session *s, int fd, uint32_t t)
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
		if (chan_send_s(chan, s->id, t, buf, (uint32_t)n, &err) < 0)
			husk_err_free(&err);
	}
}

/* What an exec'd process wrote, then its status; no acknowledgement: the
 * guest goes on. */
static void exec_finish(struct relay *r, size_t i)
{
	struct session *s = r->execs[i];
	if (s->w.out >= 0)
		pump_out(r->chan, s, s->w.out, CHAN_STDOUT);
	if (s->w.err >= 0)
		pump_out(r->chan, s, s->w.err, CHAN_STDERR);
	if (s->w.master >= 0)
		pump_out(r->chan, s, s->w.master, CHAN_STDOUT);
	struct husk_err *err = NULL;
	if (getenv(AGENT_ENV_DEBUG))
		dprintf(2, "husk-agent: exec session %u (pid %d) ended: wait status %#x\n", s->id,
			(int)s->w.pid, s->status);
	chan_send_s_i32(r->chan, s->id, CHAN_EXIT, s->status, &err);
	husk_err_free(&err);
	session_free(s);
	r->execs[i] = NULL;
}

static void reap(struct relay *r)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == r->main.w.pid) {
			r->main.exited = true;
			r->main.status = st;
			continue;
		}
		for (size_t i = 0; i < MAX_EXECS; i++)
			if (r->execs[i] && r->execs[i]->w.pid == pid) {
				r->execs[i]->exited = true;
				r->execs[i]->status = st;
				exec_finish(r, i);
				break;
			}
	}
}

#define SESSION_FDS 3

static void poll_set(struct session *s, struct pollfd *p)
{
	p[0] = (struct pollfd){s ? s->w.out : -1, POLLIN, 0};
	p[1] = (struct pollfd){s ? s->w.err : -1, POLLIN, 0};
	p[2] = (struct pollfd){s ? s->w.master : -1,
			       (short)(POLLIN | (s && s->pending_len ? POLLOUT : 0)), 0};
}

static void session_io(int chan, struct session *s, const struct pollfd *p)
{
	if ((p[0].revents & (POLLIN | POLLHUP)) && !pump_out(chan, s, s->w.out, CHAN_STDOUT))
		drop(&s->w.out);
	if ((p[1].revents & (POLLIN | POLLHUP)) && !pump_out(chan, s, s->w.err, CHAN_STDERR))
		drop(&s->w.err);
	if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    !pump_out(chan, s, s->w.master, CHAN_STDOUT))
		drop(&s->w.master);
	flush_stdin(s);
}

static bool any_pending(struct relay *r)
{
	if (r->main.pending_len)
		return true;
	for (size_t i = 0; i < MAX_EXECS; i++)
		if (r->execs[i] && r->execs[i]->pending_len)
			return true;
	return false;
}

static int loop(struct relay *r, int sigfd, struct husk_err **err)
{
	while (!r->main.exited) {
		struct pollfd p[2 + SESSION_FDS * (1 + MAX_EXECS)];
		p[0] = (struct pollfd){r->chan, POLLIN, 0};
		p[1] = (struct pollfd){sigfd, POLLIN, 0};
		poll_set(&r->main, &p[2]);
		for (size_t i = 0; i < MAX_EXECS; i++)
			poll_set(r->execs[i], &p[2 + SESSION_FDS * (1 + i)]);
		/* stdin a process has not taken yet is retried every 50 ms */
		if (poll(p, ARRAY_SIZE(p), any_pending(r) ? 50 : -1) < 0 && errno != EINTR)
			return husk_err_sys(err, "poll");
		if (p[0].revents & (POLLIN | POLLHUP)) {
			int rc = chan_read(&r->rd, r->chan, on_frame, r, err);
			if (rc != 0)
				return rc < 0 ? -1
					      : husk_err_set(err, EPIPE,
							     "the host closed the channel");
		}
		/* output before exits: an exec's status follows its last byte */
		session_io(r->chan, &r->main, &p[2]);
		for (size_t i = 0; i < MAX_EXECS; i++)
			if (r->execs[i])
				session_io(r->chan, r->execs[i], &p[2 + SESSION_FDS * (1 + i)]);
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			reap(r);
		}
	}
	return 0;
}

/* What the workload wrote before it exited, then its status; then wait for
 * the host to confirm it has it all. */
static int finish(struct relay *r, struct husk_err **err)
{
	struct session *m = &r->main;
	if (m->w.out >= 0)
		pump_out(r->chan, m, m->w.out, CHAN_STDOUT);
	if (m->w.err >= 0)
		pump_out(r->chan, m, m->w.err, CHAN_STDERR);
	if (m->w.master >= 0)
		pump_out(r->chan, m, m->w.master, CHAN_STDOUT);
	if (getenv(AGENT_ENV_DEBUG))
		dprintf(2, "husk-agent: the workload (pid %d) ended: wait status %#x\n",
			(int)m->w.pid, r->main.status);
	if (chan_send_i32(r->chan, CHAN_EXIT, r->main.status, err) < 0)
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
	r->cfg = cfg;
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
	if (workload_start(cfg, &r->main.w, err) < 0) {
		if (r->main.w.pid > 0)
			waitpid(r->main.w.pid, NULL, 0);
		goto out;
	}
	if (chan_send(chan, CHAN_STARTED, NULL, 0, err) < 0)
		goto out;
	reap(r); /* a SIGCHLD before the signalfd existed */
	if (loop(r, sigfd, err) < 0 || finish(r, err) < 0)
		goto out;
	ret = r->main.status;
out:
	if (sigfd >= 0)
		close(sigfd);
	drop(&r->main.w.in);
	drop(&r->main.w.out);
	drop(&r->main.w.err);
	drop(&r->main.w.master);
	free(r->main.pending);
	for (size_t i = 0; i < MAX_EXECS; i++)
		if (r->execs[i])
			session_free(r->execs[i]);
	free(r);
	return ret;
}
