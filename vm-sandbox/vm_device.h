/* The boundary between the monitor core (the .c files in vm-sandbox/ and x86/) and the device
 * models (vm-sandbox/virtio/).  The core owns guest memory, the vCPUs, the
 * event loop and the MMIO bus; a device owns its registers and backends.
 *
 * Device types register themselves (VM_DEVICE_TYPE below); the core creates
 * the instances the config asks for, places each on the MMIO bus at
 * env->mmio_base with env->irq, and adds "virtio_mmio.device=SIZE@BASE:IRQ" to
 * the kernel cmdline.  In unit tests, a test driver plays the core: it gives a
 * malloc'd guest_mem, an irq_raise that counts, and vm_fd = -1. */
#ifndef HUSK_VM_DEVICE_H
#define HUSK_VM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* ---- guest memory ---- */

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_mem_region regions[4];
	unsigned n;
};

/* Host pointer for guest range [gpa, gpa+len), or NULL if any byte of it lies
 * outside guest RAM (or the range wraps).  The one gate every device uses. */
static inline void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->hva + off;
	}
	return 0;
}

/* ---- event loop (one I/O thread in the core) ---- */

struct vm_event_loop;
typedef void (*vm_event_cb)(void *arg, int fd, uint32_t events);
/* Watch fd for EPOLLIN (events as epoll).  Callbacks run on the I/O thread. */
int vm_event_loop_add(struct vm_event_loop *loop, int fd, uint32_t events, vm_event_cb cb,
		      void *arg, struct husk_err **err);
int vm_event_loop_del(struct vm_event_loop *loop, int fd);

/* ---- devices ---- */

struct vm_device_env {
	const struct guest_mem *mem;
	uint64_t mmio_base; /* where the core placed the device */
	unsigned irq;	    /* GSI */
	/* KVM VM fd; -1 in unit tests.  The virtio-mmio transport registers a
	 * QueueNotify ioeventfd per queue on it when the driver readies the queue. */
	int vm_fd;
	struct vm_event_loop *loop; /* NULL in unit tests: devices then work synchronously */
	/* Assert the device's edge interrupt (the core uses an irqfd). */
	void (*irq_raise)(void *ctx, unsigned irq);
	void *irq_ctx;
};

struct vm_device {
	const char *name; /* "virtio-blk", ... */
	uint64_t mmio_base;
	uint64_t mmio_size; /* 0x200 for virtio-mmio */
	unsigned irq;
	/* A vCPU's access to [mmio_base, mmio_base+mmio_size).  offset is relative.
	 * Called from vCPU threads: the device does its own locking. */
	void (*mmio)(struct vm_device *dev, uint64_t offset, uint8_t *data, unsigned len,
		     bool is_write);
	void (*destroy)(struct vm_device *dev);
};

/* ---- device types: each device file registers one ----
 *
 * A device file describes itself with VM_DEVICE_TYPE(); the core (devices.c)
 * walks the registered types, asks each how many instances the config wants,
 * and gives every instance a window, a GSI and a command-line entry.  Adding
 * a device touches only its own file.  Queue counts are not the core's
 * business: the transport registers a doorbell per queue the driver readies.
 *
 * The registrations live in a linker section, so they exist in binaries that
 * link libhusk.a whole (husk itself).  Unit tests link it as a plain archive
 * and call a device's constructor directly (virtio/virtio.h). */
struct vm_config;

struct vm_device_type {
	const char *name;   /* "virtio-blk" */
	const char *option; /* what asks for it, for errors: "--disk" */
	/* Place on the bus, lowest first.  Fixed, so the guest's names (vda,
	 * eth0, hvc0) follow the config order whatever the link order. */
	unsigned order;
	unsigned (*count)(const struct vm_config *cfg);
	/* Optional: instance i's argument, for errors ("disk.img,ro"). */
	const char *(*describe)(const struct vm_config *cfg, unsigned i);
	/* Optional: what can be checked before the guest starts (the disk image
	 * exists), so a typo fails before the first KVM_RUN. */
	int (*check)(const struct vm_config *cfg, unsigned i, struct husk_err **err);
	/* Runs on the I/O thread while the boot vCPU may already run. */
	struct vm_device *(*create)(const struct vm_device_env *env, const struct vm_config *cfg,
				    unsigned i, struct husk_err **err);
};

#define VM_DEVICE_TYPE(sym, ...)                                                                   \
	static const struct vm_device_type sym = __VA_ARGS__;                                      \
	static const struct vm_device_type *const sym##_registration                               \
	    __attribute__((used, section("husk_vm_devices"))) = &sym

#endif
