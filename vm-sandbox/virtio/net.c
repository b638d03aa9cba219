/* virtio-net over a tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR).  No
 * offloads are offered, so every frame is a plain Ethernet frame behind a
 * 12-byte virtio_net_hdr with no flags, and each receive buffer holds a whole
 * frame (no MRG_RXBUF).  One rx/tx queue pair, no control queue.
 *
 * Like the console, the tap is watched edge-triggered for the device's life
 * and read only while the guest has receive buffers posted; frames that
 * arrive meanwhile wait in the tap's queue for the next receive kick. */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "common/cleanup.h"
#include "common/util.h"

#define NET_RXQ	      0
#define NET_TXQ	      1
#define NET_HDR_LEN   ((int)sizeof(struct virtio_net_hdr_v1)) /* 12 bytes with VERSION_1 */
#define NET_MAX_FRAME (65535 + 14) /* larger than any frame a tap passes without GSO */

struct net {
	struct virtio_mmio vdev; /* first: freed through it */
	int fd;
	bool vnet_hdr; /* frames on fd carry the virtio_net_hdr */
	bool watching;
	struct virtio_net_config config;
	struct iovec iov[VIRTQ_MAX_SEGS + 1];
};

static void net_rx_ready(void *arg, int fd, uint32_t events);

static int watch_backend(struct net *n, struct husk_err **err)
{
	if (!n->vdev.env.loop)
		return 0;
	if (virtio_mmio_watch(&n->vdev, n->fd, EPOLLIN | EPOLLET, net_rx_ready, n, err) < 0)
		return husk_err_wrap(err, "virtio-net: watch backend");
	n->watching = true;
	return 0;
}

/* Read one frame into the chain.  Returns bytes written into it, 0 when the
 * backend had nothing, < 0 on a chain too small for even the header. */
static ssize_t rx_one(struct net *n, const struct virtq_chain *c)
{
	const struct iovec *in = c->iov + c->n_out;
	static const uint8_t zero_hdr[NET_HDR_LEN];
	unsigned k;
	ssize_t r;

	if (c->in_len < NET_HDR_LEN)
		return -1;
	if (n->vnet_hdr) {
		k = iov_slice(in, c->n_in, 0, c->in_len, n->iov, ARRAY_SIZE(n->iov));
	} else {
		iov_from_buf(in, c->n_in, 0, zero_hdr, NET_HDR_LEN);
		k = iov_slice(in, c->n_in, NET_HDR_LEN, c->in_len - NET_HDR_LEN, n->iov,
			      ARRAY_SIZE(n->iov));
	}
	do
		r = readv(n->fd, n->iov, (int)k);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return 0;
	if (!n->vnet_hdr)
		r += NET_HDR_LEN;
	else if (r < NET_HDR_LEN)
		return 0; /* a runt from the backend: drop it */
	/* One buffer per frame: num_buffers is 1 (the tap leaves it alone). */
	uint16_t one = htole16(1);
	iov_from_buf(in, c->n_in, 10, &one, sizeof(one));
	return r;
}

static void net_rx(struct net *n)
{
	struct virtq *vq = virtio_queue(&n->vdev, NET_RXQ);
	if (!vq)
		return;
	for (;;) {
		int p = virtq_pop(vq, n->vdev.chain);
		if (p <= 0)
			break; /* frames wait in the backend for the next buffers */
		ssize_t r = rx_one(n, n->vdev.chain);
		if (r == 0) {
			virtq_unpop(vq); /* nothing to read: keep the buffer for later */
			break;
		}
		virtq_push(vq, n->vdev.chain->head, r < 0 ? 0 : (uint32_t)r);
	}
	virtio_mmio_notify_used(&n->vdev, vq);
}

static void net_tx(struct net *n)
{
	struct virtq *vq = virtio_queue(&n->vdev, NET_TXQ);
	if (!vq)
		return;
	while (virtq_pop(vq, n->vdev.chain) > 0) {
		struct virtq_chain *c = n->vdev.chain;
		size_t skip = n->vnet_hdr ? 0 : NET_HDR_LEN;
		/* Frames without a header or beyond any MTU are dropped, as a NIC would. */
		if (c->out_len > NET_HDR_LEN && c->out_len <= NET_HDR_LEN + NET_MAX_FRAME) {
			unsigned k = iov_slice(c->iov, c->n_out, skip, c->out_len - skip, n->iov,
					       ARRAY_SIZE(n->iov));
			ssize_t r;
			do
				r = writev(n->fd, n->iov, (int)k);
			while (r < 0 && errno == EINTR);
		}
		virtq_push(vq, c->head, 0);
	}
	virtio_mmio_notify_used(&n->vdev, vq);
}

