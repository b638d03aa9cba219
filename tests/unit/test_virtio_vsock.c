/* virtio-vsock against real AF_UNIX sockets in a private temp dir, with the
 * test playing the guest's vsock driver packet by packet: both connection
 * directions, data both ways, credit, shutdown/reset, and junk packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM  (2u << 20)
#define V1   BIT64(VIRTIO_F_VERSION_1)
#define RXQ  0
#define TXQ  1
#define CID  42
#define HOST 2

enum { REQUEST = 1, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE, CREDIT_REQUEST };

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct fixture {
	struct vdrv d;
	char dir[64];
	char path[128];
	uint32_t guest_fwd; /* bytes the "guest" consumed, for its credit */
	uint32_t guest_buf;
	uint64_t tx_scratch; /* where guest_send builds packets */
	uint64_t rx_gpa[64]; /* rx buffer by descriptor head */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/husk-virtio-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	char spec[160];
	snprintf(spec, sizeof(spec), "%d:%s", CID, f->path);
	struct husk_err *err = NULL;
	vdrv_init(&f->d, RAM);
	f->d.dev = virtio_vsock_create(&f->d.env, spec, &err);
	if (!f->d.dev) {
		rmdir(f->dir); /* leave nothing behind in /tmp */
		fail_msg("virtio_vsock_create: %s", err ? err->msg : "?");
	}
	if (vdrv_start(&f->d, VIRTIO_ID_VSOCK, V1 | BIT64(VIRTIO_RING_F_EVENT_IDX), 3, 64) != 0) {
		vdrv_fini(&f->d); /* removes the device's socket */
		rmdir(f->dir);
		fail_msg("virtio-vsock: negotiation or queue setup failed");
	}
	f->guest_buf = 65536;
	f->tx_scratch = vdrv_alloc(&f->d, 64 << 10);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vdrv_fini(&f->d);
	struct stat st;
	assert_int_not_equal(stat(f->path, &st), 0); /* the device removed its socket */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The guest sends one packet. */
static void guest_send(struct fixture *f, uint32_t src_port, uint32_t dst_port, uint16_t op,
		       uint32_t flags, const void *data, uint32_t len)
{
	struct vdrv *d = &f->d;
	uint64_t g = f->tx_scratch;
	assert_true(len <= (64 << 10) - sizeof(struct hdr));
	struct hdr h = {CID, HOST, src_port, dst_port,	   len,
			1,   op,   flags,    f->guest_buf, f->guest_fwd};
	memcpy(vdrv_ptr(d, g), &h, sizeof(h));
	if (len)
		memcpy((uint8_t *)vdrv_ptr(d, g) + sizeof(h), data, len);
	/* Header and payload in separate descriptors, as Linux does. */
	struct vdrv_buf b[] = {{g, sizeof(h), false}, {g + sizeof(h), len, false}};
	assert_int_equal(vdrv_submit(d, TXQ, b, len ? 2 : 1), 0);
}

/* Post one rx buffer, let the device run, take the next packet it returned
 * (possibly into a buffer an earlier, empty-handed call left posted). */
static bool guest_recv(struct fixture *f, struct hdr *h, void *data, size_t cap)
{
	struct vdrv *d = &f->d;
	uint64_t g = vdrv_alloc(d, 4096);
	struct vdrv_buf b = {g, 4096, true};
	uint16_t head = vdrv_chain(d, RXQ, &b, 1);
	f->rx_gpa[head] = g;
	vdrv_publish(d, RXQ, head);
	vdrv_kick(d, RXQ);
	uint32_t len = 0, id = 0;
	bool got = false;
	for (int i = 0; i < 20 && !got; i++) {
		got = vdrv_used(d, RXQ, &id, &len);
		if (!got) {
			virtio_mmio_poll(d->dev);
			got = vdrv_used(d, RXQ, &id, &len);
		}
		if (!got)
			usleep(2000);
	}
	if (!got)
		return false;
	assert_true(id < 64);
	g = f->rx_gpa[id];
	assert_true(len >= sizeof(*h));
	memcpy(h, vdrv_ptr(d, g), sizeof(*h));
	assert_int_equal(len, sizeof(*h) + h->len);
	assert_true(h->len <= cap);
	memcpy(data, (uint8_t *)vdrv_ptr(d, g) + sizeof(*h), h->len);
	if (h->op == RW)
		f->guest_fwd += h->len;
	return true;
}

