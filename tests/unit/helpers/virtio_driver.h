/* A virtio driver in the test process: it plays both the guest (rings and
 * descriptor chains in a malloc'd guest memory) and the monitor core (it
 * hands the device its env and counts interrupts).  Tests use it to drive a
 * device model through its mmio() callback exactly as a vCPU would. */
#ifndef HUSK_TEST_VIRTIO_DRIVER_H
#define HUSK_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "vm-sandbox/virtio/virtio.h"

#define VDRV_RAM_GPA   0x100000ull
#define VDRV_MMIO_BASE 0xd0000000ull
#define VDRV_IRQ       5

struct vdrv_queue {
	uint16_t num;
	uint64_t desc, avail, used; /* guest-physical */
	uint16_t avail_idx, last_used, next_desc;
};

struct vdrv {
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t brk; /* bump allocator over guest RAM */
	struct guest_mem mem;
	struct vm_device_env env;
	struct vm_device *dev;
	unsigned irqs;
	uint64_t features; /* negotiated */
	struct vdrv_queue q[4];
};

struct vdrv_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

void vdrv_init(struct vdrv *d, uint64_t ram_size);
/* A driver (heap) with ram_size bytes of guest RAM and a virtio-rng device,
 * not yet negotiated; vdrv_fini and free it. */
struct vdrv *vdrv_new_rng(uint64_t ram_size);
void vdrv_fini(struct vdrv *d);

uint32_t vdrv_read(struct vdrv *d, uint64_t off);
void vdrv_write(struct vdrv *d, uint64_t off, uint32_t val);
void vdrv_config(struct vdrv *d, uint64_t off, void *buf, unsigned len);
uint32_t vdrv_status(struct vdrv *d);
bool vdrv_needs_reset(struct vdrv *d);

/* Reset, ACKNOWLEDGE|DRIVER, check magic/version/id, accept want & offered,
 * FEATURES_OK.  Returns 0, or -1 when the device refused. */
int vdrv_negotiate(struct vdrv *d, uint32_t device_id, uint64_t want);
/* Allocate rings for queue q of size num and mark it ready.
 * Returns what QueueReady reads back. */
uint32_t vdrv_queue_setup(struct vdrv *d, unsigned q, uint16_t num);
void vdrv_driver_ok(struct vdrv *d);
/* negotiate + set up nq queues of size num + DRIVER_OK. */
int vdrv_start(struct vdrv *d, uint32_t device_id, uint64_t want, unsigned nq, uint16_t num);

uint64_t vdrv_alloc(struct vdrv *d, uint64_t size);
void *vdrv_ptr(struct vdrv *d, uint64_t gpa);

/* Write a chain of n descriptors (direct) and return its head. */
uint16_t vdrv_chain(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n);
/* The same chain through one indirect descriptor. */
uint16_t vdrv_chain_indirect(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n);
struct vring_desc *vdrv_desc(struct vdrv *d, unsigned q, uint16_t i);
void vdrv_publish(struct vdrv *d, unsigned q, uint16_t head);
void vdrv_kick(struct vdrv *d, unsigned q);
/* Take the next used element.  false when the device has returned nothing new. */
bool vdrv_used(struct vdrv *d, unsigned q, uint32_t *id, uint32_t *len);
/* The next used element of queue q is chain ID with LEN bytes written (the
 * test fails otherwise). */
/* A device-writable buffer of LEN bytes, posted alone on queue q and kicked
 * (returned, to post it again). */
struct vdrv_buf vdrv_post_buf(struct vdrv *d, unsigned q, uint32_t len);
void vdrv_expect_used(struct vdrv *d, unsigned q, uint32_t id, uint32_t len);
/* chain + publish + kick + used; returns the used length or -1 if none came back. */
long vdrv_submit(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n);

#endif
