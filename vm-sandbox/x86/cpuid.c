/* CPUID as the guest sees it: what KVM supports, normalized per vCPU.  The
 * hypervisor bit is set, APIC ids and topology describe exactly the vCPUs we
 * created (one core each, one package), and the PMU is hidden: no
 * architectural perfmon leaf, no PDCM, no AMD core counters. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/util.h"
#include "vm-sandbox/x86/cpuid.h"

#define CPUID_1_ECX_PDCM       (1u << 15)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT	       (1u << 28)
#define CPUID_8_1_ECX_PERFCTR  (1u << 23)

int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct husk_err **err)
{
	for (unsigned n = 64; n <= 1024; n *= 2) {
		struct kvm_cpuid2 *c = xcalloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG)
			return husk_err_set(err, e, "KVM_GET_SUPPORTED_CPUID");
	}
	return husk_err_set(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

void cpuid_normalize(struct kvm_cpuid2 *c, unsigned id, unsigned ncpus)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			e->ecx &= ~CPUID_1_ECX_PDCM;
			e->ebx = (e->ebx & 0xffff) | (id << 24) | ((ncpus & 0xff) << 16);
			if (ncpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 4: {
			/* cache topology: cores per package; only L3 is shared */
			unsigned level = (e->eax >> 5) & 7;
			e->eax &= 0x3fff;
			e->eax |= (ncpus - 1) << 26;
			if (level >= 3)
				e->eax |= (ncpus - 1) << 14;
			break;
		}
		case 0xa:
		case 0x80000022:
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;
			if (e->index == 0) { /* SMT level: one thread per core */
				e->eax = 0;
				e->ebx = 1;
				e->ecx = (1u << 8) | 0;
			} else if (e->index == 1) { /* core level */
				e->eax = bits_for(ncpus);
				e->ebx = ncpus;
				e->ecx = (2u << 8) | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000001:
			e->ecx &= ~CPUID_8_1_ECX_PERFCTR;
			break;
		default:
			break;
		}
	}
}
