/* virtio-mmio devices from the config: one window and one GSI each, an
 * irqfd per GSI for the device's interrupt, and a "virtio_mmio.device="
 * entry per device on the kernel command line.  The transport registers its
 * own QueueNotify ioeventfds with env.vm_fd and watches them on env.loop. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

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

static int add_device(struct vm *vm, enum dev_kind kind, const char *spec, bool optional,
		      struct husk_err **err)
{
	unsigned idx = vm->bus.n;
	if (idx >= LAYOUT_MMIO_MAX || LAYOUT_IRQ_FIRST + idx > 15)
		return husk_err_set(err, ENOSPC, "too many devices (at most %d)",
				    16 - LAYOUT_IRQ_FIRST);
	struct vm_device_env env = {
		.mem = &vm->mem,
		.mmio_base = LAYOUT_MMIO_BASE + idx * LAYOUT_MMIO_STRIDE,
		.irq = LAYOUT_IRQ_FIRST + idx,
		.vm_fd = vm->vm_fd,
		.loop = vm->loop,
		.irq_raise = irq_raise,
		.irq_ctx = vm,
	};
	struct husk_err *derr = NULL;
	struct vm_device *dev = construct(vm, kind, spec, &env, &derr);
	if (!dev) {
		if (optional && derr && derr->errnum == ENOSYS) {
			husk_err_free(&derr);
			return 0;
		}
		*err = derr;
		return -1;
	}
	dev->mmio_base = env.mmio_base;
	dev->irq = env.irq;
	if (mmio_bus_add(&vm->bus, dev, err) < 0) {
		if (dev->destroy)
			dev->destroy(dev);
		return -1;
	}
	if (irqfd_setup(vm, env.irq, err) < 0)
		return husk_err_wrap(err, "%s", dev->name);
	char entry[80];
	snprintf(entry, sizeof(entry), "virtio_mmio.device=%#llx@%#llx:%u",
		 (unsigned long long)dev->mmio_size, (unsigned long long)dev->mmio_base, dev->irq);
	return vm_cmdline_append(vm, entry, err);
}

int vm_devices_setup(struct vm *vm, struct husk_err **err)
{
	const struct vm_config *c = vm->cfg;
	vm->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (vm->null_fd < 0)
		return husk_err_sys(err, "open /dev/null");
	for (unsigned i = 0; i < c->n_disks; i++)
		if (add_device(vm, DEV_BLK, c->disks[i], false, err) < 0)
			return husk_err_wrap(err, "--disk %s", c->disks[i]);
	for (unsigned i = 0; i < c->n_nets; i++)
		if (add_device(vm, DEV_NET, c->nets[i], false, err) < 0)
			return husk_err_wrap(err, "--net %s", c->nets[i]);
	if (c->vsock && add_device(vm, DEV_VSOCK, c->vsock, false, err) < 0)
		return husk_err_wrap(err, "--vsock %s", c->vsock);
	if (add_device(vm, DEV_CONSOLE, NULL, true, err) < 0)
		return husk_err_wrap(err, "virtio console");
	if (add_device(vm, DEV_RNG, NULL, true, err) < 0)
		return husk_err_wrap(err, "virtio rng");
	return 0;
}

void vm_devices_teardown(struct vm *vm)
{
	mmio_bus_destroy(&vm->bus);
	for (unsigned i = 0; i < ARRAY_SIZE(vm->irqfds); i++)
		if (vm->irqfds[i] >= 0)
			close(vm->irqfds[i]);
}
