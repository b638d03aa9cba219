/* The MP table (MPS 1.4) for guests without ACPI: one entry per vCPU, the
 * ISA bus, the I/O APIC, identity routing of ISA IRQs 0-15 to I/O APIC pins
 * 0-15, and LINT0/LINT1 as ExtINT/NMI.  Linux finds it by scanning the BIOS
 * area for the "_MP_" floating pointer. */
#include <errno.h>
#include <string.h>

#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"

#define APIC_VERSION   0x14
#define IOAPIC_VERSION 0x11
#define ISA_IRQS       16
#define CPU_ENABLED    1
#define CPU_BSP	       2
#define MPC_MAX_SIZE   0x10000

static uint8_t checksum(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return (uint8_t)-sum;
}

int mptable_write(struct vm *vm, struct husk_err **err)
{
	size_t size = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
		      vm->ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
		      sizeof(struct mpc_ioapic) + (ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
	uint8_t *base = guest_mem_ptr(&vm->mem, LAYOUT_MPTABLE, size);
	if (!base || size > MPC_MAX_SIZE)
		return husk_err_set(err, ENOSPC, "MP table for %u vCPUs does not fit", vm->ncpus);
	memset(base, 0, size);
	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *mpc = (void *)(mpf + 1);
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = vm->ncpus;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct mpc_cpu *c = (void *)p;
		c->type = MP_PROCESSOR;
		c->apicid = i;
		c->apicver = APIC_VERSION;
		c->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		c->cpufeature = 0x600;	/* family 6 */
		c->featureflag = 0x201; /* FPU, APIC */
		p += sizeof(*c);
	}
	struct mpc_bus *bus = (void *)p;
	bus->type = MP_BUS;
	bus->busid = 0;
	memcpy(bus->bustype, "ISA   ", 6);
	p += sizeof(*bus);
	struct mpc_ioapic *io = (void *)p;
	io->type = MP_IOAPIC;
	io->apicid = ioapic_id;
	io->apicver = IOAPIC_VERSION;
	io->flags = 1;
	io->apicaddr = (uint32_t)LAYOUT_IOAPIC;
	p += sizeof(*io);
	for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
		struct mpc_intsrc *s = (void *)p;
		s->type = MP_INTSRC;
		s->irqtype = 0; /* INT */
		s->irqflag = 0; /* bus default: ISA is active high, edge */
		s->srcbus = 0;
		s->srcbusirq = irq;
		s->dstapic = ioapic_id;
		s->dstirq = irq;
		p += sizeof(*s);
	}
	for (unsigned lint = 0; lint < 2; lint++) {
		struct mpc_intsrc *s = (void *)p;
		s->type = MP_LINTSRC;
		s->irqtype = lint == 0 ? 3 /* ExtINT */ : 1 /* NMI */;
		s->srcbus = 0;
		s->srcbusirq = 0;
		s->dstapic = 0xff; /* all local APICs */
		s->dstirq = lint;
		p += sizeof(*s);
	}

	mpc->signature = MPC_SIGNATURE;
	mpc->length = p - (uint8_t *)mpc;
	mpc->spec = 4;
	memcpy(mpc->oem, "HUSK    ", 8);
	memcpy(mpc->productid, "MICROVM     ", 12);
	mpc->lapic = (uint32_t)LAYOUT_LAPIC;
	mpc->checksum = checksum(mpc, mpc->length);

	mpf->signature = MPF_SIGNATURE;
	mpf->physptr = (uint32_t)(LAYOUT_MPTABLE + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