/* The rx buffer posted by a guest_recv that found nothing stays posted;
 * drain_rx takes the next packet the device puts there. */
static void expect_packet(struct fixture *f, uint16_t op, uint32_t src, uint32_t dst,
			  struct hdr *out)
{
	uint8_t data[4096];
	struct hdr h;
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.op, op);
	assert_int_equal(h.src_cid, HOST);
	assert_int_equal(h.dst_cid, CID);
	assert_int_equal(h.type, 1);
	if (src)
		assert_int_equal(h.src_port, src);
	if (dst)
		assert_int_equal(h.dst_port, dst);
	if (out)
		*out = h;
}

static int listen_at(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 4), 0);
	return s;
}

static int connect_to(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

static ssize_t read_timeout(int fd, void *buf, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 2000) != 1)
		return -2;
	return read(fd, buf, len);
}

static void config_cid(void **state)
{
	struct fixture *f = *state;
	uint64_t cid;
	vdrv_config(&f->d, 0, &cid, 8);
	assert_int_equal(cid, CID);
	uint32_t lo;
	vdrv_config(&f->d, 0, &lo, 4);
	assert_int_equal(lo, CID);
}

static void guest_connects_to_host(void **state)
{
	struct fixture *f = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s_1234", f->path);
	int l = listen_at(p);
	guest_send(f, 5000, 1234, REQUEST, 0, NULL, 0);
	int s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	struct hdr h;
	expect_packet(f, RESPONSE, 1234, 5000, &h);
	assert_true(h.buf_alloc > 0);

	guest_send(f, 5000, 1234, RW, 0, "ping", 4);
	char buf[16] = {0};
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "ping");

	assert_int_equal(write(s, "pong!", 5), 5);
	char data[16] = {0};
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.op, RW);
	assert_int_equal(h.len, 5);
	assert_int_equal(h.dst_port, 5000);
	assert_memory_equal(data, "pong!", 5);
	assert_int_equal(h.fwd_cnt, 4); /* the device forwarded our 4 bytes */

	/* The guest closes: the device answers RST and the host sees EOF. */
	guest_send(f, 5000, 1234, SHUTDOWN, 3, NULL, 0);
	expect_packet(f, RST, 1234, 5000, NULL);
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);
	close(l);
	unlink(p);
}

static void host_connects_to_guest(void **state)
{
	struct fixture *f = *state;
	int s = connect_to(f->path);
	assert_int_equal(write(s, "CONNECT 52\n", 11), 11);
	struct hdr h;
	expect_packet(f, REQUEST, 0, 52, &h);
	uint32_t host_port = h.src_port;
	guest_send(f, 52, host_port, RESPONSE, 0, NULL, 0);
	char line[32] = {0}, want[32];
	snprintf(want, sizeof(want), "OK %u\n", host_port);
	assert_int_equal(read_timeout(s, line, sizeof(line)), (ssize_t)strlen(want));
	assert_string_equal(line, want);

	assert_int_equal(write(s, "hello guest", 11), 11);
	char data[32] = {0};
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.op, RW);
	assert_memory_equal(data, "hello guest", 11);
	guest_send(f, 52, host_port, RW, 0, "hi host", 7);
	char buf[16] = {0};
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "hi host");

	/* The host closes: the guest is told both directions are shut. */
	close(s);
	expect_packet(f, SHUTDOWN, host_port, 52, &h);
	assert_int_equal(h.flags, 3);
	guest_send(f, 52, host_port, RST, 0, NULL, 0);
	/* The connection is gone: more data for it gets a RST. */
	guest_send(f, 52, host_port, RW, 0, "late", 4);
	expect_packet(f, RST, host_port, 52, NULL);
}

static void host_connect_times_out(void **state)
{
	struct fixture *f = *state;
	int s = connect_to(f->path);
	assert_int_equal(write(s, "CONNECT 60\n", 11), 11);
	struct hdr h;
	expect_packet(f, REQUEST, 0, 60, &h);
	/* The guest never answers: after 2 s the host client is let go and the
	 * guest told to forget the half-open connection. */
	usleep(2100 * 1000);
	expect_packet(f, RST, h.src_port, 60, NULL);
	char buf[8];
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);
}

