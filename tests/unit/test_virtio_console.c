/* virtio-console port 0 over two pipes standing in for stdin/stdout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (1u << 20)
#define V1  BIT64(VIRTIO_F_VERSION_1)
#define RXQ 0
#define TXQ 1

struct fixture {
	struct vdrv d;
	int in[2], out[2]; /* in: test -> device (stdin); out: device -> test (stdout) */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_int_equal(pipe2(f->in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(f->out, O_CLOEXEC | O_NONBLOCK), 0);
	struct husk_err *err = NULL;
	vdrv_init(&f->d, RAM);
	f->d.dev = virtio_console_create(&f->d.env, f->in[0], f->out[1], &err);
	assert_non_null(f->d.dev);
	assert_int_equal(vdrv_start(&f->d, VIRTIO_ID_CONSOLE, V1, 2, 16), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vdrv_fini(&f->d);
	for (int i = 0; i < 2; i++) {
		if (f->in[i] >= 0)
			close(f->in[i]);
		close(f->out[i]);
	}
	free(f);
	return 0;
}

static void features_and_queues(void **state)
{
	struct fixture *f = *state;
	/* Port 0 only: neither SIZE (0), MULTIPORT (1) nor EMERG_WRITE (2). */
	vdrv_write(&f->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_DEVICE_FEATURES) & 7, 0);
	vdrv_write(&f->d, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(vdrv_read(&f->d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void transmit(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint64_t a = vdrv_alloc(d, 16);
	memcpy(vdrv_ptr(d, a), "hello, world\n", 13);
	struct vdrv_buf b[] = {{a, 7, false}, {a + 7, 6, false}};
	assert_int_equal(vdrv_submit(d, TXQ, b, 2), 0);
	char got[32] = {0};
	assert_int_equal(read(f->out[0], got, sizeof(got)), 13);
	assert_string_equal(got, "hello, world\n");
}

static void receive(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint64_t a = vdrv_alloc(d, 64);
	struct vdrv_buf b = {a, 64, true};
	/* Buffer posted before input exists: it waits. */
	vdrv_publish(d, RXQ, vdrv_chain(d, RXQ, &b, 1));
	vdrv_kick(d, RXQ);
	assert_false(vdrv_used(d, RXQ, NULL, NULL));
	assert_int_equal(write(f->in[1], "ls -l\n", 6), 6);
	virtio_mmio_poll(d->dev); /* what the event loop does when stdin turns readable */
	uint32_t len;
	assert_true(vdrv_used(d, RXQ, NULL, &len));
	assert_int_equal(len, 6);
	assert_memory_equal(vdrv_ptr(d, a), "ls -l\n", 6);
	assert_int_equal(d->irqs, 1);
}

static void receive_split_over_small_buffers(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	assert_int_equal(write(f->in[1], "0123456789", 10), 10);
	uint64_t a = vdrv_alloc(d, 4), b = vdrv_alloc(d, 8);
	struct vdrv_buf ba = {a, 4, true}, bb = {b, 8, true};
	uint32_t len;
	assert_int_equal(vdrv_submit(d, RXQ, &ba, 1), 4);
	assert_memory_equal(vdrv_ptr(d, a), "0123", 4);
	/* The rest was kept, not lost, and comes with the next buffer. */
	assert_int_equal(vdrv_submit(d, RXQ, &bb, 1), 6);
	assert_memory_equal(vdrv_ptr(d, b), "456789", 6);
	assert_false(vdrv_used(d, RXQ, NULL, &len));
}

static void input_eof(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	close(f->in[1]);
	f->in[1] = -1;
	struct vdrv_buf b = {vdrv_alloc(d, 8), 8, true};
	vdrv_publish(d, RXQ, vdrv_chain(d, RXQ, &b, 1));
	vdrv_kick(d, RXQ);
	virtio_mmio_poll(d->dev);
	assert_false(vdrv_used(d, RXQ, NULL, NULL));
	assert_false(vdrv_needs_reset(d));
}

static void output_closed(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	close(f->out[0]);
	f->out[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* EPIPE on stdout: the chain is still returned, the device lives on. */
	signal(SIGPIPE, SIG_IGN);
	struct vdrv_buf b = {vdrv_alloc(d, 8), 8, false};
	assert_int_equal(vdrv_submit(d, TXQ, &b, 1), 0);
	assert_false(vdrv_needs_reset(d));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(features_and_queues), T(transmit), T(receive),
	  T(receive_split_over_small_buffers), T(input_eof), T(output_closed))
