/* virtio-mmio, driven as Linux's virtio_mmio driver does: probe the
 * windows named on the command line, negotiate VERSION_1, set up split
 * virtqueues, then exercise each device:
 *   blk     capacity, read + cksum against the image, write, flush, read back
 *   console one line on the transmitq (the test finds it on stdout)
 *   rng     bytes on a device-writable buffer
 *   vsock   connect to a host peer, send, get the echo back, close
 *   net     ARP for the host's address on the tap, get the reply
 * and check that the device's interrupt reaches the local APIC through the
 * I/O APIC (irqfd), with the guest's interrupts off: the vector shows in IRR. */
#include "guest.h"
#include "vm-sandbox/x86/layout.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */

enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_CONFIG = 0x100,
};

#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8

#define F_VERSION_1  32
#define F_BLK_FLUSH  9
#define DESC_F_NEXT  1
#define DESC_F_WRITE 2

#define QSIZE  8
#define SECTOR 512

#define ID_BLK	   2
#define ID_CONSOLE 3
#define ID_RNG	   4
#define ID_VSOCK   19
#define ID_NET	   1

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QSIZE];
	uint16_t used_event;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

struct used {
	uint16_t flags;
	uint16_t idx;
	struct used_elem ring[QSIZE];
	uint16_t avail_event;
};

struct vq {
	struct desc desc[QSIZE] __attribute__((aligned(16)));
	struct avail avail __attribute__((aligned(2)));
	struct used used __attribute__((aligned(4)));
	uint16_t next_avail;
	uint16_t last_used;
};

struct dev {
	uint64_t base;
	unsigned irq;
	struct vq vq[3];
};

static struct dev devs[LAYOUT_MMIO_MAX];
static uint8_t blk_buf[4096] __attribute__((aligned(4096)));
static uint8_t blk_hdr[16], blk_status;

/* Give a device about a second to answer (the TSC counts at ~1-4 GHz). */
#define ANSWER_CYCLES 3000000000ull

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint32_t rd(const struct dev *d, unsigned reg)
{
	return mmio_read32(d->base + reg);
}

static void wr(const struct dev *d, unsigned reg, uint32_t v)
{
	mmio_write32(d->base + reg, v);
}

static bool dev_init(struct dev *d, uint64_t want, unsigned nqueues)
{
	wr(d, REG_STATUS, 0);
	wr(d, REG_STATUS, S_ACK);
	wr(d, REG_STATUS, S_ACK | S_DRIVER);
	wr(d, REG_DEVICE_FEATURES_SEL, 1);
	uint64_t have = (uint64_t)rd(d, REG_DEVICE_FEATURES) << 32;
	wr(d, REG_DEVICE_FEATURES_SEL, 0);
	have |= rd(d, REG_DEVICE_FEATURES);
	if (!(have & (1ull << F_VERSION_1)))
		return false;
	uint64_t use = (want & have) | (1ull << F_VERSION_1);
	wr(d, REG_DRIVER_FEATURES_SEL, 0);
	wr(d, REG_DRIVER_FEATURES, (uint32_t)use);
	wr(d, REG_DRIVER_FEATURES_SEL, 1);
	wr(d, REG_DRIVER_FEATURES, (uint32_t)(use >> 32));
	wr(d, REG_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd(d, REG_STATUS) & S_FEATURES_OK))
		return false;
	for (unsigned q = 0; q < nqueues; q++) {
		struct vq *vq = &d->vq[q];
		memset(vq, 0, sizeof(*vq));
		wr(d, REG_QUEUE_SEL, q);
		if (rd(d, REG_QUEUE_NUM_MAX) < QSIZE)
			return false;
		wr(d, REG_QUEUE_NUM, QSIZE);
		wr(d, REG_QUEUE_DESC_LOW, (uint32_t)(uint64_t)vq->desc);
		wr(d, REG_QUEUE_DESC_HIGH, 0);
		wr(d, REG_QUEUE_DRIVER_LOW, (uint32_t)(uint64_t)&vq->avail);
		wr(d, REG_QUEUE_DRIVER_HIGH, 0);
		wr(d, REG_QUEUE_DEVICE_LOW, (uint32_t)(uint64_t)&vq->used);
		wr(d, REG_QUEUE_DEVICE_HIGH, 0);
		wr(d, REG_QUEUE_READY, 1);
	}
	wr(d, REG_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return true;
}

