/* virtio-vsock with Firecracker's host-side model: the VM's vsock is backed
 * by AF_UNIX sockets.
 *   - host -> guest: a host program connects to PATH and sends
 *     "CONNECT <port>\n"; once the guest accepts, it reads "OK <hostport>\n"
 *     and then talks to the guest's listener on <port>.
 *   - guest -> host port P: the device connects to "PATH_P".
 * Streams only.  Credit: the device advertises VSOCK_BUF_ALLOC bytes and keeps
 * what the host socket has not taken yet in a buffer of that size, so a guest
 * that respects credit can never make it grow; one that does not is reset.
 * /dev/vhost-vsock is not used (see the report: this host does not have it). */
#include <fcntl.h>
#include <linux/virtio_vsock.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "common/cleanup.h"
#include "common/util.h"

#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2

#define VSOCK_BUF_ALLOC	     (256u * 1024)
#define VSOCK_MAX_CONNS	     256
#define VSOCK_MAX_PAYLOAD    (64u * 1024) /* per rx packet */
#define VSOCK_RST_RING	     64
#define VSOCK_LINE_MAX	     32
#define VSOCK_EPHEMERAL_BASE (1u << 30)
/* How long a host-initiated connection waits for the guest's RESPONSE. */
#define VSOCK_CONNECT_TIMEOUT_NS (2000ull * 1000 * 1000)

enum conn_state {
	CONN_AWAIT_LINE, /* host client connected, "CONNECT <port>" not read yet */
	CONN_CONNECTING, /* REQUEST sent to the guest, waiting for RESPONSE */
	CONN_ESTABLISHED,
	CONN_CLOSING, /* SHUTDOWN sent to the guest, waiting for its RST */
};

struct vconn {
	struct vconn *next;
	int fd;
	enum conn_state state;
	uint32_t local_port; /* the host side's port */
	uint32_t peer_port;  /* the guest's port */
	/* The guest's receive window. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Our receive side: bytes forwarded to fd, and those still waiting. */
	uint32_t fwd_cnt, fwd_cnt_sent;
	uint8_t *wbuf; /* VSOCK_BUF_ALLOC bytes, allocated the first time fd is full */
	size_t wlen;
	/* Packets owed to the guest. */
	bool need_request, need_response, need_credit, need_shutdown, need_rst;
	bool readable;	  /* fd may have data for the guest */
	bool host_eof;	  /* fd reached EOF */
	bool peer_no_rcv; /* guest said it will not receive */
	bool dead;	  /* reap at the end of this handler */
	bool watched;	  /* fd is on the event loop (edge-triggered, for its whole life) */
	unsigned long long deadline; /* CONN_CONNECTING: give up at this now_ns() */
	char line[VSOCK_LINE_MAX];
	size_t line_len;
};

struct vsock {
	struct virtio_mmio vdev; /* first: freed through it */
	uint64_t guest_cid;	 /* config space: le64 */
	uint64_t cid;
	char *path;
	int listen_fd;
	bool bound;	/* we created the socket file at path */
	bool listening; /* listen_fd is on the event loop */
	int timer_fd;	/* expires CONN_CONNECTING connections (event-loop mode) */
	struct vconn *conns;
	unsigned nconns;
	uint32_t next_port;
	struct {
		uint32_t local, peer;
	} rst[VSOCK_RST_RING];
	unsigned rst_head, rst_len;
};

/* ---- connections ---- */

static struct vconn *conn_find(struct vsock *v, uint32_t local, uint32_t peer)
{
	for (struct vconn *c = v->conns; c; c = c->next)
		if (!c->dead && c->state != CONN_AWAIT_LINE && c->local_port == local &&
		    c->peer_port == peer)
			return c;
	return NULL;
}

static struct vconn *conn_by_fd(struct vsock *v, int fd)
{
	for (struct vconn *c = v->conns; c; c = c->next)
		if (!c->dead && c->fd == fd)
			return c;
	return NULL;
}

