/* Per-VM x86 state in KVM: the TSS and identity-map pages VMX needs for real
 * mode, the in-kernel PIC/IOAPIC/LAPIC, and the PIT with a dummy speaker port
 * so 0x61 never leaves the kernel. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"

_Static_assert(LAYOUT_CMDLINE_MAX == VM_CMDLINE_MAX, "the command line buffer is the layout's");

void arch_mmio_hole(uint64_t *start, uint64_t *end)
{
	*start = LAYOUT_HOLE_START;
	*end = LAYOUT_HOLE_END;
}

/* Windows every 4 KiB from LAYOUT_MMIO_BASE, GSIs from LAYOUT_IRQ_FIRST up to
 * 15: the MP table describes the ISA lines only. */
int arch_mmio_slot(unsigned i, uint64_t *mmio_base, unsigned *gsi)
{
	if (i >= LAYOUT_MMIO_MAX || LAYOUT_IRQ_FIRST + i > 15)
		return -1;
	*mmio_base = LAYOUT_MMIO_BASE + i * LAYOUT_MMIO_STRIDE;
	*gsi = LAYOUT_IRQ_FIRST + i;
	return 0;
}

int arch_vm_setup(struct vm *vm, struct husk_err **err)
{
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_TSS) < 0)
		return husk_err_sys(err, "KVM_SET_TSS_ADDR");
	uint64_t ident = LAYOUT_IDENTITY;
	/* Only VMX without unrestricted guest uses it; other hosts may refuse. */
	ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return husk_err_sys(err, "KVM_CREATE_IRQCHIP");
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return husk_err_sys(err, "KVM_CREATE_PIT2");
	return 0;
}

int vm_irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = level};
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}
