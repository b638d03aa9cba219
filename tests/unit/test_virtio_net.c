/* virtio-net.  Most cases inject a SOCK_SEQPACKET socketpair as the backend
 * (it keeps frame boundaries like a tap); one case uses a real tap device in
 * a private network namespace this test makes itself, with an AF_PACKET
 * socket on the tap as the far end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM	       (1u << 20)
#define V1	       BIT64(VIRTIO_F_VERSION_1)
#define F_MAC	       5
#define F_STATUS       16
#define RXQ	       0
#define TXQ	       1
#define HDR	       12
#define ETHERTYPE_TEST 0x88b5 /* IEEE local experimental */

struct fixture {
	struct vdrv d;
	int peer;
};

static struct fixture *make_fixture(bool vnet_hdr)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv),
			 0);
	f->peer = sv[1];
	struct husk_err *err = NULL;
	vdrv_init(&f->d, RAM);
	f->d.dev = virtio_net_create_fd(&f->d.env, sv[0], vnet_hdr, &err);
	assert_non_null(f->d.dev);
	uint64_t want = V1 | BIT64(F_MAC) | BIT64(F_STATUS) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	assert_int_equal(vdrv_start(&f->d, VIRTIO_ID_NET, want, 2, 16), 0);
	return f;
}

static int setup_plain(void **state)
{
	*state = make_fixture(false);
	return 0;
}

static int setup_vnet(void **state)
{
	*state = make_fixture(true);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vdrv_fini(&f->d);
	close(f->peer);
	free(f);
	return 0;
}

static void make_frame(uint8_t *p, size_t len, uint8_t seed)
{
	memset(p, 0xff, 6);			      /* broadcast */
	memcpy(p + 6, "\x52\x54\x00\x01\x02\x03", 6); /* source */
	p[12] = ETHERTYPE_TEST >> 8;
	p[13] = ETHERTYPE_TEST & 0xff;
	for (size_t i = 14; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

static void config_space(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	uint16_t status;
	vdrv_config(&f->d, 0, mac, 6);
	vdrv_config(&f->d, 6, &status, 2);
	assert_false(mac[0] & 1); /* unicast */
	assert_true(mac[0] & 2);  /* locally administered */
	assert_int_equal(status, 1);
	assert_true(f->d.features & BIT64(F_MAC));
}

static void transmit_plain(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint64_t h = vdrv_alloc(d, HDR), fr = vdrv_alloc(d, 100);
	make_frame(vdrv_ptr(d, fr), 100, 1);
	struct vdrv_buf b[] = {{h, HDR, false}, {fr, 40, false}, {fr + 40, 60, false}};
	assert_int_equal(vdrv_submit(d, TXQ, b, 3), 0);
	uint8_t got[200];
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), 100);
	assert_memory_equal(got, vdrv_ptr(d, fr), 100);
}

static void receive_plain(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint8_t frame[60];
	make_frame(frame, sizeof(frame), 9);
	uint64_t buf = vdrv_alloc(d, 1526);
	memset(vdrv_ptr(d, buf), 0xee, 1526);
	struct vdrv_buf b = {buf, 1526, true};
	/* Posted before anything arrives: it waits. */
	vdrv_publish(d, RXQ, vdrv_chain(d, RXQ, &b, 1));
	vdrv_kick(d, RXQ);
	assert_false(vdrv_used(d, RXQ, NULL, NULL));
	assert_int_equal(send(f->peer, frame, sizeof(frame), 0), sizeof(frame));
	virtio_mmio_poll(d->dev);
	uint32_t len;
	assert_true(vdrv_used(d, RXQ, NULL, &len));
	assert_int_equal(len, HDR + 60);
	uint8_t *p = vdrv_ptr(d, buf);
	uint8_t want_hdr[HDR] = {[10] = 1}; /* no flags, no GSO, num_buffers = 1 */
	assert_memory_equal(p, want_hdr, HDR);
	assert_memory_equal(p + HDR, frame, 60);
}