static void conn_event(void *arg, int fd, uint32_t events);

static struct vconn *conn_new(struct vsock *v, int fd, enum conn_state state)
{
	if (v->nconns >= VSOCK_MAX_CONNS)
		return NULL;
	struct vconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	c->state = state;
	if (v->vdev.env.loop) {
		/* Edge-triggered: one registration per socket; readiness is kept in
		 * c->readable / c->wlen between edges. */
		struct husk_err *err = NULL;
		if (virtio_mmio_watch(&v->vdev, fd, EPOLLIN | EPOLLOUT | EPOLLET, conn_event, v,
				      &err) < 0) {
			husk_err_free(&err);
			free(c);
			return NULL;
		}
		c->watched = true;
	}
	c->next = v->conns;
	v->conns = c;
	v->nconns++;
	return c;
}

static void conn_free(struct vsock *v, struct vconn *c)
{
	if (c->watched)
		virtio_mmio_unwatch(&v->vdev, c->fd);
	close(c->fd);
	free(c->wbuf);
	free(c);
	v->nconns--;
}

static void conns_reap(struct vsock *v)
{
	for (struct vconn **pp = &v->conns; *pp;) {
		struct vconn *c = *pp;
		if (c->dead) {
			*pp = c->next;
			conn_free(v, c);
		} else {
			pp = &c->next;
		}
	}
}

static void conns_close_all(struct vsock *v)
{
	for (struct vconn *c = v->conns; c; c = c->next)
		c->dead = true;
	conns_reap(v);
	v->rst_len = 0;
}

static void queue_rst(struct vsock *v, uint32_t local, uint32_t peer)
{
	if (v->rst_len == VSOCK_RST_RING)
		return; /* a guest flooding us with junk loses some RSTs */
	unsigned i = (v->rst_head + v->rst_len++) % VSOCK_RST_RING;
	v->rst[i].local = local;
	v->rst[i].peer = peer;
}

/* Reset a connection: tell the guest, drop the host side. */
static void conn_reset(struct vsock *v, struct vconn *c)
{
	queue_rst(v, c->local_port, c->peer_port);
	c->dead = true;
}

