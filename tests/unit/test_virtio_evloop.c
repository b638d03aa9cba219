/* The devices in event-loop mode, as the monitor runs them: backends and
 * queue doorbells are fds watched on an epoll loop, and with a KVM VM fd each
 * queue the driver readies gets a KVM ioeventfd of its own.
 *
 * The monitor core's loop is not linked here: this file defines
 * vm_event_loop_add/del itself over a minimal epoll loop (the definitions in
 * vm_device.h's contract), so the test exercises exactly the device side of
 * that contract: what it watches, when it stops watching, and that it never
 * makes the loop spin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (1u << 20)
#define V1  BIT64(VIRTIO_F_VERSION_1)

struct vm_event_loop {
	int epfd;
	struct {
		int fd;
		vm_event_cb cb;
		void *arg;
	} w[64];
	unsigned adds, dels;
};

int vm_event_loop_add(struct vm_event_loop *loop, int fd, uint32_t events, vm_event_cb cb,
		      void *arg, struct husk_err **err)
{
	for (unsigned i = 0; i < 64; i++) {
		if (loop->w[i].cb)
			continue;
		struct epoll_event ev = {.events = events, .data.u32 = i};
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return husk_err_sys(err, "epoll_ctl add %d", fd);
		loop->w[i].fd = fd;
		loop->w[i].cb = cb;
		loop->w[i].arg = arg;
		loop->adds++;
		return 0;
	}
	return husk_err_set(err, ENOSPC, "test loop full");
}

int vm_event_loop_del(struct vm_event_loop *loop, int fd)
{
	for (unsigned i = 0; i < 64; i++) {
		if (loop->w[i].cb && loop->w[i].fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			loop->w[i].cb = NULL;
			loop->dels++;
			return 0;
		}
	}
	return -ENOENT;
}

/* One epoll_wait and dispatch; returns the number of callbacks run. */
static int loop_once(struct vm_event_loop *loop, int timeout_ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(loop->epfd, ev, 16, timeout_ms), ran = 0;
	for (int i = 0; i < n; i++) {
		unsigned slot = ev[i].data.u32;
		if (!loop->w[slot].cb)
			continue; /* deleted by an earlier callback in this batch */
		loop->w[slot].cb(loop->w[slot].arg, loop->w[slot].fd, ev[i].events);
		ran++;
	}
	return ran;
}

static unsigned watched(struct vm_event_loop *loop)
{
	unsigned n = 0;
	for (unsigned i = 0; i < 64; i++)
		n += loop->w[i].cb != NULL;
	return n;
}

struct fixture {
	struct vdrv d;
	struct vm_event_loop loop;
	int fds[4];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->loop.epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(f->loop.epfd >= 0);
	vdrv_init(&f->d, RAM);
	f->d.env.loop = &f->loop;
	for (int i = 0; i < 4; i++)
		f->fds[i] = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vdrv_fini(&f->d);
	assert_int_equal(watched(&f->loop), 0); /* the device left nothing on the loop */
	for (int i = 0; i < 4; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	close(f->loop.epfd);
	free(f);
	return 0;
}

static void console_input_through_loop(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct husk_err *err = NULL;
	assert_int_equal(pipe2(f->fds, O_CLOEXEC), 0);
	f->fds[2] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	d->dev = virtio_console_create(&d->env, f->fds[0], f->fds[2], &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_CONSOLE, V1, 2, 8), 0);

