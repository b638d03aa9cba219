/* The MMIO bus: a short list of device windows.  A microVM has a handful of
 * devices, so a linear scan beats anything cleverer. */
#include <errno.h>

#include "vm-sandbox/vm_internal.h"

int mmio_bus_add(struct mmio_bus *bus, struct vm_device *dev, struct husk_err **err)
{
	if (bus->n >= VM_MMIO_DEVICES_MAX)
		return husk_err_set(err, ENOSPC, "too many MMIO devices (max %d)",
				    VM_MMIO_DEVICES_MAX);
	for (unsigned i = 0; i < bus->n; i++) {
		const struct vm_device *d = bus->devs[i];
		if (dev->mmio_base < d->mmio_base + d->mmio_size &&
		    d->mmio_base < dev->mmio_base + dev->mmio_size)
			return husk_err_set(err, EEXIST, "%s overlaps %s on the MMIO bus",
					    dev->name, d->name);
	}
	bus->devs[bus->n++] = dev;
	return 0;
}

bool mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data, unsigned len,
		     bool is_write)
{
	for (unsigned i = 0; i < bus->n; i++) {
		struct vm_device *d = bus->devs[i];
		if (addr >= d->mmio_base && addr - d->mmio_base < d->mmio_size) {
			uint64_t off = addr - d->mmio_base;
			if (len > d->mmio_size - off)
				return false;
			d->mmio(d, off, data, len, is_write);
			return true;
		}
	}
	return false;
}

void mmio_bus_destroy(struct mmio_bus *bus)
{
	for (unsigned i = bus->n; i-- > 0;)
		if (bus->devs[i]->destroy)
			bus->devs[i]->destroy(bus->devs[i]);
	bus->n = 0;
}
