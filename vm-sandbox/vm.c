/* vm_boot(): the monitor's life from /dev/kvm to the guest's last exit.
 * Order matters for the time to the first KVM_RUN: nothing big is allocated
 * or touched before the boot vCPU runs; the other vCPUs are created after it
 * started (they wait for the guest's INIT/SIPI anyway). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

#define KVM_DEV		"/dev/kvm"
#define DEFAULT_CMDLINE "console=ttyS0 reboot=k panic=-1"

static const char *const phase_names[VM_PHASES] = {"kvm",     "memory", "irqchip", "kernel",
						   "devices", "params", "vcpu0"};

static void mark(struct vm *vm, enum vm_phase p)
{
	vm->t_phase_ns[p] = now_ns();
}

const char *vm_stop_name(enum vm_stop s)
{
	switch (s) {
	case VM_STOP_SHUTDOWN:
		return "shutdown";
	case VM_STOP_RESET:
		return "reset";
	case VM_STOP_SIGNAL:
		return "signal";
	case VM_STOP_CRASH:
		return "crash";
	}
	return "?";
}

int vm_cmdline_append(struct vm *vm, const char *s, struct husk_err **err)
{
	size_t n = strlen(s);
	size_t sep = vm->cmdline_len ? 1 : 0;
	if (vm->cmdline_len + sep + n + 1 > sizeof(vm->cmdline))
		return husk_err_set(err, E2BIG, "kernel command line longer than %zu bytes",
				    sizeof(vm->cmdline) - 1);
	if (sep)
		vm->cmdline[vm->cmdline_len++] = ' ';
	memcpy(vm->cmdline + vm->cmdline_len, s, n + 1);
	vm->cmdline_len += n;
	return 0;
}

static int open_kvm(struct vm *vm, struct husk_err **err)
{
	if (vm->cfg->kvm_fd > 0)
		vm->kvm_fd = fcntl(vm->cfg->kvm_fd, F_DUPFD_CLOEXEC, 0);
	else
		vm->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		if (errno == ENOENT)
			return husk_err_set(err, ENOENT,
					    "no %s: this host does not offer KVM (kvm module not "
					    "loaded, or not visible here)",
					    KVM_DEV);
		return husk_err_sys(err, "open %s", KVM_DEV);
	}
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return husk_err_set(err, api < 0 ? errno : EINVAL,
				    "%s is not a usable KVM device (API version %d, need %d)",
				    KVM_DEV, api, KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return husk_err_sys(err, "KVM_CREATE_VM");
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return husk_err_sys(err, "KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = sz;
	return 0;
}

static void on_stop(void *arg, int fd, uint32_t events)
{
	struct vm *vm = arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* nonblocking eventfd: nothing to read means a spurious wakeup */
	}
	vm_event_loop_quit(vm->loop);
	vcpu_kick_all(vm);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct vm *vm = arg;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		vm_request_stop(vm, VM_STOP_SIGNAL);
}

static int watch_stop_and_signals(struct vm *vm, sigset_t *old, struct husk_err **err)
{
	sigset_t set;
	sigemptyset(&set);
	if (!vm->cfg->caller_signals) {
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
	}
	sigprocmask(SIG_BLOCK, &set, old);
	/* A console reader that goes away (husk vm boot | head) must not kill
	 * the monitor: writes then fail with EPIPE and the output is dropped. */
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &vm->saved_sigpipe);
	vm->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->sig_fd < 0)
		return husk_err_sys(err, "signalfd");
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return husk_err_sys(err, "eventfd");
	if (vm_event_loop_add(vm->loop, vm->stop_efd, EPOLLIN, on_stop, vm, err) < 0)
		return -1;
	if (!vm->cfg->caller_signals &&
	    vm_event_loop_add(vm->loop, vm->sig_fd, EPOLLIN, on_signal, vm, err) < 0)
		return -1;
	return 0;
}

/* A terminal on stdin goes raw so the guest sees every key; ^C still stops
 * the monitor through SIGINT. */
static void console_raw(struct vm *vm)
{
	if (vm->in_fd < 0 || !isatty(vm->in_fd) || tcgetattr(vm->in_fd, &vm->saved_tio) < 0)
		return;
	struct termios t = vm->saved_tio;
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(vm->in_fd, TCSANOW, &t) == 0)
		vm->tio_saved = true;
}