static bool wait_used(struct dev *d, unsigned q, uint32_t *id, uint32_t *len);

/* Post a chain of n buffers (descriptor 0..n-1), kick, wait for it.
 * Returns the used length, or -1 when the device never answered. */
static int64_t submit(struct dev *d, unsigned q, const uint64_t *addr, const uint32_t *len,
		      const uint16_t *flags, unsigned n)
{
	struct vq *vq = &d->vq[q];
	for (unsigned i = 0; i < n; i++) {
		vq->desc[i].addr = addr[i];
		vq->desc[i].len = len[i];
		vq->desc[i].flags = flags[i] | (i + 1 < n ? DESC_F_NEXT : 0);
		vq->desc[i].next = i + 1;
	}
	vq->avail.ring[vq->next_avail % QSIZE] = 0;
	__asm__ volatile("" ::: "memory");
	vq->avail.idx = ++vq->next_avail;
	__asm__ volatile("mfence" ::: "memory");
	wr(d, REG_QUEUE_NOTIFY, q);
	uint32_t used_id, used_len;
	return wait_used(d, q, &used_id, &used_len) ? (int64_t)used_len : -1;
}

/* Make descriptor i a single buffer and offer it, without waiting. */
static void post(struct dev *d, unsigned q, uint16_t i, void *buf, uint32_t len, uint16_t flags)
{
	struct vq *vq = &d->vq[q];
	vq->desc[i] = (struct desc){.addr = (uint64_t)buf, .len = len, .flags = flags};
	vq->avail.ring[vq->next_avail % QSIZE] = i;
	__asm__ volatile("" ::: "memory");
	vq->avail.idx = ++vq->next_avail;
	__asm__ volatile("mfence" ::: "memory");
	wr(d, REG_QUEUE_NOTIFY, q);
}

/* Wait for the next used element; false after a timeout. */
static bool wait_used(struct dev *d, unsigned q, uint32_t *id, uint32_t *len)
{
	struct vq *vq = &d->vq[q];
	for (uint64_t deadline = rdtsc() + ANSWER_CYCLES; rdtsc() < deadline;) {
		if (*(volatile uint16_t *)&vq->used.idx != vq->last_used) {
			__asm__ volatile("" ::: "memory");
			struct used_elem *e = &vq->used.ring[vq->last_used % QSIZE];
			vq->last_used++;
			*id = e->id;
			*len = e->len;
			return true;
		}
		__asm__ volatile("pause");
	}
	return false;
}

/* ---- interrupt delivery: I/O APIC pin -> LAPIC IRR ---- */

#define IRQ_VECTOR_BASE 0x40
#define LAPIC_SVR	0xf0
#define LAPIC_IRR	0x200

static void ioapic_route(unsigned gsi)
{
	mmio_write32(LAYOUT_IOAPIC, 0x10 + 2 * gsi + 1);
	mmio_write32(LAYOUT_IOAPIC + 0x10, 0); /* destination: APIC 0 */
	mmio_write32(LAYOUT_IOAPIC, 0x10 + 2 * gsi);
	mmio_write32(LAYOUT_IOAPIC + 0x10, IRQ_VECTOR_BASE + gsi); /* fixed, edge, unmasked */
}

static bool irr_pending(unsigned vector)
{
	uint32_t w = mmio_read32(LAYOUT_LAPIC + LAPIC_IRR + (vector / 32) * 0x10);
	return w & (1u << (vector % 32));
}

/* ---- devices ---- */

static bool cmd_num(const char *cmdline, const char *key, uint64_t *v)
{
	size_t len;
	const char *s = cmdline_get(cmdline, key, &len);
	return s && parse_num(s, len, v);
}

static int64_t blk_rw(struct dev *d, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	memcpy(blk_hdr, &type, 4);
	memset(blk_hdr + 4, 0, 4);
	memcpy(blk_hdr + 8, &sector, 8);
	blk_status = 0xff;
	uint64_t addr[3] = {(uint64_t)blk_hdr, (uint64_t)buf, (uint64_t)&blk_status};
	uint32_t lens[3] = {16, len, 1};
	uint16_t flags[3] = {0, type == 0 ? DESC_F_WRITE : 0, DESC_F_WRITE};
	if (!len) { /* flush: header and status only */
		addr[1] = addr[2];
		lens[1] = 1;
		flags[1] = DESC_F_WRITE;
		return submit(d, 0, addr, lens, flags, 2);
	}
	return submit(d, 0, addr, lens, flags, 3);
}

