/* bzImage, Linux x86 boot protocol >= 2.12, entered at the 64-bit entry
 * (load address + 0x200) with %rsi pointing at the zero page.  The real-mode
 * setup code is not loaded: only its header, copied into the zero page. */
#include <errno.h>
#include <string.h>

#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"

#define ENTRY64_OFFSET 0x200

static const struct setup_header *header(const uint8_t *head)
{
	return (const struct setup_header *)(head + SETUP_HDR_OFFSET);
}

bool boot_is_bzimage(const uint8_t *head, size_t len)
{
	if (len < SETUP_HDR_OFFSET + sizeof(struct setup_header))
		return len >= 0x206 && header(head)->header == SETUP_HDR_MAGIC;
	return header(head)->header == SETUP_HDR_MAGIC;
}

/* The header ends where its jump instruction lands: 0x202 + the jump's byte. */
static size_t header_len(const struct setup_header *h)
{
	size_t end = 0x202 + (h->jump >> 8);
	size_t len = end - SETUP_HDR_OFFSET;
	return len < sizeof(*h) ? len : sizeof(*h);
}

int boot_bzimage_load(struct vm *vm, int fd, uint64_t file_size, const uint8_t *head,
		      struct husk_err **err)
{
	const struct setup_header *h = header(head);
	if (file_size < SETUP_HDR_OFFSET + sizeof(*h))
		return husk_err_set(err, ENOEXEC, "bzImage truncated: %llu bytes",
				    (unsigned long long)file_size);
	if (h->boot_flag != SETUP_BOOT_FLAG)
		return husk_err_set(err, ENOEXEC, "bzImage: bad boot flag %#x", h->boot_flag);
	if (h->version < BOOT_PROTO_MIN)
		return husk_err_set(
		    err, ENOEXEC, "bzImage: boot protocol %u.%02u is too old (need 2.12 or later)",
		    h->version >> 8, h->version & 0xff);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return husk_err_set(err, ENOEXEC, "bzImage: no 64-bit entry (XLF_KERNEL_64 unset)");
	if (!(h->loadflags & LOADED_HIGH))
		return husk_err_set(err, ENOEXEC, "bzImage: not a high-loaded kernel (zImage)");

	uint64_t setup_size = ((uint64_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	uint64_t sys_size = (uint64_t)h->syssize * 16;
	if (file_size <= setup_size || file_size - setup_size < sys_size)
		return husk_err_set(
		    err, ENOEXEC, "bzImage truncated: header promises %llu bytes, file has %llu",
		    (unsigned long long)(setup_size + sys_size), (unsigned long long)file_size);
	uint64_t kernel_size = file_size - setup_size;
	uint64_t need = kernel_size > h->init_size ? kernel_size : h->init_size;
	if (LAYOUT_KERNEL + need > boot_low_ram_end(vm))
		return husk_err_set(err, ENOMEM,
				    "bzImage needs %llu KiB at %#llx to run; the VM has %llu MiB: "
				    "memory too small",
				    (unsigned long long)(need >> 10), LAYOUT_KERNEL,
				    (unsigned long long)(vm->mem_size >> 20));
	if (boot_read_into_guest(vm, fd, setup_size, LAYOUT_KERNEL, kernel_size, err) < 0)
		return husk_err_wrap(err, "bzImage");

	struct boot_params *zp = guest_mem_ptr(&vm->mem, LAYOUT_ZERO_PAGE, sizeof(*zp));
	if (!zp)
		return husk_err_set(err, ENOMEM, "no room for the zero page");
	memset(zp, 0, sizeof(*zp));
	memcpy(&zp->hdr, h, header_len(h));
	zp->hdr.code32_start = LAYOUT_KERNEL;
	vm->boot = (struct boot_info){
	    .mode = BOOT_LINUX64,
	    .entry = LAYOUT_KERNEL + ENTRY64_OFFSET,
	    .params = LAYOUT_ZERO_PAGE,
	    .kernel_end = LAYOUT_KERNEL + need,
	    .initrd_max = h->initrd_addr_max,
	    .cmdline_max = h->cmdline_size ? h->cmdline_size : 255,
	};
	if (vm->boot.cmdline_max > LAYOUT_CMDLINE_MAX - 1)
		vm->boot.cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}
