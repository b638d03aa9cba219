/* The split virtqueue against a hostile driver.  Each case builds a malformed
 * ring or chain in guest memory and checks that the device refuses it (the
 * queue is not consumed, DEVICE_NEEDS_RESET is set, the driver is told with a
 * config interrupt) instead of following it.  Guest RAM is a heap block, so
 * under ASan any access outside it aborts the test.  virtio-rng carries the
 * queue: every chain it accepts gets its writable buffers filled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (1u << 20)
#define QSZ 16
#define ALL_RING_FEATURES                                                                          \
	(BIT64(VIRTIO_F_VERSION_1) | BIT64(VIRTIO_RING_F_INDIRECT_DESC) |                          \
	 BIT64(VIRTIO_RING_F_EVENT_IDX))

static int setup_features(void **state, uint64_t want)
{
	struct vdrv *d = malloc(sizeof(*d));
	struct husk_err *err = NULL;
	vdrv_init(d, RAM);
	d->dev = virtio_rng_create(&d->env, &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, want, 1, QSZ), 0);
	*state = d;
	return 0;
}

static int setup(void **state)
{
	return setup_features(state, ALL_RING_FEATURES);
}

static int setup_no_indirect(void **state)
{
	return setup_features(state, BIT64(VIRTIO_F_VERSION_1));
}

static int teardown(void **state)
{
	vdrv_fini(*state);
	free(*state);
	return 0;
}

/* Publish head, kick, and check the device refused it. */
static void expect_refused(struct vdrv *d, uint16_t head)
{
	unsigned irqs = d->irqs;
	vdrv_publish(d, 0, head);
	vdrv_kick(d, 0);
	assert_false(vdrv_used(d, 0, NULL, NULL));
	assert_true(vdrv_needs_reset(d));
	assert_true(vdrv_read(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(d->irqs, irqs + 1);
	/* Later kicks stay ignored, even with a good chain. */
	uint64_t buf = vdrv_alloc(d, 64);
	struct vdrv_buf ok = {buf, 64, true};
	vdrv_publish(d, 0, vdrv_chain(d, 0, &ok, 1));
	vdrv_kick(d, 0);
	assert_false(vdrv_used(d, 0, NULL, NULL));
}

static void set_desc(struct vdrv *d, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	*vdrv_desc(d, 0, i) = (struct vring_desc){addr, len, flags, next};
}

static void good_chain_works(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 300), b = vdrv_alloc(d, 200);
	struct vdrv_buf bufs[] = {{a, 300, true}, {b, 200, true}};
	assert_int_equal(vdrv_submit(d, 0, bufs, 2), 500);
	assert_false(vdrv_needs_reset(d));
	uint8_t zero[200] = {0};
	assert_memory_not_equal(vdrv_ptr(d, b), zero, sizeof(zero));
}

static void full_length_chain_works(void **state)
{
	struct vdrv *d = *state;
	struct vdrv_buf bufs[QSZ];
	for (unsigned i = 0; i < QSZ; i++)
		bufs[i] = (struct vdrv_buf){vdrv_alloc(d, 8), 8, true};
	assert_int_equal(vdrv_submit(d, 0, bufs, QSZ), 8 * QSZ);
}

static void loop_two_descriptors(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 16);
	set_desc(d, 0, a, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(d, 1, a, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	expect_refused(d, 0);
}

static void loop_self(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 3, vdrv_alloc(d, 16), 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	expect_refused(d, 3);
}

static void zero_length_loop(void **state)
{
	struct vdrv *d = *state;
	/* Empty descriptors add no data but still count toward the walk. */
	set_desc(d, 0, 0, 0, VRING_DESC_F_NEXT, 1);
	set_desc(d, 1, 0, 0, VRING_DESC_F_NEXT, 0);
	expect_refused(d, 0);
}

static void addr_below_ram(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, VDRV_RAM_GPA - 8, 16, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
}

static void addr_past_ram(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, VDRV_RAM_GPA + RAM - 8, 16, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
}

static void addr_wraps(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, 0xfffffffffffff000ull, 0x2000, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
}

static void huge_length(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, VDRV_RAM_GPA, 0xffffffffu, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
}

static void next_out_of_range(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, vdrv_alloc(d, 16), 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, QSZ);
	expect_refused(d, 0);
}

static void head_out_of_range(void **state)
{
	struct vdrv *d = *state;
	expect_refused(d, 0xffff);
}

static void avail_idx_jump(void **state)
{
	struct vdrv *d = *state;
	uint16_t *avail = vdrv_ptr(d, d->q[0].avail);
	set_desc(d, 0, vdrv_alloc(d, 16), 16, VRING_DESC_F_WRITE, 0);
	avail[1] = QSZ + 1; /* more entries than the ring holds */
	unsigned irqs = d->irqs;
	vdrv_kick(d, 0);
	assert_false(vdrv_used(d, 0, NULL, NULL));
	assert_true(vdrv_needs_reset(d));
	assert_int_equal(d->irqs, irqs + 1);
}

static void readable_after_writable(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 32);
	set_desc(d, 0, a, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(d, 1, a + 16, 16, 0, 0);
	expect_refused(d, 0);
}

/* ---- indirect tables ---- */

static uint64_t indirect_table(struct vdrv *d, unsigned n)
{
	uint64_t t = vdrv_alloc(d, 16ull * n);
	uint64_t buf = vdrv_alloc(d, 16ull * n);
	struct vring_desc *tab = vdrv_ptr(d, t);
	for (unsigned i = 0; i < n; i++)
		tab[i] = (struct vring_desc){
		    buf + 16 * i, 16, VRING_DESC_F_WRITE | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
		    (uint16_t)(i + 1)};
	return t;
}

static void indirect_good(void **state)
{
	struct vdrv *d = *state;
	uint64_t a = vdrv_alloc(d, 40), b = vdrv_alloc(d, 24);
	struct vdrv_buf bufs[] = {{a, 40, true}, {b, 24, true}};
	uint16_t head = vdrv_chain_indirect(d, 0, bufs, 2);
	vdrv_publish(d, 0, head);
	vdrv_kick(d, 0);
	vdrv_expect_used(d, 0, head, 64);
	assert_false(vdrv_needs_reset(d));
}

static void indirect_largest_table(void **state)
{
	struct vdrv *d = *state;
	uint64_t t = indirect_table(d, VIRTQ_MAX_INDIRECT);
	set_desc(d, 0, t, 16 * VIRTQ_MAX_INDIRECT, VRING_DESC_F_INDIRECT, 0);
	vdrv_publish(d, 0, 0);
	vdrv_kick(d, 0);
	uint32_t len;
	assert_true(vdrv_used(d, 0, NULL, &len));
	assert_int_equal(len, 16 * VIRTQ_MAX_INDIRECT);
}

static void indirect_too_long(void **state)
{
	struct vdrv *d = *state;
	uint64_t t = indirect_table(d, VIRTQ_MAX_INDIRECT + 1);
	set_desc(d, 0, t, 16 * (VIRTQ_MAX_INDIRECT + 1), VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_len_not_multiple(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, indirect_table(d, 2), 24, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_len_zero(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, indirect_table(d, 2), 0, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_outside_ram(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, VDRV_RAM_GPA + RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_nested(void **state)
{
	struct vdrv *d = *state;
	uint64_t inner = indirect_table(d, 2);
	uint64_t outer = vdrv_alloc(d, 16);
	*(struct vring_desc *)vdrv_ptr(d, outer) =
	    (struct vring_desc){inner, 32, VRING_DESC_F_INDIRECT, 0};
	set_desc(d, 0, outer, 16, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_with_next(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, indirect_table(d, 2), 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(d, 1, vdrv_alloc(d, 16), 16, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
}

static void indirect_loop(void **state)
{
	struct vdrv *d = *state;
	uint64_t t = indirect_table(d, 4);
	struct vring_desc *tab = vdrv_ptr(d, t);
	tab[3].flags |= VRING_DESC_F_NEXT;
	tab[3].next = 1;
	set_desc(d, 0, t, 64, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_next_out_of_range(void **state)
{
	struct vdrv *d = *state;
	uint64_t t = indirect_table(d, 4);
	struct vring_desc *tab = vdrv_ptr(d, t);
	tab[1].next = 4;
	set_desc(d, 0, t, 64, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

static void indirect_not_negotiated(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, indirect_table(d, 2), 32, VRING_DESC_F_INDIRECT, 0);
	expect_refused(d, 0);
}

/* ---- queue setup ---- */

static struct vdrv *fresh_device(void)
{
	struct vdrv *d = malloc(sizeof(*d));
	struct husk_err *err = NULL;
	vdrv_init(d, RAM);
	d->dev = virtio_rng_create(&d->env, &err);
	assert_non_null(d->dev);
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, ALL_RING_FEATURES), 0);
	return d;
}

static void drop_device(struct vdrv *d)
{
	vdrv_fini(d);
	free(d);
}

static void queue_size_not_pow2(void **state)
{
	struct vdrv *d = fresh_device();
	assert_int_equal(vdrv_queue_setup(d, 0, 12), 0);
	assert_true(vdrv_needs_reset(d));
	drop_device(d);
}

static void queue_size_bad(void **state)
{
	uint16_t sizes[] = {0, VIRTQ_MAX_SIZE * 2};
	for (unsigned i = 0; i < 2; i++) {
		struct vdrv *d = fresh_device();
		assert_int_equal(vdrv_queue_setup(d, 0, sizes[i]), 0);
		assert_true(vdrv_needs_reset(d));
		drop_device(d);
	}
}

static void used_ring_outside_ram(void **state)
{
	struct vdrv *d = fresh_device();
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vdrv_alloc(d, 16 * QSZ));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vdrv_alloc(d, 6 + 2 * QSZ));
	/* The used ring starts inside RAM but runs past its end. */
	vdrv_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(VDRV_RAM_GPA + RAM - 64));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(vdrv_needs_reset(d));
	drop_device(d);
}

static void rings_misaligned(void **state)
{
	struct vdrv *d = fresh_device();
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vdrv_alloc(d, 16 * QSZ) + 8);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vdrv_alloc(d, 64));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)vdrv_alloc(d, 256));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
	drop_device(d);
}

static void notify_before_ready(void **state)
{
	struct vdrv *d = fresh_device();
	/* Queue registers written but not ready; the doorbell must do nothing. */
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	vdrv_kick(d, 0);
	vdrv_kick(d, 3);
	vdrv_kick(d, 0xffffffffu);
	assert_false(vdrv_needs_reset(d));
	assert_int_equal(d->irqs, 0);
	drop_device(d);
}

static void notify_before_driver_ok(void **state)
{
	struct vdrv *d = fresh_device();
	assert_int_equal(vdrv_queue_setup(d, 0, QSZ), 1);
	vdrv_post_buf(d, 0, 32);
	assert_false(vdrv_used(d, 0, NULL, NULL));
	/* Once the driver is ready the same buffer is served. */
	vdrv_driver_ok(d);
	vdrv_kick(d, 0);
	assert_true(vdrv_used(d, 0, NULL, NULL));
	drop_device(d);
}

static void reset_recovers_from_error(void **state)
{
	struct vdrv *d = *state;
	set_desc(d, 0, 0, 16, VRING_DESC_F_WRITE, 0);
	expect_refused(d, 0);
	d->brk = VDRV_RAM_GPA;
	memset(d->ram, 0, RAM);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, ALL_RING_FEATURES, 1, QSZ), 0);
	assert_false(vdrv_needs_reset(d));
	struct vdrv_buf b = {vdrv_alloc(d, 32), 32, true};
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 32);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(good_chain_works), T(full_length_chain_works), T(loop_two_descriptors),
	  T(loop_self), T(zero_length_loop), T(addr_below_ram), T(addr_past_ram), T(addr_wraps),
	  T(huge_length), T(next_out_of_range), T(head_out_of_range), T(avail_idx_jump),
	  T(readable_after_writable), T(indirect_good), T(indirect_largest_table),
	  T(indirect_too_long), T(indirect_len_not_multiple), T(indirect_len_zero),
	  T(indirect_outside_ram), T(indirect_nested), T(indirect_with_next), T(indirect_loop),
	  T(indirect_next_out_of_range),
	  cmocka_unit_test_setup_teardown(indirect_not_negotiated, setup_no_indirect, teardown),
	  cmocka_unit_test(queue_size_not_pow2), cmocka_unit_test(queue_size_bad),
	  cmocka_unit_test(used_ring_outside_ram), cmocka_unit_test(rings_misaligned),
	  cmocka_unit_test(notify_before_ready), cmocka_unit_test(notify_before_driver_ok),
	  T(reset_recovers_from_error))
