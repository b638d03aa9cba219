/* Kernel loading and the boot-time data both protocols share: format
 * sniffing, the initrd, the command line, the memory map, the boot GDT and
 * the identity page tables for the 64-bit entry.  The per-protocol parameter
 * blocks (zero page, PVH start_info) are filled in last, once the device
 * entries are on the command line. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"

#define PTE_P	 0x1ull
#define PTE_RW	 0x2ull
#define PTE_PS	 0x80ull
#define PD_PAGES 4 /* 4 x 512 x 2 MiB = 4 GiB */

uint64_t boot_low_ram_end(const struct vm *vm)
{
	return vm->mem.regions[0].size;
}

int boot_read_into_guest(struct vm *vm, int fd, uint64_t off, uint64_t gpa, uint64_t len,
			 struct husk_err **err)
{
	uint8_t *p = guest_mem_ptr(&vm->mem, gpa, len);
	if (!p)
		return husk_err_set(err, ENOSPC,
				    "%llu bytes at %#llx do not fit in %llu MiB of guest memory",
				    (unsigned long long)len, (unsigned long long)gpa,
				    (unsigned long long)(vm->mem_size >> 20));
	while (len) {
		ssize_t r = pread(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return husk_err_sys(err, "read");
		if (r == 0)
			return husk_err_set(err, EIO, "truncated: file ends at %llu bytes",
					    (unsigned long long)off);
		p += r;
		off += r;
		len -= r;
	}
	return 0;
}

int arch_load_kernel(struct vm *vm, struct husk_err **err)
{
	cleanup_fd int fd = open(vm->cfg->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "stat");
	if (!S_ISREG(st.st_mode))
		return husk_err_set(err, EINVAL, "not a regular file");
	uint8_t head[BOOT_HEAD_LEN] = {0};
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return husk_err_sys(err, "read");
	if (boot_is_elf(head, n))
		return boot_elf_load(vm, fd, st.st_size, err);
	if (boot_is_bzimage(head, n))
		return boot_bzimage_load(vm, fd, st.st_size, head, err);
	return husk_err_set(err, ENOEXEC,
			    "not a kernel image: neither ELF nor bzImage (no 'HdrS' setup "
			    "header at %#x)%s",
			    SETUP_HDR_OFFSET + 0x11, n < 0x264 ? ", file too short" : "");
}

unsigned boot_e820(const struct vm *vm, struct boot_e820_entry *out, unsigned max)
{
	struct boot_e820_entry all[4] = {
	    {0, LAYOUT_EBDA, E820_RAM},
	    {LAYOUT_EBDA, LAYOUT_HIGH_START - LAYOUT_EBDA, E820_RESERVED},
	    {LAYOUT_HIGH_START, boot_low_ram_end(vm) - LAYOUT_HIGH_START, E820_RAM},
	};
	unsigned n = 3;
	if (vm->mem.n > 1)
		all[n++] = (struct boot_e820_entry){vm->mem.regions[1].gpa, vm->mem.regions[1].size,
						    E820_RAM};
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

static void write_gdt(struct vm *vm)
{
	uint64_t *gdt = guest_mem_ptr(&vm->mem, LAYOUT_GDT, BOOT_GDT_ENTRIES * 8);
	memset(gdt, 0, BOOT_GDT_ENTRIES * 8);
	gdt[BOOT_GDT_CS / 8] =
	    vm->boot.mode == BOOT_LINUX64 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull;
	gdt[BOOT_GDT_DS / 8] = 0x00cf93000000ffffull;
	gdt[BOOT_GDT_TSS / 8] = 0x00008b0000000067ull;
	memset(guest_mem_ptr(&vm->mem, LAYOUT_IDT, 8), 0, 8);
}

/* Identity map of the low 4 GiB in 2 MiB pages, for the 64-bit entry. */
static void write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = guest_mem_ptr(&vm->mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_mem_ptr(&vm->mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_mem_ptr(&vm->mem, LAYOUT_PD, PD_PAGES * 4096);
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (unsigned i = 0; i < PD_PAGES; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096ull) | PTE_P | PTE_RW;
	for (uint64_t j = 0; j < PD_PAGES * 512ull; j++)
		pd[j] = (j << 21) | PTE_P | PTE_RW | PTE_PS;
}

static int load_initrd(struct vm *vm, struct husk_err **err)
{
	const char *path = vm->cfg->initrd;
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "initrd %s: open", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "initrd %s: stat", path);
	if (!S_ISREG(st.st_mode))
		return husk_err_set(err, EINVAL, "initrd %s: not a regular file", path);
	uint64_t size = st.st_size;
	uint64_t top = boot_low_ram_end(vm);
	if (vm->boot.initrd_max && vm->boot.initrd_max + 1 < top)
		top = vm->boot.initrd_max + 1;
	uint64_t kend = (vm->boot.kernel_end + 0xfff) & ~0xfffull;
	if (size > top || ((top - size) & ~0xfffull) < kend)
		return husk_err_set(err, ENOSPC,
				    "initrd %s: %llu bytes do not fit between the kernel (ends at "
				    "%#llx) and %#llx: give the VM more --memory",
				    path, (unsigned long long)size, (unsigned long long)kend,
				    (unsigned long long)top);
	uint64_t addr = (top - size) & ~0xfffull;
	if (boot_read_into_guest(vm, fd, 0, addr, size, err) < 0)
		return husk_err_wrap(err, "initrd %s", path);
	vm->boot.initrd_addr = addr;
	vm->boot.initrd_size = size;
	return 0;
}

static void write_pvh_start_info(struct vm *vm)
{
	uint8_t *page = guest_mem_ptr(&vm->mem, LAYOUT_PVH_INFO, 4096);
	memset(page, 0, 4096);
	struct hvm_start_info *si = (void *)page;
	struct hvm_modlist_entry *mod = (void *)(page + 0x40);
	struct hvm_memmap_table_entry *mm = (void *)(page + 0x80);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = LAYOUT_CMDLINE;
	if (vm->boot.initrd_size) {
		mod->paddr = vm->boot.initrd_addr;
		mod->size = vm->boot.initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = LAYOUT_PVH_INFO + 0x40;
	}
	struct boot_e820_entry e820[8];
	unsigned n = boot_e820(vm, e820, 8);
	for (unsigned i = 0; i < n; i++)
		mm[i] =
		    (struct hvm_memmap_table_entry){e820[i].addr, e820[i].size, e820[i].type, 0};
	si->memmap_paddr = LAYOUT_PVH_INFO + 0x80;
	si->memmap_entries = n;
}

static void write_zero_page(struct vm *vm)
{
	struct boot_params *zp = guest_mem_ptr(&vm->mem, LAYOUT_ZERO_PAGE, sizeof(*zp));
	zp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	zp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	zp->ext_cmd_line_ptr = (uint32_t)(LAYOUT_CMDLINE >> 32);
	zp->hdr.ramdisk_image = (uint32_t)vm->boot.initrd_addr;
	zp->ext_ramdisk_image = (uint32_t)(vm->boot.initrd_addr >> 32);
	zp->hdr.ramdisk_size = (uint32_t)vm->boot.initrd_size;
	zp->ext_ramdisk_size = (uint32_t)(vm->boot.initrd_size >> 32);
	zp->e820_entries = boot_e820(vm, zp->e820_table, E820_MAX_ZEROPAGE);
}

int arch_write_boot_params(struct vm *vm, struct husk_err **err)
{
	if (vm->cmdline_len > vm->boot.cmdline_max)
		return husk_err_set(
		    err, E2BIG, "kernel command line is %zu bytes; this kernel takes at most %u",
		    vm->cmdline_len, vm->boot.cmdline_max);
	memcpy(guest_mem_ptr(&vm->mem, LAYOUT_CMDLINE, vm->cmdline_len + 1), vm->cmdline,
	       vm->cmdline_len + 1);
	if (vm->cfg->initrd && load_initrd(vm, err) < 0)
		return -1;
	write_gdt(vm);
	if (vm->boot.mode == BOOT_LINUX64) {
		write_page_tables(vm);
		write_zero_page(vm);
	} else {
		write_pvh_start_info(vm);
	}
	return mptable_write(vm, err);
}
