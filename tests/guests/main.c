/* The test guest's ring-3 part: check what the boot protocol promised, poke
 * the legacy devices and the virtio-mmio devices, report one line per check
 * on COM1 and reset the machine through the i8042. */
#include "guest.h"
#include "vm-sandbox/x86/bootproto.h"
#include "vm-sandbox/x86/layout.h"

#define MIB (1024ull * 1024)

struct boot_view {
	const char *cmdline;
	struct boot_e820_entry e820[32];
	unsigned n_e820;
	uint64_t initrd, initrd_size;
};

extern char _image_start[], _image_end[];

static bool view_linux(const struct boot_params *zp, struct boot_view *v)
{
	const struct setup_header *h = &zp->hdr;
	check(h->header == SETUP_HDR_MAGIC && h->boot_flag == SETUP_BOOT_FLAG,
	      "zero page: setup header (HdrS, 0xaa55) copied from the image");
	checkf(h->type_of_loader == LOADER_TYPE_UNDEFINED, "zero page: type_of_loader set", "got",
	       h->type_of_loader);
	checkf(h->version >= BOOT_PROTO_MIN, "zero page: protocol version >= 2.12", "got",
	       h->version);
	uint64_t cmd = h->cmd_line_ptr | (uint64_t)zp->ext_cmd_line_ptr << 32;
	checkf(cmd != 0 && cmd < LAYOUT_HIGH_START, "zero page: cmd_line_ptr", "got", cmd);
	checkf(zp->e820_entries > 0 && zp->e820_entries <= E820_MAX_ZEROPAGE,
	       "zero page: e820 entries", "got", zp->e820_entries);
	v->cmdline = (const char *)cmd;
	v->n_e820 = zp->e820_entries < 32 ? zp->e820_entries : 32;
	memcpy(v->e820, zp->e820_table, v->n_e820 * sizeof(v->e820[0]));
	v->initrd = h->ramdisk_image | (uint64_t)zp->ext_ramdisk_image << 32;
	v->initrd_size = h->ramdisk_size | (uint64_t)zp->ext_ramdisk_size << 32;
	if (v->initrd_size)
		checkf(v->initrd + v->initrd_size - 1 <= h->initrd_addr_max,
		       "zero page: initrd below initrd_addr_max", "at", v->initrd);
	return cmd != 0;
}

static bool view_pvh(const struct hvm_start_info *si, struct boot_view *v)
{
	checkf(si->magic == HVM_START_MAGIC, "start_info: magic", "got", si->magic);
	checkf(si->version >= 1, "start_info: version >= 1 (has memmap)", "got", si->version);
	checkf(si->cmdline_paddr != 0, "start_info: cmdline_paddr", "got", si->cmdline_paddr);
	checkf(si->memmap_entries > 0 && si->memmap_paddr, "start_info: memmap", "entries",
	       si->memmap_entries);
	v->cmdline = (const char *)si->cmdline_paddr;
	const struct hvm_memmap_table_entry *mm = (const void *)si->memmap_paddr;
	v->n_e820 = si->memmap_entries < 32 ? si->memmap_entries : 32;
	for (unsigned i = 0; i < v->n_e820; i++)
		v->e820[i] = (struct boot_e820_entry){mm[i].addr, mm[i].size, mm[i].type};
	if (si->nr_modules) {
		const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
		v->initrd = m->paddr;
		v->initrd_size = m->size;
	}
	return si->cmdline_paddr != 0;
}

static bool e820_is(const struct boot_view *v, uint64_t a, uint64_t len, uint32_t type)
{
	for (unsigned i = 0; i < v->n_e820; i++)
		if (v->e820[i].type == type && a >= v->e820[i].addr &&
		    a + len <= v->e820[i].addr + v->e820[i].size)
			return true;
	return false;
}

static void check_e820(const struct boot_view *v)
{
	bool sorted = true;
	uint64_t ram = 0;
	for (unsigned i = 0; i < v->n_e820; i++) {
		if (i && v->e820[i].addr < v->e820[i - 1].addr + v->e820[i - 1].size)
			sorted = false;
		if (v->e820[i].type == E820_RAM)
			ram += v->e820[i].size;
	}
	check(sorted, "e820: sorted, no overlaps");
	check(e820_is(v, 0, 0x1000, E820_RAM), "e820: low memory is RAM");
	check(e820_is(v, (uint64_t)_image_start, _image_end - _image_start, E820_RAM),
	      "e820: the loaded image is in RAM");
	check(e820_is(v, LAYOUT_MPTABLE, 16, E820_RESERVED), "e820: MP table area reserved");
	size_t len;
	const char *mem = cmdline_get(v->cmdline, "husk.mem", &len);
	uint64_t mib;
	if (mem && parse_num(mem, len, &mib)) {
		uint64_t expect = mib * MIB - (LAYOUT_HIGH_START - LAYOUT_EBDA);
		checkf(ram == expect, "e820: RAM adds up to --memory less the BIOS area", "got",
		       ram);
	}
}

