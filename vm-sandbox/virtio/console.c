/* virtio-console, port 0 only (no MULTIPORT, no SIZE): the guest's hvc0.
 * transmitq -> out_fd; in_fd -> receiveq.  The device does not own the fds.
 *
 * in_fd is watched edge-triggered for the device's whole life: input is read
 * (into a bounce buffer) only while the guest has receive buffers posted, so
 * with none posted a pending keystroke cannot make the loop spin, and the next
 * receiveq kick reads what waited.  No add/del churn on the loop either. */
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "common/util.h"

#define CONSOLE_RXQ    0
#define CONSOLE_TXQ    1
#define CONSOLE_MAX_TX (64u * 1024) /* per chain */

struct console {
	struct virtio_mmio vdev; /* first: freed through it */
	int in_fd, out_fd;
	bool watching, in_eof;
	size_t rx_len, rx_off;
	uint8_t rx_buf[4096];
};

static void console_in_ready(void *arg, int fd, uint32_t events);

static void watch_input(struct console *c)
{
	struct husk_err *err = NULL;
	if (c->in_fd < 0 || !c->vdev.env.loop)
		return;
	/* Not every fd can be polled (/dev/null cannot): input then only
	 * moves when the guest kicks its receive queue. */
	if (virtio_mmio_watch(&c->vdev, c->in_fd, EPOLLIN | EPOLLET, console_in_ready, c, &err) ==
	    0)
		c->watching = true;
	husk_err_free(&err);
}

static bool input_ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* Returns false when nothing more can be read now. */
static bool refill(struct console *c)
{
	if (c->in_eof || c->in_fd < 0 || !input_ready(c->in_fd))
		return false;
	ssize_t n = read(c->in_fd, c->rx_buf, sizeof(c->rx_buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {
		c->in_eof = true;
		return false;
	}
	c->rx_len = n;
	c->rx_off = 0;
	return true;
}

static void console_rx(struct console *c)
{
	struct virtq *vq = virtio_queue(&c->vdev, CONSOLE_RXQ);
	if (!vq)
		return;
	for (;;) {
		if (c->rx_off == c->rx_len && !refill(c))
			break;
		if (!virtq_has_avail(vq))
			break; /* the rest waits for the guest's next receive buffers */
		if (virtq_pop(vq, c->vdev.chain) <= 0)
			break;
		struct virtq_chain *ch = c->vdev.chain;
		size_t n = iov_from_buf(ch->iov + ch->n_out, ch->n_in, 0, c->rx_buf + c->rx_off,
					c->rx_len - c->rx_off);
		c->rx_off += n;
		virtq_push(vq, ch->head, (uint32_t)n);
	}
	virtio_mmio_notify_used(&c->vdev, vq);
}

static void console_tx(struct console *c)
{
	struct virtq *vq = virtio_queue(&c->vdev, CONSOLE_TXQ);
	if (!vq)
		return;
	while (virtq_pop(vq, c->vdev.chain) > 0) {
		struct virtq_chain *ch = c->vdev.chain;
		size_t budget = CONSOLE_MAX_TX;
		for (unsigned i = 0; i < ch->n_out && budget && c->out_fd >= 0; i++) {
			size_t len = ch->iov[i].iov_len < budget ? ch->iov[i].iov_len : budget;
			if (write_all(c->out_fd, ch->iov[i].iov_base, len) < 0)
				break; /* a closed terminal loses output, not the guest */
			budget -= len;
		}
		virtq_push(vq, ch->head, 0);
	}
	virtio_mmio_notify_used(&c->vdev, vq);
}

static void console_in_ready(void *arg, int fd, uint32_t events)
{
	struct console *c = arg;
	pthread_mutex_lock(&c->vdev.lock);
	console_rx(c);
	pthread_mutex_unlock(&c->vdev.lock);
}

static void console_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct console *c = (struct console *)vdev;
	if (q == CONSOLE_RXQ)
		console_rx(c);
	else if (q == CONSOLE_TXQ)
		console_tx(c);
}

static void console_driver_ok(struct virtio_mmio *vdev)
{
	console_rx((struct console *)vdev);
}

static void console_reset(struct virtio_mmio *vdev)
{
	struct console *c = (struct console *)vdev;
	c->rx_len = c->rx_off = 0;
}

static void console_destroy(struct virtio_mmio *vdev)
{
	struct console *c = (struct console *)vdev;
	if (c->watching)
		virtio_mmio_unwatch(vdev, c->in_fd);
	c->watching = false;
}

static const struct virtio_dev_ops console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .queue_notify = console_notify,
    .driver_ok = console_driver_ok,
    .reset = console_reset,
    .destroy = console_destroy,
    .poll = console_driver_ok,
};

struct vm_device *virtio_console_create(const struct vm_device_env *env, int in_fd, int out_fd,
					struct husk_err **err)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c) {
		husk_err_set(err, ENOMEM, "virtio-console: allocate");
		return NULL;
	}
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (virtio_mmio_init(&c->vdev, env, "virtio-console", &console_ops, features, 2, NULL, 0,
			     err) < 0) {
		free(c);
		return NULL;
	}
	watch_input(c);
	return &c->vdev.dev;
}

/* ---- registration: the config's console ports (hvc0, hvc1, ...), or one
 * output-only hvc0 where the serial console writes ---- */

static unsigned console_count(const struct vm_config *cfg)
{
	return cfg->n_console_ports ? cfg->n_console_ports : 1;
}

static struct vm_device *console_create_instance(const struct vm_device_env *env,
						 const struct vm_config *cfg, unsigned i,
						 struct husk_err **err)
{
	if (cfg->n_console_ports == 0)
		return virtio_console_create(env, -1, vm_console_out_fd(cfg), err);
	const struct vm_console_port *p = &cfg->console_ports[i];
	return virtio_console_create(env, p->in_fd, p->out_fd, err);
}

VM_DEVICE_TYPE(console_type, {
				 .name = "virtio-console",
				 .option = "virtio-console",
				 .order = 40,
				 .count = console_count,
				 .create = console_create_instance,
			     });
