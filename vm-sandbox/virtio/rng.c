/* virtio-rng: one request queue; every device-writable buffer the guest posts
 * is filled from the host's getrandom(). */
#include <stdlib.h>
#include <sys/random.h>

#include "vm-sandbox/virtio/virtio.h"

/* Per chain, so a guest cannot make one request that stalls the I/O thread. */
#define RNG_MAX_PER_CHAIN (64u * 1024)

static uint32_t fill_random(const struct virtq_chain *c)
{
	uint32_t done = 0;
	for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < RNG_MAX_PER_CHAIN; i++) {
		size_t want = c->iov[i].iov_len;
		if (want > RNG_MAX_PER_CHAIN - done)
			want = RNG_MAX_PER_CHAIN - done;
		size_t got = 0;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)c->iov[i].iov_base + got, want - got, 0);
			if (n <= 0)
				return done + got;
			got += n;
		}
		done += got;
	}
	return done;
}

static void rng_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct virtq *vq = virtio_queue(vdev, q);
	if (!vq)
		return;
	while (virtq_pop(vq, vdev->chain) > 0)
		virtq_push(vq, vdev->chain->head, fill_random(vdev->chain));
	virtio_mmio_notify_used(vdev, vq);
}

static const struct virtio_dev_ops rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .queue_notify = rng_notify,
};

struct vm_device *virtio_rng_create(const struct vm_device_env *env, struct husk_err **err)
{
	struct virtio_mmio *vdev = calloc(1, sizeof(*vdev));
	if (!vdev) {
		husk_err_set(err, ENOMEM, "virtio-rng: allocate");
		return NULL;
	}
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (virtio_mmio_init(vdev, env, "virtio-rng", &rng_ops, features, 1, NULL, 0, err) < 0) {
		free(vdev);
		return NULL;
	}
	return &vdev->dev;
}

/* ---- registration: every VM has one ---- */

static unsigned rng_count(const struct vm_config *cfg)
{
	return 1;
}

static struct vm_device *rng_create_instance(const struct vm_device_env *env,
					     const struct vm_config *cfg, unsigned i,
					     struct husk_err **err)
{
	return virtio_rng_create(env, err);
}

VM_DEVICE_TYPE(rng_type, {
			     .name = "virtio-rng",
			     .option = "virtio-rng",
			     .order = 50,
			     .count = rng_count,
			     .create = rng_create_instance,
			 });
