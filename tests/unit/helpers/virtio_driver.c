/* See virtio_driver.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/virtio_driver.h"

static void count_irq(void *ctx, unsigned irq)
{
	struct vdrv *d = ctx;
	if (irq == VDRV_IRQ)
		d->irqs++;
}

void vdrv_init(struct vdrv *d, uint64_t ram_size)
{
	memset(d, 0, sizeof(*d));
	d->ram = aligned_alloc(4096, ram_size);
	if (!d->ram)
		abort();
	memset(d->ram, 0, ram_size);
	d->ram_size = ram_size;
	d->mem.regions[0] = (struct guest_mem_region){VDRV_RAM_GPA, ram_size, d->ram};
	d->mem.n = 1;
	d->brk = VDRV_RAM_GPA;
	d->env = (struct vm_device_env){
	    .mem = &d->mem,
	    .mmio_base = VDRV_MMIO_BASE,
	    .irq = VDRV_IRQ,
	    .vm_fd = -1,
	    .loop = NULL,
	    .irq_raise = count_irq,
	    .irq_ctx = d,
	};
}

void vdrv_fini(struct vdrv *d)
{
	if (d->dev)
		d->dev->destroy(d->dev);
	d->dev = NULL;
	free(d->ram);
	d->ram = NULL;
}

uint32_t vdrv_read(struct vdrv *d, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	d->dev->mmio(d->dev, off, (uint8_t *)&v, 4, false);
	return v;
}

void vdrv_write(struct vdrv *d, uint64_t off, uint32_t val)
{
	d->dev->mmio(d->dev, off, (uint8_t *)&val, 4, true);
}

void vdrv_config(struct vdrv *d, uint64_t off, void *buf, unsigned len)
{
	d->dev->mmio(d->dev, VIRTIO_MMIO_CONFIG + off, buf, len, false);
}

uint32_t vdrv_status(struct vdrv *d)
{
	return vdrv_read(d, VIRTIO_MMIO_STATUS);
}

bool vdrv_needs_reset(struct vdrv *d)
{
	return vdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

int vdrv_negotiate(struct vdrv *d, uint32_t device_id, uint64_t want)
{
	if (vdrv_read(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC_VIRT ||
	    vdrv_read(d, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_MODERN ||
	    vdrv_read(d, VIRTIO_MMIO_DEVICE_ID) != device_id)
		return -1;
	vdrv_write(d, VIRTIO_MMIO_STATUS, 0);
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vdrv_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	uint64_t offered = 0;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vdrv_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		offered |= (uint64_t)vdrv_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
	}
	d->features = offered & want;
	for (uint32_t sel = 0; sel < 2; sel++) {
		vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		vdrv_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> (32 * sel)));
	}
	vdrv_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK);
	return (vdrv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK) ? 0 : -1;
}

uint64_t vdrv_alloc(struct vdrv *d, uint64_t size)
{
	uint64_t gpa = (d->brk + 15) & ~15ull;
	if (gpa + size > VDRV_RAM_GPA + d->ram_size)
		abort(); /* a test asked for more RAM than it gave itself */
	d->brk = gpa + size;
	return gpa;
}

void *vdrv_ptr(struct vdrv *d, uint64_t gpa)
{
	return d->ram + (gpa - VDRV_RAM_GPA);
}

uint32_t vdrv_queue_setup(struct vdrv *d, unsigned q, uint16_t num)
{
	struct vdrv_queue *vq = &d->q[q];
	memset(vq, 0, sizeof(*vq));
	vq->num = num;
	vq->desc = vdrv_alloc(d, 16ull * num);
	vq->avail = vdrv_alloc(d, 6 + 2ull * num);
	vq->used = vdrv_alloc(d, 6 + 8ull * num);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(vq->desc >> 32));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vq->avail);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(vq->avail >> 32));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)vq->used);
	vdrv_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(vq->used >> 32));
	vdrv_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return vdrv_read(d, VIRTIO_MMIO_QUEUE_READY);
}

void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

