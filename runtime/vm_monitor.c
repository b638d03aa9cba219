/* The container's init as the KVM monitor (vm_container.h).
 *
 * prepare (before pivot_root): /dev/kvm, the guest kernel and the initramfs
 * (husk's own binary as /init plus config.json, in a memfd) become fds, so
 * nothing of the host needs to stay reachable.  run (once started): the
 * monitor shares the container's root without /proc and /sys, gives up every
 * capability and all system calls but its own, relays stdio and signals on
 * a thread, and boots. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/caps.h"
#include "runtime/vm_container.h"
#include "runtime/vm_monitor.h"
#include "vm-sandbox/agent/agent.h"
#include "vm-sandbox/agent/host_relay.h"
#include "vm-sandbox/guest.h"
#include "vm-sandbox/vm.h"

#define GUEST_CMDLINE "console=ttyS0 reboot=k panic=-1 rdinit=/init " AGENT_ENV "=1"
#define QUIET	      " quiet loglevel=1"

struct vm_monitor {
	int kvm_fd, kernel_fd, initrd_fd, exec_fd;
	char *kernel;
	uint64_t mem_mib;
	unsigned cpus;
	bool terminal;
};

static int build_initramfs(const char *config, size_t len, struct husk_err **err)
{
	/* The running husk: the sealed copy (runtime/sealed_binary.c) is the same binary. */
	cleanup_fd int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return husk_err_sys(err, "open husk's own binary for the guest");
	int fd = memfd_create("husk-initramfs", MFD_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "memfd_create");
	const struct vm_initramfs_file files[] = {
	    {.path = "init", .fd = self, .mode = 0755},
	    {.path = AGENT_CONFIG + 1, .fd = -1, .data = config, .len = len, .mode = 0600},
	};
	if (vm_initramfs_write(fd, files, ARRAY_SIZE(files), err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int vm_plan_build(const struct oci_config *cfg, const char *config, size_t config_len,
		  struct vm_plan *plan, struct husk_err **err)
{
	*plan = (struct vm_plan){.kvm_fd = -1, .kernel_fd = -1, .initrd_fd = -1, .exec_fd = -1};
	if (vm_host_check(NULL, NULL, err) < 0 ||
	    vm_sizing(cfg, &plan->mem_mib, &plan->cpus, err) < 0 ||
	    vm_guest_kernel_find(oci_config_annotation(cfg, VM_ANNOTATION_KERNEL), &plan->kernel,
				 err) < 0)
		return -1;
	plan->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (plan->kvm_fd < 0)
		return husk_err_sys(err, "--vm: open /dev/kvm");
	plan->kernel_fd = open(plan->kernel, O_RDONLY | O_CLOEXEC);
	if (plan->kernel_fd < 0)
		return husk_err_sys(err, "--vm: open the guest kernel %s", plan->kernel);
	plan->initrd_fd = build_initramfs(config, config_len, err);
	return plan->initrd_fd < 0 ? husk_err_wrap(err, "--vm") : 0;
}

/* The directory through /proc/self/fd: a state root of any length fits. */
static int exec_addr(int dir_fd, struct sockaddr_un *a)
{
	*a = (struct sockaddr_un){.sun_family = AF_UNIX};
	snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s", dir_fd, VM_EXEC_SOCKET);
	return 0;
}

int vm_plan_listen(struct vm_plan *plan, int dir_fd, struct husk_err **err)
{
	struct sockaddr_un a;
	exec_addr(dir_fd, &a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return husk_err_sys(err, "--vm: exec socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return husk_err_sys(err, "--vm: bind the exec socket %s", VM_EXEC_SOCKET);
	}
	plan->exec_fd = fd;
	return 0;
}

int vm_exec_connect(int dir_fd, struct husk_err **err)
{
	struct sockaddr_un a;
	exec_addr(dir_fd, &a);
	if (faccessat(dir_fd, VM_EXEC_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_err_sys(err, "exec socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return husk_err_sys(err, "connect to the VM monitor");
	}
	return fd;
}

void vm_plan_free(struct vm_plan *plan)
{
	free(plan->kernel);
	plan->kernel = NULL;
	int *fds[] = {&plan->kvm_fd, &plan->kernel_fd, &plan->initrd_fd, &plan->exec_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int vm_monitor_prepare(const struct vm_plan *plan, const struct oci_config *cfg,
		       struct vm_monitor **out, struct husk_err **err)
{
	struct vm_monitor *m = xcalloc(1, sizeof(*m));
	m->kvm_fd = plan->kvm_fd;
	m->kernel_fd = plan->kernel_fd;
	m->initrd_fd = plan->initrd_fd;
	m->exec_fd = plan->exec_fd;
	m->kernel = xstrdup(plan->kernel);
	m->mem_mib = plan->mem_mib;
	m->cpus = plan->cpus;
	m->terminal = cfg->process.terminal;
	*out = m;
	return 0;
}

int vm_monitor_drop_privileges(struct husk_err **err)
{
	if (caps_limit_bounding(0, err) < 0 || caps_set_ambient(0, err) < 0 ||
	    caps_set_eip(0, 0, 0, err) < 0)
		return husk_err_wrap(err, "monitor: drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return husk_err_sys(err, "monitor: no_new_privs");
	return 0;
}

/* Every signal the workload may get from `kill`, blocked in all threads and
 * read by the relay.  Faults stay deliverable, SIGCHLD and SIGPIPE are the
 * monitor's, the real-time ones are the vCPU kick and glibc's. */
static void forward_set(sigset_t *set)
{
	sigemptyset(set);
	for (int s = 1; s < SIGRTMIN; s++)
		sigaddset(set, s);
	int keep[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,
		      SIGILL,  SIGTRAP, SIGSYS,	 SIGCHLD, SIGPIPE};
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		sigdelset(set, keep[i]);
}

/* What virtio-fs serves: the container's "/" without its /proc and /sys.
 * The guest mounts its own, and must not reach the monitor's through the
 * share (/proc/<monitor>/mem, environ...) if it unmounts them.  A recursive
 * clone of "/" is attached at SHARE_DIR (in /dev, the container's tmpfs) and
 * the kernel filesystems are detached from the clone only: the monitor
 * keeps its own /proc (virtio-fs reopens its fds through /proc/self/fd).
 * Without a tmpfs on /dev the whole "/" is shared. */
#define SHARE_DIR "/dev/.husk-vm-root"

static const char *share_root(void)
{
	/* Only in a /dev of the container's own: never a directory in the bundle. */
	struct statfs sfs;
	if (statfs("/dev", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		return "/";
	cleanup_fd int tree =
	    open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0 || (mkdir(SHARE_DIR, 0700) < 0 && errno != EEXIST) ||
	    move_mount(tree, "", AT_FDCWD, SHARE_DIR, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return "/";
	const char *hide[] = {SHARE_DIR "/proc", SHARE_DIR "/sys"};
	for (size_t i = 0; i < ARRAY_SIZE(hide); i++)
		while (umount2(hide[i], MNT_DETACH) == 0)
			;
	return SHARE_DIR;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* For bench/: when the workload's execve happened, after HUSK_VM_T0 (the
 * CLOCK_MONOTONIC ns bench/vm_launch sets before it starts husk). */
static void trace_started(unsigned long long started)
{
	const char *t0s = getenv("HUSK_VM_T0");
	unsigned long long t0 = 0;
	if (!started || !t0s || parse_u64(t0s, &t0) < 0 || started < t0)
		return;
	dprintf(2, "husk-vm: workload exec'd in the guest %llu us after process start\n",
		(started - t0) / 1000);
}

__attribute__((noreturn)) static void die(struct husk_err *err, int code)
{
	dprintf(2, "husk: vm: %s\n", err && err->msg ? err->msg : "failed");
	husk_err_free(&err);
	_exit(code);
}

void vm_monitor_run(struct vm_monitor *m)
{
	struct husk_err *err = NULL;
	sigset_t fwd;
	forward_set(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	signal(SIGPIPE, SIG_IGN);
	bool debug = getenv("HUSK_VM_DEBUG") != NULL;
	bool trace = debug || getenv("HUSK_VM_TRACE") != NULL;
	const char *root = share_root();
	if (m->terminal) {
		struct termios t;
		if (tcgetattr(0, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(0, TCSANOW, &t);
		}
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		husk_err_sys(&err, "socketpair");
		die(err, 1);
	}
	if (vm_monitor_drop_privileges(&err) < 0 || vm_monitor_seccomp_load(&err) < 0)
		die(err, 1);
	struct host_relay_opts ro = {.chan = sv[1],
				     .in = 0,
				     .out = 1,
				     .err = 2,
				     .terminal = m->terminal,
				     .fwd = &fwd,
				     .exec_listen = m->exec_fd};
	struct host_relay *relay = NULL;
	if (host_relay_start(&ro, &relay, &err) < 0)
		die(err, 1);
	struct vm_config c = {
	    .kernel = m->kernel,
	    .initrd = "initramfs",
	    .cmdline = debug ? GUEST_CMDLINE " " AGENT_ENV_DEBUG "=1" : GUEST_CMDLINE QUIET,
	    .mem_mib = m->mem_mib,
	    .cpus = m->cpus,
	    .console = VM_CONSOLE_FDS,
	    .console_in_fd = -1,
	    .console_out_fd = debug ? 2 : -1,
	    .console_ports = {{.in_fd = sv[0], .out_fd = sv[0]}},
	    .n_console_ports = 1,
	    /* Never a read-only share: the container's mounts keep their own
	     * flags in the clone (root.readonly remounted "/" read-only in
	     * rootfs_finalize), so the host's kernel refuses writes where the
	     * container's would, and the writable mounts under a read-only root
	     * (an engine's tmpfs on /tmp, a volume) stay writable, as in a
	     * container. */
	    .fs_shares = {{.tag = AGENT_ROOT_TAG, .path = root}},
	    .n_fs_shares = 1,
	    .trace = trace,
	    .kvm_fd = m->kvm_fd,
	    .kernel_fd = m->kernel_fd,
	    .initrd_fd = m->initrd_fd,
	    .caller_signals = true,
	};
	if (getenv("HUSK_VM_NO_ROOT_SHARE")) {
		c.n_fs_shares = 0;
		c.cmdline = debug ? GUEST_CMDLINE " " AGENT_ENV_DEBUG "=1 " AGENT_ENV_NO_ROOT "=1"
				  : GUEST_CMDLINE QUIET " " AGENT_ENV_NO_ROOT "=1";
	}
	enum vm_stop stop = VM_STOP_CRASH;
	int r = vm_boot(&c, &stop, &err);
	int status = 0;
	char *agent_err = NULL;
	unsigned long long started = 0;
	int have = host_relay_finish(relay, &status, &agent_err, &started);
	if (trace)
		trace_started(started);
	if (have == 1)
		_exit(exit_code(status));
	if (agent_err) {
		dprintf(2, "husk: vm: %s\n", agent_err);
		_exit(127);
	}
	if (r < 0)
		die(err, 1);
	husk_err_set(&err, 0, "the guest stopped (%s) before the workload's exit status arrived%s",
		     vm_stop_name(stop), debug ? "" : " (HUSK_VM_DEBUG=1 shows the guest's log)");
	die(err, 1);
}
