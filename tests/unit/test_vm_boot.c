/* The x86 boot paths without KVM: bzImage and ELF loading (good images and
 * each way an image can be bad), the zero page / PVH start_info / e820 /
 * command line written for the guest, and the MP table.  Guest memory is a
 * plain anonymous mapping, as the monitor maps it; only the KVM ioctls are
 * left out (this file needs no /dev/kvm). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	char path[64];
};

static struct fixture *fixture_new(uint64_t mem_mib)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cfg.mem_mib = mem_mib;
	f->cfg.cpus = 2;
	f->vm.cfg = &f->cfg;
	f->vm.mem_size = mem_mib << 20;
	f->vm.ncpus = 2;
	f->vm.vm_fd = f->vm.kvm_fd = -1;
	struct husk_err *err = NULL;
	assert_int_equal(vm_memory_map(&f->vm, &err), 0);
	snprintf(f->path, sizeof(f->path), "/tmp/husk-test-vm-boot.XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	f->cfg.kernel = f->path;
	return f;
}

static void fixture_free(struct fixture *f)
{
	vm_memory_teardown(&f->vm);
	unlink(f->path);
	free(f);
}

static void write_image(struct fixture *f, const void *buf, size_t len)
{
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

/* Returns the error message (caller frees) or NULL on success. */
static char *load(struct fixture *f)
{
	struct husk_err *err = NULL;
	if (arch_load_kernel(&f->vm, &err) == 0)
		return NULL;
	assert_non_null(err);
	char *msg = strdup(err->msg);
	husk_err_free(&err);
	return msg;
}

static void assert_load_fails(struct fixture *f, const char *needle)
{
	char *msg = load(f);
	if (!msg)
		fail_msg("loaded, expected \"%s\"", needle);
	if (!strstr(msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", msg, needle);
	free(msg);
}

/* ---- bzImage ---- */

#define PAYLOAD 8192

static uint8_t *make_bzimage(size_t *len)
{
	size_t setup = 2 * 512;
	uint8_t *img = calloc(1, setup + PAYLOAD);
	struct setup_header *h = (void *)(img + SETUP_HDR_OFFSET);
	h->setup_sects = 1;
	h->syssize = PAYLOAD / 16;
	h->boot_flag = SETUP_BOOT_FLAG;
	h->jump = 0xeb | ((0x26c - 0x202) << 8);
	h->header = SETUP_HDR_MAGIC;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = XLF_KERNEL_64;
	h->cmdline_size = 2047;
	h->initrd_addr_max = 0x7fffffff;
	h->init_size = 0x10000;
	for (size_t i = 0; i < PAYLOAD; i++)
		img[setup + i] = (uint8_t)(i * 7);
	*len = setup + PAYLOAD;
	return img;
}

static void bzimage_loads_at_1m_with_zero_page(void **state)
{
	struct fixture *f = fixture_new(16);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	write_image(f, img, len);
	assert_null(load(f));
	assert_int_equal(f->vm.boot.mode, BOOT_LINUX64);
	assert_int_equal(f->vm.boot.entry, 0x100200);
	assert_int_equal(f->vm.boot.params, LAYOUT_ZERO_PAGE);
	assert_int_equal(f->vm.boot.cmdline_max, 2047);
	assert_memory_equal(guest_mem_ptr(&f->vm.mem, LAYOUT_KERNEL, PAYLOAD), img + 1024, PAYLOAD);
	const struct boot_params *zp = guest_mem_ptr(&f->vm.mem, LAYOUT_ZERO_PAGE, 4096);
	assert_int_equal(zp->hdr.header, SETUP_HDR_MAGIC);
	assert_int_equal(zp->hdr.version, 0x020f);
	assert_int_equal(zp->hdr.init_size, 0x10000);

	/* boot params after the command line is final */
	struct husk_err *err = NULL;
	assert_int_equal(vm_cmdline_append(&f->vm, "console=ttyS0 root=/dev/vda", &err), 0);
	assert_int_equal(arch_write_boot_params(&f->vm, &err), 0);
	assert_int_equal(zp->hdr.type_of_loader, LOADER_TYPE_UNDEFINED);
	assert_int_equal(zp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_string_equal(guest_mem_ptr(&f->vm.mem, LAYOUT_CMDLINE, 1),
			    "console=ttyS0 root=/dev/vda");
	assert_int_equal(zp->e820_entries, 3);
	assert_int_equal(zp->e820_table[0].addr, 0);
	assert_int_equal(zp->e820_table[0].size, LAYOUT_EBDA);
	assert_int_equal(zp->e820_table[1].type, E820_RESERVED);
	assert_int_equal(zp->e820_table[2].addr, LAYOUT_HIGH_START);
	assert_int_equal(zp->e820_table[2].addr + zp->e820_table[2].size, 16 << 20);
	assert_int_equal(zp->hdr.ramdisk_size, 0);
	/* the identity map covers 4 GiB with 2 MiB pages */
	const uint64_t *pd = guest_mem_ptr(&f->vm.mem, LAYOUT_PD, 4 * 4096);
	assert_int_equal(pd[2047], (2047ull << 21) | 0x83);
	free(img);
	fixture_free(f);
}

/* The image IMG (LEN bytes) does not load, with an error naming NEEDLE. */
static void assert_image_fails(struct fixture *f, const void *img, size_t len, const char *needle)
{
	write_image(f, img, len);
	assert_load_fails(f, needle);
}

static void bzimage_rejects_bad_headers(void **state)
{
	struct fixture *f = fixture_new(16);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	struct setup_header *h = (void *)(img + SETUP_HDR_OFFSET);

	h->version = 0x020b;
	assert_image_fails(f, img, len, "boot protocol 2.11 is too old");
	h->version = 0x020f;

	h->xloadflags = 0;
	assert_image_fails(f, img, len, "no 64-bit entry");
	h->xloadflags = XLF_KERNEL_64;

	assert_image_fails(f, img, len - 100, "bzImage truncated");

	h->init_size = 64 << 20;
	assert_image_fails(f, img, len, "memory too small");
	h->init_size = 0x10000;

	h->header = 0;
	assert_image_fails(f, img, len, "not a kernel image");

	assert_image_fails(f, "", 0, "not a kernel image");
	free(img);
	fixture_free(f);
}

static void cmdline_longer_than_kernel_allows(void **state)
{
	struct fixture *f = fixture_new(16);
	size_t len;
	uint8_t *img = make_bzimage(&len);
	((struct setup_header *)(img + SETUP_HDR_OFFSET))->cmdline_size = 10;
	write_image(f, img, len);
	assert_null(load(f));
	struct husk_err *err = NULL;
	assert_int_equal(vm_cmdline_append(&f->vm, "console=ttyS0", &err), 0);
	assert_true(arch_write_boot_params(&f->vm, &err) < 0);
	assert_non_null(strstr(err->msg, "takes at most 10"));
	husk_err_free(&err);
	free(img);
	fixture_free(f);
}

/* ---- ELF ---- */

struct elf_img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	struct {
		Elf64_Nhdr n;
		char name[4];
		uint32_t desc;
	} note;
	uint8_t text[256];
};

static void make_elf(struct elf_img *e, bool pvh)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_X86_64;
	e->eh.e_entry = 0x200040;
	e->eh.e_phoff = offsetof(struct elf_img, ph);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = pvh ? 2 : 1;
	e->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_offset = offsetof(struct elf_img, text),
				.p_paddr = 0x200000,
				.p_filesz = sizeof(e->text),
				.p_memsz = 0x3000};
	e->ph[1] = (Elf64_Phdr){.p_type = PT_NOTE,
				.p_offset = offsetof(struct elf_img, note),
				.p_filesz = sizeof(e->note)};
	e->note.n = (Elf64_Nhdr){.n_namesz = 4, .n_descsz = 4, .n_type = XEN_ELFNOTE_PHYS32_ENTRY};
	memcpy(e->note.name, "Xen", 4);
	e->note.desc = 0x200010;
	memset(e->text, 0x90, sizeof(e->text));
}