static uint32_t peer_credit(const struct vconn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* ---- guest-bound packets (rx queue) ---- */

static void fill_hdr(struct vsock *v, struct virtio_vsock_hdr *h, uint32_t local, uint32_t peer,
		     uint16_t op, uint32_t flags, uint32_t len, const struct vconn *c)
{
	*h = (struct virtio_vsock_hdr){
	    .src_cid = htole64(VMADDR_CID_HOST),
	    .dst_cid = htole64(v->cid),
	    .src_port = htole32(local),
	    .dst_port = htole32(peer),
	    .len = htole32(len),
	    .type = htole16(VIRTIO_VSOCK_TYPE_STREAM),
	    .op = htole16(op),
	    .flags = htole32(flags),
	    .buf_alloc = htole32(c ? VSOCK_BUF_ALLOC : 0),
	    .fwd_cnt = htole32(c ? c->fwd_cnt : 0),
	};
}

/* Write a header-only packet into the chain; returns the used length. */
static uint32_t put_ctrl(struct vsock *v, const struct virtq_chain *ch, uint32_t local,
			 uint32_t peer, uint16_t op, uint32_t flags, struct vconn *c)
{
	struct virtio_vsock_hdr h;
	if (ch->in_len < sizeof(h))
		return 0;
	fill_hdr(v, &h, local, peer, op, flags, 0, c);
	if (c)
		c->fwd_cnt_sent = c->fwd_cnt;
	return (uint32_t)iov_from_buf(ch->iov + ch->n_out, ch->n_in, 0, &h, sizeof(h));
}

/* The control packet a connection owes, if any, into ch.  Returns the used
 * length, or 0 with *sent false when it owes nothing. */
static uint32_t conn_ctrl(struct vsock *v, struct vconn *c, const struct virtq_chain *ch,
			  bool *sent)
{
	*sent = true;
	if (c->need_request) {
		c->need_request = false;
		return put_ctrl(v, ch, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_REQUEST, 0, c);
	}
	if (c->need_response) {
		c->need_response = false;
		return put_ctrl(v, ch, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RESPONSE, 0, c);
	}
	if (c->need_shutdown) {
		c->need_shutdown = false;
		return put_ctrl(v, ch, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_SHUTDOWN,
				VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, c);
	}
	if (c->need_credit) {
		c->need_credit = false;
		return put_ctrl(v, ch, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_CREDIT_UPDATE,
				0, c);
	}
	*sent = false;
	return 0;
}

/* Read from the host socket straight into the guest's buffer.  Returns the
 * used length; 0 with *got false when the socket had nothing. */
static uint32_t conn_data(struct vsock *v, struct vconn *c, const struct virtq_chain *ch, bool *got)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	struct virtio_vsock_hdr h;
	*got = false;
	if (ch->in_len <= sizeof(h))
		return 0;
	uint64_t room = ch->in_len - sizeof(h);
	uint32_t want = peer_credit(c);
	if (want > room)
		want = (uint32_t)room;
	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	unsigned n = iov_slice(ch->iov + ch->n_out, ch->n_in, sizeof(h), want, iov, VIRTQ_MAX_SEGS);
	ssize_t r;
	do
		r = readv(c->fd, iov, (int)n);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->readable = false;
		return 0;
	}
	if (r <= 0) {
		/* The host side closed: tell the guest both directions are done. */
		c->readable = false;
		c->host_eof = true;
		c->need_shutdown = true;
		c->state = CONN_CLOSING;
		return 0;
	}
	*got = true;
	c->tx_cnt += (uint32_t)r;
	fill_hdr(v, &h, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)r, c);
	c->fwd_cnt_sent = c->fwd_cnt;
	iov_from_buf(ch->iov + ch->n_out, ch->n_in, 0, &h, sizeof(h));
	return (uint32_t)(sizeof(h) + r);
}

static void conn_to_tail(struct vsock *v, struct vconn *c)
{
	struct vconn **pp = &v->conns;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (!*pp || !c->next)
		return;
	*pp = c->next;
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	c->next = NULL;
}

/* What one rx buffer should carry next; returns false when nothing is owed. */
static bool rx_one(struct vsock *v, const struct virtq_chain *ch, uint32_t *len)
{
	if (v->rst_len) {
		unsigned i = v->rst_head;
		v->rst_head = (v->rst_head + 1) % VSOCK_RST_RING;
		v->rst_len--;
		*len =
		    put_ctrl(v, ch, v->rst[i].local, v->rst[i].peer, VIRTIO_VSOCK_OP_RST, 0, NULL);
		return true;
	}
	for (struct vconn *c = v->conns; c; c = c->next) {
		bool sent;
		if (c->dead)
			continue;
		*len = conn_ctrl(v, c, ch, &sent);
		if (sent)
			return true;
		if (c->state != CONN_ESTABLISHED || !c->readable || c->peer_no_rcv ||
		    !peer_credit(c))
			continue;
		*len = conn_data(v, c, ch, &sent);
		if (sent) {
			conn_to_tail(v, c); /* round robin: a busy stream cannot starve the rest */
			return true;
		}
		/* EOF just turned into a SHUTDOWN owed: send it in this buffer. */
		*len = conn_ctrl(v, c, ch, &sent);
		if (sent)
			return true;
	}
	return false;
}

static void vsock_rx(struct vsock *v)
{
	struct virtq *vq = virtio_queue(&v->vdev, VSOCK_RXQ);
	if (!vq)
		return;
	for (;;) {
		if (virtq_pop(vq, v->vdev.chain) <= 0)
			break;
		uint32_t len;
		if (!rx_one(v, v->vdev.chain, &len)) {
			virtq_unpop(vq);
			break;
		}
		virtq_push(vq, v->vdev.chain->head, len);
	}
	virtio_mmio_notify_used(&v->vdev, vq);
}