	/* Input before any receive buffer: one wakeup at most, then the loop
	 * idles although stdin stays readable (edge-triggered, no spin). */
	assert_int_equal(write(f->fds[1], "x", 1), 1);
	assert_true(loop_once(&f->loop, 50) <= 1);
	assert_int_equal(loop_once(&f->loop, 50), 0);
	uint64_t a = vdrv_alloc(d, 16);
	struct vdrv_buf b = {a, 16, true};
	uint32_t len = 0;
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 1);

	/* A buffer posted before input: stdin is watched, input goes through the loop. */
	vdrv_publish(d, 0, vdrv_chain(d, 0, &b, 1));
	vdrv_kick(d, 0);
	assert_false(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(loop_once(&f->loop, 50), 0);
	assert_int_equal(write(f->fds[1], "abc", 3), 3);
	assert_int_equal(loop_once(&f->loop, 1000), 1);
	assert_true(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(vdrv_ptr(d, a), "abc", 3);

	/* More input, no buffer left: at most one wakeup (the device takes what
	 * fits its bounce buffer), then silence although stdin stays readable. */
	assert_int_equal(write(f->fds[1], "def", 3), 3);
	loop_once(&f->loop, 50);
	assert_int_equal(write(f->fds[1], "ghi", 3), 3);
	assert_true(loop_once(&f->loop, 50) <= 1);
	assert_int_equal(loop_once(&f->loop, 50), 0);
	assert_int_equal(loop_once(&f->loop, 50), 0);
	/* New buffers get what was waiting, nothing lost, in order. */
	char got[8] = {0};
	size_t have = 0;
	for (int round = 0; round < 2 && have < 6; round++) {
		vdrv_publish(d, 0, vdrv_chain(d, 0, &b, 1));
		vdrv_kick(d, 0);
		len = 0;
		for (int i = 0; i < 10 && !vdrv_used(d, 0, NULL, &len); i++)
			loop_once(&f->loop, 100);
		assert_true(len > 0 && have + len <= 6);
		memcpy(got + have, vdrv_ptr(d, a), len);
		have += len;
	}
	assert_string_equal(got, "defghi");
}

static void net_receive_through_loop(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct husk_err *err = NULL;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv),
			 0);
	f->fds[0] = sv[1];
	d->dev = virtio_net_create_fd(&d->env, sv[0], false, &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_NET, V1, 2, 8), 0);
	struct vdrv_buf b = vdrv_post_buf(d, 0, 2048);
	assert_int_equal(loop_once(&f->loop, 20), 0); /* nothing to read yet */
	uint8_t frame[64];
	memset(frame, 0x5a, sizeof(frame));
	assert_int_equal(send(sv[1], frame, sizeof(frame), 0), sizeof(frame));
	assert_int_equal(loop_once(&f->loop, 1000), 1);
	uint32_t len;
	assert_true(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(len, 12 + sizeof(frame));
	assert_int_equal(d->irqs, 1);
	/* No buffers left: a second frame does not wake the loop forever, and
	 * it is not lost: the next buffer gets it. */
	send(sv[1], frame, sizeof(frame), 0);
	loop_once(&f->loop, 50);
	assert_int_equal(loop_once(&f->loop, 50), 0);
	vdrv_publish(d, 0, vdrv_chain(d, 0, &b, 1));
	vdrv_kick(d, 0);
	assert_true(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(len, 12 + sizeof(frame));
}

static void vsock_host_connect_through_loop(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct husk_err *err = NULL;
	char dir[] = "/tmp/husk-virtio-evloop-XXXXXX", path[96], spec[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	snprintf(spec, sizeof(spec), "7:%s", path);
	d->dev = virtio_vsock_create(&d->env, spec, &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_VSOCK, V1, 3, 8), 0);
	struct vdrv_buf b = vdrv_post_buf(d, 0, 256);

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	f->fds[0] = s;
	assert_int_equal(write(s, "CONNECT 1024\n", 13), 13);
	uint32_t len = 0;
	for (int i = 0; i < 10 && !vdrv_used(d, 0, NULL, &len); i++)
		loop_once(&f->loop, 100);
	assert_int_equal(len, 44);
	uint16_t op;
	uint32_t dst_port;
	memcpy(&dst_port, (uint8_t *)vdrv_ptr(d, b.gpa) + 20, 4);
	memcpy(&op, (uint8_t *)vdrv_ptr(d, b.gpa) + 30, 2);
	assert_int_equal(op, 1); /* REQUEST */
	assert_int_equal(dst_port, 1024);

	/* No RESPONSE from the guest: the device's timer gives up after 2 s. */
	vdrv_publish(d, 0, vdrv_chain(d, 0, &b, 1));
	vdrv_kick(d, 0);
	len = 0;
	for (int i = 0; i < 30 && !vdrv_used(d, 0, NULL, &len); i++)
		loop_once(&f->loop, 200);
	assert_int_equal(len, 44);
	memcpy(&op, (uint8_t *)vdrv_ptr(d, b.gpa) + 30, 2);
	assert_int_equal(op, 3); /* RST */
	char c;
	assert_int_equal(read(s, &c, 1), 0); /* the host client was let go */
	vdrv_fini(d);
	d->dev = NULL;
	rmdir(dir);
}

/* ---- with a real KVM VM: each ready queue gets its own ioeventfd ---- */

static int kvm_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	return vm;
}

