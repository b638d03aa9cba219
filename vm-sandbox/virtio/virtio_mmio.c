/* virtio-mmio transport, version 2 ("modern").  One instance per device; the
 * device model supplies its id, features, queues, config space and handlers.
 * Register semantics follow the virtio 1.2 spec, section 4.2.2.
 *
 * Doorbells: when the driver readies a queue, the transport registers a KVM
 * ioeventfd for that queue's index on QueueNotify, so a kick costs the vCPU
 * no exit to the monitor; the I/O thread then runs the queue's handler
 * directly.  Without KVM (unit tests, fuzzers) or if the registration fails,
 * the kick arrives as an MMIO write instead and takes the same path. */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "common/cleanup.h"
#include "common/util.h"

static void raise_irq(struct virtio_mmio *vdev, uint32_t why)
{
	vdev->interrupt_status |= why;
	if (vdev->env.irq_raise)
		vdev->env.irq_raise(vdev->env.irq_ctx, vdev->env.irq);
}

void virtio_mmio_device_error(struct virtio_mmio *vdev)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		raise_irq(vdev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_notify_used(struct virtio_mmio *vdev, struct virtq *vq)
{
	if (virtq_should_notify(vq))
		raise_irq(vdev, VIRTIO_MMIO_INT_VRING);
}

struct virtq *virtio_queue(struct virtio_mmio *vdev, unsigned q)
{
	if (q >= vdev->nqueues || !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return NULL;
	struct virtq *vq = &vdev->queues[q];
	return vq->ready && !vq->broken ? vq : NULL;
}

int virtio_mmio_watch(struct virtio_mmio *vdev, int fd, uint32_t events, vm_event_cb cb, void *arg,
		      struct husk_err **err)
{
	if (!vdev->env.loop)
		return 0;
	return vm_event_loop_add(vdev->env.loop, fd, events, cb, arg, err);
}

void virtio_mmio_unwatch(struct virtio_mmio *vdev, int fd)
{
	if (vdev->env.loop && fd >= 0)
		vm_event_loop_del(vdev->env.loop, fd);
}

void virtio_mmio_poll(struct vm_device *dev)
{
	struct virtio_mmio *vdev = to_virtio_mmio(dev);
	pthread_mutex_lock(&vdev->lock);
	if (vdev->ops->poll && (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		vdev->ops->poll(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

static void queue_kick(struct virtio_mmio *vdev, unsigned q)
{
	if (!virtio_queue(vdev, q))
		return; /* notify before ready / before DRIVER_OK: nothing to do */
	vdev->ops->queue_notify(vdev, q);
	/* A handler that met a hostile chain left the queue broken. */
	if (vdev->queues[q].broken)
		virtio_mmio_device_error(vdev);
}

static void doorbell_rang(void *arg, int fd, uint32_t events)
{
	struct virtio_doorbell *db = arg;
	uint64_t kicks;
	if (read(fd, &kicks, sizeof(kicks)) != sizeof(kicks))
		return; /* nonblocking: someone else drained it */
	pthread_mutex_lock(&db->dev->lock);
	queue_kick(db->dev, db->queue);
	pthread_mutex_unlock(&db->dev->lock);
}

/* Once per queue for the device's life: a queue the driver resets and
 * readies again keeps its doorbell.  Each registration costs KVM an SRCU
 * grace period, paid here by the vCPU that readies the queue.  A failure
 * costs only speed: the kick then exits to the monitor as an MMIO write. */
static void doorbell_register(struct virtio_mmio *vdev, unsigned q)
{
	struct virtio_doorbell *db = &vdev->doorbells[q];
	if (db->fd >= 0 || vdev->env.vm_fd < 0 || !vdev->env.loop)
		return;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return;
	struct kvm_ioeventfd req = {
	    .datamatch = q,
	    .addr = vdev->env.mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	if (ioctl(vdev->env.vm_fd, KVM_IOEVENTFD, &req) < 0) {
		close(fd);
		return;
	}
	struct husk_err *err = NULL;
	db->dev = vdev;
	db->queue = q;
	db->fd = fd;
	if (vm_event_loop_add(vdev->env.loop, fd, EPOLLIN, doorbell_rang, db, &err) < 0) {
		/* KVM keeps signalling an fd nobody reads; unregister it. */
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(vdev->env.vm_fd, KVM_IOEVENTFD, &req);
		close(fd);
		db->fd = -1;
		husk_err_free(&err);
	}
}

/* The ioeventfds stay registered with KVM until the VM fd closes (a device
 * lives as long as its VM; deassigning would cost a grace period each). */
static void doorbells_release(struct virtio_mmio *vdev)
{
	for (unsigned q = 0; q < ARRAY_SIZE(vdev->doorbells); q++) {
		struct virtio_doorbell *db = &vdev->doorbells[q];
		if (db->fd < 0)
			continue;
		virtio_mmio_unwatch(vdev, db->fd);
		close(db->fd);
		db->fd = -1;
	}
}

static void device_reset(struct virtio_mmio *vdev)
{
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (unsigned q = 0; q < vdev->nqueues; q++)
		virtq_reset(&vdev->queues[q]);
	vdev->guest_features = 0;
	vdev->host_features_sel = vdev->guest_features_sel = 0;
	vdev->queue_sel = 0;
	vdev->status = 0;
	vdev->interrupt_status = 0;
}

static bool features_ok(const struct virtio_mmio *vdev)
{
	return !(vdev->guest_features & ~vdev->host_features) &&
	       (vdev->guest_features & BIT64(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio *vdev, uint32_t val)
{
	if (val == 0) {
		device_reset(vdev);
		return;
	}
	uint32_t old = vdev->status;
	val &= 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !features_ok(vdev))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* DRIVER_OK without accepted features is a driver bug: refuse it. */
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK))
		val &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	vdev->status = val | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    vdev->ops->driver_ok)
		vdev->ops->driver_ok(vdev);
}

static struct virtq *selected_queue(struct virtio_mmio *vdev)
{
	return vdev->queue_sel < vdev->nqueues ? &vdev->queues[vdev->queue_sel] : NULL;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffull) | val;
}

static void queue_ready(struct virtio_mmio *vdev, struct virtq *vq, uint32_t val)
{
	if (!val) {
		vq->ready = false;
		return;
	}
	/* Rings are set up after feature negotiation (spec 3.1.1): before it,
	 * whether descriptors may be indirect is not settled yet. */
	if (vq->ready || !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	if (virtq_activate(vq, vdev->env.mem, virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC),
			   virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) < 0) {
		virtio_mmio_device_error(vdev);
		return;
	}
	doorbell_register(vdev, (unsigned)(vq - vdev->queues));
}

static void reg_write(struct virtio_mmio *vdev, uint64_t off, uint32_t val)
{
	struct virtq *vq = selected_queue(vdev);
	bool queue_writable = vq && !vq->ready;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->host_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if ((vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) || vdev->guest_features_sel > 1)
			break;
		set_half(&vdev->guest_features, vdev->guest_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vdev->guest_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vdev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (queue_writable)
			vq->num = val > 0xffff ? 0 : (uint16_t)val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (vq)
			queue_ready(vdev, vq, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_kick(vdev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->interrupt_status &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(vdev, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (queue_writable)
			set_half(&vq->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (queue_writable)
			set_half(&vq->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (queue_writable)
			set_half(&vq->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	default:
		break; /* read-only or unknown register: ignored */
	}
}

static uint32_t reg_read(struct virtio_mmio *vdev, uint64_t off)
{
	struct virtq *vq = selected_queue(vdev);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC_VIRT;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR_HUSK;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (vdev->host_features_sel > 1)
			return 0;
		return (uint32_t)(vdev->host_features >> (32 * vdev->host_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vdev->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return vq ? vq->num : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vdev->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return vq ? (uint32_t)vq->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return vq ? (uint32_t)vq->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return vq ? (uint32_t)vq->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	default:
		return 0;
	}
}

static void config_access(struct virtio_mmio *vdev, uint64_t off, uint8_t *data, unsigned len,
			  bool is_write)
{
	bool inside = off < vdev->config_len && len <= vdev->config_len - off;
	if (is_write) {
		if (inside && vdev->ops->config_write)
			vdev->ops->config_write(vdev, off, data, len);
		return;
	}
	if (inside)
		memcpy(data, vdev->config + off, len);
	else
		memset(data, 0, len);
}

static void virtio_mmio_access(struct vm_device *dev, uint64_t offset, uint8_t *data, unsigned len,
			       bool is_write)
{
	struct virtio_mmio *vdev = to_virtio_mmio(dev);

	if (len == 0 || len > 8 || offset >= VIRTIO_MMIO_SIZE || len > VIRTIO_MMIO_SIZE - offset) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		config_access(vdev, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
	} else if (len != 4 || (offset & 3)) {
		/* Registers are 32-bit only (spec 4.2.2.2): other widths do nothing. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		uint32_t v;
		memcpy(&v, data, 4);
		reg_write(vdev, offset, le32toh(v));
	} else {
		uint32_t v = htole32(reg_read(vdev, offset));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static void virtio_mmio_destroy(struct vm_device *dev)
{
	virtio_mmio_free(to_virtio_mmio(dev));
}

int virtio_mmio_init(struct virtio_mmio *vdev, const struct vm_device_env *env, const char *name,
		     const struct virtio_dev_ops *ops, uint64_t features, unsigned nqueues,
		     void *config, size_t config_len, struct husk_err **err)
{
	if (nqueues > ARRAY_SIZE(vdev->queues))
		return husk_err_set(err, EINVAL, "%s: too many queues", name);
	vdev->dev.name = name;
	vdev->dev.mmio_base = env->mmio_base;
	vdev->dev.mmio_size = VIRTIO_MMIO_SIZE;
	vdev->dev.irq = env->irq;
	vdev->dev.mmio = virtio_mmio_access;
	vdev->dev.destroy = virtio_mmio_destroy;
	vdev->ops = ops;
	vdev->env = *env;
	vdev->host_features = features | BIT64(VIRTIO_F_VERSION_1);
	vdev->nqueues = nqueues;
	vdev->queue_num_max = VIRTQ_MAX_SIZE;
	vdev->config = config;
	vdev->config_len = config_len;
	for (unsigned q = 0; q < ARRAY_SIZE(vdev->doorbells); q++)
		vdev->doorbells[q].fd = -1;
	vdev->chain = malloc(sizeof(*vdev->chain));
	if (!vdev->chain)
		return husk_err_set(err, ENOMEM, "%s: allocate chain", name);
	pthread_mutex_init(&vdev->lock, NULL);
	return 0;
}

void virtio_mmio_free(struct virtio_mmio *vdev)
{
	if (!vdev)
		return;
	doorbells_release(vdev);
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev);
	pthread_mutex_destroy(&vdev->lock);
	free(vdev->chain);
	free(vdev);
}
