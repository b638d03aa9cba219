/* Initial vCPU state for each boot protocol.  Every vCPU gets its CPUID,
 * boot MSRs, FPU control words and LAPIC LINT pins; only the boot vCPU gets
 * registers, the others wait for the guest's INIT/SIPI. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/boot.h"
#include "vm-sandbox/x86/cpuid.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MISC_ENABLE_FAST_STRING 1
#define MTRR_ENABLE_WB		((1u << 11) | 6)

#define CR0_PE	 0x1u
#define CR0_ET	 0x10u
#define CR0_NE	 0x20u
#define CR0_NW	 (1u << 29)
#define CR0_CD	 (1u << 30)
#define CR0_PG	 (1u << 31)
#define CR4_PAE	 0x20u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u

#define APIC_LVT0	 0x350
#define APIC_LVT1	 0x360
#define APIC_MODE_MASK	 0x700
#define APIC_MODE_NMI	 (4u << 8)
#define APIC_MODE_EXTINT (7u << 8)

static int set_cpuid(struct vm *vm, struct vcpu *v, struct husk_err **err)
{
	size_t sz = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = xmalloc(sz);
	memcpy(c, vm->cpuid, sz);
	cpuid_normalize(c, v->id, vm->ncpus);
	int r = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return husk_err_sys(err, "KVM_SET_CPUID2");
	return 0;
}

static int set_msrs(struct vcpu *v, struct husk_err **err)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} boot_msrs[] = {
	    {MSR_IA32_SYSENTER_CS, 0},
	    {MSR_IA32_SYSENTER_ESP, 0},
	    {MSR_IA32_SYSENTER_EIP, 0},
	    {MSR_STAR, 0},
	    {MSR_LSTAR, 0},
	    {MSR_CSTAR, 0},
	    {MSR_SYSCALL_MASK, 0},
	    {MSR_KERNEL_GS_BASE, 0},
	    {MSR_IA32_TSC, 0},
	    {MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING},
	    {MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB},
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(boot_msrs)];
	} m = {.hdr.nmsrs = ARRAY_SIZE(boot_msrs)};
	for (size_t i = 0; i < ARRAY_SIZE(boot_msrs); i++) {
		m.e[i].index = boot_msrs[i].index;
		m.e[i].data = boot_msrs[i].data;
	}
	int n = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (n < 0)
		return husk_err_sys(err, "KVM_SET_MSRS");
	if (n != (int)ARRAY_SIZE(boot_msrs))
		return husk_err_set(err, EINVAL, "KVM_SET_MSRS: KVM refused MSR %#x",
				    boot_msrs[n].index);
	return 0;
}

static int set_fpu(struct vcpu *v, struct husk_err **err)
{
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return husk_err_sys(err, "KVM_SET_FPU");
	return 0;
}

static uint32_t lapic_reg(const struct kvm_lapic_state *l, unsigned off)
{
	uint32_t v;
	memcpy(&v, &l->regs[off], sizeof(v));
	return v;
}

static void lapic_set(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
	memcpy(&l->regs[off], &v, sizeof(v));
}

/* Virtual-wire mode: LINT0 takes the PIC's ExtINT, LINT1 the NMI. */
static int set_lint(struct vcpu *v, struct husk_err **err)
{
	struct kvm_lapic_state l;
	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return husk_err_sys(err, "KVM_GET_LAPIC");
	lapic_set(&l, APIC_LVT0, (lapic_reg(&l, APIC_LVT0) & ~APIC_MODE_MASK) | APIC_MODE_EXTINT);
	lapic_set(&l, APIC_LVT1, (lapic_reg(&l, APIC_LVT1) & ~APIC_MODE_MASK) | APIC_MODE_NMI);
	if (ioctl(v->fd, KVM_SET_LAPIC, &l) < 0)
		return husk_err_sys(err, "KVM_SET_LAPIC");
	return 0;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = sel,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = code64 ? 0 : 1,
	    .s = 1,
	    .l = code64 ? 1 : 0,
	    .g = 1,
	};
}

static int set_boot_regs(struct vm *vm, struct vcpu *v, struct husk_err **err)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return husk_err_sys(err, "KVM_GET_SREGS");
	bool lm = vm->boot.mode == BOOT_LINUX64;
	s.cs = flat_segment(BOOT_GDT_CS, 0xb, lm);
	s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(BOOT_GDT_DS, 0x3, false);
	s.tr = (struct kvm_segment){
	    .selector = BOOT_GDT_TSS, .limit = 0x67, .type = 0xb, .present = 1};
	s.gdt.base = LAYOUT_GDT;
	s.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	s.idt.base = LAYOUT_IDT;
	s.idt.limit = 7;
	s.cr0 = (s.cr0 & ~(CR0_CD | CR0_NW)) | CR0_PE | CR0_ET | CR0_NE;
	if (lm) {
		s.cr0 |= CR0_PG;
		s.cr3 = LAYOUT_PML4;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	} else {
		s.cr3 = 0;
		s.cr4 = 0;
		s.efer = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return husk_err_sys(err, "KVM_SET_SREGS");

	struct kvm_regs r = {.rflags = 2, .rip = vm->boot.entry};
	if (lm)
		r.rsi = vm->boot.params;
	else
		r.rbx = vm->boot.params;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return husk_err_sys(err, "KVM_SET_REGS");
	return 0;
}

int arch_vcpu_setup(struct vm *vm, struct vcpu *v, struct husk_err **err)
{
	if (!vm->cpuid && cpuid_supported(vm->kvm_fd, &vm->cpuid, err) < 0)
		return -1;
	if (set_cpuid(vm, v, err) < 0 || set_msrs(v, err) < 0 || set_fpu(v, err) < 0 ||
	    set_lint(v, err) < 0)
		return -1;
	if (v->id == 0)
		return set_boot_regs(vm, v, err);
	return 0;
}