static void check_initrd(const struct boot_view *v)
{
	size_t len;
	const char *spec = cmdline_get(v->cmdline, "husk.initrd", &len);
	if (!spec) {
		check(v->initrd_size == 0, "initrd: none given, none announced");
		return;
	}
	const char *comma = spec;
	while (comma < spec + len && *comma != ',')
		comma++;
	uint64_t size = 0, sum = 0;
	bool parsed = parse_num(spec, comma - spec, &size) &&
		      parse_num(comma + 1, spec + len - comma - 1, &sum);
	check(parsed, "initrd: husk.initrd=SIZE,CKSUM on the cmdline");
	checkf(v->initrd_size == size, "initrd: size", "got", v->initrd_size);
	checkf((v->initrd & 0xfff) == 0 && e820_is(v, v->initrd, v->initrd_size, E820_RAM),
	       "initrd: page aligned, in RAM", "at", v->initrd);
	checkf(v->initrd >= (uint64_t)_image_end, "initrd: above the kernel image", "at",
	       v->initrd);
	uint32_t got = posix_cksum((const uint8_t *)v->initrd, v->initrd_size);
	checkf(got == sum, "initrd: contents match the file (cksum)", "got", got);
}

static void check_cpu(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	checkf(cs == 0x10, "cpu: entered with __BOOT_CS (0x10)", "cs", cs);
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max = r[0];
	cpuid(1, 0, r);
	check(r[2] & (1u << 31), "cpuid: hypervisor bit");
	checkf((r[1] >> 24) == 0, "cpuid: boot CPU has APIC id 0", "got", r[1] >> 24);
	check(!(r[2] & (1u << 15)), "cpuid: no PDCM (perf capabilities hidden)");
	if (max >= 0xa) {
		cpuid(0xa, 0, r);
		checkf(r[0] == 0, "cpuid: no architectural PMU (leaf 0xa)", "eax", r[0]);
	}
	cpuid(0x40000000, 0, r);
	check(r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d,
	      "cpuid: KVM signature at 0x40000000");
	uint32_t lint0 = mmio_read32(LAYOUT_LAPIC + 0x350);
	uint32_t lint1 = mmio_read32(LAYOUT_LAPIC + 0x360);
	checkf((lint0 & 0x700) == 0x700, "lapic: LINT0 is ExtINT", "lvt0", lint0);
	checkf((lint1 & 0x700) == 0x400, "lapic: LINT1 is NMI", "lvt1", lint1);
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static void check_mptable(const char *cmdline)
{
	const struct mpf_intel *mpf = 0;
	for (uint64_t a = 0xf0000; a < 0x100000; a += 16) {
		const struct mpf_intel *c = (const void *)a;
		if (c->signature == MPF_SIGNATURE && sum8((const void *)c, 16) == 0) {
			mpf = c;
			break;
		}
	}
	check(mpf != 0, "mptable: floating pointer in the BIOS area");
	if (!mpf)
		return;
	const struct mpc_table *mpc = (const void *)(uint64_t)mpf->physptr;
	check(mpc->signature == MPC_SIGNATURE && sum8((const void *)mpc, mpc->length) == 0,
	      "mptable: config table signature and checksum");
	unsigned cpus = 0, ioapics = 0, isa_irqs = 0;
	const uint8_t *p = (const uint8_t *)(mpc + 1), *end = (const uint8_t *)mpc + mpc->length;
	while (p < end) {
		switch (*p) {
		case MP_PROCESSOR:
			cpus++;
			p += sizeof(struct mpc_cpu);
			break;
		case MP_IOAPIC:
			if (((const struct mpc_ioapic *)p)->apicaddr == LAYOUT_IOAPIC)
				ioapics++;
			p += 8;
			break;
		case MP_INTSRC:
			isa_irqs++;
			p += 8;
			break;
		default:
			p += 8;
		}
	}
	size_t len;
	const char *c = cmdline_get(cmdline, "husk.cpus", &len);
	uint64_t want = 1;
	if (c)
		parse_num(c, len, &want);
	checkf(cpus == want, "mptable: one processor entry per vCPU", "got", cpus);
	check(ioapics == 1, "mptable: I/O APIC at 0xfec00000");
	checkf(isa_irqs == 16, "mptable: ISA IRQs 0-15 routed", "got", isa_irqs);
}

/* Bring up APIC id 1 as Linux does, with INIT and a startup IPI, into a
 * real-mode trampoline that sets a flag and halts: the monitor's secondary
 * vCPU exists, runs, and starts where the SIPI vector says. */
#define AP_TRAMPOLINE 0x8000ull
#define AP_FLAG	      0x8100ull
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310

static void check_ap(const char *cmdline)
{
	size_t len;
	uint64_t cpus = 1;
	const char *c = cmdline_get(cmdline, "husk.cpus", &len);
	if (!c || !parse_num(c, len, &cpus) || cpus < 2)
		return;
	/* movb $1, (0x8100); cli; hlt; jmp .-1 */
	static const uint8_t code[] = {0xc6, 0x06, 0x00, 0x81, 0x01, 0xfa, 0xf4, 0xeb, 0xfd};
	memcpy((void *)AP_TRAMPOLINE, code, sizeof(code));
	*(volatile uint8_t *)AP_FLAG = 0;
	mmio_write32(LAYOUT_LAPIC + LAPIC_ICR_HI, 1u << 24);
	mmio_write32(LAYOUT_LAPIC + LAPIC_ICR_LO, 0x4500); /* INIT, assert */
	mmio_write32(LAYOUT_LAPIC + LAPIC_ICR_HI, 1u << 24);
	mmio_write32(LAYOUT_LAPIC + LAPIC_ICR_LO, 0x4600 | (AP_TRAMPOLINE >> 12)); /* SIPI */
	bool up = false;
	for (unsigned spin = 0; spin < 200000 && !up; spin++) {
		up = *(volatile uint8_t *)AP_FLAG == 1;
		__asm__ volatile("pause");
	}
	check(up, "smp: APIC id 1 runs the SIPI trampoline after INIT/SIPI");
}

static void check_serial(const char *cmdline)
{
	check((inb(0x3fd) & 0x60) == 0x60, "serial: LSR says transmitter empty");
	outb(0x3ff, 0x5a);
	check(inb(0x3ff) == 0x5a, "serial: scratch register holds a byte");
	size_t len;
	const char *in = cmdline_get(cmdline, "husk.in", &len);
	if (!in)
		return;
	/* The console input is already queued when we run; allow for the I/O
	 * thread being late anyway. */
	size_t got = 0;
	bool match = true;
	for (unsigned spins = 0; got < len && spins < 20000; spins++) {
		if (!(inb(0x3fd) & 1))
			continue;
		if ((char)inb(0x3f8) != in[got])
			match = false;
		got++;
	}
	checkf(got == len && match, "serial: console input arrives on RBR", "bytes", got);
}

__attribute__((noreturn)) void guest_main(unsigned mode, void *info)
{
	print(mode == GUEST_MODE_PVH ? "husk-guest: PVH boot\n" : "husk-guest: 64-bit boot\n");
	struct boot_view v = {0};
	bool have_cmdline = mode == GUEST_MODE_PVH ? view_pvh(info, &v) : view_linux(info, &v);
	if (!have_cmdline)
		v.cmdline = "";
	check(cmdline_get(v.cmdline, "husk.guest", 0) != 0, "cmdline: husk.guest=1 delivered");
	print("# cmdline: ");
	print(v.cmdline);
	print("\n");
	check_e820(&v);
	check_initrd(&v);
	check_cpu();
	check_mptable(v.cmdline);
	check_ap(v.cmdline);
	check_serial(v.cmdline);
	virtio_checks(v.cmdline);
	print(checks_failed() ? "husk-guest: FAIL " : "husk-guest: PASS ");
	print_u64(checks_run() - checks_failed());
	print("/");
	print_u64(checks_run());
	print("\n");
	serial_flush();
	/* How to end: the i8042 reset (default), a triple fault, or never (for
	 * the monitor's signal handling). */
	size_t len;
	const char *end = cmdline_get(v.cmdline, "husk.end", &len);
	if (end && len == 6 && strncmp(end, "triple", 6) == 0)
		__asm__ volatile("ud2"); /* no IDT: #UD, #DF, shutdown */
	if (end && len == 4 && strncmp(end, "hang", 4) == 0)
		for (;;)
			__asm__ volatile("pause");
	guest_reset();
}
