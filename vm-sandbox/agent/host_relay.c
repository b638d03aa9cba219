/* host_relay (host_relay.h).  Nothing the guest sends may block the thread
 * for long: writes to the channel are queued (the virtio console's I/O thread
 * writes guest output into the same socket pair and must never wait on us
 * while we wait on it), and stdin is read only when the queue is empty. */
#include "vm-sandbox/agent/host_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/agent/channel.h"

struct host_relay {
	struct host_relay_opts o;
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

static void enqueue(struct host_relay *r, uint32_t type, const void *data, uint32_t len)
{
	struct chan_hdr h = {.type = type, .len = len};
	r->q = xrealloc(r->q, r->q_len + sizeof(h) + len);
	memcpy(r->q + r->q_len, &h, sizeof(h));
	if (len)
		memcpy(r->q + r->q_len + sizeof(h), data, len);
	r->q_len += sizeof(h) + len;
}

static void flush(struct host_relay *r)
{
	while (r->q_len) {
		ssize_t n = write(r->o.chan, r->q, r->q_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN)
				r->q_len = 0; /* the VM is gone */
			return;
		}
		memmove(r->q, r->q + n, r->q_len - (size_t)n);
		r->q_len -= (size_t)n;
	}
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
		r->error = xasprintf("%.*s", (int)f->len, (const char *)f->data);
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

static void *relay_thread(void *arg)
{
	struct host_relay *r = arg;
	send_winsize(r);
	while (!r->done) {
		if (r->guest_up)
			flush(r);
		bool want_in = r->guest_up && !r->in_eof && !r->q_len && r->o.in >= 0;
		struct pollfd p[4] = {
		    {r->o.chan, POLLIN | (r->guest_up && r->q_len ? POLLOUT : 0), 0},
		    {want_in ? r->o.in : -1, POLLIN, 0},
		    {r->sigfd, POLLIN, 0},
		    {r->stop_efd, POLLIN, 0},
		};
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[3].revents)
			break;
		if (p[0].revents & (POLLIN | POLLHUP)) {
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
	uint64_t one = 1;
	(void)!write(r->stop_efd, &one, sizeof(one));
	pthread_join(r->tid, NULL);
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
