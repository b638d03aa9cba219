/* Shared internals of the virtio device models: the virtio-mmio transport
 * (virtio_mmio.c), the split virtqueue (virtqueue.c) and what each device file
 * plugs into them.  Nothing outside vm-sandbox/virtio/ and its tests includes
 * this; the core only sees vm_device.h. */
#ifndef HUSK_VIRTIO_H
#define HUSK_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vm-sandbox/vm.h"
#include "vm-sandbox/vm_device.h"

/* Register offsets, status bits, feature bits, device ids and ring layout
 * come from the kernel's uapi headers; only what the spec leaves to the
 * device is defined here. */
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define VIRTIO_MMIO_MAGIC_VIRT	   0x74726976 /* "virt": the MagicValue register */
#define VIRTIO_MMIO_VERSION_MODERN 2	      /* the Version register: virtio 1.x */
#define VIRTIO_MMIO_VENDOR_HUSK	   0x6b737568 /* "husk": the VendorID register */
#define VIRTIO_MMIO_SIZE	   0x200

/* Largest queue any husk device offers, and the most descriptors one indirect
 * table may hold.  A chain (direct + indirect) never yields more segments. */
#define VIRTQ_MAX_SIZE	   256
#define VIRTQ_MAX_INDIRECT 256
#define VIRTQ_MAX_SEGS	   (VIRTQ_MAX_SIZE + VIRTQ_MAX_INDIRECT)

#define BIT64(n) (1ull << (n))

/* ---- split virtqueue ---- */

struct virtq {
	/* Transport registers, written by the driver while the queue is not ready. */
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Resolved when the queue became ready; guest memory never moves. */
	struct vring_desc *desc;
	uint16_t *avail;	 /* flags, idx, ring[num], used_event */
	uint8_t *used;		 /* flags, idx, {id,len}[num], avail_event */
	uint16_t last_avail;	 /* next avail entry the device will take */
	uint16_t used_idx;	 /* next used entry the device will fill */
	uint16_t signalled_used; /* used_idx when interrupts were last considered */
	bool indirect;		 /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool event_idx;		 /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool broken;		 /* a hostile chain was seen: nothing more until reset */
	const struct guest_mem *mem;
};

/* One descriptor chain, resolved to host memory.  iov[0..n_out) are
 * device-readable, iov[n_out..n_out+n_in) device-writable. */
struct virtq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/* Resolve the rings of a queue the driver marks ready.  < 0: a bad layout. */
int virtq_activate(struct virtq *vq, const struct guest_mem *mem, bool indirect, bool event_idx);
void virtq_reset(struct virtq *vq);

/* Take the next available chain.  1: *c filled; 0: nothing available;
 * < 0: the driver broke the ring (the queue is then marked broken). */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* Give back the chain virtq_pop just returned, untouched (the backend had
 * nothing for it after all); the next pop returns it again. */
void virtq_unpop(struct virtq *vq);
/* Return a chain to the driver with len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last one. */
bool virtq_should_notify(struct virtq *vq);
/* Whether the driver has made buffers available that the device has not taken. */
bool virtq_has_avail(struct virtq *vq);

/* iovec helpers over a chain's segments.  They copy at most the chain's room
 * and return the bytes actually copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);
/* Build a sub-vector of iov starting skip bytes in, at most len bytes long.
 * Returns the number of entries written into out (at most max). */
unsigned iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t len, struct iovec *out,
		   unsigned max);

/* ---- the virtio-mmio transport ---- */

struct virtio_mmio;

struct virtio_dev_ops {
	uint32_t device_id;
	/* A queue was notified (QueueNotify write or its ioeventfd).  Lock held. */
	void (*queue_notify)(struct virtio_mmio *vdev, unsigned q);
	/* DRIVER_OK was set: start backends.  Lock held. */
	void (*driver_ok)(struct virtio_mmio *vdev);
	/* The driver reset the device: drop in-flight state.  Lock held. */
	void (*reset)(struct virtio_mmio *vdev);
	/* The device is going away: release backends.  Lock not held. */
	void (*destroy)(struct virtio_mmio *vdev);
	/* Synchronous mode only (env->loop == NULL): service the backend now,
	 * without blocking, as the event loop would have.  Lock held. */
	void (*poll)(struct virtio_mmio *vdev);
	/* A config-space write (most devices ignore them).  Lock held. */
	void (*config_write)(struct virtio_mmio *vdev, uint64_t off, const uint8_t *data,
			     unsigned len);
};

#define VIRTIO_MAX_QUEUES 4

/* A queue's KVM ioeventfd on QueueNotify (virtio_mmio.c). */
struct virtio_doorbell {
	struct virtio_mmio *dev;
	unsigned queue;
	int fd; /* -1: none (no KVM, or the queue was never readied) */
};