static void blk_checks(struct dev *d, const char *cmdline)
{
	check(dev_init(d, 1ull << F_BLK_FLUSH, 1),
	      "virtio-blk: features (VERSION_1, FLUSH), queue");
	uint64_t cap = rd(d, REG_CONFIG) | (uint64_t)rd(d, REG_CONFIG + 4) << 32;
	uint64_t want;
	if (cmd_num(cmdline, "husk.disk_sectors", &want))
		checkf(cap == want, "virtio-blk: capacity matches the image", "sectors", cap);

	ioapic_route(d->irq);
	int64_t n = blk_rw(d, 0, 0, blk_buf, sizeof(blk_buf));
	checkf(n == sizeof(blk_buf) + 1 && blk_status == 0, "virtio-blk: read 8 sectors", "used",
	       (uint64_t)n);
	checkf(rd(d, REG_INTERRUPT_STATUS) & 1, "virtio-blk: used-buffer interrupt status", "isr",
	       rd(d, REG_INTERRUPT_STATUS));
	wr(d, REG_INTERRUPT_ACK, 1);
	unsigned vec = IRQ_VECTOR_BASE + d->irq;
	bool pending = false;
	for (unsigned spin = 0; spin < 20000 && !pending; spin++)
		pending = irr_pending(vec);
	checkf(pending, "virtio-blk: interrupt reaches the LAPIC (irqfd -> IOAPIC)", "vector", vec);
	if (cmd_num(cmdline, "husk.disk_cksum", &want)) {
		uint32_t got = posix_cksum(blk_buf, sizeof(blk_buf));
		checkf(got == want, "virtio-blk: data matches the image (cksum of 4 KiB)", "got",
		       got);
	}

	static const char pat[] = "husk-guest wrote this sector\n";
	for (unsigned i = 0; i < SECTOR; i++)
		blk_buf[i] = pat[i % (sizeof(pat) - 1)];
	n = blk_rw(d, 1, 8, blk_buf, SECTOR);
	checkf(n >= 1 && blk_status == 0, "virtio-blk: write sector 8", "status", blk_status);
	n = blk_rw(d, 4, 0, 0, 0);
	checkf(n >= 1 && blk_status == 0, "virtio-blk: flush", "status", blk_status);
	memset(blk_buf, 0, SECTOR);
	n = blk_rw(d, 0, 8, blk_buf, SECTOR);
	bool same = n == SECTOR + 1 && blk_status == 0;
	for (unsigned i = 0; same && i < SECTOR; i++)
		same = blk_buf[i] == (uint8_t)pat[i % (sizeof(pat) - 1)];
	check(same, "virtio-blk: sector 8 reads back what was written");
}

static void console_checks(struct dev *d)
{
	check(dev_init(d, 0, 2), "virtio-console: features, queues");
	static const char line[] = "husk-guest: hello through virtio-console\n";
	uint64_t addr = (uint64_t)line;
	uint32_t len = sizeof(line) - 1;
	uint16_t flags = 0;
	int64_t n = submit(d, 1, &addr, &len, &flags, 1);
	checkf(n >= 0, "virtio-console: transmitq buffer consumed", "used", (uint64_t)n);
}

static void rng_checks(struct dev *d)
{
	check(dev_init(d, 0, 1), "virtio-rng: features, queue");
	static uint8_t buf[32];
	memset(buf, 0, sizeof(buf));
	uint64_t addr = (uint64_t)buf;
	uint32_t len = sizeof(buf);
	uint16_t flags = DESC_F_WRITE;
	int64_t n = submit(d, 0, &addr, &len, &flags, 1);
	unsigned distinct = 0;
	for (unsigned i = 1; i < sizeof(buf); i++)
		distinct += buf[i] != buf[0];
	checkf(n == sizeof(buf) && distinct > 0, "virtio-rng: 32 random bytes", "used",
	       (uint64_t)n);
}

/* ---- vsock: a stream to a host peer and back ---- */

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

enum { VS_REQUEST = 1, VS_RESPONSE, VS_RST, VS_SHUTDOWN, VS_RW, VS_CREDIT_UPDATE };
#define VS_RXBUFS 4
#define VS_BUFSZ  256
#define VS_PORT	  5000
#define VS_MSG	  "husk-vsock-ping"

