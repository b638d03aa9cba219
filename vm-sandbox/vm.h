/* husk's KVM monitor: boot a kernel in a microVM and run it until the guest
 * shuts down, resets, crashes, or the monitor gets a signal.  `husk vm boot`
 * is a thin layer over vm_boot(). */
#ifndef HUSK_VM_H
#define HUSK_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define VM_MAX_DISKS	     8
#define VM_MAX_NETS	     4
#define VM_MAX_CONSOLE_PORTS 8
#define VM_MAX_FS_SHARES     4

/* The serial console (COM1, the guest's ttyS0: kernel log, early shell):
 * the monitor's stdin/stdout, nothing, or the fds in console_in/out_fd. */
enum vm_console { VM_CONSOLE_STDIO, VM_CONSOLE_NONE, VM_CONSOLE_FDS };

/* A virtio-console device (hvc0, hvc1, ... in this order): what the guest
 * writes goes to out_fd, what can be read from in_fd reaches the guest.
 * Either may be -1 (output dropped; no input).  The monitor does not close
 * them.  in_fd is best non-blocking; a pipe, socket or pty all work. */
struct vm_console_port {
	int in_fd;
	int out_fd;
};

/* A host directory the guest mounts with `mount -t virtiofs TAG /mnt`. */
struct vm_fs_share {
	const char *tag;  /* at most 36 bytes */
	const char *path; /* the shared root; nothing outside it is reachable */
	bool readonly;
};

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
	int console_in_fd, console_out_fd; /* VM_CONSOLE_FDS only; -1 for none */
	/* virtio consoles.  None given: one output-only hvc0 that writes where
	 * the serial console does. */
	struct vm_console_port console_ports[VM_MAX_CONSOLE_PORTS];
	unsigned n_console_ports;
	struct vm_fs_share fs_shares[VM_MAX_FS_SHARES];
	unsigned n_fs_shares;
	bool hugepages;
	bool trace; /* timings and memory use on stderr */
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
/* Where the serial console reads and writes (-1: nowhere). */
static inline int vm_console_in_fd(const struct vm_config *cfg)
{
	return cfg->console == VM_CONSOLE_STDIO ? 0
	       : cfg->console == VM_CONSOLE_FDS ? cfg->console_in_fd
						: -1;
}

static inline int vm_console_out_fd(const struct vm_config *cfg)
{
	return cfg->console == VM_CONSOLE_STDIO ? 1
	       : cfg->console == VM_CONSOLE_FDS ? cfg->console_out_fd
						: -1;
}

/* Boot and run to the end.  Returns 0 with *stop set when the VM ran and
 * stopped (whatever the reason), < 0 with err when it could not be set up. */
int vm_boot(const struct vm_config *cfg, enum vm_stop *stop, struct husk_err **err);

#endif
