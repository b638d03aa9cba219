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

static void raise_irq(struct virtio_mmio *vm, uint32_t why)
{
	vm->interrupt_status |= why;
	if (vm->env.irq_raise)
		vm->env.irq_raise(vm->env.irq_ctx, vm->env.irq);
}

void virtio_mmio_device_error(struct virtio_mmio *vm)
{
	if (vm->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vm->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vm->status & VIRTIO_STATUS_DRIVER_OK)
		raise_irq(vm, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_notify_used(struct virtio_mmio *vm, struct virtq *vq)
{
	if (virtq_should_notify(vq))
		raise_irq(vm, VIRTIO_MMIO_INT_VRING);
}

struct virtq *virtio_queue(struct virtio_mmio *vm, unsigned q)
{
	if (q >= vm->nqueues || !(vm->status & VIRTIO_STATUS_DRIVER_OK) ||
	    (vm->status & VIRTIO_STATUS_NEEDS_RESET))
		return NULL;
	struct virtq *vq = &vm->queues[q];
	return vq->ready && !vq->broken ? vq : NULL;
}

int virtio_mmio_watch(struct virtio_mmio *vm, int fd, uint32_t events, vm_event_cb cb, void *arg,
		      struct husk_err **err)
{
	if (!vm->env.loop)
		return 0;
	return vm_event_loop_add(vm->env.loop, fd, events, cb, arg, err);
}

void virtio_mmio_unwatch(struct virtio_mmio *vm, int fd)
{
	if (vm->env.loop && fd >= 0)
		vm_event_loop_del(vm->env.loop, fd);
}

void virtio_mmio_poll(struct vm_device *dev)
{
	struct virtio_mmio *vm = to_virtio_mmio(dev);
	pthread_mutex_lock(&vm->lock);
	if (vm->ops->poll && (vm->status & VIRTIO_STATUS_DRIVER_OK))
		vm->ops->poll(vm);
	pthread_mutex_unlock(&vm->lock);
}

static void queue_kick(struct virtio_mmio *vm, unsigned q)
{
	if (!virtio_queue(vm, q))
		return; /* notify before ready / before DRIVER_OK: nothing to do */
	vm->ops->queue_notify(vm, q);
	/* A handler that met a hostile chain left the queue broken. */
	if (vm->queues[q].broken)
		virtio_mmio_device_error(vm);
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
static void doorbell_register(struct virtio_mmio *vm, unsigned q)
{
	struct virtio_doorbell *db = &vm->doorbells[q];
	if (db->fd >= 0 || vm->env.vm_fd < 0 || !vm->env.loop)
		return;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return;
	struct kvm_ioeventfd req = {
	    .datamatch = q,
	    .addr = vm->env.mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	if (ioctl(vm->env.vm_fd, KVM_IOEVENTFD, &req) < 0) {
		close(fd);
		return;
	}
	struct husk_err *err = NULL;
	db->dev = vm;
	db->queue = q;
	db->fd = fd;
	if (vm_event_loop_add(vm->env.loop, fd, EPOLLIN, doorbell_rang, db, &err) < 0) {
		/* KVM keeps signalling an fd nobody reads; unregister it. */
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ioctl(vm->env.vm_fd, KVM_IOEVENTFD, &req);
		close(fd);
		db->fd = -1;
		husk_err_free(&err);
	}
}

/* The ioeventfds stay registered with KVM until the VM fd closes (a device
 * lives as long as its VM; deassigning would cost a grace period each). */
static void doorbells_release(struct virtio_mmio *vm)
{
	for (unsigned q = 0; q < ARRAY_SIZE(vm->doorbells); q++) {
		struct virtio_doorbell *db = &vm->doorbells[q];
		if (db->fd < 0)
			continue;
		virtio_mmio_unwatch(vm, db->fd);
		close(db->fd);
		db->fd = -1;
	}
}

static void device_reset(struct virtio_mmio *vm)
{
	if (vm->ops->reset)
		vm->ops->reset(vm);
	for (unsigned q = 0; q < vm->nqueues; q++)
		virtq_reset(&vm->queues[q]);
	vm->guest_features = 0;
	vm->host_features_sel = vm->guest_features_sel = 0;
	vm->queue_sel = 0;
	vm->status = 0;
	vm->interrupt_status = 0;
}

static bool features_ok(const struct virtio_mmio *vm)
{
	return !(vm->guest_features & ~vm->host_features) &&
	       (vm->guest_features & BIT64(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio *vm, uint32_t val)
{
	if (val == 0) {
		device_reset(vm);
		return;
	}
	uint32_t old = vm->status;
	val &= 0xff & ~VIRTIO_STATUS_NEEDS_RESET;
	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !features_ok(vm))
		val &= ~VIRTIO_STATUS_FEATURES_OK;
	/* DRIVER_OK without accepted features is a driver bug: refuse it. */
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !(val & VIRTIO_STATUS_FEATURES_OK))
		val &= ~VIRTIO_STATUS_DRIVER_OK;
	vm->status = val | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((val & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) &&
	    vm->ops->driver_ok)
		vm->ops->driver_ok(vm);
}

static struct virtq *selected_queue(struct virtio_mmio *vm)
{
	return vm->queue_sel < vm->nqueues ? &vm->queues[vm->queue_sel] : NULL;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffull) | val;
}

static void queue_ready(struct virtio_mmio *vm, struct virtq *vq, uint32_t val)
{
	if (!val) {
		vq->ready = false;
		return;
	}
	/* Rings are set up after feature negotiation (spec 3.1.1): before it,
	 * whether descriptors may be indirect is not settled yet. */
	if (vq->ready || !(vm->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	if (virtq_activate(vq, vm->env.mem, virtio_has_feature(vm, VIRTIO_RING_F_INDIRECT_DESC),
			   virtio_has_feature(vm, VIRTIO_RING_F_EVENT_IDX)) < 0) {
		virtio_mmio_device_error(vm);
		return;
	}
	doorbell_register(vm, (unsigned)(vq - vm->queues));
}

static void reg_write(struct virtio_mmio *vm, uint64_t off, uint32_t val)
{
	struct virtq *vq = selected_queue(vm);
	bool queue_writable = vq && !vq->ready;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vm->host_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if ((vm->status & VIRTIO_STATUS_FEATURES_OK) || vm->guest_features_sel > 1)
			break;
		set_half(&vm->guest_features, vm->guest_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vm->guest_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vm->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (queue_writable)
			vq->num = val > 0xffff ? 0 : (uint16_t)val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (vq)
			queue_ready(vm, vq, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_kick(vm, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vm->interrupt_status &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(vm, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (queue_writable)
			set_half(&vq->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (queue_writable)
			set_half(&vq->avail_gpa, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (queue_writable)
			set_half(&vq->used_gpa, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	default:
		break; /* read-only or unknown register: ignored */
	}
}

static uint32_t reg_read(struct virtio_mmio *vm, uint64_t off)
{
	struct virtq *vq = selected_queue(vm);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION_REG:
		return VIRTIO_MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return vm->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (vm->host_features_sel > 1)
			return 0;
		return (uint32_t)(vm->host_features >> (32 * vm->host_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vm->queue_num_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return vq ? vq->num : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vm->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return vm->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vm->config_generation;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return vq ? (uint32_t)vq->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return vq ? (uint32_t)vq->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return vq ? (uint32_t)vq->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	default:
		return 0;
	}
}

static void config_access(struct virtio_mmio *vm, uint64_t off, uint8_t *data, unsigned len,
			  bool is_write)
{
	bool inside = off < vm->config_len && len <= vm->config_len - off;
	if (is_write) {
		if (inside && vm->ops->config_write)
			vm->ops->config_write(vm, off, data, len);
		return;
	}
	if (inside)
		memcpy(data, vm->config + off, len);
	else
		memset(data, 0, len);
}

static void virtio_mmio_access(struct vm_device *dev, uint64_t offset, uint8_t *data, unsigned len,
			       bool is_write)
{
	struct virtio_mmio *vm = to_virtio_mmio(dev);

	if (len == 0 || len > 8 || offset >= VIRTIO_MMIO_SIZE || len > VIRTIO_MMIO_SIZE - offset) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		config_access(vm, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
	} else if (len != 4 || (offset & 3)) {
		/* Registers are 32-bit only (spec 4.2.2.2): other widths do nothing. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		uint32_t v;
		memcpy(&v, data, 4);
		reg_write(vm, offset, le32toh(v));
	} else {
		uint32_t v = htole32(reg_read(vm, offset));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&vm->lock);
}

static void virtio_mmio_destroy(struct vm_device *dev)
{
	virtio_mmio_free(to_virtio_mmio(dev));
}

int virtio_mmio_init(struct virtio_mmio *vm, const struct vm_device_env *env, const char *name,
		     const struct virtio_dev_ops *ops, uint64_t features, unsigned nqueues,
		     void *config, size_t config_len, struct husk_err **err)
{
	if (nqueues > ARRAY_SIZE(vm->queues))
		return husk_err_set(err, EINVAL, "%s: too many queues", name);
	vm->dev.name = name;
	vm->dev.mmio_base = env->mmio_base;
	vm->dev.mmio_size = VIRTIO_MMIO_SIZE;
	vm->dev.irq = env->irq;
	vm->dev.mmio = virtio_mmio_access;
	vm->dev.destroy = virtio_mmio_destroy;
	vm->ops = ops;
	vm->env = *env;
	vm->host_features = features | BIT64(VIRTIO_F_VERSION_1);
	vm->nqueues = nqueues;
	vm->queue_num_max = VIRTQ_MAX_SIZE;
	vm->config = config;
	vm->config_len = config_len;
	for (unsigned q = 0; q < ARRAY_SIZE(vm->doorbells); q++)
		vm->doorbells[q].fd = -1;
	vm->chain = malloc(sizeof(*vm->chain));
	if (!vm->chain)
		return husk_err_set(err, ENOMEM, "%s: allocate chain", name);
	pthread_mutex_init(&vm->lock, NULL);
	return 0;
}

void virtio_mmio_free(struct virtio_mmio *vm)
{
	if (!vm)
		return;
	doorbells_release(vm);
	if (vm->ops->destroy)
		vm->ops->destroy(vm);
	pthread_mutex_destroy(&vm->lock);
	free(vm->chain);
	free(vm);
}
