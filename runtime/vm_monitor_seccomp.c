/* The monitor's own seccomp allow-list: what vm_boot(), its device models
 * (virtio-fs serving the container's root included) and the stdio relay
 * call, nothing else.  No exec, no new sockets, no mounts, no ptrace, no
 * namespaces; threads only (clone with CLONE_THREAD; clone3 says ENOSYS so
 * glibc falls back to clone, whose flags a filter can see); ioctl only by
 * request (see below).  Anything else kills the monitor, and the VM with it. */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "common/util.h"
#include "runtime/vm_monitor.h"

static const char *const allowed[] = {
    /* memory, threads, time, signals */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "madvise",
    "mremap",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "sched_yield",
    "sched_getaffinity",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "gettimeofday",
    "gettid",
    "getpid",
    "getppid",
    "tgkill",
    "rt_sigreturn",
    "rt_sigprocmask",
    "rt_sigaction",
    "rt_sigtimedwait",
    "sigaltstack",
    "restart_syscall",
    "exit",
    "exit_group",
    "getrandom",
    "getrusage",
    "prctl",
    "membarrier",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "uname",
    "prlimit64",
    "getrlimit",
    "setrlimit",
    "getcwd",
    "mincore",
    "getcpu",
    "clock_getres",
    "sysinfo",
    /* fds and events */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "close",
    "close_range",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "lseek",
    "poll",
    "accept4", /* `husk exec` clients on the listening socket it inherited */
    "ppoll",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "eventfd2",
    "signalfd4",
    "pipe2",
    "sendmsg",
    "recvmsg",
    "shutdown",
    /* files: the kernel and initramfs fds, /dev/null, virtio-fs's requests
     * (always resolved under the shared root by the server) */
    "openat",
    "openat2",
    "fstat",
    "newfstatat",
    "statx",
    "fstatfs",
    "statfs",
    "readlinkat",
    "getdents64",
    "mkdirat",
    "mknodat",
    "unlinkat",
    "renameat",
    "renameat2",
    "linkat",
    "symlinkat",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchownat",
    "utimensat",
    "ftruncate",
    "fallocate",
    "fsync",
    "fdatasync",
    "syncfs",
    "copy_file_range",
    "flock",
    "fgetxattr",
    "fsetxattr",
    "flistxattr",
    "fremovexattr",
    "getxattr",
    "lgetxattr",
    "setxattr",
    "lsetxattr",
    "listxattr",
    "llistxattr",
    "removexattr",
    "lremovexattr",
    "name_to_handle_at",
    "open_by_handle_at",
    "faccessat",
    "faccessat2",
    "umask",
    "fchdir",
    "memfd_create",
    "sendfile",
    "splice",
};

/* ioctl by request number.  The monitor's stdio may be the user's terminal:
 * TIOCSTI (push input into it) and TIOCLINUX must never be reachable, so
 * terminal requests are listed one by one.  KVM's are all of type 0xAE and
 * only act on /dev/kvm's fds; the tap's are those the net device uses. */
static const unsigned long allowed_ioctls[] = {
    TCGETS,  TCSETS,  TCSETSW,	TCSETSF,       TIOCGWINSZ,	TIOCSWINSZ, FIONREAD,
    FIONBIO, FIOCLEX, FIONCLEX, TUNSETOFFLOAD, TUNSETVNETHDRSZ, TUNGETIFF,  TUNGETVNETHDRSZ,
};

static int allow_ioctls(scmp_filter_ctx ctx)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, (scmp_datum_t)KVMIO << 8));
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(allowed_ioctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
	return r;
}

/* HUSK_VM_DEBUG: a refused call is named before the monitor dies. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[80];
	int n = snprintf(msg, sizeof(msg), "husk: vm: monitor seccomp: system call %d refused\n",
			 si->si_syscall);
	(void)!write(2, msg, (size_t)n);
	_exit(128 + SIGSYS);
}

int vm_monitor_seccomp_load(struct husk_err **err)
{
	uint32_t deflt = SCMP_ACT_KILL_PROCESS;
	if (getenv("HUSK_VM_DEBUG")) {
		struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
		deflt = SCMP_ACT_TRAP;
	}
	scmp_filter_ctx ctx = seccomp_init(deflt);
	if (!ctx)
		return husk_err_set(err, ENOMEM, "monitor seccomp: init");
	int ret = -1;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0) {
			husk_err_set(err, EINVAL, "monitor seccomp: allow %s", allowed[i]);
			goto out;
		}
	}
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0)
		r = allow_ioctls(ctx);
	if (r < 0) {
		husk_err_set(err, -r, "monitor seccomp: clone and ioctl rules");
		goto out;
	}
	/* noNewPrivileges is already set (vm_monitor_drop_privileges). */
	if ((r = seccomp_load(ctx)) < 0) {
		husk_err_set(err, -r, "monitor seccomp: load");
		goto out;
	}
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}
