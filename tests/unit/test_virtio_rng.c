/* virtio-rng: the guest's writable buffers come back filled from getrandom,
 * within the per-request cap, and read-only buffers are never written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (1u << 20)
#define V1  BIT64(VIRTIO_F_VERSION_1)

static int setup(void **state)
{
	struct vdrv *d = malloc(sizeof(*d));
	struct husk_err *err = NULL;
	vdrv_init(d, RAM);
	d->dev = virtio_rng_create(&d->env, &err);
	assert_non_null(d->dev);
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
	assert_true(vdrv_used(d, 0, &id, &len));
	assert_int_equal(id, h1);
	assert_int_equal(len, 2048);
	assert_true(vdrv_used(d, 0, &id, &len));
	assert_int_equal(id, h2);
	assert_false(vdrv_used(d, 0, &id, &len));
	assert_int_equal(d->irqs, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(fills_buffers),
	    T(readable_untouched),
	    T(capped_per_request),
	    T(indirect_and_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
