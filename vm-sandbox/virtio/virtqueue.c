/* Split virtqueue, device side.  The driver (the guest) is hostile: every
 * index is bounded, every address goes through guest_mem_ptr, every value the
 * guest can change is read once into a local before it is checked and used,
 * and a malformed ring marks the queue broken instead of being followed. */
#include <string.h>

#include "vm-sandbox/virtio/virtio.h"

static inline uint16_t load16_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store16_release(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint16_t *used_idx_ptr(struct virtq *vq)
{
	return (uint16_t *)(vq->used + 2);
}

static uint16_t *avail_event_ptr(struct virtq *vq)
{
	return (uint16_t *)(vq->used + 4 + 8 * (size_t)vq->num);
}

static bool is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

int virtq_activate(struct virtq *vq, const struct guest_mem *mem, bool indirect, bool event_idx)
{
	uint64_t n = vq->num;

	if (!is_pow2(vq->num) || vq->num > VIRTQ_MAX_SIZE)
		return -1;
	/* Alignment the spec requires (16/2/4); it also keeps our loads aligned. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -1;
	vq->desc = guest_mem_ptr(mem, vq->desc_gpa, 16 * n);
	vq->avail = guest_mem_ptr(mem, vq->avail_gpa, 6 + 2 * n);
	vq->used = guest_mem_ptr(mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -1;
	}
	vq->mem = mem;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

static int chain_add(struct virtq_chain *c, void *p, uint32_t len, bool writable)
{
	if (len == 0)
		return 0;
	if (c->n_out + c->n_in >= VIRTQ_MAX_SEGS)
		return -1;
	if (writable) {
		c->in_len += len;
		c->iov[c->n_out + c->n_in++] = (struct iovec){p, len};
		return 0;
	}
	/* Readable descriptors must all come before writable ones. */
	if (c->n_in)
		return -1;
	c->out_len += len;
	c->iov[c->n_out++] = (struct iovec){p, len};
	return 0;
}

/* Follow the chain from head.  Each table (the ring's, or one indirect table)
 * may be walked at most as many steps as it has entries: a longer walk can
 * only be a loop. */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t table_n = vq->num, budget = vq->num, i = head;
	bool in_indirect = false;

	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct vring_desc d;

		if (budget-- == 0)
			return -1;
		memcpy(&d, table + 16 * (size_t)i, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (in_indirect || !vq->indirect || (d.flags & VRING_DESC_F_NEXT))
				return -1;
			if (d.len == 0 || d.len % 16 || d.len / 16 > VIRTQ_MAX_INDIRECT)
				return -1;
			table = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return -1;
			table_n = budget = d.len / 16;
			i = 0;
			in_indirect = true;
			continue;
		}
		if (d.len) {
			void *p = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!p || chain_add(c, p, d.len, d.flags & VRING_DESC_F_WRITE) < 0)
				return -1;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= table_n)
			return -1;
	}
}

static uint16_t avail_pending(struct virtq *vq)
{
	return (uint16_t)(load16_acquire(&vq->avail[1]) - vq->last_avail);
}

bool virtq_has_avail(struct virtq *vq)
{
	return vq->ready && !vq->broken && avail_pending(vq) != 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	if (!vq->ready || vq->broken)
		return 0;
	uint16_t pending = avail_pending(vq);
	if (pending == 0 && vq->event_idx) {
		/* Ask for a kick at the next buffer, then look again: the driver
		 * may have added one before it could see avail_event. */
		store16_release(avail_event_ptr(vq), vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pending = avail_pending(vq);
	}
	if (pending == 0)
		return 0;
	if (pending > vq->num)
		goto broken;
	uint16_t head = load16(&vq->avail[2 + vq->last_avail % vq->num]);
	if (head >= vq->num || walk_chain(vq, head, c) < 0)
		goto broken;
	vq->last_avail++;
	if (vq->event_idx)
		store16_release(avail_event_ptr(vq), vq->last_avail);
	return 1;
broken:
	vq->broken = true;
	return -1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
	if (vq->event_idx)
		store16_release(avail_event_ptr(vq), vq->last_avail);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	if (!vq->ready)
		return;
	uint32_t ent[2] = {head, len};
	memcpy(vq->used + 4 + 8 * (size_t)(vq->used_idx % vq->num), ent, sizeof(ent));
	vq->used_idx++;
	store16_release(used_idx_ptr(vq), vq->used_idx);
}

bool virtq_should_notify(struct virtq *vq)
{
	if (!vq->ready || vq->used_idx == vq->signalled_used)
		return false; /* nothing returned since the last interrupt */
	/* The used index must be visible before we read the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint16_t old = vq->signalled_used, new = vq->used_idx;
	vq->signalled_used = new;
	if (!vq->event_idx)
		return !(load16(&vq->avail[0]) & VRING_AVAIL_F_NO_INTERRUPT);
	uint16_t event = load16(&vq->avail[2 + vq->num]);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/* ---- iovec helpers ---- */

/* Copy between the iovec's bytes after SKIP and BUF, in either direction. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, uint8_t *buf, size_t len,
		       bool to_buf)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		uint8_t *at = (uint8_t *)iov[i].iov_base + skip;
		if (to_buf)
			memcpy(buf + done, at, k);
		else
			memcpy(at, buf + done, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, true);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	return iov_copy(iov, n, skip, (uint8_t *)buf, len, false); /* only read from */
}

unsigned iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len, struct iovec *out,
		   unsigned max)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len && k < max; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t l = iov[i].iov_len - skip;
		if (l > len)
			l = len;
		out[k++] = (struct iovec){(uint8_t *)iov[i].iov_base + skip, l};
		len -= l;
		skip = 0;
	}
	return k;
}
