/* Guest RAM: one anonymous mapping, reserved lazily (MAP_NORESERVE) so the
 * monitor only pays for pages the guest touches.  Above 3 GiB the RAM is
 * split around the 32-bit MMIO hole. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm-sandbox/vm_internal.h"

#define HUGE_2M (2ull << 20)

int vm_memory_map(struct vm *vm, struct husk_err **err)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	if (vm->cfg->hugepages) {
		if (vm->mem_size % HUGE_2M)
			return husk_err_set(err, EINVAL,
					    "--hugepages needs memory in multiples of 2 MiB");
		/* From the hugetlb pool, reserved now: with MAP_NORESERVE a short
		 * pool would only show as EFAULT/SIGBUS when the guest runs. */
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	}
	void *p = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED && vm->cfg->hugepages)
		return husk_err_sys(err,
				    "map %llu MiB of guest memory in 2 MiB hugepages (is the pool "
				    "big enough? see HugePages_Free in /proc/meminfo and "
				    "/proc/sys/vm/nr_hugepages)",
				    (unsigned long long)(vm->mem_size >> 20));
	if (p == MAP_FAILED)
		return husk_err_sys(err, "map %llu MiB of guest memory",
				    (unsigned long long)(vm->mem_size >> 20));
	/* Guest memory has no place in a core dump of the monitor. */
	madvise(p, vm->mem_size, MADV_DONTDUMP);

	uint8_t *hva = p;
	uint64_t hole_start, hole_end;
	arch_mmio_hole(&hole_start, &hole_end);
	uint64_t low = vm->mem_size < hole_start ? vm->mem_size : hole_start;
	vm->mem.regions[0] = (struct guest_mem_region){.gpa = 0, .size = low, .hva = hva};
	vm->mem.n = 1;
	if (vm->mem_size > low) {
		vm->mem.regions[1] = (struct guest_mem_region){
		    .gpa = hole_end, .size = vm->mem_size - low, .hva = hva + low};
		vm->mem.n = 2;
	}
	return 0;
}

int vm_memory_setup(struct vm *vm, struct husk_err **err)
{
	if (vm_memory_map(vm, err) < 0)
		return -1;
	for (unsigned i = 0; i < vm->mem.n; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region kr = {
		    .slot = i,
		    .guest_phys_addr = r->gpa,
		    .memory_size = r->size,
		    .userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return husk_err_sys(err, "KVM_SET_USER_MEMORY_REGION slot %u", i);
	}
	return 0;
}

void vm_memory_teardown(struct vm *vm)
{
	if (vm->mem.n)
		munmap(vm->mem.regions[0].hva, vm->mem_size);
	vm->mem.n = 0;
}

uint64_t vm_memory_resident(const struct vm *vm)
{
	if (!vm->mem.n)
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (vm->mem_size + page - 1) / page;
	unsigned char vec[4096];
	uint64_t resident = 0;
	for (size_t done = 0; done < pages;) {
		size_t n = pages - done < sizeof(vec) ? pages - done : sizeof(vec);
		if (mincore(vm->mem.regions[0].hva + done * page, n * page, vec) < 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
		done += n;
	}
	return resident * page;
}
