/* virtio-mmio devices from the config: one window and one GSI each, an
 * irqfd per GSI for the device's interrupt, ioeventfds on QueueNotify so a
 * guest kick costs the vCPU no trip through the monitor, and a
 * "virtio_mmio.device=" entry per device on the kernel command line.  The
 * device models leave the doorbells to the core (vm_device.h). */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

#define VIRTIO_MMIO_WINDOW       0x200
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x50

struct vm_notify {
	struct vm_device *dev;
	uint32_t queue;
};

/* The guest's QueueNotify write, replayed on the I/O thread exactly as the
 * vCPU would have delivered it. */
static void on_notify(void *arg, int fd, uint32_t events)
{
	struct vm_notify *n = arg;
	uint64_t cnt;
	if (read(fd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	uint8_t data[4];
	memcpy(data, &n->queue, sizeof(data));
	n->dev->mmio(n->dev, VIRTIO_MMIO_QUEUE_NOTIFY, data, sizeof(data), true);
}

static int ioeventfds_setup(struct vm *vm, struct vm_device *dev, struct husk_err **err)
{
	for (uint32_t q = 0; q < VM_NOTIFY_QUEUES_PER_DEV; q++) {
		if (vm->n_ioeventfds >= ARRAY_SIZE(vm->ioeventfds))
			return 0;
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return husk_err_sys(err, "ioeventfd");
		struct kvm_ioeventfd req = {
		    .datamatch = q,
		    .addr = dev->mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY,
		    .len = 4,
		    .fd = fd,
		    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &req) < 0) {
			int e = errno;
			close(fd);
			return husk_err_set(err, e, "KVM_IOEVENTFD for %s queue %u", dev->name, q);
		}
		vm->ioeventfds[vm->n_ioeventfds++] = fd;
		struct vm_notify *n = xcalloc(1, sizeof(*n));
		n->dev = dev;
		n->queue = q;
		vm->notifies[vm->n_notifies++] = n;
		if (vm_event_loop_add(vm->loop, fd, EPOLLIN, on_notify, n, err) < 0)
			return -1;
	}
	return 0;
}

static void irq_raise(void *ctx, unsigned irq)
{
	struct vm *vm = ctx;
	if (irq < ARRAY_SIZE(vm->irqfds) && vm->irqfds[irq] >= 0) {
		uint64_t one = 1;
		if (write(vm->irqfds[irq], &one, sizeof(one)) == sizeof(one))
			return;
	}
	/* No irqfd: an edge by hand. */
	vm_irq_line(vm, irq, 1);
	vm_irq_line(vm, irq, 0);
}

static int irqfd_setup(struct vm *vm, unsigned gsi, struct husk_err **err)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return husk_err_sys(err, "irqfd for GSI %u", gsi);
	struct kvm_irqfd req = {.fd = fd, .gsi = gsi};
	if (ioctl(vm->vm_fd, KVM_IRQFD, &req) < 0) {
		int e = errno;
		close(fd);
		return husk_err_set(err, e, "KVM_IRQFD GSI %u", gsi);
	}
	vm->irqfds[gsi] = fd;
	return 0;
}

enum dev_kind { DEV_BLK, DEV_NET, DEV_VSOCK, DEV_CONSOLE, DEV_RNG };

static struct vm_device *construct(struct vm *vm, enum dev_kind kind, const char *spec,
				   const struct vm_device_env *env, struct husk_err **err)
{
	switch (kind) {
	case DEV_BLK:
		return virtio_blk_create(env, spec, err);
	case DEV_NET:
		return virtio_net_create(env, spec, err);
	case DEV_VSOCK:
		return virtio_vsock_create(env, spec, err);
	case DEV_CONSOLE:
		/* Output only: the UART owns the console input (ttyS0). */
		return virtio_console_create(env, -1, vm->out_fd >= 0 ? vm->out_fd : vm->null_fd,
					     err);
	case DEV_RNG:
		return virtio_rng_create(env, err);
	}
	return NULL;
}

/* The device list is fixed by the config, so the command line can name every
 * window before any device exists: the devices themselves are created on the
 * I/O thread while the boot vCPU already runs (their ioeventfd registrations
 * each wait for a KVM SRCU grace period, milliseconds on a busy host).  A
 * vCPU that reaches a window first waits for them (vm_devices_wait). */
struct planned {
	enum dev_kind kind;
	const char *spec;
	const char *what; /* for errors: "--disk PATH" */
};

static unsigned plan(const struct vm_config *c, struct planned *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->n_disks; i++)
		out[n++] = (struct planned){DEV_BLK, c->disks[i], "--disk"};
	for (unsigned i = 0; i < c->n_nets; i++)
		out[n++] = (struct planned){DEV_NET, c->nets[i], "--net"};
	if (c->vsock)
		out[n++] = (struct planned){DEV_VSOCK, c->vsock, "--vsock"};
	out[n++] = (struct planned){DEV_CONSOLE, NULL, "virtio console"};
	out[n++] = (struct planned){DEV_RNG, NULL, "virtio rng"};
	return n;
}