static void net_rx_ready(void *arg, int fd, uint32_t events)
{
	struct net *n = arg;
	pthread_mutex_lock(&n->vdev.lock);
	net_rx(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

static void net_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct net *n = (struct net *)vdev;
	if (q == NET_RXQ)
		net_rx(n);
	else if (q == NET_TXQ)
		net_tx(n);
}

static void net_poll(struct virtio_mmio *vdev)
{
	net_rx((struct net *)vdev);
}

static void net_destroy(struct virtio_mmio *vdev)
{
	struct net *n = (struct net *)vdev;
	if (n->watching)
		virtio_mmio_unwatch(vdev, n->fd);
	n->watching = false;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

static const struct virtio_dev_ops net_ops = {
    .device_id = VIRTIO_ID_NET,
    .queue_notify = net_notify,
    .driver_ok = net_poll,
    .destroy = net_destroy,
    .poll = net_poll,
};

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return (mac[0] & 1) ? -1 : 0; /* a multicast address cannot be a NIC's */
}

static struct vm_device *net_create(const struct vm_device_env *env, int fd, bool vnet_hdr,
				    const uint8_t *mac, struct husk_err **err)
{
	struct net *n = calloc(1, sizeof(*n));
	if (!n) {
		husk_err_set(err, ENOMEM, "virtio-net: allocate");
		close(fd);
		return NULL;
	}
	n->fd = fd;
	n->vnet_hdr = vnet_hdr;
	if (mac) {
		memcpy(n->config.mac, mac, 6);
	} else {
		/* Locally administered, QEMU's OUI-style prefix, random tail. */
		n->config.mac[0] = 0x52;
		n->config.mac[1] = 0x54;
		n->config.mac[2] = 0x00;
		/* Created on the I/O thread: never wait for the host's entropy. */
		if (getrandom(n->config.mac + 3, 3, GRND_INSECURE) != 3)
			memset(n->config.mac + 3, 0x42, 3);
	}
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX) |
			    BIT64(VIRTIO_NET_F_MAC) | BIT64(VIRTIO_NET_F_STATUS);
	if (virtio_mmio_init(&n->vdev, env, "virtio-net", &net_ops, features, 2, &n->config,
			     sizeof(n->config), err) < 0) {
		net_destroy(&n->vdev);
		free(n);
		return NULL;
	}
	if (watch_backend(n, err) < 0) {
		virtio_mmio_free(&n->vdev);
		return NULL;
	}
	return &n->vdev.dev;
}

struct vm_device *virtio_net_create_fd(const struct vm_device_env *env, int fd, bool vnet_hdr,
				       struct husk_err **err)
{
	return net_create(env, fd, vnet_hdr, NULL, err);
}

static int tap_open(const char *name, struct husk_err **err)
{
	struct ifreq ifr = {0};
	if (strlen(name) >= IFNAMSIZ)
		return husk_err_set(err, EINVAL, "virtio-net: tap name \"%s\" too long", name);
	cleanup_fd int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return husk_err_sys(err, "virtio-net: open /dev/net/tun");
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return husk_err_sys(err, "virtio-net: TUNSETIFF %s", name);
	int hdr = NET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return husk_err_sys(err, "virtio-net: TUNSETVNETHDRSZ %s", name);
	/* No offloads: the tap must hand us plain frames only. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return husk_err_sys(err, "virtio-net: TUNSETOFFLOAD %s", name);
	return steal_fd(&fd);
}

/* spec: "tap=NAME[,mac=52:54:00:12:34:56]", or "fd=N[,mac=...]": a tap the
 * caller opened and configured (IFF_VNET_HDR, 12-byte header, no offloads;
 * runtime/vm_net_setup.c), taken over by the device. */
struct vm_device *virtio_net_create(const struct vm_device_env *env, const char *spec,
				    struct husk_err **err)
{
	cleanup_free char *copy = xstrdup(spec);
	char *tap = NULL, *save = NULL;
	int fd = -1;
	uint8_t mac[6];
	bool have_mac = false;

	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		unsigned long long n;
		if (strncmp(opt, "tap=", 4) == 0 && opt[4]) {
			tap = opt + 4;
		} else if (strncmp(opt, "fd=", 3) == 0 && parse_u64(opt + 3, &n) == 0 &&
			   n <= INT32_MAX) {
			fd = (int)n;
		} else if (strncmp(opt, "mac=", 4) == 0 && parse_mac(opt + 4, mac) == 0) {
			have_mac = true;
		} else {
			husk_err_set(err, EINVAL, "virtio-net: bad option \"%s\" in \"%s\"", opt,
				     spec);
			return NULL;
		}
	}
	if (!tap == (fd < 0)) {
		husk_err_set(err, EINVAL, "virtio-net: \"%s\" names no tap (want tap=NAME or fd=N)",
			     spec);
		return NULL;
	}
	if (tap)
		fd = tap_open(tap, err);
	if (fd < 0)
		return NULL;
	return net_create(env, fd, true, have_mac ? mac : NULL, err);
}

/* ---- registration: one instance per --net ---- */

static unsigned net_count(const struct vm_config *cfg)
{
	return cfg->n_nets;
}

static const char *net_describe(const struct vm_config *cfg, unsigned i)
{
	return cfg->nets[i];
}

static struct vm_device *net_create_instance(const struct vm_device_env *env,
					     const struct vm_config *cfg, unsigned i,
					     struct husk_err **err)
{
	return virtio_net_create(env, cfg->nets[i], err);
}

VM_DEVICE_TYPE(net_type, {
			     .name = "virtio-net",
			     .option = "--net",
			     .order = 20,
			     .count = net_count,
			     .describe = net_describe,
			     .create = net_create_instance,
			 });