static void elf_with_pvh_note_boots_pvh(void **state)
{
	struct fixture *f = fixture_new(16);
	struct elf_img e;
	make_elf(&e, true);
	write_image(f, &e, sizeof(e));
	uint8_t *bss = guest_mem_ptr(&f->vm.mem, 0x200000 + sizeof(e.text), 16);
	memset(bss, 0xaa, 16);
	assert_null(load(f));
	assert_int_equal(f->vm.boot.mode, BOOT_PVH);
	assert_int_equal(f->vm.boot.entry, 0x200010);
	assert_int_equal(f->vm.boot.kernel_end, 0x203000);
	assert_int_equal(bss[0], 0); /* p_memsz beyond p_filesz is zeroed */

	struct husk_err *err = NULL;
	assert_int_equal(vm_cmdline_append(&f->vm, "x=1", &err), 0);
	assert_int_equal(arch_write_boot_params(&f->vm, &err), 0);
	const struct hvm_start_info *si = guest_mem_ptr(&f->vm.mem, LAYOUT_PVH_INFO, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, LAYOUT_CMDLINE);
	assert_int_equal(si->nr_modules, 0);
	assert_int_equal(si->memmap_entries, 3);
	const struct hvm_memmap_table_entry *mm =
	    guest_mem_ptr(&f->vm.mem, si->memmap_paddr, 3 * sizeof(*mm));
	assert_int_equal(mm[2].addr + mm[2].size, 16 << 20);
	fixture_free(f);
}