int vdrv_start(struct vdrv *d, uint32_t device_id, uint64_t want, unsigned nq, uint16_t num)
{
	if (vdrv_negotiate(d, device_id, want) < 0)
		return -1;
	for (unsigned q = 0; q < nq; q++)
		if (vdrv_queue_setup(d, q, num) != 1)
			return -1;
	vdrv_driver_ok(d);
	return (vdrv_status(d) & VIRTIO_CONFIG_S_DRIVER_OK) ? 0 : -1;
}

struct vring_desc *vdrv_desc(struct vdrv *d, unsigned q, uint16_t i)
{
	return (struct vring_desc *)vdrv_ptr(d, d->q[q].desc + 16ull * i);
}

static void write_descs(struct vring_desc *table, uint16_t first, uint16_t mask,
			const struct vdrv_buf *b, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		uint16_t i = (first + k) & mask;
		table[i] = (struct vring_desc){
		    .addr = b[k].gpa,
		    .len = b[k].len,
		    .flags =
			(b[k].write ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0),
		    .next = (uint16_t)((first + k + 1) & mask),
		};
	}
}

uint16_t vdrv_chain(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t head = vq->next_desc;
	write_descs(vdrv_desc(d, q, 0), head, vq->num - 1, b, n);
	vq->next_desc = (head + n) & (vq->num - 1);
	return head;
}

uint16_t vdrv_chain_indirect(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n)
{
	struct vdrv_queue *vq = &d->q[q];
	uint64_t table = vdrv_alloc(d, 16ull * n);
	write_descs(vdrv_ptr(d, table), 0, 0xffff, b, n);
	uint16_t head = vq->next_desc;
	*vdrv_desc(d, q, head) =
	    (struct vring_desc){.addr = table, .len = 16 * n, .flags = VRING_DESC_F_INDIRECT};
	vq->next_desc = (head + 1) & (vq->num - 1);
	return head;
}

void vdrv_publish(struct vdrv *d, unsigned q, uint16_t head)
{
	struct vdrv_queue *vq = &d->q[q];
	uint16_t *avail = vdrv_ptr(d, vq->avail);
	avail[2 + vq->avail_idx % vq->num] = head;
	vq->avail_idx++;
	__atomic_store_n(&avail[1], vq->avail_idx, __ATOMIC_RELEASE);
}

void vdrv_kick(struct vdrv *d, unsigned q)
{
	vdrv_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

bool vdrv_used(struct vdrv *d, unsigned q, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *vq = &d->q[q];
	uint8_t *used = vdrv_ptr(d, vq->used);
	uint16_t idx = __atomic_load_n((uint16_t *)(used + 2), __ATOMIC_ACQUIRE);
	if (idx == vq->last_used)
		return false;
	uint32_t ent[2];
	memcpy(ent, used + 4 + 8 * (vq->last_used % vq->num), sizeof(ent));
	vq->last_used++;
	if (id)
		*id = ent[0];
	if (len)
		*len = ent[1];
	return true;
}

long vdrv_submit(struct vdrv *d, unsigned q, const struct vdrv_buf *b, unsigned n)
{
	uint16_t head = vdrv_chain(d, q, b, n);
	vdrv_publish(d, q, head);
	vdrv_kick(d, q);
	uint32_t id, len;
	if (!vdrv_used(d, q, &id, &len) || id != head)
		return -1;
	return len;
}

void vdrv_expect_used(struct vdrv *d, unsigned q, uint32_t id, uint32_t len)
{
	uint32_t got_id, got_len;
	assert_true(vdrv_used(d, q, &got_id, &got_len));
	assert_int_equal(got_id, id);
	assert_int_equal(got_len, len);
}

struct vdrv *vdrv_new_rng(uint64_t ram_size)
{
	struct vdrv *d = malloc(sizeof(*d));
	assert_non_null(d);
	struct husk_err *err = NULL;
	vdrv_init(d, ram_size);
	d->dev = virtio_rng_create(&d->env, &err);
	assert_non_null(d->dev);
	return d;
}

struct vdrv_buf vdrv_post_buf(struct vdrv *d, unsigned q, uint32_t len)
{
	struct vdrv_buf b = {vdrv_alloc(d, len), len, true};
	vdrv_publish(d, q, vdrv_chain(d, q, &b, 1));
	vdrv_kick(d, q);
	return b;
}