/* What can be checked without creating the device: the disk image exists
 * and can be opened as asked, so a typo fails before the guest starts. */
static int precheck(const struct planned *p, struct husk_err **err)
{
	if (p->kind != DEV_BLK)
		return 0;
	const char *comma = strchr(p->spec, ',');
	size_t len = comma ? (size_t)(comma - p->spec) : strlen(p->spec);
	char path[4096];
	if (len >= sizeof(path))
		return husk_err_set(err, ENAMETOOLONG, "--disk: path too long");
	memcpy(path, p->spec, len);
	path[len] = '\0';
	bool ro = comma && strcmp(comma, ",ro") == 0;
	if (access(path, ro ? R_OK : R_OK | W_OK) < 0)
		return husk_err_sys(err, "--disk %s", p->spec);
	return 0;
}

int vm_devices_plan(struct vm *vm, struct husk_err **err)
{
	vm->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (vm->null_fd < 0)
		return husk_err_sys(err, "open /dev/null");
	struct planned p[LAYOUT_MMIO_MAX + 8];
	unsigned n = plan(vm->cfg, p);
	if (n > LAYOUT_MMIO_MAX || LAYOUT_IRQ_FIRST + n > 16)
		return husk_err_set(err, ENOSPC, "too many devices: %u (at most %d)", n,
				    16 - LAYOUT_IRQ_FIRST);
	for (unsigned i = 0; i < n; i++) {
		if (precheck(&p[i], err) < 0)
			return -1;
		char entry[80];
		snprintf(entry, sizeof(entry), "virtio_mmio.device=%#x@%#llx:%u",
			 VIRTIO_MMIO_WINDOW, LAYOUT_MMIO_BASE + i * LAYOUT_MMIO_STRIDE,
			 LAYOUT_IRQ_FIRST + i);
		if (vm_cmdline_append(vm, entry, err) < 0)
			return -1;
	}
	return 0;
}

static int create(struct vm *vm, const struct planned *p, unsigned idx, struct husk_err **err)
{
	struct vm_device_env env = {
	    .mem = &vm->mem,
	    .mmio_base = LAYOUT_MMIO_BASE + idx * LAYOUT_MMIO_STRIDE,
	    .irq = LAYOUT_IRQ_FIRST + idx,
	    .vm_fd = vm->vm_fd,
	    .loop = vm->loop,
	    .irq_raise = irq_raise,
	    .irq_ctx = vm,
	};
	if (irqfd_setup(vm, env.irq, err) < 0)
		return -1;
	struct vm_device *dev = construct(vm, p->kind, p->spec, &env, err);
	if (!dev)
		return -1;
	dev->mmio_base = env.mmio_base;
	dev->irq = env.irq;
	if (dev->mmio_size > VIRTIO_MMIO_WINDOW || mmio_bus_add(&vm->bus, dev, err) < 0) {
		husk_err_set(err, EINVAL, "%s: window of %#llx bytes, the command line says %#x",
			     dev->name, (unsigned long long)dev->mmio_size, VIRTIO_MMIO_WINDOW);
		if (dev->destroy)
			dev->destroy(dev);
		return -1;
	}
	/* On the bus now: the teardown destroys it if the doorbells fail. */
	return ioeventfds_setup(vm, dev, err);
}

int vm_devices_create(struct vm *vm, struct husk_err **err)
{
	struct planned p[LAYOUT_MMIO_MAX + 8];
	unsigned n = plan(vm->cfg, p);
	int ret = 0;
	for (unsigned i = 0; i < n && ret == 0; i++) {
		pthread_mutex_lock(&vm->bus_lock);
		ret = create(vm, &p[i], i, err);
		pthread_mutex_unlock(&vm->bus_lock);
		if (ret < 0)
			husk_err_wrap(err, "%s%s%s", p[i].what, p[i].spec ? " " : "",
				      p[i].spec ? p[i].spec : "");
	}
	pthread_mutex_lock(&vm->bus_lock);
	atomic_store(&vm->devices_ready, true);
	pthread_cond_broadcast(&vm->bus_ready);
	pthread_mutex_unlock(&vm->bus_lock);
	return ret;
}

void vm_devices_wait(struct vm *vm)
{
	if (atomic_load(&vm->devices_ready))
		return;
	pthread_mutex_lock(&vm->bus_lock);
	while (!atomic_load(&vm->devices_ready))
		pthread_cond_wait(&vm->bus_ready, &vm->bus_lock);
	pthread_mutex_unlock(&vm->bus_lock);
}

void vm_devices_teardown(struct vm *vm)
{
	mmio_bus_destroy(&vm->bus);
	for (unsigned i = 0; i < vm->n_ioeventfds; i++)
		close(vm->ioeventfds[i]);
	for (unsigned i = 0; i < vm->n_notifies; i++)
		free(vm->notifies[i]);
	for (unsigned i = 0; i < ARRAY_SIZE(vm->irqfds); i++)
		if (vm->irqfds[i] >= 0)
			close(vm->irqfds[i]);
}
