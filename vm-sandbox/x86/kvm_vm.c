/* Per-VM x86 state in KVM: the TSS and identity-map pages VMX needs for real
 * mode, the in-kernel PIC/IOAPIC/LAPIC, and the PIT with a dummy speaker port
 * so 0x61 never leaves the kernel. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "vm-sandbox/vm_internal.h"

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
