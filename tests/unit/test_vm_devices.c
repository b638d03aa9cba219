/* The monitor's own device models and CPU description, without KVM: the
 * 8250 UART's registers as Linux's 8250 driver uses them, the MMIO bus, and
 * CPUID normalization.  (The IRQ line of the UART goes to KVM_IRQ_LINE on a
 * VM fd of -1 here: the ioctl fails harmlessly; the level logic is checked
 * through IIR, which is what drives the line.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/cpuid.h"
#include "vm-sandbox/x86/serial.h"

enum { THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct uart {
	struct vm vm;
	struct serial *s;
	int out[2];
};

static struct uart *uart_new(void)
{
	struct uart *u = calloc(1, sizeof(*u));
	u->vm.vm_fd = -1;
	assert_int_equal(pipe(u->out), 0);
	struct husk_err *err = NULL;
	assert_int_equal(serial_create(&u->vm, -1, u->out[1], &u->s, &err), 0);
	return u;
}

static void uart_free(struct uart *u)
{
	serial_destroy(u->s);
	close(u->out[0]);
	close(u->out[1]);
	free(u);
}

static uint8_t rd(struct uart *u, unsigned reg)
{
	uint8_t v = 0;
	serial_io(u->s, reg, &v, false);
	return v;
}

static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	serial_io(u->s, reg, &v, true);
}

static void uart_transmits_and_reports_empty(void **state)
{
	struct uart *u = uart_new();
	assert_int_equal(rd(u, LSR) & 0x60, 0x60);
	wr(u, THR, 'h');
	wr(u, THR, 'i');
	char buf[2];
	assert_int_equal(read(u->out[0], buf, 2), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(rd(u, LSR) & 0x61, 0x60); /* nothing received */
	wr(u, SCR, 0xa5);
	assert_int_equal(rd(u, SCR), 0xa5);
	uart_free(u);
}