/* The I/O thread: create the virtio devices and the secondary vCPUs (both
 * only matter once the guest gets to them, long after the boot vCPU started;
 * a vCPU that is early waits for the devices), then serve the event loop
 * until the VM stops. */
static void *io_thread(void *arg)
{
	struct vm *vm = arg;
	struct husk_err *err = NULL;
	vm_devices_create(vm, &err);
	for (unsigned i = 1; i < vm->ncpus && !err; i++)
		if (vcpu_create(vm, &vm->vcpus[i], i, &err) < 0 ||
		    vcpu_start(&vm->vcpus[i], &err) < 0)
			husk_err_wrap(&err, "vcpu %u", i);
	if (!err)
		vm_event_loop_run(vm->loop, &err);
	if (err) {
		vm->io_err = err;
		vm_request_stop(vm, VM_STOP_CRASH);
		vcpu_kick_all(vm);
	}
	return NULL;
}

static int run_vcpus(struct vm *vm, struct husk_err **err)
{
	vm->vcpus = xcalloc(vm->ncpus, sizeof(*vm->vcpus));
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	if (vcpu_create(vm, &vm->vcpus[0], 0, err) < 0)
		return husk_err_wrap(err, "vcpu 0");
	mark(vm, PHASE_VCPU0);
	/* Everything but the kick stays blocked on the I/O thread too; signals
	 * reach the monitor through its signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&vm->io_tid, NULL, io_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return husk_err_set(err, r, "start the I/O thread");
	vm->io_started = true;
	if (vcpu_run_here(&vm->vcpus[0], err) < 0)
		vm_request_stop(vm, VM_STOP_CRASH);
	vm_event_loop_quit(vm->loop);
	pthread_join(vm->io_tid, NULL);
	vm->io_started = false;
	if (vm->io_err) {
		*err = vm->io_err;
		vm->io_err = NULL;
		return -1;
	}
	return 0;
}

static void trace_report(struct vm *vm)
{
	unsigned long long t0 = vm->t_start_ns;
	const char *env = getenv("HUSK_VM_T0");
	unsigned long long t0_env;
	if (env && parse_u64(env, &t0_env) == 0)
		t0 = t0_env;
	cleanup_free char *status = NULL;
	unsigned long long rss_kb = 0, hwm_kb = 0;
	if (read_file_at(AT_FDCWD, "/proc/self/status", &status, NULL, NULL) == 0) {
		char *p = strstr(status, "VmHWM:");
		if (p)
			hwm_kb = strtoull(p + 6, NULL, 10);
		p = strstr(status, "VmRSS:");
		if (p)
			rss_kb = strtoull(p + 6, NULL, 10);
	}
	unsigned long long guest_kb = vm_memory_resident(vm) >> 10;
	log_info("vm: stopped: %s", vm_stop_name(atomic_load(&vm->stop) - 1));
	char phases[256] = "";
	size_t n = 0;
	for (int p = 0; p < VM_PHASES && n < sizeof(phases); p++)
		if (vm->t_phase_ns[p])
			n += snprintf(phases + n, sizeof(phases) - n, " %s %llu", phase_names[p],
				      (vm->t_phase_ns[p] - vm->t_start_ns) / 1000);
	log_info("vm: setup (us after vm_boot()):%s; %ld page faults before the first KVM_RUN",
		 phases, vm->faults_first_run);
	log_info("vm: first KVM_RUN %llu us after %s (vm_boot() at %llu us); rss %llu KiB, "
		 "guest-resident %llu KiB, monitor %llu KiB (hwm %llu KiB)",
		 vm->t_first_run_ns > t0 ? (vm->t_first_run_ns - t0) / 1000 : 0,
		 env ? "process start" : "vm_boot()",
		 vm->t_start_ns > t0 ? (vm->t_start_ns - t0) / 1000 : 0, rss_kb, guest_kb,
		 rss_kb > guest_kb ? rss_kb - guest_kb : 0, hwm_kb);
}

static void vm_teardown(struct vm *vm, sigset_t *old_mask)
{
	if (vm->vcpus) {
		vm_request_stop(vm, VM_STOP_SIGNAL);
		vcpu_kick_all(vm);
		for (unsigned i = 0; i < vm->ncpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	vm_devices_teardown(vm);
	arch_devices_teardown(vm);
	vm_event_loop_free(vm->loop);
	free(vm->cpuid);
	vm_memory_teardown(vm);
	if (vm->tio_saved)
		tcsetattr(vm->in_fd, TCSANOW, &vm->saved_tio);
	int fds[] = {vm->vm_fd, vm->kvm_fd, vm->stop_efd, vm->sig_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (vm->sig_mask_saved) {
		sigaction(SIGPIPE, &vm->saved_sigpipe, NULL);
		sigprocmask(SIG_SETMASK, old_mask, NULL);
	}
	pthread_mutex_destroy(&vm->crash_lock);
	pthread_mutex_destroy(&vm->bus_lock);
	pthread_cond_destroy(&vm->bus_ready);
}

static int vm_setup(struct vm *vm, sigset_t *old_mask, struct husk_err **err)
{
	if (vm->cfg->mem_mib < VM_MEM_MIN_MIB || vm->cfg->mem_mib > VM_MEM_MAX_MIB)
		return husk_err_set(
		    err, EINVAL, "%llu MiB of memory: want %d to %llu (memory too small?)",
		    (unsigned long long)vm->cfg->mem_mib, VM_MEM_MIN_MIB, VM_MEM_MAX_MIB);
	if (vm->ncpus > VM_CPUS_MAX)
		return husk_err_set(err, EINVAL, "%u vCPUs: at most %d", vm->ncpus, VM_CPUS_MAX);
	/* Memory before the irqchip: once KVM has in-kernel devices, every memslot
	 * change waits for an SRCU grace period, which costs milliseconds here. */
	if (open_kvm(vm, err) < 0)
		return -1;
	mark(vm, PHASE_KVM);
	if (vm_memory_setup(vm, err) < 0)
		return -1;
	mark(vm, PHASE_MEMORY);
	if (arch_vm_setup(vm, err) < 0)
		return -1;
	mark(vm, PHASE_IRQCHIP);
	if (arch_load_kernel(vm, err) < 0)
		return husk_err_wrap(err, "kernel %s", vm->cfg->kernel);
	mark(vm, PHASE_KERNEL);
	vm->loop = vm_event_loop_new(err);
	if (!vm->loop)
		return -1;
	if (watch_stop_and_signals(vm, old_mask, err) < 0)
		return -1;
	vm->sig_mask_saved = true;
	if (vm_cmdline_append(vm, vm->cfg->cmdline ? vm->cfg->cmdline : DEFAULT_CMDLINE, err) < 0 ||
	    arch_devices_setup(vm, err) < 0 || vm_devices_plan(vm, err) < 0)
		return -1;
	mark(vm, PHASE_DEVICES);
	if (arch_write_boot_params(vm, err) < 0)
		return -1;
	mark(vm, PHASE_PARAMS);
	return 0;
}

