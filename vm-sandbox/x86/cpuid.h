#ifndef HUSK_VM_X86_CPUID_H
#define HUSK_VM_X86_CPUID_H

#include "common/err.h"

struct kvm_cpuid2;

int cpuid_supported(int kvm_fd, struct kvm_cpuid2 **out, struct husk_err **err);
/* Fix up a copy of the supported table for vCPU id of ncpus. */
void cpuid_normalize(struct kvm_cpuid2 *c, unsigned id, unsigned ncpus);

#endif
