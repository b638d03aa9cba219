/* host_relay (host_relay.h).  Nothing the guest sends may block the thread
 * for long: writes to the channel are queued (the virtio console's I/O thread
 * writes guest output into the same socket pair and must never wait on us
 * while we wait on it), and stdin is read only when the queue is empty. */
#include "vm-sandbox/agent/host_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/agent/channel.h"

/* A `husk exec` client of the monitor (host_relay.h). */
struct exec_conn {
	int fd;
	uint32_t session;
	bool started; /* its CHAN_EXEC went to the guest */
	bool closing; /* its exit status is queued: close once written */
	struct chan_reader *rd;
	uint8_t *q;
	size_t q_len;
};

#define MAX_EXEC_CONNS 64

/* Frames queued for one reader (the guest, or an exec client) beyond which
 * the guest's channel is not read: a guest that sends faster than its
 * readers take (or never reads its acknowledgements) is held back, instead
 * of growing the monitor.  Real traffic stays far below it: stdin and exec
 * clients are read only when the guest's queue is empty. */
#define QUEUE_MAX (1u << 20)

struct host_relay {
	struct host_relay_opts o;
	struct exec_conn conns[MAX_EXEC_CONNS];
	uint32_t next_session;
	bool joined;
	pthread_t tid;
	int stop_efd, sigfd;
	struct chan_reader rd;
	uint8_t *q; /* frames for the guest not written yet */
	size_t q_len;
	bool in_eof, done;
	/* The agent spoke (the workload started, or could not): before that
	 * nothing is sent, and stdin is not read.  Input the virtio console
	 * got before the guest's driver was ready could be stranded there. */
	bool guest_up;
	bool have_status;
	int status;
	char *error;
	_Atomic unsigned long long started_ns;
};

static void queue_frame(uint8_t **q, size_t *q_len, uint32_t session, uint32_t type,
			const void *data, uint32_t len)
{
	struct chan_hdr h = {.type = type, .len = len, .session = session};
	*q = xrealloc(*q, *q_len + sizeof(h) + len);
	memcpy(*q + *q_len, &h, sizeof(h));
	if (len)
		memcpy(*q + *q_len + sizeof(h), data, len);
	*q_len += sizeof(h) + len;
}

static void enqueue(struct host_relay *r, uint32_t type, const void *data, uint32_t len)
{
	queue_frame(&r->q, &r->q_len, 0, type, data, len);
}

/* Write what fd takes now; false when its reader is gone. */
static bool flush_queue(int fd, uint8_t *q, size_t *q_len)
{
	while (*q_len) {
		ssize_t n = write(fd, q, *q_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN) {
				*q_len = 0;
				return false;
			}
			return true;
		}
		memmove(q, q + n, *q_len - (size_t)n);
		*q_len -= (size_t)n;
	}
	return true;
}

static void flush(struct host_relay *r)
{
	flush_queue(r->o.chan, r->q, &r->q_len); /* a failure: the VM is gone */
}

static struct exec_conn *conn_by_session(struct host_relay *r, uint32_t session)
{
	for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
		if (r->conns[i].fd >= 0 && r->conns[i].session == session)
			return &r->conns[i];
	return NULL;
}

static void conn_close(struct exec_conn *c)
{
	if (getenv("HUSK_VM_DEBUG"))
		dprintf(2, "husk-vm: exec session %u closed (status sent: %d)\n", c->session,
			(int)c->closing);
	if (c->fd >= 0)
		close(c->fd);
	free(c->rd);
	free(c->q);
	*c = (struct exec_conn){.fd = -1};
}

/* A frame of an exec session from the guest: to its client, as session 0. */
static void to_conn(struct host_relay *r, const struct chan_frame *f)
{
	struct exec_conn *c = conn_by_session(r, f->session);
	if (!c || c->closing)
		return; /* its client went away, or has its status already */
	if (f->type < CHAN_STARTED)
		return; /* a host -> guest type: nothing a client takes */
	queue_frame(&c->q, &c->q_len, 0, f->type, f->data, f->len);
	if (f->type == CHAN_EXIT || f->type == CHAN_ERROR)
		c->closing = true;
}

static void send_winsize(struct host_relay *r)
{
	struct winsize ws;
	if (!r->o.terminal || ioctl(r->o.in, TIOCGWINSZ, &ws) < 0)
		return;
	uint16_t rc[2] = {ws.ws_row, ws.ws_col};
	enqueue(r, CHAN_WINSIZE, rc, sizeof(rc));
}