static void host_bad_connect_line(void **state)
{
	struct fixture *f = *state;
	int s = connect_to(f->path);
	assert_int_equal(write(s, "HELLO 52\n", 9), 9);
	virtio_mmio_poll(f->d.dev);
	char buf[8];
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0); /* dropped */
	close(s);
	/* Nothing was sent to the guest. */
	struct hdr h;
	assert_false(guest_recv(f, &h, buf, sizeof(buf)));
}

static void guest_refused(void **state)
{
	struct fixture *f = *state;
	guest_send(f, 6000, 4321, REQUEST, 0, NULL, 0); /* nobody listens on PATH_4321 */
	expect_packet(f, RST, 4321, 6000, NULL);
	guest_send(f, 6001, 4321, RW, 0, "x", 1); /* no such connection */
	expect_packet(f, RST, 4321, 6001, NULL);
}

static void host_backlog_full(void **state)
{
	struct fixture *f = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s_55", f->path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, p);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 0), 0); /* a service that never accepts */
	/* The device must not block on a full backlog: every request beyond it
	 * is refused with a RST, and the test (the I/O thread) goes on. */
	bool refused = false;
	for (uint32_t port = 5500; port < 5510 && !refused; port++) {
		guest_send(f, port, 55, REQUEST, 0, NULL, 0);
		struct hdr h;
		char data[8];
		assert_true(guest_recv(f, &h, data, sizeof(data)));
		refused = h.op == RST;
	}
	assert_true(refused);
	close(l);
	unlink(p);
}

static void credit_respected(void **state)
{
	struct fixture *f = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s_77", f->path);
	int l = listen_at(p);
	f->guest_buf = 8; /* the guest can hold 8 bytes */
	guest_send(f, 7000, 77, REQUEST, 0, NULL, 0);
	int s = accept(l, NULL, NULL);
	expect_packet(f, RESPONSE, 77, 7000, NULL);
	assert_int_equal(write(s, "0123456789abcdefghij", 20), 20);
	struct hdr h;
	char data[32];
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.len, 8);
	assert_memory_equal(data, "01234567", 8);
	/* Window full: nothing more until the guest reports progress. */
	assert_false(guest_recv(f, &h, data, sizeof(data)));
	guest_send(f, 7000, 77, CREDIT_UPDATE, 0, NULL, 0); /* fwd_cnt 8: window open */
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.len, 8);
	assert_memory_equal(data, "89abcdef", 8);
	/* Ask for the device's credit. */
	guest_send(f, 7000, 77, CREDIT_REQUEST, 0, NULL, 0);
	bool saw_credit = false;
	for (int i = 0; i < 3 && !saw_credit; i++) {
		assert_true(guest_recv(f, &h, data, sizeof(data)));
		saw_credit = h.op == CREDIT_UPDATE;
	}
	assert_true(saw_credit);
	close(s);
	close(l);
	unlink(p);
}

static void streams_share_the_rx_queue(void **state)
{
	struct fixture *f = *state;
	char p1[160], p2[160];
	snprintf(p1, sizeof(p1), "%s_61", f->path);
	snprintf(p2, sizeof(p2), "%s_62", f->path);
	int l1 = listen_at(p1), l2 = listen_at(p2);
	guest_send(f, 6100, 61, REQUEST, 0, NULL, 0);
	guest_send(f, 6200, 62, REQUEST, 0, NULL, 0);
	int s1 = accept(l1, NULL, NULL), s2 = accept(l2, NULL, NULL);
	expect_packet(f, RESPONSE, 0, 0, NULL);
	expect_packet(f, RESPONSE, 0, 0, NULL);
	/* Both streams have far more than one rx buffer's worth waiting. */
	static char big[32768];
	assert_int_equal(write(s1, big, sizeof(big)), sizeof(big));
	assert_int_equal(write(s2, big, sizeof(big)), sizeof(big));
	virtio_mmio_poll(f->d.dev); /* the event loop: both sockets turned readable */
	unsigned from[2] = {0, 0};
	for (int i = 0; i < 8; i++) {
		struct hdr h;
		static char data[4096];
		assert_true(guest_recv(f, &h, data, sizeof(data)));
		assert_int_equal(h.op, RW);
		from[h.dst_port == 6200]++;
	}
	/* Neither stream starved the other. */
	assert_true(from[0] >= 3 && from[1] >= 3);
	close(s1);
	close(s2);
	close(l1);
	close(l2);
	unlink(p1);
	unlink(p2);
}