/* ---- host side: sockets ---- */

static void conn_flush(struct vsock *v, struct vconn *c)
{
	while (c->wlen) {
		ssize_t r = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			conn_reset(v, c);
			return;
		}
		memmove(c->wbuf, c->wbuf + r, c->wlen - r);
		c->wlen -= r;
		c->fwd_cnt += (uint32_t)r;
	}
	/* Let the guest know its window reopened once half of it was used. */
	if (c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 2)
		c->need_credit = true;
}

/* Point the timer at the earliest pending connect deadline (or disarm it). */
static void arm_timer(struct vsock *v)
{
	unsigned long long first = 0;
	for (struct vconn *c = v->conns; c; c = c->next)
		if (!c->dead && c->state == CONN_CONNECTING && (!first || c->deadline < first))
			first = c->deadline;
	if (v->timer_fd < 0)
		return;
	struct itimerspec its = {0};
	if (first) {
		its.it_value.tv_sec = (time_t)(first / 1000000000ull);
		its.it_value.tv_nsec = (long)(first % 1000000000ull);
	}
	timerfd_settime(v->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* A guest that never answers a host connection gets a RST; the host client
 * sees its socket close instead of waiting forever. */
static void expire_connecting(struct vsock *v)
{
	unsigned long long now = now_ns();
	for (struct vconn *c = v->conns; c; c = c->next)
		if (!c->dead && c->state == CONN_CONNECTING && c->deadline <= now)
			conn_reset(v, c);
	arm_timer(v);
}

static void conn_line(struct vsock *v, struct vconn *c)
{
	while (c->line_len < sizeof(c->line)) {
		ssize_t r = read(c->fd, c->line + c->line_len, 1);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0)
			break;
		if (c->line[c->line_len] != '\n') {
			c->line_len++;
			continue;
		}
		c->line[c->line_len] = 0;
		unsigned long long port;
		if (strncmp(c->line, "CONNECT ", 8) || parse_u64(c->line + 8, &port) < 0 ||
		    port > UINT32_MAX)
			break;
		c->peer_port = (uint32_t)port;
		do
			c->local_port = v->next_port++;
		while (conn_find(v, c->local_port, c->peer_port));
		if (v->next_port < VSOCK_EPHEMERAL_BASE)
			v->next_port = VSOCK_EPHEMERAL_BASE;
		c->state = CONN_CONNECTING;
		c->need_request = true;
		c->deadline = now_ns() + VSOCK_CONNECT_TIMEOUT_NS;
		arm_timer(v);
		return;
	}
	c->dead = true; /* EOF, garbage or an overlong line */
}

static void accept_pending(struct vsock *v)
{
	for (;;) {
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!conn_new(v, fd, CONN_AWAIT_LINE))
			close(fd);
	}
}

/* Everything that follows a change: data to move, packets owed, the dead. */
static void vsock_settle(struct vsock *v)
{
	vsock_rx(v);
	conns_reap(v);
}

static void conn_event(void *arg, int fd, uint32_t events)
{
	struct vsock *v = arg;
	pthread_mutex_lock(&v->vdev.lock);
	struct vconn *c = conn_by_fd(v, fd);
	if (c) {
		if (c->state == CONN_AWAIT_LINE)
			conn_line(v, c);
		else {
			if (events & EPOLLOUT)
				conn_flush(v, c);
			if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				c->readable = true;
		}
		vsock_settle(v);
	}
	pthread_mutex_unlock(&v->vdev.lock);
}

static void timer_event(void *arg, int fd, uint32_t events)
{
	struct vsock *v = arg;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* spurious: expiring again below is harmless */
	}
	pthread_mutex_lock(&v->vdev.lock);
	expire_connecting(v);
	vsock_settle(v);
	pthread_mutex_unlock(&v->vdev.lock);
}