static int on_frame(void *arg, const struct chan_frame *f)
{
	struct host_relay *r = arg;
	r->guest_up = true;
	if (f->session) {
		to_conn(r, f);
		return 0;
	}
	switch (f->type) {
	case CHAN_STDOUT:
		/* A reader that went away loses output; the workload goes on. */
		(void)!write_all(r->o.out, f->data, f->len);
		break;
	case CHAN_STDERR:
		(void)!write_all(r->o.err, f->data, f->len);
		break;
	case CHAN_STARTED:
		r->started_ns = now_ns();
		break;
	case CHAN_EXIT:
		if (f->len == sizeof(int32_t)) {
			int32_t st;
			memcpy(&st, f->data, sizeof(st));
			r->status = st;
			r->have_status = true;
		}
		enqueue(r, CHAN_EXIT_ACK, NULL, 0);
		break;
	case CHAN_ERROR:
		free(r->error);
		r->error = chan_text(f->data, f->len);
		enqueue(r, CHAN_EXIT_ACK, NULL, 0);
		break;
	default:
		break;
	}
	return 0;
}

static void read_stdin(struct host_relay *r)
{
	static uint8_t buf[CHAN_MAX_PAYLOAD];
	ssize_t n = read(r->o.in, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		r->in_eof = true;
		enqueue(r, CHAN_STDIN_EOF, NULL, 0);
		return;
	}
	enqueue(r, CHAN_STDIN, buf, (uint32_t)n);
}

static void on_signal(struct host_relay *r)
{
	struct signalfd_siginfo si;
	while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH && r->o.terminal) {
			send_winsize(r);
			continue;
		}
		int32_t sig = (int32_t)si.ssi_signo;
		enqueue(r, CHAN_SIGNAL, &sig, sizeof(sig));
	}
}

struct conn_frame_ctx {
	struct host_relay *r;
	struct exec_conn *c;
};

/* A frame from an exec client: the first must be CHAN_EXEC; host -> guest
 * types go on with the client's session number. */
static int on_conn_frame(void *arg, const struct chan_frame *f)
{
	struct conn_frame_ctx *x = arg;
	switch (f->type) {
	case CHAN_EXEC:
		if (x->c->started)
			return -1;
		x->c->started = true;
		break;
	case CHAN_STDIN:
	case CHAN_STDIN_EOF:
	case CHAN_SIGNAL:
	case CHAN_WINSIZE:
		if (!x->c->started)
			return -1;
		break;
	case CHAN_EXIT_ACK:
		return 0;
	default:
		return -1;
	}
	queue_frame(&x->r->q, &x->r->q_len, x->c->session, f->type, f->data, f->len);
	return 0;
}

/* The client is gone (or broke the protocol): its process goes too, as a
 * process whose runtime parent was killed would lose its stdio. */
static void conn_lost(struct host_relay *r, struct exec_conn *c)
{
	if (c->started && !c->closing) {
		int32_t sig = SIGKILL;
		queue_frame(&r->q, &r->q_len, c->session, CHAN_SIGNAL, &sig, sizeof(sig));
	}
	conn_close(c);
}

static void conn_accept(struct host_relay *r)
{
	int fd = accept4(r->o.exec_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
		if (r->conns[i].fd < 0) {
			r->conns[i] =
			    (struct exec_conn){.fd = fd,
					       .session = ++r->next_session,
					       .rd = xcalloc(1, sizeof(struct chan_reader))};
			return;
		}
	close(fd); /* too many: the client sees EOF before any status */
}

static void conn_io(struct host_relay *r, struct exec_conn *c, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		struct conn_frame_ctx x = {r, c};
		struct husk_err *err = NULL;
		int rc = chan_read(c->rd, c->fd, on_conn_frame, &x, &err);
		husk_err_free(&err);
		if (rc != 0) {
			conn_lost(r, c);
			return;
		}
	}
	if (!flush_queue(c->fd, c->q, &c->q_len))
		conn_lost(r, c);
	else if (c->closing && !c->q_len)
		conn_close(c);
}

/* Read the guest's channel only while every reader keeps up (QUEUE_MAX). */
static bool backlogged(const struct host_relay *r)
{
	if (r->q_len > QUEUE_MAX)
		return true;
	for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
		if (r->conns[i].fd >= 0 && r->conns[i].q_len > QUEUE_MAX)
			return true;
	return false;
}

#define FIXED_FDS 5