static uint8_t vs_rx[VS_RXBUFS][VS_BUFSZ];
static uint8_t vs_tx[VS_BUFSZ];

static bool vs_send(struct dev *d, uint64_t cid, uint32_t port, uint16_t op, const char *data,
		    uint32_t len, uint32_t fwd)
{
	struct vsock_hdr h = {.src_cid = cid,
			      .dst_cid = 2,
			      .src_port = VS_PORT,
			      .dst_port = port,
			      .len = len,
			      .type = 1,
			      .op = op,
			      .flags = op == VS_SHUTDOWN ? 3 : 0,
			      .buf_alloc = sizeof(vs_rx),
			      .fwd_cnt = fwd};
	memcpy(vs_tx, &h, sizeof(h));
	memcpy(vs_tx + sizeof(h), data, len);
	post(d, 1, 0, vs_tx, sizeof(h) + len, 0);
	uint32_t id, used;
	return wait_used(d, 1, &id, &used);
}

/* The next packet for us that is not a credit update; NULL on timeout. */
static const struct vsock_hdr *vs_recv(struct dev *d, uint32_t *fwd)
{
	uint32_t id, len;
	while (wait_used(d, 0, &id, &len)) {
		if (id >= VS_RXBUFS)
			return 0;
		static uint8_t pkt[VS_BUFSZ];
		memcpy(pkt, vs_rx[id], len < VS_BUFSZ ? len : VS_BUFSZ);
		post(d, 0, id, vs_rx[id], VS_BUFSZ, DESC_F_WRITE); /* hand it back */
		const struct vsock_hdr *h = (const void *)pkt;
		if (h->op == VS_RW)
			*fwd += h->len;
		if (h->op != VS_CREDIT_UPDATE)
			return h;
	}
	return 0;
}

static void vsock_checks(struct dev *d, const char *cmdline)
{
	check(dev_init(d, 0, 3), "virtio-vsock: features, three queues");
	uint64_t cid = rd(d, REG_CONFIG) | (uint64_t)rd(d, REG_CONFIG + 4) << 32, want, port;
	if (cmd_num(cmdline, "husk.vsock_cid", &want))
		checkf(cid == want, "virtio-vsock: guest CID from --vsock", "cid", cid);
	if (!cmd_num(cmdline, "husk.vsock_port", &port))
		return;
	for (uint16_t i = 0; i < VS_RXBUFS; i++)
		post(d, 0, i, vs_rx[i], VS_BUFSZ, DESC_F_WRITE);
	uint32_t fwd = 0;
	check(vs_send(d, cid, port, VS_REQUEST, 0, 0, 0), "virtio-vsock: REQUEST sent");
	const struct vsock_hdr *h = vs_recv(d, &fwd);
	checkf(h && h->op == VS_RESPONSE && h->src_port == port && h->dst_port == VS_PORT,
	       "virtio-vsock: host peer accepts (RESPONSE)", "op", h ? h->op : 0);
	if (!h || h->op != VS_RESPONSE)
		return;
	check(vs_send(d, cid, port, VS_RW, VS_MSG, sizeof(VS_MSG) - 1, fwd),
	      "virtio-vsock: data sent");
	h = vs_recv(d, &fwd);
	bool echoed = h && h->op == VS_RW && h->len == sizeof(VS_MSG) - 1 &&
		      memcmp(h + 1, VS_MSG, sizeof(VS_MSG) - 1) == 0;
	checkf(echoed, "virtio-vsock: the host peer's echo comes back", "op", h ? h->op : 0);
	check(vs_send(d, cid, port, VS_SHUTDOWN, 0, 0, fwd), "virtio-vsock: SHUTDOWN sent");
	h = vs_recv(d, &fwd);
	checkf(h && h->op == VS_RST, "virtio-vsock: connection closed (RST)", "op", h ? h->op : 0);
}

/* ---- net: ARP for the host's address on the tap, get the reply ---- */

#define F_NET_MAC  5
#define NET_HDR	   12
#define NET_RXBUFS 4
#define NET_BUFSZ  2048

static uint8_t net_rx[NET_RXBUFS][NET_BUFSZ];
static uint8_t net_tx[NET_HDR + 64];

