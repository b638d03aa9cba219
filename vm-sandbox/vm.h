/* husk's KVM monitor: boot a kernel in a microVM and run it until the guest
 * shuts down, resets, crashes, or the monitor gets a signal.  `husk vm boot`
 * is a thin layer over vm_boot(). */
#ifndef HUSK_VM_H
#define HUSK_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define VM_MAX_DISKS 8
#define VM_MAX_NETS  4

enum vm_console { VM_CONSOLE_STDIO, VM_CONSOLE_NONE };

struct vm_config {
	const char *kernel;  /* bzImage or ELF vmlinux */
	const char *initrd;  /* optional */
	const char *cmdline; /* optional; husk appends its own device entries */
	uint64_t mem_mib;
	unsigned cpus;
	const char *disks[VM_MAX_DISKS]; /* "PATH[,ro]" */
	unsigned n_disks;
	const char *nets[VM_MAX_NETS]; /* "tap=NAME" */
	unsigned n_nets;
	const char *vsock; /* "CID:PATH" or NULL */
	enum vm_console console;
	bool hugepages;
	bool trace; /* timings and memory use on stderr */
	/* The container monitor opens these before pivot_root: used instead of
	 * /dev/kvm, kernel and initrd when > 0 (fd 0 is stdin, never one of
	 * them); kernel and initrd then only name them in errors.  Not closed. */
	int kvm_fd, kernel_fd, initrd_fd;
	/* SIGINT, SIGTERM and SIGHUP belong to the caller (it forwards them to
	 * the guest): they do not stop the VM. */
	bool caller_signals;
};

#define VM_MEM_MIN_MIB 8
#define VM_MEM_MAX_MIB (1024ull * 1024)
#define VM_CPUS_MAX    64

enum vm_stop {
	VM_STOP_SHUTDOWN, /* guest powered off */
	VM_STOP_RESET,	  /* guest rebooted: i8042 reset, triple fault, KVM reset event */
	VM_STOP_SIGNAL,	  /* the monitor got SIGINT/SIGTERM/SIGHUP */
	VM_STOP_CRASH,	  /* KVM refused to go on: internal error, failed entry */
};

const char *vm_stop_name(enum vm_stop s);

/* Boot and run to the end.  Returns 0 with *stop set when the VM ran and
 * stopped (whatever the reason), < 0 with err when it could not be set up. */
int vm_boot(const struct vm_config *cfg, enum vm_stop *stop, struct husk_err **err);

#endif
