/* What `husk run --vm` needs from vm-sandbox besides vm_boot(): the guest
 * kernel, the host check, and the guest's initramfs.  Pure functions where
 * possible, so `husk check` and the unit tests can call them. */
#ifndef HUSK_VM_GUEST_H
#define HUSK_VM_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Where the guest kernel (an ELF vmlinux with the PVH note, or a bzImage) is
 * found, first match wins:
 *   1. annotation org.husk.vm.kernel (the caller passes its value, or NULL);
 *   2. $HUSK_VM_KERNEL;
 *   3. the installed kernel, HUSK_GUEST_KERNEL_INSTALLED
 *      ($(PREFIX)/lib/husk/guest/vmlinux, fixed at build time);
 *   4. the build tree's, HUSK_GUEST_KERNEL_BUILD (build/guest-kernel/vmlinux
 *      of the checkout husk was built in: `make guest-kernel`).
 * 1 and 2 must exist when given (a typo is an error, not a fallback).
 * Returns 0 with *path (heap) set, or < 0 naming every place looked at. */
int vm_guest_kernel_find(const char *annotation, char **path, struct husk_err **err);

/* The same, with the environment and both built-in paths given: for tests. */
int vm_guest_kernel_find_in(const char *annotation, const char *env, const char *installed,
			    const char *build_tree, char **path, struct husk_err **err);

/* Can this host run a Linux guest?  /dev/kvm must exist and the CPU must
 * offer hardware virtualization (vmx or svm in /proc/cpuinfo): under PVM
 * (kvm_pvm, ring 0 emulated) a stock kernel cannot boot.  The error names
 * the reason.  cpuinfo: NULL reads /proc/cpuinfo (tests pass text). */
int vm_host_check(const char *kvm_path, const char *cpuinfo, struct husk_err **err);

/* One file of the guest's initramfs. */
struct vm_initramfs_file {
	const char *path; /* inside the initramfs, without a leading '/' */
	int fd;		  /* contents from this fd (read from offset 0), or -1: data */
	const void *data;
	size_t len;
	unsigned mode; /* permission bits */
};

/* Write a cpio (newc) archive to out_fd: /dev, /dev/console, /proc, /sys,
 * /newroot, /husk, and the files (their parent directories made as needed). */
int vm_initramfs_write(int out_fd, const struct vm_initramfs_file *files, size_t n,
		       struct husk_err **err);

#endif
