/* ELF vmlinux: loaded by its program headers at their physical addresses.
 * With a PVH note (XEN_ELFNOTE_PHYS32_ENTRY) the kernel is entered in 32-bit
 * protected mode with %ebx = hvm_start_info; without one, at e_entry in
 * 64-bit mode with a zero page, as for a bzImage. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"

#define MAX_PHDRS	    64
#define MAX_NOTES	    (64 * 1024)
#define ELF_INITRD_ADDR_MAX 0x7fffffffu /* what a bzImage of the same kernel says */

bool boot_is_elf(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off, const char *what,
		      struct husk_err **err)
{
	ssize_t r = pread(fd, buf, len, off);
	if (r < 0)
		return husk_err_sys(err, "ELF: read %s", what);
	if ((size_t)r != len)
		return husk_err_set(err, ENOEXEC, "ELF truncated: %s at %llu runs past the end",
				    what, (unsigned long long)off);
	return 0;
}

/* Returns the PVH entry, or 0 when the notes have none. */
static uint64_t pvh_entry(const uint8_t *notes, size_t len)
{
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *n = (const void *)(notes + off);
		size_t name_off = off + sizeof(*n);
		size_t desc_off = name_off + ((n->n_namesz + 3) & ~3u);
		size_t next = desc_off + ((n->n_descsz + 3) & ~3u);
		if (next > len || next <= off)
			return 0;
		if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
		    memcmp(notes + name_off, "Xen", 4) == 0) {
			if (n->n_descsz == 4) {
				uint32_t e;
				memcpy(&e, notes + desc_off, 4);
				return e;
			}
			if (n->n_descsz == 8) {
				uint64_t e;
				memcpy(&e, notes + desc_off, 8);
				return e;
			}
		}
		off = next;
	}
	return 0;
}

static int load_segment(struct vm *vm, int fd, uint64_t file_size, const Elf64_Phdr *ph,
			struct husk_err **err)
{
	if (ph->p_filesz > ph->p_memsz)
		return husk_err_set(err, ENOEXEC, "ELF: segment file size exceeds memory size");
	if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
		return husk_err_set(err, ENOEXEC,
				    "ELF truncated: segment at offset %llu (+%llu) runs past the "
				    "end (%llu bytes)",
				    (unsigned long long)ph->p_offset,
				    (unsigned long long)ph->p_filesz,
				    (unsigned long long)file_size);
	if (ph->p_paddr < LAYOUT_HIGH_START)
		return husk_err_set(err, ENOEXEC, "ELF: segment at %#llx is below 1 MiB",
				    (unsigned long long)ph->p_paddr);
	uint8_t *p = guest_mem_ptr(&vm->mem, ph->p_paddr, ph->p_memsz);
	if (!p)
		return husk_err_set(err, ENOMEM,
				    "ELF segment %#llx+%#llx does not fit in %llu MiB: memory too "
				    "small",
				    (unsigned long long)ph->p_paddr,
				    (unsigned long long)ph->p_memsz,
				    (unsigned long long)(vm->mem_size >> 20));
	if (boot_read_into_guest(vm, fd, ph->p_offset, ph->p_paddr, ph->p_filesz, err) < 0)
		return husk_err_wrap(err, "ELF segment");
	memset(p + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	uint64_t end = ph->p_paddr + ph->p_memsz;
	if (end > vm->boot.kernel_end)
		vm->boot.kernel_end = end;
	return 0;
}

/* What Linux's startup_64 reads from a zero page a bzImage would have filled. */
static void minimal_zero_page(struct vm *vm)
{
	struct boot_params *zp = guest_mem_ptr(&vm->mem, LAYOUT_ZERO_PAGE, sizeof(*zp));
	memset(zp, 0, sizeof(*zp));
	zp->hdr.boot_flag = SETUP_BOOT_FLAG;
	zp->hdr.header = SETUP_HDR_MAGIC;
	zp->hdr.version = BOOT_PROTO_MIN;
	zp->hdr.loadflags = LOADED_HIGH;
	zp->hdr.kernel_alignment = 0x1000000;
	zp->hdr.cmdline_size = LAYOUT_CMDLINE_MAX - 1;
	zp->hdr.initrd_addr_max = ELF_INITRD_ADDR_MAX;
}

int boot_elf_load(struct vm *vm, int fd, uint64_t file_size, struct husk_err **err)
{
	Elf64_Ehdr eh;
	if (read_exact(fd, &eh, sizeof(eh), 0, "header", err) < 0)
		return -1;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return husk_err_set(err, ENOEXEC, "ELF: not a 64-bit x86 kernel");
	if (eh.e_type != ET_EXEC)
		return husk_err_set(err, ENOEXEC, "ELF: not an executable (type %u)", eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS)
		return husk_err_set(err, ENOEXEC, "ELF: bad program header table (%u x %u)",
				    eh.e_phnum, eh.e_phentsize);
	Elf64_Phdr ph[MAX_PHDRS];
	if (read_exact(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff, "program headers", err) < 0)
		return -1;

	vm->boot = (struct boot_info){.cmdline_max = LAYOUT_CMDLINE_MAX - 1};
	uint64_t entry32 = 0;
	unsigned loads = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz) {
			if (load_segment(vm, fd, file_size, &ph[i], err) < 0)
				return -1;
			loads++;
		} else if (ph[i].p_type == PT_NOTE && !entry32 && ph[i].p_filesz <= MAX_NOTES) {
			cleanup_free uint8_t *notes = xmalloc(ph[i].p_filesz + 1);
			if (read_exact(fd, notes, ph[i].p_filesz, ph[i].p_offset, "notes", err) < 0)
				return -1;
			entry32 = pvh_entry(notes, ph[i].p_filesz);
		}
	}
	if (!loads)
		return husk_err_set(err, ENOEXEC, "ELF: no loadable segment");
	if (entry32) {
		vm->boot.mode = BOOT_PVH;
		vm->boot.entry = entry32;
		vm->boot.params = LAYOUT_PVH_INFO;
	} else {
		vm->boot.mode = BOOT_LINUX64;
		vm->boot.entry = eh.e_entry;
		vm->boot.params = LAYOUT_ZERO_PAGE;
		vm->boot.initrd_max = ELF_INITRD_ADDR_MAX;
		minimal_zero_page(vm);
	}
	bool inside = false;
	for (unsigned i = 0; i < eh.e_phnum && !inside; i++)
		inside = ph[i].p_type == PT_LOAD && vm->boot.entry >= ph[i].p_paddr &&
			 vm->boot.entry - ph[i].p_paddr < ph[i].p_memsz;
	if (!inside)
		return husk_err_set(err, ENOEXEC, "ELF: entry point %#llx is outside the image",
				    (unsigned long long)vm->boot.entry);
	return 0;
}
