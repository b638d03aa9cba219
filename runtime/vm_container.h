/* A bundle in a microVM (`husk run --vm`, annotation org.husk.vm=true, or husk
 * invoked as husk-vm): the container is created as usual, then its init
 * becomes the KVM monitor (vm_boot()) instead of exec'ing process.args, and
 * husk itself, as the guest's PID 1, runs the process inside the VM.
 *
 *   vm_plan_build()     in `create`, before anything exists: host check,
 *                       guest size, kernel lookup
 *                       and the fds: /dev/kvm, the kernel, the initramfs
 *   vm_monitor_prepare() in the init: takes the plan's fds
 *   vm_monitor_run()    in the init, once started: drop privileges, boot,
 *                       relay stdio and signals, exit with the workload's status
 *   vm_guest_main()     husk as /init in the guest (cli/main.c) */
#ifndef HUSK_RUNTIME_VM_CONTAINER_H
#define HUSK_RUNTIME_VM_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/spec.h"

#define VM_ANNOTATION	     "org.husk.vm"
#define VM_ANNOTATION_MEMORY "org.husk.vm.memory" /* MiB of guest RAM */
#define VM_ANNOTATION_CPUS   "org.husk.vm.cpus"
#define VM_ANNOTATION_KERNEL "org.husk.vm.kernel"

/* Sizing defaults and limits (MiB), documented in vm-sandbox/README.md. */
#define VM_DEFAULT_MEM_MIB	256
#define VM_MONITOR_OVERHEAD_MIB 32 /* the monitor, its initramfs copy, virtio-fs buffers */
#define VM_GUEST_MIN_MIB	64 /* the guest kernel and husk's agent need this to boot */

/* Made by `create` before the init exists; the init inherits the fds (the
 * container's device cgroup would refuse it /dev/kvm, and after pivot_root
 * it could not reach the kernel). */
struct vm_plan {
	char *kernel;
	uint64_t mem_mib;
	unsigned cpus;
	int kvm_fd, kernel_fd, initrd_fd; /* close-on-exec; -1 when not open */
	int exec_fd; /* listening on <state dir>/VM_EXEC_SOCKET, -1 when not open */
	/* /dev/net/tun opened in the container's network namespace (vm_net.h),
	 * or -1 and why (0: no namespace of its own to bridge). */
	int tun_fd, tun_errno;
};

/* In the state dir: the monitor's socket for `husk exec` (host_relay.h). */
#define VM_EXEC_SOCKET "vm.sock"

/* Bind and listen on DIR_FD/VM_EXEC_SOCKET into plan->exec_fd. */
int vm_plan_listen(struct vm_plan *plan, int dir_fd, struct husk_err **err);
/* `husk exec` in a VM container: connect to the monitor's socket in DIR_FD;
 * -ENOENT (no error set) when the container is not a VM. */
int vm_exec_connect(int dir_fd, struct husk_err **err);

/* True when the annotation org.husk.vm says "true". */
bool vm_annotation_selected(const struct oci_config *cfg);

/* Guest RAM and vCPUs from the spec: annotations org.husk.vm.memory (MiB) and
 * org.husk.vm.cpus first; else linux.resources.memory.limit minus the
 * monitor's overhead, and the cpu quota/period (rounded up) or the cpuset's
 * size (the smaller when both); else VM_DEFAULT_MEM_MIB and 1 vCPU.  Too
 * little memory to boot is an error that says how much is needed. */
int vm_sizing(const struct oci_config *cfg, uint64_t *mem_mib, unsigned *cpus,
	      struct husk_err **err);

/* Host check, sizing, kernel lookup, then the fds: /dev/kvm, the kernel, and
 * the initramfs (husk itself as /init, config as given) in a memfd. */
int vm_plan_build(const struct oci_config *cfg, const char *config, size_t config_len,
		  struct vm_plan *plan, struct husk_err **err);
void vm_plan_free(struct vm_plan *plan);
/* Just before the init is cloned: /dev/net/tun in the container's network
 * namespace (NETNS_FD: the new one made early, or -1), for the tap the init
 * makes once the engine's hooks have put the interfaces there. */
void vm_plan_open_tun(struct vm_plan *plan, const struct oci_config *cfg, int netns_fd);

struct vm_monitor;
/* In the init, from the plan it inherited. */
int vm_monitor_prepare(const struct vm_plan *plan, const struct oci_config *cfg,
		       struct vm_monitor **out, struct husk_err **err);
/* Never returns: exits with the workload's exit code (128+N for signal N),
 * or 1 after printing why the VM could not run it. */
__attribute__((noreturn)) void vm_monitor_run(struct vm_monitor *m);

/* husk as the guest's /init (HUSK_AGENT in its environment).  Never returns. */
__attribute__((noreturn)) void vm_guest_main(void);
/* True when this process is the guest agent: PID 1 with HUSK_AGENT set. */
bool vm_guest_is_agent(void);

#endif
