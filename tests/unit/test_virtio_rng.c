/* virtio-rng: the guest's writable buffers come back filled from getrandom,
 * within the per-request cap, and read-only buffers are never written.  A
 * host without entropy yet never blocks the device: requests wait on the
 * ring until the source is ready. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (1u << 20)
#define V1  BIT64(VIRTIO_F_VERSION_1)

static int setup(void **state)
{
	struct vdrv *d = vdrv_new_rng(RAM);
	assert_int_equal(
	    vdrv_start(d, VIRTIO_ID_RNG, V1 | BIT64(VIRTIO_RING_F_INDIRECT_DESC), 1, 32), 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	vdrv_fini(*state);
	free(*state);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void fills_buffers(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 256), b = vdrv_alloc(d, 256);
	struct vdrv_buf ba = {a, 256, true}, bb = {b, 256, true};
	assert_int_equal(vdrv_submit(d, 0, &ba, 1), 256);
	assert_int_equal(vdrv_submit(d, 0, &bb, 1), 256);
	assert_false(all_zero(vdrv_ptr(d, a), 256));
	assert_memory_not_equal(vdrv_ptr(d, a), vdrv_ptr(d, b), 256);
}

static void readable_untouched(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 64), b = vdrv_alloc(d, 64);
	struct vdrv_buf bufs[] = {{a, 64, false}, {b, 64, true}};
	assert_int_equal(vdrv_submit(d, 0, bufs, 2), 64);
	assert_true(all_zero(vdrv_ptr(d, a), 64));
	assert_false(all_zero(vdrv_ptr(d, b), 64));
	/* Nothing writable: returned with nothing written. */
	assert_int_equal(vdrv_submit(d, 0, bufs, 1), 0);
}

static void capped_per_request(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 128 << 10);
	struct vdrv_buf b = {a, 128 << 10, true};
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 64 << 10);
	assert_true(all_zero(vdrv_ptr(d, a + (64 << 10)), 64 << 10));
}

static void indirect_and_batch(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 4096);
	struct vdrv_buf bufs[4];
	for (unsigned i = 0; i < 4; i++)
		bufs[i] = (struct vdrv_buf){a + 1024 * i, 1024, true};
	/* Several chains published before one kick are all served, in order. */
	uint16_t h1 = vdrv_chain_indirect(d, 0, bufs, 2);
	uint16_t h2 = vdrv_chain(d, 0, bufs + 2, 2);
	vdrv_publish(d, 0, h1);
	vdrv_publish(d, 0, h2);
	vdrv_kick(d, 0);
	uint32_t id, len;
	vdrv_expect_used(d, 0, h1, 2048);
	assert_true(vdrv_used(d, 0, &id, &len));
	assert_int_equal(id, h2);
	assert_false(vdrv_used(d, 0, &id, &len));
	assert_int_equal(d->irqs, 1);
}

/* An entropy source that is not ready until the test says so. */
static bool source_ready;
static unsigned source_calls;
static ssize_t test_source(void *buf, size_t len)
{
	source_calls++;
	if (!source_ready) {
		errno = EAGAIN;
		return -1;
	}
	memset(buf, 0xa5, len);
	return len;
}

static void starved_host_does_not_block(void **state)
{
	(void)state;
	struct vdrv d;
	struct husk_err *err = NULL;
	vdrv_init(&d, RAM);
	int ready = eventfd(0, EFD_CLOEXEC);
	assert_true(ready >= 0);
	source_ready = false;
	source_calls = 0;
	d.dev = virtio_rng_create_src(&d.env, test_source, ready, &err);
	assert_non_null(d.dev);
	assert_int_equal(vdrv_start(&d, VIRTIO_ID_RNG, V1, 1, 32), 0);

	uint64_t a = vdrv_alloc(&d, 64);
	struct vdrv_buf b = {a, 64, true};
	/* The kick returns at once, with nothing used and no interrupt: the
	 * request stays on the ring. */
	assert_int_equal(vdrv_submit(&d, 0, &b, 1), -1);
	assert_int_equal(source_calls, 1);
	assert_int_equal(d.irqs, 0);
	assert_true(all_zero(vdrv_ptr(&d, a), 64));
	/* Another kick while starved: still nothing, still no wait. */
	vdrv_kick(&d, 0);
	uint32_t id, len;
	assert_false(vdrv_used(&d, 0, &id, &len));

	/* The pool is ready: the waiting request is served, once. */
	source_ready = true;
	assert_int_equal(eventfd_write(ready, 1), 0);
	virtio_mmio_poll(d.dev);
	assert_true(vdrv_used(&d, 0, &id, &len));
	assert_int_equal(len, 64);
	assert_int_equal(((uint8_t *)vdrv_ptr(&d, a))[63], 0xa5);
	assert_false(vdrv_used(&d, 0, &id, &len));
	assert_int_equal(d.irqs, 1);
	vdrv_fini(&d);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(fills_buffers), T(readable_untouched), T(capped_per_request),
	  T(indirect_and_batch), cmocka_unit_test(starved_host_does_not_block))