static void guest_ignores_credit(void **state)
{
	struct fixture *f = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s_88", f->path);
	int l = listen_at(p);
	guest_send(f, 8000, 88, REQUEST, 0, NULL, 0);
	int s = accept(l, NULL, NULL); /* never read: the socket fills up */
	expect_packet(f, RESPONSE, 88, 8000, NULL);
	static char chunk[32768];
	/* Far beyond the 256 KiB window plus what the socket itself buffers. */
	for (int i = 0; i < 64; i++)
		guest_send(f, 8000, 88, RW, 0, chunk, sizeof(chunk));
	struct hdr h;
	char data[16];
	assert_true(guest_recv(f, &h, data, sizeof(data)));
	assert_int_equal(h.op, RST);
	assert_int_equal(read_timeout(s, data, sizeof(data)), sizeof(data)); /* data did flow */
	close(s);
	close(l);
	unlink(p);
}

static void junk_packets(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	/* Too short for a header. */
	uint64_t g = vdrv_alloc(d, 16);
	struct vdrv_buf b = {g, 16, false};
	assert_int_equal(vdrv_submit(d, TXQ, &b, 1), 0);
	/* len claims more payload than the chain holds. */
	uint64_t g2 = vdrv_alloc(d, sizeof(struct hdr));
	struct hdr h = {CID, HOST, 1, 2, 1000, 1, RW, 0, 0, 0};
	memcpy(vdrv_ptr(d, g2), &h, sizeof(h));
	struct vdrv_buf b2 = {g2, sizeof(h), false};
	assert_int_equal(vdrv_submit(d, TXQ, &b2, 1), 0);
	expect_packet(f, RST, 2, 1, NULL);
	/* Spoofed source CID, unknown type. */
	h = (struct hdr){99, HOST, 3, 4, 0, 1, REQUEST, 0, 0, 0};
	memcpy(vdrv_ptr(d, g2), &h, sizeof(h));
	assert_int_equal(vdrv_submit(d, TXQ, &b2, 1), 0);
	expect_packet(f, RST, 4, 3, NULL);
	h = (struct hdr){CID, HOST, 5, 6, 0, 2, REQUEST, 0, 0, 0};
	memcpy(vdrv_ptr(d, g2), &h, sizeof(h));
	assert_int_equal(vdrv_submit(d, TXQ, &b2, 1), 0);
	expect_packet(f, RST, 6, 5, NULL);
	/* A RST for nothing is not answered. */
	guest_send(f, 9, 10, RST, 0, NULL, 0);
	char data[8];
	assert_false(guest_recv(f, &h, data, sizeof(data)));
	assert_false(vdrv_needs_reset(d));
}

static void reset_closes_connections(void **state)
{
	struct fixture *f = *state;
	char p[160];
	snprintf(p, sizeof(p), "%s_99", f->path);
	int l = listen_at(p);
	guest_send(f, 9000, 99, REQUEST, 0, NULL, 0);
	int s = accept(l, NULL, NULL);
	vdrv_write(&f->d, VIRTIO_MMIO_STATUS, 0);
	char buf[4];
	assert_int_equal(read_timeout(s, buf, sizeof(buf)), 0);
	close(s);
	close(l);
	unlink(p);
}

static void bad_specs(void **state)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	const char *bad[] = {"",	   "3",
			     ":/tmp/x",	   "2:/tmp/husk-virtio-x.sock",
			     "abc:/tmp/y", "3:/nonexistent-dir/v.sock"};
	vdrv_init(&d, 4096);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(virtio_vsock_create(&d.env, bad[i], &err));
		assert_non_null(err);
		husk_err_free(&err);
	}
	vdrv_fini(&d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(config_cid), T(guest_connects_to_host), T(host_connects_to_guest),
	  T(host_connect_times_out), T(host_bad_connect_line), T(guest_refused),
	  T(host_backlog_full), T(credit_respected), T(streams_share_the_rx_queue),
	  T(guest_ignores_credit), T(junk_packets), T(reset_closes_connections),
	  cmocka_unit_test(bad_specs))