static void *relay_thread(void *arg)
{
	struct host_relay *r = arg;
	send_winsize(r);
	while (!r->done) {
		if (r->guest_up)
			flush(r);
		for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
			if (r->conns[i].fd >= 0)
				conn_io(r, &r->conns[i], 0);
		bool want_in = r->guest_up && !r->in_eof && !r->q_len && r->o.in >= 0;
		bool read_chan = !backlogged(r);
		short chan_ev =
		    (short)((read_chan ? POLLIN : 0) | (r->guest_up && r->q_len ? POLLOUT : 0));
		struct pollfd p[FIXED_FDS + MAX_EXEC_CONNS] = {
		    {chan_ev ? r->o.chan : -1, chan_ev, 0},
		    {want_in ? r->o.in : -1, POLLIN, 0},
		    {r->sigfd, POLLIN, 0},
		    {r->stop_efd, POLLIN, 0},
		    {r->o.exec_listen, POLLIN, 0},
		};
		for (size_t i = 0; i < MAX_EXEC_CONNS; i++) {
			struct exec_conn *c = &r->conns[i];
			/* a client is read only while the guest's queue is empty */
			p[FIXED_FDS + i] = (struct pollfd){
			    c->fd, (short)((r->q_len ? 0 : POLLIN) | (c->q_len ? POLLOUT : 0)), 0};
		}
		if (poll(p, FIXED_FDS + MAX_EXEC_CONNS, -1) < 0 && errno != EINTR)
			break;
		if (p[4].revents & POLLIN)
			conn_accept(r);
		for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
			if (r->conns[i].fd >= 0 && p[FIXED_FDS + i].revents)
				conn_io(r, &r->conns[i], p[FIXED_FDS + i].revents);
		if (p[3].revents)
			break;
		if (read_chan && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			struct husk_err *err = NULL;
			int rc = chan_read(&r->rd, r->o.chan, on_frame, r, &err);
			husk_err_free(&err);
			if (rc != 0)
				break; /* a broken stream: the VM's end is gone */
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_stdin(r);
		if (p[2].revents & POLLIN)
			on_signal(r);
	}
	return NULL;
}

int host_relay_start(const struct host_relay_opts *o, struct host_relay **out,
		     struct husk_err **err)
{
	struct host_relay *r = xcalloc(1, sizeof(*r));
	r->o = *o;
	r->guest_up = o->guest_up;
	for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
		r->conns[i].fd = -1;
	r->sigfd = signalfd(-1, o->fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	r->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->sigfd < 0 || r->stop_efd < 0) {
		husk_err_sys(err, "relay: signalfd/eventfd");
		goto fail;
	}
	fcntl(o->chan, F_SETFL, fcntl(o->chan, F_GETFL) | O_NONBLOCK);
	int e = pthread_create(&r->tid, NULL, relay_thread, r);
	if (e) {
		husk_err_set(err, e, "relay: start the thread");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->stop_efd >= 0)
		close(r->stop_efd);
	free(r);
	return -1;
}

int host_relay_finish(struct host_relay *r, int *status, char **error,
		      unsigned long long *started_ns)
{
	if (!r->joined) {
		uint64_t one = 1;
		(void)!write(r->stop_efd, &one, sizeof(one));
		pthread_join(r->tid, NULL);
	}
	for (size_t i = 0; i < MAX_EXEC_CONNS; i++)
		if (r->conns[i].fd >= 0)
			conn_close(&r->conns[i]);
	/* Frames the guest sent just before it stopped. */
	struct husk_err *err = NULL;
	while (chan_read(&r->rd, r->o.chan, on_frame, r, &err) == 0 && !r->have_status &&
	       !r->error) {
		struct pollfd p = {r->o.chan, POLLIN, 0};
		if (poll(&p, 1, 0) <= 0)
			break;
	}
	husk_err_free(&err);
	close(r->sigfd);
	close(r->stop_efd);
	*status = r->status;
	*error = r->error;
	*started_ns = r->started_ns;
	int ret = r->have_status ? 1 : 0;
	free(r->q);
	free(r);
	return ret;
}

int host_relay_handshake(int conn, struct husk_err **err)
{
	struct chan_hdr h;
	if (read_all(conn, &h, sizeof(h)) != (ssize_t)sizeof(h))
		return husk_err_set(err, EPIPE, "the VM did not answer (is it running?)");
	if (h.len > CHAN_MAX_PAYLOAD)
		return husk_err_set(err, EPROTO, "the VM sent a malformed frame (%u bytes)", h.len);
	cleanup_free uint8_t *msg = xmalloc(h.len ? h.len : 1);
	if (h.len && read_all(conn, msg, h.len) != (ssize_t)h.len)
		return husk_err_set(err, EPIPE, "the VM did not answer");
	if (h.type == CHAN_STARTED)
		return 0;
	if (h.type == CHAN_ERROR) {
		cleanup_free char *text = chan_text(msg, h.len);
		return container_err(err, ENOEXEC, "%s", text); /* the agent's own words */
	}
	return husk_err_set(err, EPROTO, "the VM sent frame type %u first", h.type);
}

void host_relay_wait(struct host_relay *r)
{
	pthread_join(r->tid, NULL);
	r->joined = true;
}
