/* The virtio-mmio devices the config asks for: every registered device type
 * (VM_DEVICE_TYPE, vm_device.h) says how many instances it wants; each
 * instance gets a window and a GSI from the arch (arch_mmio_slot), an irqfd
 * for its interrupt, and a "virtio_mmio.device=" entry on the kernel command
 * line.  Doorbells are the transport's (virtio/virtio_mmio.c). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

#define VIRTIO_MMIO_WINDOW 0x200

/* Weak: a unit test that links libhusk.a as an archive may pull this file in
 * without any device file; the section is then empty, and so is the list. */
extern const struct vm_device_type *const __start_husk_vm_devices[] __attribute__((weak));
extern const struct vm_device_type *const __stop_husk_vm_devices[] __attribute__((weak));

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
	if (gsi >= ARRAY_SIZE(vm->irqfds))
		return husk_err_set(err, EINVAL, "GSI %u out of range", gsi);
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

static int by_order(const void *a, const void *b)
{
	const struct vm_device_type *x = *(const struct vm_device_type *const *)a;
	const struct vm_device_type *y = *(const struct vm_device_type *const *)b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void describe(const struct vm_device_slot *s, const struct vm_config *cfg, char *buf,
		     size_t len)
{
	const char *arg = s->type->describe ? s->type->describe(cfg, s->index) : NULL;
	snprintf(buf, len, "%s%s%s", s->type->option, arg ? " " : "", arg ? arg : "");
}

/* The instance list is fixed by the config, so the command line can name
 * every window before any device exists: the devices themselves are created
 * on the I/O thread while the boot vCPU already runs.  A vCPU that reaches a
 * window first waits for them (vm_devices_wait). */
int vm_devices_plan(struct vm *vm, struct husk_err **err)
{
	size_t ntypes = __stop_husk_vm_devices - __start_husk_vm_devices;
	const struct vm_device_type **types = xcalloc(ntypes ? ntypes : 1, sizeof(*types));
	memcpy(types, __start_husk_vm_devices, ntypes * sizeof(*types));
	qsort(types, ntypes, sizeof(*types), by_order);
	int ret = 0;
	vm->n_slots = 0;
	for (size_t t = 0; t < ntypes && ret == 0; t++) {
		unsigned n = types[t]->count(vm->cfg);
		for (unsigned i = 0; i < n && ret == 0; i++) {
			if (vm->n_slots == ARRAY_SIZE(vm->slots)) {
				ret = husk_err_set(err, ENOSPC, "too many devices (at most %zu)",
						   ARRAY_SIZE(vm->slots));
				break;
			}
			struct vm_device_slot *s = &vm->slots[vm->n_slots];
			s->type = types[t];
			s->index = i;
			if (arch_mmio_slot(vm->n_slots, &s->mmio_base, &s->gsi) < 0) {
				ret = husk_err_set(err, ENOSPC,
						   "too many devices: no window or interrupt left "
						   "for %s (%u devices fit)",
						   types[t]->name, vm->n_slots);
				break;
			}
			vm->n_slots++;
			if (types[t]->check && types[t]->check(vm->cfg, i, err) < 0) {
				char what[160];
				describe(s, vm->cfg, what, sizeof(what));
				ret = husk_err_wrap(err, "%s", what);
				break;
			}
			char entry[80];
			snprintf(entry, sizeof(entry), "virtio_mmio.device=%#x@%#llx:%u",
				 VIRTIO_MMIO_WINDOW, (unsigned long long)s->mmio_base, s->gsi);
			ret = vm_cmdline_append(vm, entry, err);
		}
	}
	free(types);
	return ret;
}

static int create(struct vm *vm, const struct vm_device_slot *s, struct husk_err **err)
{
	struct vm_device_env env = {
	    .mem = &vm->mem,
	    .mmio_base = s->mmio_base,
	    .irq = s->gsi,
	    .vm_fd = vm->vm_fd,
	    .loop = vm->loop,
	    .irq_raise = irq_raise,
	    .irq_ctx = vm,
	};
	if (irqfd_setup(vm, env.irq, err) < 0)
		return -1;
	struct vm_device *dev = s->type->create(&env, vm->cfg, s->index, err);
	if (!dev)
		return -1;
	dev->mmio_base = env.mmio_base;
	dev->irq = env.irq;
	if (dev->mmio_size > VIRTIO_MMIO_WINDOW) {
		husk_err_set(err, EINVAL, "%s: window of %#llx bytes, the command line says %#x",
			     dev->name, (unsigned long long)dev->mmio_size, VIRTIO_MMIO_WINDOW);
		dev->destroy(dev);
		return -1;
	}
	if (mmio_bus_add(&vm->bus, dev, err) < 0) {
		dev->destroy(dev);
		return -1;
	}
	return 0;
}

int vm_devices_create(struct vm *vm, struct husk_err **err)
{
	int ret = 0;
	for (unsigned i = 0; i < vm->n_slots && ret == 0; i++) {
		pthread_mutex_lock(&vm->bus_lock);
		ret = create(vm, &vm->slots[i], err);
		pthread_mutex_unlock(&vm->bus_lock);
		if (ret < 0) {
			char what[160];
			describe(&vm->slots[i], vm->cfg, what, sizeof(what));
			husk_err_wrap(err, "%s", what);
		}
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
	for (unsigned i = 0; i < ARRAY_SIZE(vm->irqfds); i++)
		if (vm->irqfds[i] >= 0)
			close(vm->irqfds[i]);
}
