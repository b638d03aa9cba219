/* The guest's size from the bundle's spec (vm_container.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "runtime/vm_container.h"
#include "vm-sandbox/vm.h"

bool vm_annotation_selected(const struct oci_config *cfg)
{
	const char *v = oci_config_annotation(cfg, VM_ANNOTATION);
	return v && !strcmp(v, "true");
}

/* CPUs in a cpuset list ("0-3,8"); 0 when it cannot be parsed. */
static unsigned cpuset_count(const char *list)
{
	unsigned n = 0;
	const char *p = list;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return 0;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return 0;
			p = end;
		}
		n += (unsigned)(b - a + 1);
		if (*p == ',')
			p++;
		else if (*p)
			return 0;
	}
	return n;
}

static int annotation_u64(const struct oci_config *cfg, const char *key, unsigned long long lo,
			  unsigned long long hi, unsigned long long *out, bool *set,
			  struct husk_err **err)
{
	const char *v = oci_config_annotation(cfg, key);
	*set = v != NULL;
	if (!v)
		return 0;
	if (parse_u64(v, out) < 0 || *out < lo || *out > hi)
		return husk_err_set(err, EINVAL,
				    "annotation %s=\"%s\": want a number from %llu to %llu", key, v,
				    lo, hi);
	return 0;
}

static int size_memory(const struct oci_config *cfg, uint64_t *mem_mib, struct husk_err **err)
{
	unsigned long long v;
	bool set;
	if (annotation_u64(cfg, VM_ANNOTATION_MEMORY, VM_GUEST_MIN_MIB, VM_MEM_MAX_MIB, &v, &set,
			   err) < 0)
		return husk_err_wrap(err, "guest memory (MiB, at least %d to boot)",
				     VM_GUEST_MIN_MIB);
	if (set) {
		*mem_mib = v;
		return 0;
	}
	const struct oci_memory *m = &cfg->linux_.resources.memory;
	if (!cfg->linux_.resources_present || !m->limit.set || m->limit.v <= 0) {
		*mem_mib = VM_DEFAULT_MEM_MIB; /* -1 or 0: unlimited, as runc reads them */
		return 0;
	}
	uint64_t limit_mib = (uint64_t)m->limit.v >> 20;
	if (limit_mib < VM_MONITOR_OVERHEAD_MIB + VM_GUEST_MIN_MIB)
		return husk_err_set(
		    err, EINVAL,
		    "linux.resources.memory.limit %lld bytes (%llu MiB) is too small "
		    "for a VM: the monitor needs %d MiB and the guest at least %d MiB "
		    "to boot (%d MiB in all)",
		    (long long)m->limit.v, (unsigned long long)limit_mib, VM_MONITOR_OVERHEAD_MIB,
		    VM_GUEST_MIN_MIB, VM_MONITOR_OVERHEAD_MIB + VM_GUEST_MIN_MIB);
	*mem_mib = limit_mib - VM_MONITOR_OVERHEAD_MIB;
	if (*mem_mib > VM_MEM_MAX_MIB)
		*mem_mib = VM_MEM_MAX_MIB;
	return 0;
}

static int size_cpus(const struct oci_config *cfg, unsigned *cpus, struct husk_err **err)
{
	unsigned long long v;
	bool set;
	if (annotation_u64(cfg, VM_ANNOTATION_CPUS, 1, VM_CPUS_MAX, &v, &set, err) < 0)
		return husk_err_wrap(err, "guest vCPUs");
	if (set) {
		*cpus = (unsigned)v;
		return 0;
	}
	unsigned n = 0;
	const struct oci_cpu *c = &cfg->linux_.resources.cpu;
	if (cfg->linux_.resources_present) {
		if (c->quota.set && c->quota.v > 0) {
			uint64_t period = c->period.set && c->period.v ? c->period.v : 100000;
			n = (unsigned)(((uint64_t)c->quota.v + period - 1) / period);
		}
		unsigned set_n = c->cpus && *c->cpus ? cpuset_count(c->cpus) : 0;
		if (c->cpus && *c->cpus && !set_n)
			return husk_err_set(err, EINVAL,
					    "linux.resources.cpu.cpus \"%s\": not a cpu list",
					    c->cpus);
		if (set_n && (!n || set_n < n))
			n = set_n;
	}
	if (!n)
		n = 1;
	*cpus = n > VM_CPUS_MAX ? VM_CPUS_MAX : n;
	return 0;
}

int vm_sizing(const struct oci_config *cfg, uint64_t *mem_mib, unsigned *cpus,
	      struct husk_err **err)
{
	if (size_memory(cfg, mem_mib, err) < 0 || size_cpus(cfg, cpus, err) < 0)
		return -1;
	return 0;
}
