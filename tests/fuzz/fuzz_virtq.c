/* libFuzzer target: a hostile guest against the virtio device models.
 *
 * The input is a small header (device, features, queue layout, register
 * pokes, kicks) followed by the guest RAM image.  The queue layout is XORed
 * onto a valid default, so an all-zero header is a well-formed queue and the
 * fuzzer spends its time on descriptor tables, rings and request payloads.
 * Guest RAM is an exactly-sized heap block: ASan catches any access outside. */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"

#define RAM_GPA	 0x10000ull
#define RAM_SIZE (64u << 10)
#define NDEV	 5

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
static int console_in[2] = {-1, -1}, net_peer = -1, blk_fd = -1, null_fd = -1;
static int vsock_listener = -1; /* a host service at PATH_2000 for guest connections */
static char vsock_dir[64];

/* The devices run synchronously here (env.loop == NULL): the core's event
 * loop is never called, and is not linked in. */
int vm_event_loop_add(struct vm_event_loop *loop, int fd, uint32_t events, vm_event_cb cb,
		      void *arg, struct husk_err **err)
{
	abort();
}

int vm_event_loop_del(struct vm_event_loop *loop, int fd)
{
	abort();
}

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
	if (vsock_dir[0]) {
		char p[96];
		snprintf(p, sizeof(p), "%s/v.sock_2000", vsock_dir);
		unlink(p);
		rmdir(vsock_dir);
	}
}

/* ---- seeds: one well-formed request per device and request type ----
 * With HUSK_FUZZ_SEEDS=DIR the target writes them into DIR before libFuzzer
 * reads its corpus directories (pass DIR as one of them). */

#define SEED_N	  16
#define SEED_DATA 1024 /* RAM offset of request payloads */

struct seed {
	uint8_t buf[4096];
	size_t len;
	unsigned ndesc;
	unsigned chain_start; /* first descriptor of the chain being built */
	uint16_t heads[4];
	unsigned nheads;
	uint64_t data; /* next free payload offset */
};

static void seed_begin(struct seed *sd, unsigned dev, unsigned queue, uint8_t flags)
{
	memset(sd, 0, sizeof(*sd));
	struct hdr h = {
	    .device = (uint8_t)dev, .flags = flags, .queue = (uint8_t)queue, .num_log2 = 4};
	memcpy(sd->buf, &h, sizeof(h));
	sd->data = SEED_DATA;
	sd->len = sizeof(h) + SEED_DATA;
}

static uint8_t *seed_ram(struct seed *sd, uint64_t off)
{
	return sd->buf + sizeof(struct hdr) + off;
}

/* Add a buffer with the given bytes (or zeroes) to the chain being built. */
static void seed_desc(struct seed *sd, const void *bytes, uint32_t len, bool write)
{
	struct vring_desc d = {RAM_GPA + sd->data, len, write ? VRING_DESC_F_WRITE : 0, 0};
	if (sd->ndesc > sd->chain_start) {
		/* The seed buffer is not 8-byte aligned: copy in and out. */
		struct vring_desc prev;
		memcpy(&prev, seed_ram(sd, 16 * (sd->ndesc - 1)), sizeof(prev));
		prev.flags |= VRING_DESC_F_NEXT;
		prev.next = (uint16_t)sd->ndesc;
		memcpy(seed_ram(sd, 16 * (sd->ndesc - 1)), &prev, sizeof(prev));
	}
	memcpy(seed_ram(sd, 16 * sd->ndesc), &d, sizeof(d));
	if (bytes)
		memcpy(seed_ram(sd, sd->data), bytes, len);
	sd->ndesc++;
	sd->data += (len + 15) & ~15u;
	if (sizeof(struct hdr) + sd->data > sd->len)
		sd->len = sizeof(struct hdr) + sd->data;
}

/* Close the chain being built; the next seed_desc starts another. */
static void seed_chain_end(struct seed *sd)
{
	sd->heads[sd->nheads++] = (uint16_t)sd->chain_start;
	sd->chain_start = sd->ndesc;
}

static void seed_write(struct seed *sd, const char *dir, const char *name)
{
	if (sd->ndesc > sd->chain_start)
		seed_chain_end(sd);
	uint16_t avail[2 + 4] = {0, (uint16_t)sd->nheads}; /* flags, idx, ring[] */
	memcpy(avail + 2, sd->heads, sizeof(sd->heads));
	memcpy(seed_ram(sd, 16 * SEED_N), avail, sizeof(avail));
	char path[256];
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(sd->buf, 1, sd->len, f) != sd->len)
		die(path);
	fclose(f);
}

static void blk_seed(const char *dir, const char *name, uint32_t type, uint64_t sector,
		     uint32_t data_len, bool data_write, uint8_t flags)
{
	struct seed sd;
	uint32_t req[4] = {type, 0, (uint32_t)sector, (uint32_t)(sector >> 32)};
	uint8_t payload[512] = {0};
	seed_begin(&sd, 1, 0, flags);
	seed_desc(&sd, req, 16, false);
	if (data_len)
		seed_desc(&sd, payload, data_len, data_write);
	seed_desc(&sd, NULL, 1, true);
	seed_write(&sd, dir, name);
}