struct virtio_mmio {
	struct vm_device dev; /* first: the core sees only this */
	const struct virtio_dev_ops *ops;
	struct vm_device_env env;
	pthread_mutex_t lock;

	uint64_t host_features;
	uint64_t guest_features;
	uint32_t host_features_sel, guest_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t interrupt_status;
	uint32_t config_generation;

	unsigned nqueues;
	uint16_t queue_num_max;
	struct virtq queues[VIRTIO_MAX_QUEUES];
	struct virtio_doorbell doorbells[VIRTIO_MAX_QUEUES];

	uint8_t *config; /* device-specific config space */
	size_t config_len;

	struct virtq_chain *chain; /* scratch for queue handlers (large) */
	void *priv;		   /* the device model's own state */
};

/* Initialise the transport part of a device (VERSION_1 is always offered).
 * The transport registers each queue's QueueNotify ioeventfd itself. */
int virtio_mmio_init(struct virtio_mmio *vdev, const struct vm_device_env *env, const char *name,
		     const struct virtio_dev_ops *ops, uint64_t features, unsigned nqueues,
		     void *config, size_t config_len, struct husk_err **err);
/* Free a device built with virtio_mmio_init (calls ops->destroy first). */
void virtio_mmio_free(struct virtio_mmio *vdev);

static inline struct virtio_mmio *to_virtio_mmio(struct vm_device *dev)
{
	return (struct virtio_mmio *)dev;
}

/* Whether the driver accepted a feature bit. */
static inline bool virtio_has_feature(const struct virtio_mmio *vdev, unsigned bit)
{
	return vdev->guest_features & BIT64(bit);
}

/* The queue if the driver set it up and the device may use it, else NULL. */
struct virtq *virtio_queue(struct virtio_mmio *vdev, unsigned q);
/* Raise the used-buffer interrupt if the queue's driver wants one.  Lock held. */
void virtio_mmio_notify_used(struct virtio_mmio *vdev, struct virtq *vq);
/* The driver broke a ring: set DEVICE_NEEDS_RESET and tell it.  Lock held. */
void virtio_mmio_device_error(struct virtio_mmio *vdev);
/* Watch an fd on the event loop; cb takes the device lock itself.
 * In synchronous mode (no loop) this is a no-op that returns 0. */
int virtio_mmio_watch(struct virtio_mmio *vdev, int fd, uint32_t events, vm_event_cb cb, void *arg,
		      struct husk_err **err);
void virtio_mmio_unwatch(struct virtio_mmio *vdev, int fd);
/* Synchronous mode: run the device's ops->poll under its lock (tests, fuzzers). */
void virtio_mmio_poll(struct vm_device *dev);

/* ---- constructors, for tests, fuzzers and benchmarks ----
 * The monitor reaches the devices through their VM_DEVICE_TYPE registrations;
 * a unit test links libhusk.a as a plain archive and builds a device directly.
 * spec strings are the CLI's: disk "PATH[,ro]", net "tap=NAME", vsock "CID:PATH". */
struct vm_device *virtio_blk_create(const struct vm_device_env *env, const char *spec,
				    struct husk_err **err);
struct vm_device *virtio_console_create(const struct vm_device_env *env, int in_fd, int out_fd,
					struct husk_err **err);
struct vm_device *virtio_rng_create(const struct vm_device_env *env, struct husk_err **err);
struct vm_device *virtio_vsock_create(const struct vm_device_env *env, const char *spec,
				      struct husk_err **err);
struct vm_device *virtio_net_create(const struct vm_device_env *env, const char *spec,
				    struct husk_err **err);
struct vm_device *virtio_fs_create(const struct vm_device_env *env, const struct vm_fs_share *share,
				   struct husk_err **err);

/* Test hook for virtio-net: a device over an already-open packet fd (a tap, or
 * a SOCK_SEQPACKET socket standing in for one).  vnet_hdr: whether frames on
 * fd carry the 12-byte virtio_net_hdr (a tap with IFF_VNET_HDR does). */
struct vm_device *virtio_net_create_fd(const struct vm_device_env *env, int fd, bool vnet_hdr,
				       struct husk_err **err);

/* Test hook for virtio-rng: a device whose bytes come from read_random
 * (getrandom(GRND_NONBLOCK)'s contract: -1 with EAGAIN while the source is
 * not ready) and whose ready_fd polls readable once it is.  The device owns
 * ready_fd. */
struct vm_device *virtio_rng_create_src(const struct vm_device_env *env,
					ssize_t (*read_random)(void *buf, size_t len), int ready_fd,
					struct husk_err **err);

#endif