static void uart_divisor_latch(void **state)
{
	struct uart *u = uart_new();
	wr(u, LCR, 0x83); /* DLAB, 8n1 */
	wr(u, THR, 0x01); /* DLL */
	wr(u, IER, 0x00); /* DLM */
	assert_int_equal(rd(u, THR), 0x01);
	wr(u, LCR, 0x03);
	assert_int_equal(rd(u, LCR), 0x03);
	/* the divisor write went to DLL, not out of the transmitter */
	fcntl(u->out[0], F_SETFL, O_NONBLOCK);
	char c;
	assert_int_equal(read(u->out[0], &c, 1), -1);
	wr(u, THR, 'x'); /* with DLAB clear, offset 0 is THR again */
	assert_int_equal(read(u->out[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	uart_free(u);
}

static void uart_thr_empty_interrupt(void **state)
{
	struct uart *u = uart_new();
	assert_int_equal(rd(u, IIR) & 0x0f, 0x01); /* none pending */
	wr(u, IER, 0x02);			   /* ETBEI: fires at once, THR is empty */
	assert_int_equal(rd(u, IIR) & 0x0f, 0x02);
	assert_int_equal(rd(u, IIR) & 0x0f, 0x01); /* reading IIR cleared it */
	wr(u, THR, 'a');
	assert_int_equal(rd(u, IIR) & 0x0f, 0x02); /* again after a byte went out */
	wr(u, IIR, 0x01);			   /* FCR: FIFO on */
	assert_int_equal(rd(u, IIR) & 0xc0, 0xc0);
	char c;
	assert_int_equal(read(u->out[0], &c, 1), 1);
	uart_free(u);
}

static void uart_loopback_receives(void **state)
{
	struct uart *u = uart_new();
	wr(u, MCR, 0x10 | 0x0b); /* loop, OUT2, RTS, DTR */
	assert_int_equal(rd(u, MSR) & 0xf0, 0x80 | 0x10 | 0x20);
	wr(u, IER, 0x01);
	wr(u, THR, 'z');
	assert_int_equal(rd(u, LSR) & 0x01, 0x01);
	assert_int_equal(rd(u, IIR) & 0x0f, 0x04); /* received data available */
	assert_int_equal(rd(u, THR), 'z');
	assert_int_equal(rd(u, LSR) & 0x01, 0);
	assert_int_equal(rd(u, IIR) & 0x0f, 0x01);
	uart_free(u);
}

/* ---- MMIO bus ---- */

static unsigned hits;
static uint64_t last_off;
static void dev_mmio(struct vm_device *d, uint64_t off, uint8_t *data, unsigned len, bool w)
{
	hits++;
	last_off = off;
	if (!w)
		memset(data, 0x5a, len);
}

static void mmio_bus_dispatches_and_refuses_overlap(void **state)
{
	struct mmio_bus bus = {0};
	struct vm_device a = {
	    .name = "a", .mmio_base = 0xd0000000, .mmio_size = 0x200, .mmio = dev_mmio};
	struct vm_device b = {
	    .name = "b", .mmio_base = 0xd0000100, .mmio_size = 0x200, .mmio = dev_mmio};
	struct vm_device c = {
	    .name = "c", .mmio_base = 0xd0001000, .mmio_size = 0x200, .mmio = dev_mmio};
	struct husk_err *err = NULL;
	assert_int_equal(mmio_bus_add(&bus, &a, &err), 0);
	assert_true(mmio_bus_add(&bus, &b, &err) < 0);
	assert_non_null(strstr(err->msg, "overlaps"));
	husk_err_free(&err);
	assert_int_equal(mmio_bus_add(&bus, &c, &err), 0);
	uint8_t data[4] = {0};
	hits = 0;
	assert_true(mmio_bus_access(&bus, 0xd0001070, data, 4, false));
	assert_int_equal(last_off, 0x70);
	assert_int_equal(data[0], 0x5a);
	assert_false(mmio_bus_access(&bus, 0xd0000200, data, 4, false)); /* the gap */
	assert_false(mmio_bus_access(&bus, 0xd00001fe, data, 4, false)); /* straddles the end */
	assert_int_equal(hits, 1);
}

/* ---- the device registry ---- */

/* The registrations come with the device files; a unit test links libhusk.a
 * as an archive, so it names each device file's constructor to pull it in. */
static void *const device_files[] __attribute__((used)) = {
    (void *)virtio_blk_create,	   (void *)virtio_net_create, (void *)virtio_vsock_create,
    (void *)virtio_console_create, (void *)virtio_rng_create, (void *)virtio_fs_create,
};

static int plan(struct vm *vm, const struct vm_config *cfg, struct husk_err **err)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	return vm_devices_plan(vm, err);
}

static void registry_places_every_instance_in_order(void **state)
{
	char dir[] = "/tmp/husk-vmdev.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char disk[64];
	snprintf(disk, sizeof(disk), "%s/disk", dir);
	close(open(disk, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	struct vm_config cfg = {.n_disks = 1,
				.n_console_ports = 2,
				.console_ports = {{-1, 1}, {0, -1}},
				.n_fs_shares = 1,
				.fs_shares = {{.tag = "root", .path = dir}}};
	cfg.disks[0] = disk;
	struct vm *vm = calloc(1, sizeof(*vm));
	struct husk_err *err = NULL;
	assert_int_equal(plan(vm, &cfg, &err), 0);
	/* blk, console x2 (hvc0, hvc1), rng, fs: windows and GSIs in that order. */
	assert_int_equal(vm->n_slots, 5);
	const char *names[] = {"virtio-blk", "virtio-console", "virtio-console", "virtio-rng",
			       "virtio-fs"};
	for (unsigned i = 0; i < 5; i++) {
		assert_string_equal(vm->slots[i].type->name, names[i]);
		assert_int_equal(vm->slots[i].gsi, 5 + i);
		char entry[64];
		snprintf(entry, sizeof(entry), "virtio_mmio.device=0x200@%#llx:%u",
			 0xd0000000ull + 0x1000ull * i, 5 + i);
		assert_non_null(strstr(vm->cmdline, entry));
	}
	assert_int_equal(vm->slots[2].index, 1); /* the second console port */
	/* No ports: one console still (output only). */
	cfg.n_console_ports = 0;
	assert_int_equal(plan(vm, &cfg, &err), 0);
	assert_int_equal(vm->n_slots, 4);
	/* A missing disk fails at plan time, naming the option and the path. */
	cfg.disks[0] = "/nonexistent/husk.img";
	assert_true(plan(vm, &cfg, &err) < 0);
	assert_non_null(strstr(err->msg, "--disk /nonexistent/husk.img"));
	husk_err_free(&err);
	/* More devices than GSIs: a clear error. */
	cfg.disks[0] = disk;
	cfg.n_console_ports = VM_MAX_CONSOLE_PORTS;
	cfg.n_disks = VM_MAX_DISKS;
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		cfg.disks[i] = disk;
	assert_true(plan(vm, &cfg, &err) < 0);
	assert_non_null(strstr(err->msg, "too many devices"));
	husk_err_free(&err);
	free(vm);
	unlink(disk);
	rmdir(dir);
}

/* ---- CPUID ---- */

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void cpuid_is_normalized_per_vcpu(void **state)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
	c->nent = 7;
	c->entries[0] = (struct kvm_cpuid_entry2){
	    .function = 1, .eax = 0x806c1, .ebx = 0xff0800ab, .ecx = 0x7ffafbff, .edx = 0xbfebfbff};
	c->entries[1] = (struct kvm_cpuid_entry2){.function = 4, .index = 0, .eax = 0xfc004121};
	c->entries[2] = (struct kvm_cpuid_entry2){.function = 4, .index = 3, .eax = 0xfc03c163};
	c->entries[3] = (struct kvm_cpuid_entry2){.function = 0xa, .eax = 0x07300805, .edx = 0x603};
	c->entries[4] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 0, .eax = 1, .ebx = 2};
	c->entries[5] = (struct kvm_cpuid_entry2){.function = 0xb, .index = 1, .eax = 4, .ebx = 16};
	c->entries[6] = (struct kvm_cpuid_entry2){.function = 0x80000001, .ecx = 0x00800121};
	cpuid_normalize(c, 3, 4);
	struct kvm_cpuid_entry2 *e = find(c, 1, 0);
	assert_true(e->ecx & (1u << 31));  /* hypervisor */
	assert_false(e->ecx & (1u << 15)); /* PDCM */
	assert_int_equal(e->ebx >> 24, 3); /* initial APIC id */
	assert_int_equal((e->ebx >> 16) & 0xff, 4);
	assert_int_equal(e->ebx & 0xffff, 0x00ab);
	assert_int_equal(find(c, 4, 0)->eax >> 26, 3);
	assert_int_equal((find(c, 4, 0)->eax >> 14) & 0xfff, 0); /* L1 not shared */
	assert_int_equal((find(c, 4, 3)->eax >> 14) & 0xfff, 3); /* L3 shared by all */
	e = find(c, 0xa, 0);
	assert_int_equal(e->eax | e->ebx | e->ecx | e->edx, 0); /* no PMU */
	assert_int_equal(find(c, 0xb, 0)->edx, 3);		/* x2APIC id */
	assert_int_equal(find(c, 0xb, 0)->ebx, 1);
	assert_int_equal(find(c, 0xb, 1)->ebx, 4);
	assert_int_equal(find(c, 0xb, 1)->eax, 2);
	assert_false(find(c, 0x80000001, 0)->ecx & (1u << 23)); /* AMD core perf counters */
	cpuid_normalize(c, 0, 1);
	assert_false(find(c, 1, 0)->edx & (1u << 28)); /* no HTT with one vCPU */
	free(c);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(uart_transmits_and_reports_empty),
	  cmocka_unit_test(uart_divisor_latch), cmocka_unit_test(uart_thr_empty_interrupt),
	  cmocka_unit_test(uart_loopback_receives),
	  cmocka_unit_test(mmio_bus_dispatches_and_refuses_overlap),
	  cmocka_unit_test(registry_places_every_instance_in_order),
	  cmocka_unit_test(cpuid_is_normalized_per_vcpu))
