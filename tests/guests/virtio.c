/* virtio-mmio, driven from ring 3 as Linux's virtio_mmio driver would. */
#include "guest.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */

void virtio_checks(const char *cmdline)
{
	const char *p = cmdline;
	size_t len;
	while ((p = cmdline_get(p, "virtio_mmio.device", &len))) {
		/* SIZE@BASE:IRQ */
		const char *at = p;
		while (at < p + len && *at != '@')
			at++;
		const char *colon = at;
		while (colon < p + len && *colon != ':')
			colon++;
		uint64_t base = 0;
		bool ok = at < p + len && parse_num(at + 1, colon - at - 1, &base);
		check(ok, "virtio: cmdline entry SIZE@BASE:IRQ parses");
		if (ok) {
			checkf(mmio_read32(base) == VIRTIO_MMIO_MAGIC, "virtio: magic value", "at",
			       base);
			checkf(mmio_read32(base + 4) == 2, "virtio: version 2 (virtio 1.x)", "at",
			       base);
		}
		p += len;
	}
}
