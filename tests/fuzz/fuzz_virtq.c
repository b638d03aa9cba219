/* libFuzzer target: a hostile guest against the virtio device models.
 *
 * The input is a small header (device, features, queue layout, register
 * pokes, kicks) followed by the guest RAM image.  The queue layout is XORed
 * onto a valid default, so an all-zero header is a well-formed queue and the
 * fuzzer spends its time on descriptor tables, rings and request payloads.
 * Guest RAM is an exactly-sized heap block: ASan catches any access outside. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"

#define RAM_GPA 0x10000ull
#define RAM_SIZE (64u << 10)
#define NDEV 5

struct hdr {
	uint8_t device;
	uint8_t flags;
	uint8_t queue;
	uint8_t num_log2;
	uint16_t num_raw;
	uint32_t desc_x, avail_x, used_x;
	uint8_t kicks;
	uint8_t npokes;
} __attribute__((packed));

struct poke {
	uint16_t off;
	uint32_t val;
} __attribute__((packed));

enum {
	FL_INDIRECT = 1,
	FL_EVENT_IDX = 2,
	FL_POLL = 4,
	FL_RAW_NUM = 8,
	FL_BACKEND_DATA = 16,
};

static struct guest_mem mem;
static uint8_t *ram;
static struct vm_device *devs[NDEV];
static const uint32_t dev_ids[NDEV] = { VIRTIO_ID_RNG, VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE,
					VIRTIO_ID_NET, VIRTIO_ID_VSOCK };
static int console_in[2] = { -1, -1 }, net_peer = -1, blk_fd = -1, null_fd = -1;
static char vsock_dir[64];

static void irq_raise(void *ctx, unsigned irq)
{
}

static void die(const char *what)
{
	perror(what);
	abort();
}

static void cleanup(void)
{
	for (int i = 0; i < NDEV; i++)
		if (devs[i])
			devs[i]->destroy(devs[i]);
	if (vsock_dir[0])
		rmdir(vsock_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_device_env env = {
		.mem = &mem, .mmio_base = 0xd0000000, .irq = 5, .vm_fd = -1, .irq_raise = irq_raise
	};
	struct husk_err *err = NULL;
	char spec[128];

	ram = malloc(RAM_SIZE);
	if (!ram)
		die("malloc");
	mem.regions[0] = (struct guest_mem_region){ RAM_GPA, RAM_SIZE, ram };
	mem.n = 1;

	devs[0] = virtio_rng_create(&env, &err);

	blk_fd = memfd_create("husk-fuzz-disk", MFD_CLOEXEC);
	if (blk_fd < 0 || ftruncate(blk_fd, 64 << 10) < 0)
		die("memfd");
	snprintf(spec, sizeof(spec), "/proc/self/fd/%d", blk_fd);
	devs[1] = virtio_blk_create(&env, spec, &err);

	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || pipe2(console_in, O_CLOEXEC | O_NONBLOCK) < 0)
		die("console fds");
	devs[2] = virtio_console_create(&env, console_in[0], null_fd, &err);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		die("socketpair");
	net_peer = sv[1];
	devs[3] = virtio_net_create_fd(&env, sv[0], true, &err);

	snprintf(vsock_dir, sizeof(vsock_dir), "/tmp/husk-virtio-fuzz-%d", getpid());
	if (mkdir(vsock_dir, 0700) < 0)
		die("mkdir");
	snprintf(spec, sizeof(spec), "3:%s/v.sock", vsock_dir);
	devs[4] = virtio_vsock_create(&env, spec, &err);

	for (int i = 0; i < NDEV; i++)
		if (!devs[i]) {
			fprintf(stderr, "device %d: %s\n", i, err ? err->msg : "?");
			abort();
		}
	atexit(cleanup);
	return 0;
}

static void wr(struct vm_device *d, uint64_t off, uint32_t v)
{
	d->mmio(d, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(struct vm_device *d, uint64_t off)
{
	uint32_t v = 0;
	d->mmio(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void feed_backend(unsigned dev, const uint8_t *data, size_t len)
{
	if (len > 2048)
		len = 2048;
	if (dev == 2 && write(console_in[1], data, len) < 0) {
		/* pipe full: the device reads it on the next inputs */
	}
	if (dev == 3 && send(net_peer, data, len, MSG_DONTWAIT) < 0) {
		/* socket full: same */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr h;
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);

	unsigned dev = h.device % NDEV;
	struct vm_device *d = devs[dev];
	unsigned npokes = h.npokes % 8;
	const struct poke *pokes = (const void *)data;
	if (size < npokes * sizeof(struct poke))
		return 0;
	data += npokes * sizeof(struct poke);
	size -= npokes * sizeof(struct poke);

	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
	if (h.flags & FL_BACKEND_DATA)
		feed_backend(dev, data, size);

	/* Negotiate. */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint32_t lo = (h.flags & FL_INDIRECT ? 1u << VIRTIO_RING_F_INDIRECT_DESC : 0) |
		      (h.flags & FL_EVENT_IDX ? 1u << VIRTIO_RING_F_EVENT_IDX : 0);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo &= rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, lo);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, 0xb);

	/* Every queue of the device gets the same layout; the chosen one may
	 * be bent by the header. */
	uint32_t num = (h.flags & FL_RAW_NUM) ? h.num_raw : 1u << (h.num_log2 % 9);
	uint32_t n = num && num <= 256 ? num : 16;
	uint64_t desc = RAM_GPA, avail = desc + 16 * n, used = (avail + 6 + 2 * n + 3) & ~3ull;
	for (unsigned q = 0; q < 3; q++) {
		bool bent = q == h.queue % 3;
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, bent ? num : n);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc ^ (bent ? h.desc_x : 0));
		wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail ^ (bent ? h.avail_x : 0));
		wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used ^ (bent ? h.used_x : 0));
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, 0xf);

	for (unsigned i = 0; i < npokes; i++) {
		struct poke p;
		memcpy(&p, &pokes[i], sizeof(p));
		/* Mostly registers; sometimes odd widths. */
		unsigned len = (p.off & 0x8000) ? 1u << ((p.off >> 12) & 3) : 4;
		uint8_t buf[8];
		memcpy(buf, &p.val, 4);
		memcpy(buf + 4, &p.val, 4);
		d->mmio(d, p.off & 0x3ff, buf, len, (p.off & 0x4000) != 0);
	}

	unsigned kicks = 1 + h.kicks % 4;
	for (unsigned k = 0; k < kicks; k++) {
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, (h.queue + k) % 3);
		if (h.flags & FL_POLL)
			virtio_mmio_poll(d);
	}
	/* The device's view must stay sane: read back a few registers. */
	(void)rd(d, VIRTIO_MMIO_STATUS);
	(void)rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	return 0;
}