static void listen_event(void *arg, int fd, uint32_t events)
{
	struct vsock *v = arg;
	pthread_mutex_lock(&v->vdev.lock);
	accept_pending(v);
	vsock_settle(v);
	pthread_mutex_unlock(&v->vdev.lock);
}

static int connect_host_port(struct vsock *v, uint32_t port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->path, port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -1;
	/* Non-blocking from the start: a host service whose backlog is full
	 * makes connect() fail with EAGAIN (the guest gets a RST) instead of
	 * stalling the I/O thread for every device. */
	cleanup_fd int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return steal_fd(&fd);
}

/* ---- host-bound packets (tx queue) ---- */

static void guest_request(struct vsock *v, const struct virtio_vsock_hdr *h, uint32_t local,
			  uint32_t peer)
{
	if (conn_find(v, local, peer)) {
		queue_rst(v, local, peer);
		return;
	}
	int fd = connect_host_port(v, local);
	struct vconn *c = fd >= 0 ? conn_new(v, fd, CONN_ESTABLISHED) : NULL;
	if (!c) {
		if (fd >= 0)
			close(fd);
		queue_rst(v, local, peer); /* nobody listens on PATH_<port> */
		return;
	}
	c->local_port = local;
	c->peer_port = peer;
	c->peer_buf_alloc = le32toh(h->buf_alloc);
	c->peer_fwd_cnt = le32toh(h->fwd_cnt);
	c->need_response = true;
	c->readable = true;
}

static void guest_rw(struct vsock *v, struct vconn *c, const struct virtq_chain *ch, uint32_t len)
{
	if (c->state != CONN_ESTABLISHED) {
		conn_reset(v, c);
		return;
	}
	/* Beyond the window we offered: a guest that ignores credit is reset. */
	if (len > VSOCK_BUF_ALLOC - c->wlen) {
		conn_reset(v, c);
		return;
	}
	size_t done = 0;
	if (!c->wlen) {
		/* Straight from guest memory; only what the socket refuses is kept. */
		struct iovec iov[VIRTQ_MAX_SEGS];
		struct msghdr msg = {.msg_iov = iov};
		msg.msg_iovlen = iov_slice(ch->iov, ch->n_out, sizeof(struct virtio_vsock_hdr), len,
					   iov, VIRTQ_MAX_SEGS);
		ssize_t r;
		do
			r = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_reset(v, c);
			return;
		}
		if (r > 0) {
			done = (size_t)r;
			c->fwd_cnt += (uint32_t)r;
		}
	}
	if (done < len) {
		if (!c->wbuf && !(c->wbuf = malloc(VSOCK_BUF_ALLOC))) {
			conn_reset(v, c);
			return;
		}
		c->wlen += iov_to_buf(ch->iov, ch->n_out, sizeof(struct virtio_vsock_hdr) + done,
				      c->wbuf + c->wlen, len - done);
	}
	conn_flush(v, c);
}

static void guest_shutdown(struct vsock *v, struct vconn *c, uint32_t flags)
{
	if ((flags & VIRTIO_VSOCK_SHUTDOWN_RCV) && (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)) {
		conn_flush(v, c);
		conn_reset(v, c); /* the RST completes the guest's close */
		return;
	}
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
		c->peer_no_rcv = true;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		shutdown(c->fd, SHUT_WR);
}

static void guest_response(struct vsock *v, struct vconn *c)
{
	if (c->state != CONN_CONNECTING) {
		conn_reset(v, c);
		return;
	}
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);
	c->state = CONN_ESTABLISHED;
	c->readable = true;
	/* A fresh socket's buffer always has room for this line. */
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
		conn_reset(v, c);
}

