/* vCPU threads: KVM_RUN until the VM stops.  Exits that need the monitor
 * (port I/O, MMIO, system events) are handled right here on the vCPU thread;
 * a stop request reaches a running vCPU through immediate_exit plus a signal. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

#define VCPU_STACK_SIZE (256 * 1024)

static int kick_signal(void)
{
	return SIGRTMIN;
}

static void kick_handler(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

void vm_request_stop(struct vm *vm, enum vm_stop why)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&vm->stop, &expected, (int)why + 1)) {
		uint64_t one = 1;
		if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
			/* eventfd write only fails on overflow: already signalled */
		}
	}
}

static void vcpu_crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vcpu_crash(struct vcpu *v, const char *fmt, ...)
{
	struct vm *vm = v->vm;
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&vm->crash_lock);
	if (!vm->crash_msg[0]) {
		int n = snprintf(vm->crash_msg, sizeof(vm->crash_msg), "vcpu %u: ", v->id);
		vsnprintf(vm->crash_msg + n, sizeof(vm->crash_msg) - n, fmt, ap);
	}
	pthread_mutex_unlock(&vm->crash_lock);
	va_end(ap);
	vm_request_stop(vm, VM_STOP_CRASH);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	if (v->vm->trace_io)
		log_debug("vm: io %s port %#x size %u count %u", is_write ? "out" : "in",
			  run->io.port, run->io.size, run->io.count);
	for (uint32_t i = 0; i < run->io.count; i++) {
		arch_pio(v->vm, run->io.port, data, run->io.size, is_write);
		data += run->io.size;
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
	vm_devices_wait(v->vm);
	if (!mmio_bus_access(&v->vm->bus, run->mmio.phys_addr, run->mmio.data, len,
			     run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len); /* nothing there: bus float */
}

static void trace_regs(struct vcpu *v, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_info("vm: vcpu %u %s: rip %#llx rsp %#llx rflags %#llx cs %#x cr0 %#llx cr3 %#llx "
		 "cr4 %#llx efer %#llx",
		 v->id, why, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		 (unsigned long long)r.rflags, s.cs.selector, (unsigned long long)s.cr0,
		 (unsigned long long)s.cr3, (unsigned long long)s.cr4, (unsigned long long)s.efer);
}

/* Returns false when the thread should stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(v->vm, VM_STOP_SHUTDOWN);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_stop(v->vm, VM_STOP_RESET);
			return false;
		default:
			vcpu_crash(v, "system event %u", run->system_event.type);
			return false;
		}
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: what a PC does on reboot without firmware help. */
		if (v->vm->cfg->trace)
			trace_regs(v, "triple fault");
		vm_request_stop(v->vm, VM_STOP_RESET);
		return false;
	case KVM_EXIT_HLT:
		vm_request_stop(v->vm, VM_STOP_SHUTDOWN);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_crash(v, "KVM_RUN entry failed: hardware reason %#llx",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		/* suberror 1 is an instruction KVM's emulator cannot do; the data
		 * words carry its bytes and where it was. */
		char data[96] = "";
		int n = 0;
		for (unsigned i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(data); i++)
			n += snprintf(data + n, sizeof(data) - n, " %#llx",
				      (unsigned long long)run->internal.data[i]);
		struct kvm_regs r;
		unsigned long long rip = ioctl(v->fd, KVM_GET_REGS, &r) == 0 ? r.rip : 0;
		vcpu_crash(v, "KVM internal error, suberror %u at rip %#llx (data:%s)",
			   run->internal.suberror, rip, data[0] ? data : " none");
		return false;
	}
	default:
		vcpu_crash(v, "unexpected KVM exit reason %u", run->exit_reason);
		return false;
	}
}

static int install_kick_handler(struct husk_err **err)
{
	static bool installed;
	if (installed)
		return 0;
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	if (sigaction(kick_signal(), &sa, NULL) < 0)
		return husk_err_sys(err, "install vcpu kick handler");
	installed = true;
	return 0;
}

void vcpu_run(struct vcpu *v)
{
	struct vm *vm = v->vm;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stop)) {
		if (v->id == 0 && !vm->t_first_run_ns) {
			vm->t_first_run_ns = now_ns();
			if (vm->cfg->trace) {
				struct rusage ru;
				getrusage(RUSAGE_SELF, &ru);
				vm->faults_first_run = ru.ru_minflt + ru.ru_majflt;
			}
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			vcpu_crash(v, "KVM_RUN: %s", strerror(errno));
			break;
		}
		if (!handle_exit(v))
			break;
	}
}

static void *vcpu_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

int vcpu_run_here(struct vcpu *v, struct husk_err **err)
{
	if (install_kick_handler(err) < 0)
		return -1;
	v->thread = pthread_self();
	atomic_store(&v->kickable, true);
	vcpu_run(v);
	atomic_store(&v->kickable, false);
	return 0;
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, struct husk_err **err)
{
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return husk_err_sys(err, "KVM_CREATE_VCPU %u", id);
	void *run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return husk_err_sys(err, "map kvm_run of vcpu %u", id);
	v->run = run;
	return arch_vcpu_setup(vm, v, err);
}

int vcpu_start(struct vcpu *v, struct husk_err **err)
{
	if (install_kick_handler(err) < 0)
		return -1;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
	/* Start with every signal blocked; the thread unblocks only the kick, so
	 * SIGINT and friends reach the I/O thread's signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&v->thread, &attr, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return husk_err_set(err, r, "start vcpu %u thread", v->id);
	v->started = true;
	atomic_store(&v->kickable, true);
	return 0;
}

void vcpu_kick_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!atomic_load(&v->kickable))
			continue;
		if (v->run)
			v->run->immediate_exit = 1;
		pthread_kill(v->thread, kick_signal());
	}
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->started) {
		pthread_join(v->thread, NULL);
		v->started = false;
	}
	atomic_store(&v->kickable, false);
	if (v->run)
		munmap(v->run, v->vm->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}