static void vsock_packet(struct seed *sd, uint16_t op, uint32_t len)
{
	uint8_t pkt[44 + 16] = {0};
	uint64_t src = 3, dst = 2;
	uint32_t sport = 1000, dport = 2000, balloc = 65536;
	uint16_t type = 1;
	memcpy(pkt, &src, 8);
	memcpy(pkt + 8, &dst, 8);
	memcpy(pkt + 16, &sport, 4);
	memcpy(pkt + 20, &dport, 4);
	memcpy(pkt + 24, &len, 4);
	memcpy(pkt + 28, &type, 2);
	memcpy(pkt + 30, &op, 2);
	memcpy(pkt + 36, &balloc, 4);
	seed_desc(sd, pkt, 44, false);
	if (len)
		seed_desc(sd, pkt + 44, len, false);
	seed_chain_end(sd);
}

static void vsock_seed(const char *dir, const char *name, uint16_t op, uint32_t len)
{
	struct seed sd;
	seed_begin(&sd, 4, 1, FL_POLL);
	vsock_packet(&sd, op, len);
	seed_write(&sd, dir, name);
}

static void write_seeds(const char *dir)
{
	struct seed sd;
	mkdir(dir, 0700);
	seed_begin(&sd, 0, 0, 0);
	seed_desc(&sd, NULL, 64, true);
	seed_write(&sd, dir, "rng");
	seed_begin(&sd, 0, 0, FL_INDIRECT | FL_EVENT_IDX);
	seed_desc(&sd, NULL, 64, true);
	seed_desc(&sd, NULL, 32, true);
	seed_write(&sd, dir, "rng-2");

	blk_seed(dir, "blk-read", 0, 1, 512, true, 0);
	blk_seed(dir, "blk-write", 1, 2, 512, false, 0);
	blk_seed(dir, "blk-flush", 4, 0, 0, false, 0);
	blk_seed(dir, "blk-getid", 8, 0, 20, true, 0);
	blk_seed(dir, "blk-discard", 11, 0, 16, false, 0);
	blk_seed(dir, "blk-zeroes", 13, 0, 16, false, FL_EVENT_IDX);

	seed_begin(&sd, 2, 1, 0);
	seed_desc(&sd, "hello\n", 6, false);
	seed_write(&sd, dir, "console-tx");
	seed_begin(&sd, 2, 0, FL_BACKEND_DATA | FL_POLL);
	seed_desc(&sd, NULL, 32, true);
	seed_write(&sd, dir, "console-rx");

	uint8_t frame[12 + 60] = {0};
	memset(frame + 12, 0xff, 6);
	seed_begin(&sd, 3, 1, 0);
	seed_desc(&sd, frame, 12, false);
	seed_desc(&sd, frame + 12, 60, false);
	seed_write(&sd, dir, "net-tx");
	seed_begin(&sd, 3, 0, FL_BACKEND_DATA | FL_POLL);
	seed_desc(&sd, NULL, 1526, true);
	seed_write(&sd, dir, "net-rx");

	vsock_seed(dir, "vsock-request", 1, 0);
	vsock_seed(dir, "vsock-rw", 5, 16);
	vsock_seed(dir, "vsock-credit", 7, 0);
	vsock_seed(dir, "vsock-shutdown", 4, 0);
	vsock_seed(dir, "vsock-rst", 3, 0);
	/* A connection to the listener the target keeps at PATH_2000, used. */
	seed_begin(&sd, 4, 1, FL_POLL);
	vsock_packet(&sd, 1, 0);  /* REQUEST */
	vsock_packet(&sd, 5, 16); /* RW */
	vsock_packet(&sd, 7, 0);  /* CREDIT_REQUEST */
	vsock_packet(&sd, 4, 3);  /* SHUTDOWN (len 3: refused) */
	seed_write(&sd, dir, "vsock-session");
	seed_begin(&sd, 4, 1, FL_POLL);
	vsock_packet(&sd, 1, 0);
	vsock_packet(&sd, 5, 16);
	sd.buf[offsetof(struct hdr, kicks)] = 2; /* tx, event, then rx */
	seed_write(&sd, dir, "vsock-session-rx");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vm_device_env env = {
	    .mem = &mem, .mmio_base = 0xd0000000, .irq = 5, .vm_fd = -1, .irq_raise = irq_raise};
	struct husk_err *err = NULL;
	char spec[128];

	ram = malloc(RAM_SIZE);
	if (!ram)
		die("malloc");
	mem.regions[0] = (struct guest_mem_region){RAM_GPA, RAM_SIZE, ram};
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
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/v.sock_2000", vsock_dir);
	vsock_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vsock_listener < 0 || bind(vsock_listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(vsock_listener, 128) < 0)
		die("vsock listener");

	for (int i = 0; i < NDEV; i++)
		if (!devs[i]) {
			fprintf(stderr, "device %d: %s\n", i, err ? err->msg : "?");
			abort();
		}
	atexit(cleanup);
	const char *seed_dir = getenv("HUSK_FUZZ_SEEDS");
	if (seed_dir)
		write_seeds(seed_dir);
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
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
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
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail ^ (bent ? h.avail_x : 0));
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used ^ (bent ? h.used_x : 0));
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
	/* The host service answers a little, then everything is torn down. */
	int conns[16], nconn = 0;
	while (nconn < 16 && (conns[nconn] = accept4(vsock_listener, NULL, NULL,
						     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (send(conns[nconn], "pong", 4, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* full or gone: fine */
		}
		nconn++;
	}
	if (nconn && (h.flags & FL_POLL)) {
		virtio_mmio_poll(d);
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	wr(d, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < nconn; i++)
		close(conns[i]);
	return 0;
}