static void vsock_tx_packet(struct vsock *v, const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;
	if (ch->out_len < sizeof(h))
		return; /* not even a header: nothing to answer */
	iov_to_buf(ch->iov, ch->n_out, 0, &h, sizeof(h));
	uint32_t local = le32toh(h.dst_port), peer = le32toh(h.src_port);
	uint32_t len = le32toh(h.len);
	uint16_t op = le16toh(h.op);

	if (le64toh(h.src_cid) != v->cid || le64toh(h.dst_cid) != VMADDR_CID_HOST ||
	    le16toh(h.type) != VIRTIO_VSOCK_TYPE_STREAM || len > ch->out_len - sizeof(h) ||
	    (op != VIRTIO_VSOCK_OP_RW && len)) {
		if (op != VIRTIO_VSOCK_OP_RST)
			queue_rst(v, local, peer);
		return;
	}
	if (op == VIRTIO_VSOCK_OP_REQUEST) {
		guest_request(v, &h, local, peer);
		return;
	}
	struct vconn *c = conn_find(v, local, peer);
	if (!c) {
		if (op != VIRTIO_VSOCK_OP_RST)
			queue_rst(v, local, peer);
		return;
	}
	c->peer_buf_alloc = le32toh(h.buf_alloc);
	c->peer_fwd_cnt = le32toh(h.fwd_cnt);
	switch (op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		guest_response(v, c);
		break;
	case VIRTIO_VSOCK_OP_RW:
		guest_rw(v, c, ch, len);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break; /* the window was taken from the header above */
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->need_credit = true;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		guest_shutdown(v, c, le32toh(h.flags));
		break;
	case VIRTIO_VSOCK_OP_RST:
		c->dead = true;
		break;
	default:
		conn_reset(v, c);
		break;
	}
}

static void vsock_tx(struct vsock *v)
{
	struct virtq *vq = virtio_queue(&v->vdev, VSOCK_TXQ);
	if (!vq)
		return;
	while (virtq_pop(vq, v->vdev.chain) > 0) {
		vsock_tx_packet(v, v->vdev.chain);
		virtq_push(vq, v->vdev.chain->head, 0);
	}
	virtio_mmio_notify_used(&v->vdev, vq);
}

/* ---- device ops ---- */

static void vsock_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct vsock *v = (struct vsock *)vdev;
	if (q == VSOCK_TXQ)
		vsock_tx(v);
	/* The event queue only holds buffers for events this device never
	 * sends (transport reset on migration). */
	if (q == VSOCK_TXQ || q == VSOCK_RXQ)
		vsock_settle(v);
}

/* Synchronous mode: what the event loop would do for every ready fd. */
static void vsock_poll(struct virtio_mmio *vdev)
{
	struct vsock *v = (struct vsock *)vdev;
	accept_pending(v);
	expire_connecting(v);
	for (struct vconn *c = v->conns; c; c = c->next) {
		if (c->state == CONN_AWAIT_LINE) {
			conn_line(v, c);
			continue;
		}
		conn_flush(v, c);
		if (c->state == CONN_ESTABLISHED)
			c->readable = true;
	}
	vsock_settle(v);
}

static void vsock_reset(struct virtio_mmio *vdev)
{
	conns_close_all((struct vsock *)vdev);
}

static void vsock_destroy(struct virtio_mmio *vdev)
{
	struct vsock *v = (struct vsock *)vdev;
	conns_close_all(v);
	if (v->listen_fd >= 0) {
		if (v->listening)
			virtio_mmio_unwatch(vdev, v->listen_fd);
		close(v->listen_fd);
		if (v->bound)
			unlink(v->path);
	}
	v->listen_fd = -1;
	if (v->timer_fd >= 0) {
		virtio_mmio_unwatch(vdev, v->timer_fd);
		close(v->timer_fd);
	}
	v->timer_fd = -1;
	free(v->path);
	v->path = NULL;
}

static const struct virtio_dev_ops vsock_ops = {
    .device_id = VIRTIO_ID_VSOCK,
    .queue_notify = vsock_notify,
    .reset = vsock_reset,
    .destroy = vsock_destroy,
    .poll = vsock_poll,
};

