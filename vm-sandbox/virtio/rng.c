/* virtio-rng: one request queue; every device-writable buffer the guest posts
 * is filled from the host's getrandom().
 *
 * The I/O thread serves every device, so the device never blocks in it: a
 * host whose entropy pool is not initialised yet (a fresh VM as a host,
 * early boot) makes getrandom(GRND_NONBLOCK) fail with EAGAIN.  The request
 * then stays on the ring, untaken, and the device watches /dev/random, which
 * polls readable once the pool is initialised (it never goes back), and
 * serves the ring then. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"

/* Per chain, so a guest cannot make one request that stalls the I/O thread. */
#define RNG_MAX_PER_CHAIN (64u * 1024)

struct rng {
	struct virtio_mmio vdev; /* first: freed through it */
	ssize_t (*read_random)(void *buf, size_t len);
	int ready_fd; /* readable once the entropy source is ready */
	bool waiting; /* ready_fd is on the event loop */
};

static ssize_t host_random(void *buf, size_t len)
{
	return getrandom(buf, len, GRND_NONBLOCK);
}

/* Bytes written into the chain, or -1 when the source had nothing yet. */
static long fill_random(struct rng *r, const struct virtq_chain *c)
{
	uint32_t done = 0;
	for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < RNG_MAX_PER_CHAIN; i++) {
		size_t want = c->iov[i].iov_len;
		if (want > RNG_MAX_PER_CHAIN - done)
			want = RNG_MAX_PER_CHAIN - done;
		size_t got = 0;
		while (got < want) {
			ssize_t n = r->read_random((uint8_t *)c->iov[i].iov_base + got, want - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN && done + got == 0)
				return -1;
			if (n <= 0)
				return done + got;
			got += n;
		}
		done += got;
	}
	return done;
}

static void entropy_ready(void *arg, int fd, uint32_t events);

static void wait_for_entropy(struct rng *r)
{
	if (r->waiting)
		return;
	struct husk_err *err = NULL;
	if (virtio_mmio_watch(&r->vdev, r->ready_fd, EPOLLIN, entropy_ready, r, &err) < 0) {
		husk_err_free(&err);
		return; /* the next kick tries again */
	}
	r->waiting = r->vdev.env.loop != NULL;
}

/* Serve what the ring holds; a request the source cannot fill yet stays on it. */
static void rng_serve(struct rng *r)
{
	struct virtio_mmio *vdev = &r->vdev;
	struct virtq *vq = virtio_queue(vdev, 0);
	if (!vq)
		return;
	while (virtq_pop(vq, vdev->chain) > 0) {
		long n = fill_random(r, vdev->chain);
		if (n < 0) {
			virtq_unpop(vq);
			wait_for_entropy(r);
			break;
		}
		virtq_push(vq, vdev->chain->head, n);
	}
	virtio_mmio_notify_used(vdev, vq);
}

static void stop_waiting(struct rng *r)
{
	if (r->waiting)
		virtio_mmio_unwatch(&r->vdev, r->ready_fd);
	r->waiting = false;
}

static void entropy_ready(void *arg, int fd, uint32_t events)
{
	struct rng *r = arg;
	pthread_mutex_lock(&r->vdev.lock);
	stop_waiting(r);
	if (r->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK)
		rng_serve(r);
	pthread_mutex_unlock(&r->vdev.lock);
}

static void rng_notify(struct virtio_mmio *vdev, unsigned q)
{
	rng_serve((struct rng *)vdev);
}

static void rng_poll(struct virtio_mmio *vdev)
{
	rng_serve((struct rng *)vdev);
}

static void rng_reset(struct virtio_mmio *vdev)
{
	stop_waiting((struct rng *)vdev);
}

static void rng_destroy(struct virtio_mmio *vdev)
{
	struct rng *r = (struct rng *)vdev;
	stop_waiting(r);
	if (r->ready_fd >= 0)
		close(r->ready_fd);
	r->ready_fd = -1;
}

static const struct virtio_dev_ops rng_ops = {
    .device_id = VIRTIO_ID_RNG,
    .queue_notify = rng_notify,
    .reset = rng_reset,
    .destroy = rng_destroy,
    .poll = rng_poll,
};

struct vm_device *virtio_rng_create_src(const struct vm_device_env *env,
					ssize_t (*read_random)(void *buf, size_t len), int ready_fd,
					struct husk_err **err)
{
	struct rng *r = calloc(1, sizeof(*r));
	if (!r) {
		if (ready_fd >= 0)
			close(ready_fd);
		husk_err_set(err, ENOMEM, "virtio-rng: allocate");
		return NULL;
	}
	r->read_random = read_random;
	r->ready_fd = ready_fd;
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (virtio_mmio_init(&r->vdev, env, "virtio-rng", &rng_ops, features, 1, NULL, 0, err) <
	    0) {
		rng_destroy(&r->vdev);
		free(r);
		return NULL;
	}
	return &r->vdev.dev;
}

struct vm_device *virtio_rng_create(const struct vm_device_env *env, struct husk_err **err)
{
	int fd = open("/dev/random", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		husk_err_set(err, errno, "virtio-rng: open /dev/random");
		return NULL;
	}
	return virtio_rng_create_src(env, host_random, fd, err);
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