static bool parse_ipv4(const char *s, size_t len, uint8_t ip[4])
{
	const char *end = s + len;
	for (int i = 0; i < 4; i++) {
		const char *dot = s;
		while (dot < end && *dot != '.')
			dot++;
		uint64_t v;
		if (!parse_num(s, dot - s, &v) || v > 255 || (i < 3 && dot == end))
			return false;
		ip[i] = (uint8_t)v;
		s = dot + 1;
	}
	return true;
}

static void net_checks(struct dev *d, const char *cmdline)
{
	check(dev_init(d, 1ull << F_NET_MAC, 2), "virtio-net: features (VERSION_1, MAC), queues");
	size_t len;
	uint8_t me[4], peer[4];
	const char *a = cmdline_get(cmdline, "husk.net_ip", &len);
	if (!a || !parse_ipv4(a, len, me))
		return;
	const char *b = cmdline_get(cmdline, "husk.net_peer", &len);
	if (!b || !parse_ipv4(b, len, peer))
		return;
	uint8_t mac[6];
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(rd(d, REG_CONFIG + (i & ~3)) >> (8 * (i & 3)));
	check((mac[0] & 1) == 0 && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]),
	      "virtio-net: a unicast MAC in config space");
	for (uint16_t i = 0; i < NET_RXBUFS; i++)
		post(d, 0, i, net_rx[i], NET_BUFSZ, DESC_F_WRITE);

	uint8_t *f = net_tx + NET_HDR;
	memset(net_tx, 0, sizeof(net_tx));
	memset(f, 0xff, 6); /* broadcast */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;			       /* ARP */
	static const uint8_t arp[] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet/IPv4 request */
	memcpy(f + 14, arp, sizeof(arp));
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, me, 4);
	memcpy(f + 38, peer, 4);
	post(d, 1, 0, net_tx, NET_HDR + 60, 0);
	uint32_t id, used;
	check(wait_used(d, 1, &id, &used), "virtio-net: ARP request transmitted");

	bool reply = false;
	for (unsigned frames = 0; frames < 32 && !reply && wait_used(d, 0, &id, &used); frames++) {
		if (id >= NET_RXBUFS)
			break;
		const uint8_t *r = net_rx[id] + NET_HDR;
		reply = used >= NET_HDR + 42 && r[12] == 0x08 && r[13] == 0x06 && r[21] == 2 &&
			memcmp(r + 28, peer, 4) == 0 && memcmp(r + 32, mac, 6) == 0;
		post(d, 0, id, net_rx[id], NET_BUFSZ, DESC_F_WRITE);
	}
	check(reply, "virtio-net: the host answers through the tap (ARP reply)");
}

void virtio_checks(const char *cmdline)
{
	mmio_write32(LAYOUT_LAPIC + LAPIC_SVR, 0x1ff); /* APIC software-enabled */
	const char *p = cmdline;
	size_t len;
	unsigned n = 0;
	while ((p = cmdline_get(p, "virtio_mmio.device", &len)) && n < LAYOUT_MMIO_MAX) {
		/* SIZE@BASE:IRQ */
		const char *at = p, *end = p + len;
		while (at < end && *at != '@')
			at++;
		const char *colon = at;
		while (colon < end && *colon != ':')
			colon++;
		struct dev *d = &devs[n];
		uint64_t irq = 0;
		bool ok = at < end && colon < end && parse_num(at + 1, colon - at - 1, &d->base) &&
			  parse_num(colon + 1, end - colon - 1, &irq);
		d->irq = irq;
		check(ok, "virtio: cmdline entry SIZE@BASE:IRQ parses");
		p = end;
		if (!ok)
			continue;
		n++;
		bool magic = rd(d, REG_MAGIC) == VIRTIO_MMIO_MAGIC && rd(d, REG_VERSION) == 2;
		checkf(magic, "virtio: magic and version 2 at the window", "at", d->base);
		if (!magic)
			continue;
		switch (rd(d, REG_DEVICE_ID)) {
		case ID_BLK:
			blk_checks(d, cmdline);
			break;
		case ID_CONSOLE:
			console_checks(d);
			break;
		case ID_RNG:
			rng_checks(d);
			break;
		case ID_VSOCK:
			vsock_checks(d, cmdline);
			break;
		case ID_NET:
			net_checks(d, cmdline);
			break;
		default:
			break;
		}
	}
}