static int vsock_listen(struct vsock *v, struct husk_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	/* PATH_<port> must fit too, for guest-initiated connections. */
	if (strlen(v->path) + 12 > sizeof(sa.sun_path))
		return husk_err_set(err, ENAMETOOLONG, "virtio-vsock: socket path %s too long",
				    v->path);
	strcpy(sa.sun_path, v->path);
	struct stat st;
	if (lstat(v->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(v->path); /* a stale socket from an earlier run */
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->listen_fd < 0)
		return husk_err_sys(err, "virtio-vsock: socket");
	if (bind(v->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return husk_err_sys(err, "virtio-vsock: bind %s", v->path);
	v->bound = true;
	if (listen(v->listen_fd, 64) < 0)
		return husk_err_sys(err, "virtio-vsock: listen %s", v->path);
	return 0;
}

/* spec: "CID:PATH" */
static int vsock_parse(struct vsock *v, const char *spec, struct husk_err **err)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1])
		return husk_err_set(err, EINVAL, "virtio-vsock: \"%s\" is not CID:PATH", spec);
	cleanup_free char *cid = strndup(spec, colon - spec);
	unsigned long long n;
	/* 0-2 are reserved (hypervisor, local, host); the top is VMADDR_CID_ANY. */
	if (!cid || parse_u64(cid, &n) < 0 || n < 3 || n >= 0xffffffffull)
		return husk_err_set(err, EINVAL, "virtio-vsock: bad guest CID in \"%s\"", spec);
	v->cid = n;
	v->guest_cid = htole64(n);
	v->path = xstrdup(colon + 1);
	return 0;
}

struct vm_device *virtio_vsock_create(const struct vm_device_env *env, const char *spec,
				      struct husk_err **err)
{
	struct vsock *v = calloc(1, sizeof(*v));
	if (!v) {
		husk_err_set(err, ENOMEM, "virtio-vsock: allocate");
		return NULL;
	}
	v->listen_fd = -1;
	v->timer_fd = -1;
	v->next_port = VSOCK_EPHEMERAL_BASE;
	if (vsock_parse(v, spec, err) < 0 || vsock_listen(v, err) < 0)
		goto fail;
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (virtio_mmio_init(&v->vdev, env, "virtio-vsock", &vsock_ops, features, 3, &v->guest_cid,
			     sizeof(v->guest_cid), err) < 0)
		goto fail;
	if (env->loop) {
		if (virtio_mmio_watch(&v->vdev, v->listen_fd, EPOLLIN | EPOLLET, listen_event, v,
				      err) < 0) {
			husk_err_wrap(err, "virtio-vsock: watch %s", v->path);
			virtio_mmio_free(&v->vdev);
			return NULL;
		}
		v->listening = true;
		v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (v->timer_fd < 0) {
			husk_err_sys(err, "virtio-vsock: timerfd");
			virtio_mmio_free(&v->vdev);
			return NULL;
		}
		if (virtio_mmio_watch(&v->vdev, v->timer_fd, EPOLLIN, timer_event, v, err) < 0) {
			close(v->timer_fd); /* not watched: destroy must not unwatch it */
			v->timer_fd = -1;
			husk_err_wrap(err, "virtio-vsock: watch timer");
			virtio_mmio_free(&v->vdev);
			return NULL;
		}
	}
	return &v->vdev.dev;
fail:
	vsock_destroy(&v->vdev);
	free(v);
	return NULL;
}

/* ---- registration: one instance for --vsock ---- */

static unsigned vsock_count(const struct vm_config *cfg)
{
	return cfg->vsock ? 1 : 0;
}

static const char *vsock_describe(const struct vm_config *cfg, unsigned i)
{
	return cfg->vsock;
}

static struct vm_device *vsock_create_instance(const struct vm_device_env *env,
					       const struct vm_config *cfg, unsigned i,
					       struct husk_err **err)
{
	return virtio_vsock_create(env, cfg->vsock, err);
}

VM_DEVICE_TYPE(vsock_type, {
			       .name = "virtio-vsock",
			       .option = "--vsock",
			       .order = 30,
			       .count = vsock_count,
			       .describe = vsock_describe,
			       .create = vsock_create_instance,
			   });
