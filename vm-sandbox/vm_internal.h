/* The monitor core's shared state.  One struct vm per process; the vCPU
 * threads and the I/O thread (the main thread) all see it. */
#ifndef HUSK_VM_INTERNAL_H
#define HUSK_VM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

#include "vm-sandbox/vm.h"
#include "vm-sandbox/vm_device.h"

/* Limits of the arch-neutral core; the arch says where each device goes
 * (arch_mmio_slot) and may allow fewer. */
#define VM_MMIO_DEVICES_MAX 32
#define VM_GSI_MAX	    24	 /* I/O APIC pins */
#define VM_CMDLINE_MAX	    4096 /* bytes with the NUL */

struct kvm_run;
struct kvm_cpuid2;
struct serial;
struct i8042;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;	       /* has a thread of its own to join */
	_Atomic bool kickable; /* thread is valid for vcpu_kick_all */
};

/* ---- MMIO bus: devices by guest-physical window ---- */
struct mmio_bus {
	struct vm_device *devs[VM_MMIO_DEVICES_MAX];
	unsigned n;
};

/* ---- boot: what the loader tells the vCPU setup ---- */
enum boot_mode {
	BOOT_LINUX64, /* 64-bit entry, %rsi = zero page */
	BOOT_PVH,     /* 32-bit protected mode, %ebx = start_info */
};

struct boot_info {
	enum boot_mode mode;
	uint64_t entry;
	uint64_t params;      /* zero page or start_info */
	uint64_t kernel_end;  /* first byte after the loaded image (and its init_size) */
	uint64_t initrd_max;  /* highest address the initrd may touch */
	uint32_t cmdline_max; /* bytes, without the NUL */
	uint64_t initrd_addr, initrd_size;
};

enum vm_phase {
	PHASE_KVM,
	PHASE_MEMORY,
	PHASE_IRQCHIP,
	PHASE_KERNEL,
	PHASE_DEVICES,
	PHASE_PARAMS,
	PHASE_VCPU0,
	VM_PHASES
};

/* One device instance the config asks for, and where the arch put it. */
struct vm_device_slot {
	const struct vm_device_type *type;
	unsigned index; /* the type's instance number */
	uint64_t mmio_base;
	unsigned gsi;
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	struct guest_mem mem;
	uint64_t mem_size;
	size_t run_size;
	unsigned ncpus;
	struct vcpu *vcpus;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, before per-vCPU fixups */
	struct mmio_bus bus;
	pthread_mutex_t bus_lock; /* bus.devs while the devices are created */
	pthread_cond_t bus_ready;
	_Atomic bool devices_ready;
	struct vm_event_loop *loop;
	struct serial *serial;
	struct vm_device_slot slots[VM_MMIO_DEVICES_MAX];
	unsigned n_slots;
	int irqfds[VM_GSI_MAX]; /* by GSI */
	int stop_efd;		/* vCPUs write here when the guest stops */
	int sig_fd;		/* SIGINT, SIGTERM, SIGHUP */
	bool sig_mask_saved;
	struct sigaction saved_sigpipe;
	bool tio_saved;
	struct termios saved_tio;
	_Atomic int stop;  /* enum vm_stop + 1; 0 while running */
	int in_fd, out_fd; /* console */
	char cmdline[VM_CMDLINE_MAX];
	size_t cmdline_len;
	struct boot_info boot;
	unsigned long long t_start_ns;
	_Atomic unsigned long long t_first_run_ns;
	unsigned long long t_phase_ns[VM_PHASES]; /* for --trace */
	long faults_first_run;
	bool trace_io; /* --trace with --debug: log every port I/O exit */
	pthread_t io_tid;
	bool io_started;
	struct husk_err *io_err;
	pthread_mutex_t crash_lock;
	char crash_msg[256];
};

/* memory.c */
/* Map guest RAM (vm_memory_map) and register it with KVM. */
int vm_memory_setup(struct vm *vm, struct husk_err **err);
int vm_memory_map(struct vm *vm, struct husk_err **err);
void vm_memory_teardown(struct vm *vm);
/* Bytes of guest RAM resident in the monitor (for --trace). */
uint64_t vm_memory_resident(const struct vm *vm);

/* mmio_bus.c */
int mmio_bus_add(struct mmio_bus *bus, struct vm_device *dev, struct husk_err **err);
/* Dispatch a vCPU access; false when nothing lives at addr. */
bool mmio_bus_access(struct mmio_bus *bus, uint64_t addr, uint8_t *data, unsigned len,
		     bool is_write);
void mmio_bus_destroy(struct mmio_bus *bus);

/* event_loop.c: the I/O thread */
struct vm_event_loop *vm_event_loop_new(struct husk_err **err);
/* Run callbacks until vm_event_loop_quit() or an error; returns < 0 on error. */
int vm_event_loop_run(struct vm_event_loop *loop, struct husk_err **err);
void vm_event_loop_quit(struct vm_event_loop *loop);
void vm_event_loop_free(struct vm_event_loop *loop);

/* devices.c: the registered device types' instances.  _plan places them and
 * puts their entries on the command line (before boot); _create makes them
 * (I/O thread, while the boot vCPU runs); a vCPU touching a window first
 * waits in _wait. */
int vm_devices_plan(struct vm *vm, struct husk_err **err);
int vm_devices_create(struct vm *vm, struct husk_err **err);
void vm_devices_wait(struct vm *vm);
void vm_devices_teardown(struct vm *vm);

/* vcpu.c: the per-thread run loop */
int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct husk_err **err);
/* Run on a new thread, or on the calling thread until the VM stops. */
int vcpu_start(struct vcpu *v, struct husk_err **err);
int vcpu_run_here(struct vcpu *v, struct husk_err **err);
void vcpu_run(struct vcpu *v);
void vcpu_kick_all(struct vm *vm);
void vcpu_destroy(struct vcpu *v);
/* Record why the VM stops (first reason wins) and wake the I/O thread. */
void vm_request_stop(struct vm *vm, enum vm_stop why);

/* Arch hooks, in x86/ */
int arch_vm_setup(struct vm *vm, struct husk_err **err);	  /* TSS, irqchip, PIT */
int arch_load_kernel(struct vm *vm, struct husk_err **err);	  /* fills vm->boot */
int arch_write_boot_params(struct vm *vm, struct husk_err **err); /* after cmdline is final */
int arch_vcpu_setup(struct vm *vm, struct vcpu *v, struct husk_err **err);
int arch_devices_setup(struct vm *vm, struct husk_err **err); /* serial, i8042 */
/* The guest-physical range RAM skips (device windows); RAM that would
 * overlap it continues at *end. */
void arch_mmio_hole(uint64_t *start, uint64_t *end);
/* Window and GSI of the i-th virtio-mmio device; < 0 when there is no room. */
int arch_mmio_slot(unsigned i, uint64_t *mmio_base, unsigned *gsi);
void arch_devices_teardown(struct vm *vm);
/* Port I/O from a vCPU; data holds len bytes. */
void arch_pio(struct vm *vm, uint16_t port, uint8_t *data, unsigned len, bool is_write);
/* GSI level change through KVM_IRQ_LINE. */
int vm_irq_line(struct vm *vm, unsigned gsi, int level);

/* cmdline helpers (vm.c) */
int vm_cmdline_append(struct vm *vm, const char *s, struct husk_err **err);

#endif