static void receive_waits_for_buffers(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint8_t frame[64];
	make_frame(frame, sizeof(frame), 3);
	send(f->peer, frame, sizeof(frame), 0);
	send(f->peer, frame, sizeof(frame), 0);
	virtio_mmio_poll(d->dev); /* no buffers: nothing consumed, nothing lost */
	uint64_t a = vdrv_alloc(d, 256), b = vdrv_alloc(d, 256);
	struct vdrv_buf ba = {a, 256, true}, bb = {b, 256, true};
	assert_int_equal(vdrv_submit(d, RXQ, &ba, 1), HDR + 64);
	assert_int_equal(vdrv_submit(d, RXQ, &bb, 1), HDR + 64);
	assert_memory_equal((uint8_t *)vdrv_ptr(d, b) + HDR, frame, 64);
}

static void receive_tiny_buffer(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct vdrv_buf b = {vdrv_alloc(d, 8), 8, true}; /* cannot even hold the header */
	assert_int_equal(vdrv_submit(d, RXQ, &b, 1), 0);
	assert_false(vdrv_needs_reset(d));
}

static void transmit_dropped(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	/* Only a header, and an oversized frame: both returned, neither sent. */
	uint64_t h = vdrv_alloc(d, HDR), big = vdrv_alloc(d, 70000);
	struct vdrv_buf only_hdr = {h, HDR, false};
	assert_int_equal(vdrv_submit(d, TXQ, &only_hdr, 1), 0);
	struct vdrv_buf huge[] = {{h, HDR, false}, {big, 70000, false}};
	assert_int_equal(vdrv_submit(d, TXQ, huge, 2), 0);
	uint8_t got[16];
	assert_int_equal(recv(f->peer, got, sizeof(got), MSG_DONTWAIT), -1);
}

static void vnet_header_passthrough(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint8_t pkt[HDR + 60] = {0};
	make_frame(pkt + HDR, 60, 5);
	uint64_t tx = vdrv_alloc(d, sizeof(pkt));
	memcpy(vdrv_ptr(d, tx), pkt, sizeof(pkt));
	struct vdrv_buf tb = {tx, sizeof(pkt), false};
	assert_int_equal(vdrv_submit(d, TXQ, &tb, 1), 0);
	uint8_t got[200];
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), sizeof(pkt));
	assert_memory_equal(got, pkt, sizeof(pkt));

	/* From a tap the header comes first; the device sets num_buffers. */
	pkt[10] = 0x77;
	send(f->peer, pkt, sizeof(pkt), 0);
	uint64_t rx = vdrv_alloc(d, 1526);
	struct vdrv_buf rb[] = {{rx, 6, true}, {rx + 6, 1520, true}}; /* header split */
	assert_int_equal(vdrv_submit(d, RXQ, rb, 2), sizeof(pkt));
	uint8_t *p = vdrv_ptr(d, rx);
	assert_int_equal(p[10], 1);
	assert_int_equal(p[11], 0);
	assert_memory_equal(p + HDR, pkt + HDR, 60);
}

static void bad_specs(void **state)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	const char *bad[] = {"",
			     "tap=",
			     "eth0",
			     "tap=x,mac=zz:zz",
			     "tap=x,mac=01:00:5e:00:00:01",
			     "tap=a-name-longer-than-ifnamsiz"};
	vdrv_init(&d, 4096);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(virtio_net_create(&d.env, bad[i], &err));
		assert_non_null(err);
		husk_err_free(&err);
	}
	vdrv_fini(&d);
}

/* ---- a real tap, in a network namespace of our own ---- */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "# tap child: line %d: %s\n", __LINE__, #c);               \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

