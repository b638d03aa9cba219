/* The virtio-mmio transport (version 2): probing, feature negotiation, queue
 * registers, interrupts, reset, and odd register accesses from the guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM (256u << 10)
#define V1  BIT64(VIRTIO_F_VERSION_1)

static int setup(void **state)
{
	struct vdrv *d = vdrv_new_rng(RAM);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	vdrv_fini(*state);
	free(*state);
	return 0;
}

static uint64_t device_features(struct vdrv *d)
{
	uint64_t f = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vdrv_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		f |= (uint64_t)vdrv_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
	}
	return f;
}

static void probe(void **state)
{
	struct vdrv *d = *state;
	assert_string_equal(d->dev->name, "virtio-rng");
	assert_int_equal(d->dev->mmio_base, VDRV_MMIO_BASE);
	assert_int_equal(d->dev->mmio_size, 0x200);
	assert_int_equal(d->dev->irq, VDRV_IRQ);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_not_equal(vdrv_read(d, VIRTIO_MMIO_VENDOR_ID), 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_STATUS), 0);
	uint64_t f = device_features(d);
	assert_true(f & V1);
	/* Only what the device implements is offered. */
	assert_int_equal(
	    f & ~(V1 | BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX)), 0);
	vdrv_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void negotiation_accepts_subset(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, V1), 0);
	assert_int_equal(d->features, V1);
}

static void negotiation_refuses_unoffered(void **state)
{
	struct vdrv *d = *state;
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 5); /* not offered */
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	vdrv_write(d, VIRTIO_MMIO_STATUS, 0xb);
	assert_false(vdrv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void negotiation_requires_version_1(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, BIT64(VIRTIO_RING_F_EVENT_IDX)), -1);
	/* And DRIVER_OK is not taken without FEATURES_OK. */
	vdrv_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(vdrv_status(d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void features_frozen_after_features_ok(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, V1), 0);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, BIT64(VIRTIO_RING_F_INDIRECT_DESC));
	assert_false(virtio_has_feature(to_virtio_mmio(d->dev), VIRTIO_RING_F_INDIRECT_DESC));
}

static void queue_registers(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, V1), 0);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, 1); /* rng has one queue */
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 0);

	assert_int_equal(vdrv_queue_setup(d, 0, 8), 1);
	uint64_t desc = d->q[0].desc;
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)desc);
	/* A ready queue's registers are frozen. */
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, 4);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)desc);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_NUM), 8);
}

static void queue_ready_needs_features_ok(void **state)
{
	struct vdrv *d = *state;
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	assert_int_equal(vdrv_queue_setup(d, 0, 8), 0);
	assert_int_equal(vdrv_negotiate(d, VIRTIO_ID_RNG, V1), 0);
	assert_int_equal(vdrv_queue_setup(d, 0, 8), 1);
}

static void interrupt_and_ack(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1, 1, 8), 0);
	struct vdrv_buf b = {vdrv_alloc(d, 16), 16, true};
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(d->irqs, 1);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	vdrv_write(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* A kick with nothing new makes no interrupt. */
	vdrv_kick(d, 0);
	assert_int_equal(d->irqs, 1);
}

static void no_interrupt_flag(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1, 1, 8), 0);
	uint16_t *avail = vdrv_ptr(d, d->q[0].avail);
	avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
	struct vdrv_buf b = {vdrv_alloc(d, 16), 16, true};
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(d->irqs, 0);
}

static void event_idx_suppresses(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1 | BIT64(VIRTIO_RING_F_EVENT_IDX), 1, 8),
			 0);
	uint16_t *avail = vdrv_ptr(d, d->q[0].avail);
	uint16_t *used_event = &avail[2 + 8];
	uint16_t *avail_event = (uint16_t *)((uint8_t *)vdrv_ptr(d, d->q[0].used) + 4 + 8 * 8);
	struct vdrv_buf b = {vdrv_alloc(d, 16), 16, true};

	*used_event = 0; /* interrupt when used idx passes 0 */
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(d->irqs, 1);
	assert_int_equal(*avail_event, 1); /* device asks for the next kick */
	*used_event = 3;		   /* not until the 4th buffer */
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(d->irqs, 1);
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	assert_int_equal(d->irqs, 2);
}

static void odd_accesses(void **state)
{
	struct vdrv *d = *state;
	uint8_t b[8];
	memset(b, 0xaa, sizeof(b));
	d->dev->mmio(d->dev, VIRTIO_MMIO_MAGIC_VALUE, b, 2, false); /* registers are 32-bit */
	assert_int_equal(b[0] | b[1], 0);
	memset(b, 0xaa, sizeof(b));
	d->dev->mmio(d->dev, VIRTIO_MMIO_MAGIC_VALUE + 1, b, 4, false); /* unaligned */
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	memset(b, 0xaa, sizeof(b));
	d->dev->mmio(d->dev, 0x1fe, b, 4, false); /* runs past the window */
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	d->dev->mmio(d->dev, 0x10000, b, 4, false);
	d->dev->mmio(d->dev, UINT64_MAX - 1, b, 4, true);
	d->dev->mmio(d->dev, VIRTIO_MMIO_CONFIG, b, 8, false); /* rng: no config space */
	assert_int_equal(b[0] | b[7], 0);
	d->dev->mmio(d->dev, VIRTIO_MMIO_CONFIG, b, 8, true);
	/* Writes to read-only registers change nothing. */
	vdrv_write(d, VIRTIO_MMIO_MAGIC_VALUE, 0);
	vdrv_write(d, VIRTIO_MMIO_DEVICE_ID, 7);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
}

static void reset_clears_everything(void **state)
{
	struct vdrv *d = *state;
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1, 1, 8), 0);
	struct vdrv_buf b = {vdrv_alloc(d, 16), 16, true};
	assert_int_equal(vdrv_submit(d, 0, &b, 1), 16);
	vdrv_write(d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(vdrv_status(d), 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(vdrv_read(d, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	/* The old ring is forgotten: a kick does nothing. */
	vdrv_kick(d, 0);
	assert_false(vdrv_used(d, 0, NULL, NULL));
	/* And the device comes back from scratch. */
	d->brk = VDRV_RAM_GPA;
	memset(d->ram, 0, RAM);
	assert_int_equal(vdrv_start(d, VIRTIO_ID_RNG, V1, 1, 8), 0);
	struct vdrv_buf c = {vdrv_alloc(d, 16), 16, true};
	assert_int_equal(vdrv_submit(d, 0, &c, 1), 16);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
UNIT_MAIN(NULL, NULL, T(probe), T(negotiation_accepts_subset), T(negotiation_refuses_unoffered),
	  T(negotiation_requires_version_1), T(features_frozen_after_features_ok),
	  T(queue_registers), T(queue_ready_needs_features_ok), T(interrupt_and_ack),
	  T(no_interrupt_flag), T(event_idx_suppresses), T(odd_accesses),
	  T(reset_clears_everything))