/* Whether KVM already has an ioeventfd for queue q at the device's window:
 * a second registration for the same address and datamatch fails EEXIST. */
static bool kvm_has_doorbell(int vm, uint32_t q)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	struct kvm_ioeventfd io = {
	    .datamatch = q,
	    .addr = VDRV_MMIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	int r = ioctl(vm, KVM_IOEVENTFD, &io);
	int e = errno;
	if (r == 0) {
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(vm, KVM_IOEVENTFD, &io);
	}
	close(fd);
	assert_true(r == 0 || e == EEXIST);
	return r < 0;
}

/* A KVM VM for the doorbells, in the fixture (closed by its teardown) and in
 * the driver's env; the test skips without a usable /dev/kvm. */
static int use_kvm(struct fixture *f)
{
	int vm = kvm_vm();
	if (vm < 0)
		skip();
	f->fds[0] = vm;
	f->d.env.vm_fd = vm;
	return vm;
}

static void ioeventfd_per_ready_queue(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct husk_err *err = NULL;
	int vm = use_kvm(f);
	d->dev = virtio_console_create(&d->env, -1, -1, &err);
	assert_non_null(d->dev);
	struct virtio_mmio *t = to_virtio_mmio(d->dev);
	/* Nothing before the driver readies a queue. */
	assert_false(kvm_has_doorbell(vm, 0));
	assert_int_equal(watched(&f->loop), 0);
	/* Only the receive queue set up: one doorbell, for queue 0. */
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_CONSOLE, V1), 0);
	assert_int_equal(vdrv_queue_setup(d, 0, 8), 1);
	assert_true(kvm_has_doorbell(vm, 0));
	assert_false(kvm_has_doorbell(vm, 1));
	assert_int_equal(watched(&f->loop), 1);
	assert_true(t->doorbells[0].fd >= 0);
	assert_int_equal(t->doorbells[1].fd, -1);
	/* A reset and a new setup of both queues: queue 0 keeps its doorbell,
	 * queue 1 gets one. */
	assert_int_equal(vdrv_start(d, VIRTIO_ID_CONSOLE, V1, 2, 8), 0);
	assert_true(kvm_has_doorbell(vm, 1));
	assert_int_equal(watched(&f->loop), 2);
	vdrv_fini(d); /* the teardown checks the loop is empty again */
	d->dev = NULL;
}

/* KVM signals the eventfd on the guest's QueueNotify write; the I/O thread's
 * callback runs the queue without any MMIO write being replayed. */
static void ioeventfd_kick_runs_the_queue(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct husk_err *err = NULL;
	use_kvm(f);
	d->dev = virtio_rng_create(&d->env, &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1, 1, 8), 0);
	int bell = to_virtio_mmio(d->dev)->doorbells[0].fd;
	assert_true(bell >= 0);
	struct vdrv_buf b = {vdrv_alloc(d, 32), 32, true};
	vdrv_publish(d, 0, vdrv_chain(d, 0, &b, 1));
	uint64_t one = 1;
	assert_int_equal(write(bell, &one, 8), 8); /* what KVM does */
	assert_int_equal(loop_once(&f->loop, 1000), 1);
	uint32_t len;
	assert_true(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(len, 32);
	assert_int_equal(d->irqs, 1);
	/* A spurious wakeup (already drained) does nothing. */
	assert_int_equal(loop_once(&f->loop, 0), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(console_input_through_loop), T(net_receive_through_loop),
	  T(vsock_host_connect_through_loop), T(ioeventfd_per_ready_queue),
	  T(ioeventfd_kick_runs_the_queue))