int vm_boot(const struct vm_config *cfg, enum vm_stop *stop, struct husk_err **err)
{
	struct vm vm = {
	    .cfg = cfg,
	    .kvm_fd = -1,
	    .vm_fd = -1,
	    .stop_efd = -1,
	    .sig_fd = -1,
	    .ncpus = cfg->cpus ? cfg->cpus : 1,
	    .trace_io = cfg->trace && husk_log_enabled(HUSK_LOG_DEBUG),
	    .mem_size = cfg->mem_mib << 20,
	    .in_fd = vm_console_in_fd(cfg),
	    .out_fd = vm_console_out_fd(cfg),
	    .t_start_ns = now_ns(),
	};
	for (size_t i = 0; i < ARRAY_SIZE(vm.irqfds); i++)
		vm.irqfds[i] = -1;
	pthread_mutex_init(&vm.crash_lock, NULL);
	pthread_mutex_init(&vm.bus_lock, NULL);
	pthread_cond_init(&vm.bus_ready, NULL);
	sigset_t old_mask;
	int ret = vm_setup(&vm, &old_mask, err);
	if (ret == 0) {
		console_raw(&vm);
		ret = run_vcpus(&vm, err);
	}
	if (ret == 0) {
		*stop = atomic_load(&vm.stop) - 1;
		if (*stop == VM_STOP_CRASH)
			ret = husk_err_set(err, 0, "guest stopped: %s", vm.crash_msg);
	}
	if (cfg->trace && vm.t_first_run_ns)
		trace_report(&vm);
	vm_teardown(&vm, &old_mask);
	return ret;
}