static int recv_test_frame(int s, uint8_t *buf, size_t len)
{
	for (int tries = 0; tries < 50; tries++) {
		ssize_t n = recv(s, buf, len, 0);
		if (n >= 14 && buf[12] == (ETHERTYPE_TEST >> 8) &&
		    buf[13] == (ETHERTYPE_TEST & 0xff))
			return (int)n;
		if (n < 0)
			return -1;
	}
	return -1;
}

static void tap_child(void)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	vdrv_init(&d, RAM);
	d.dev = virtio_net_create(&d.env, "tap=hvirtio0,mac=52:54:00:aa:bb:cc", &err);
	if (!d.dev)
		fprintf(stderr, "# tap child: %s\n", err->msg);
	CHECK(d.dev);
	uint8_t mac[6];
	vdrv_config(&d, 0, mac, 6);
	CHECK(memcmp(mac, "\x52\x54\x00\xaa\xbb\xcc", 6) == 0);
	CHECK(vdrv_start(&d, VIRTIO_ID_NET, V1 | BIT64(F_MAC), 2, 16) == 0);

	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE_TEST));
	CHECK(s >= 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "hvirtio0");
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	CHECK(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETHERTYPE_TEST),
				  .sll_ifindex = (int)if_nametoindex("hvirtio0")};
	CHECK(sll.sll_ifindex > 0);
	CHECK(bind(s, (struct sockaddr *)&sll, sizeof(sll)) == 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* Guest -> tap -> host stack. */
	uint64_t tx = vdrv_alloc(&d, HDR + 80);
	memset(vdrv_ptr(&d, tx), 0, HDR);
	make_frame((uint8_t *)vdrv_ptr(&d, tx) + HDR, 80, 11);
	struct vdrv_buf tb = {tx, HDR + 80, false};
	CHECK(vdrv_submit(&d, TXQ, &tb, 1) == 0);
	uint8_t got[2048];
	CHECK(recv_test_frame(s, got, sizeof(got)) == 80);
	CHECK(memcmp(got, (uint8_t *)vdrv_ptr(&d, tx) + HDR, 80) == 0);

	/* Host stack -> tap -> guest. */
	uint8_t frame[90];
	make_frame(frame, sizeof(frame), 23);
	memcpy(frame, mac, 6);
	CHECK(send(s, frame, sizeof(frame), 0) == sizeof(frame));
	for (int tries = 0; tries < 20; tries++) {
		uint64_t rx = vdrv_alloc(&d, 2048);
		struct vdrv_buf rb = {rx, 2048, true};
		vdrv_publish(&d, RXQ, vdrv_chain(&d, RXQ, &rb, 1));
		vdrv_kick(&d, RXQ);
		uint32_t len = 0;
		for (int w = 0; w < 200 && !vdrv_used(&d, RXQ, NULL, &len); w++) {
			usleep(5000);
			virtio_mmio_poll(d.dev);
		}
		CHECK(len > 0);
		uint8_t *p = vdrv_ptr(&d, rx);
		if (len == HDR + sizeof(frame) && memcmp(p + HDR, frame, sizeof(frame)) == 0) {
			CHECK(p[10] == 1);
			vdrv_fini(&d);
			_exit(0);
		}
		/* Something else the kernel sent out first (IPv6 DAD, ...): skip it. */
	}
	CHECK(!"test frame never reached the guest");
}

static void real_tap_in_netns(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			perror("# unshare(CLONE_NEWNET)");
			_exit(77);
		}
		tap_child();
		_exit(2);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip(); /* no CAP_SYS_ADMIN for a private netns: said on stderr */
	assert_int_equal(WEXITSTATUS(st), 0);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test_setup_teardown(config_space, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(transmit_plain, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(receive_plain, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(receive_waits_for_buffers, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(receive_tiny_buffer, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(transmit_dropped, setup_plain, teardown),
	  cmocka_unit_test_setup_teardown(vnet_header_passthrough, setup_vnet, teardown),
	  cmocka_unit_test(bad_specs), cmocka_unit_test(real_tap_in_netns))