static void elf_without_note_takes_64bit_entry(void **state)
{
	struct fixture *f = fixture_new(16);
	struct elf_img e;
	make_elf(&e, false);
	write_image(f, &e, sizeof(e));
	assert_null(load(f));
	assert_int_equal(f->vm.boot.mode, BOOT_LINUX64);
	assert_int_equal(f->vm.boot.entry, 0x200040);
	const struct boot_params *zp = guest_mem_ptr(&f->vm.mem, LAYOUT_ZERO_PAGE, 4096);
	assert_int_equal(zp->hdr.header, SETUP_HDR_MAGIC);
	assert_int_equal(zp->hdr.boot_flag, SETUP_BOOT_FLAG);
	fixture_free(f);
}

static void elf_rejects_bad_images(void **state)
{
	struct fixture *f = fixture_new(16);
	struct elf_img e;

	make_elf(&e, true);
	assert_image_fails(f, &e, sizeof(e) - 100, "ELF truncated");

	make_elf(&e, true);
	e.ph[0].p_paddr = 0x1000;
	assert_image_fails(f, &e, sizeof(e), "below 1 MiB");

	make_elf(&e, true);
	e.ph[0].p_paddr = 15 << 20;
	e.ph[0].p_memsz = 2 << 20;
	assert_image_fails(f, &e, sizeof(e), "memory too small");

	make_elf(&e, true);
	e.eh.e_machine = EM_AARCH64;
	assert_image_fails(f, &e, sizeof(e), "not a 64-bit x86 kernel");

	make_elf(&e, false);
	e.eh.e_entry = 0x900000;
	assert_image_fails(f, &e, sizeof(e), "outside the image");

	make_elf(&e, true);
	e.eh.e_phnum = 500;
	assert_image_fails(f, &e, sizeof(e), "bad program header table");
	fixture_free(f);
}

/* ---- memory map, MP table ---- */

static void e820_splits_around_the_hole(void **state)
{
	struct fixture *f = fixture_new(4096);
	struct boot_e820_entry e[8];
	unsigned n = boot_e820(&f->vm, e, 8);
	assert_int_equal(n, 4);
	assert_int_equal(e[2].addr + e[2].size, LAYOUT_HOLE_START);
	assert_int_equal(e[3].addr, LAYOUT_HOLE_END);
	assert_int_equal(e[3].size, 4096ull * 1024 * 1024 - LAYOUT_HOLE_START);
	fixture_free(f);
}

static uint8_t sum(const void *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += ((const uint8_t *)p)[i];
	return s;
}

static void mptable_lists_cpus_ioapic_and_irqs(void **state)
{
	struct fixture *f = fixture_new(16);
	f->vm.ncpus = 5;
	struct husk_err *err = NULL;
	assert_int_equal(mptable_write(&f->vm, &err), 0);
	const struct mpf_intel *mpf = guest_mem_ptr(&f->vm.mem, LAYOUT_MPTABLE, 16);
	assert_int_equal(mpf->signature, MPF_SIGNATURE);
	assert_int_equal(sum(mpf, 16), 0);
	const struct mpc_table *mpc = guest_mem_ptr(&f->vm.mem, mpf->physptr, sizeof(*mpc));
	assert_int_equal(mpc->signature, MPC_SIGNATURE);
	assert_int_equal(sum(mpc, mpc->length), 0);
	const uint8_t *p = (const uint8_t *)(mpc + 1), *end = (const uint8_t *)mpc + mpc->length;
	unsigned cpus = 0, bsp = 0, ioapic = 0, irqs = 0, lints = 0;
	while (p < end) {
		if (*p == MP_PROCESSOR) {
			const struct mpc_cpu *c = (const void *)p;
			assert_int_equal(c->apicid, cpus);
			bsp += (c->cpuflag & 2) != 0;
			cpus++;
			p += sizeof(*c);
			continue;
		}
		if (*p == MP_IOAPIC) {
			const struct mpc_ioapic *io = (const void *)p;
			assert_int_equal(io->apicaddr, LAYOUT_IOAPIC);
			assert_int_equal(io->apicid, 5); /* after the CPUs' ids */
			ioapic++;
		}
		irqs += *p == MP_INTSRC;
		lints += *p == MP_LINTSRC;
		p += 8;
	}
	assert_int_equal(cpus, 5);
	assert_int_equal(bsp, 1);
	assert_int_equal(ioapic, 1);
	assert_int_equal(irqs, 16);
	assert_int_equal(lints, 2);
	fixture_free(f);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(bzimage_loads_at_1m_with_zero_page),
	  cmocka_unit_test(bzimage_rejects_bad_headers),
	  cmocka_unit_test(cmdline_longer_than_kernel_allows),
	  cmocka_unit_test(elf_with_pvh_note_boots_pvh),
	  cmocka_unit_test(elf_without_note_takes_64bit_entry),
	  cmocka_unit_test(elf_rejects_bad_images), cmocka_unit_test(e820_splits_around_the_hole),
	  cmocka_unit_test(mptable_lists_cpus_ioapic_and_irqs))
