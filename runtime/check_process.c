/* husk check, process creation: pidfds (race-free signals, --pidfd-socket)
 * and clone3 (the init is created straight into its cgroup). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/check.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static void probe_pidfd(struct check_report *r)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0) {
		int e = errno;
		check_add(r, "syscalls", "pidfd", CHECK_MISSING,
			  "no pidfds: --pidfd-socket fails and signals go by pid (Linux 5.3+)",
			  "pidfd_open: %s", strerror(e));
		return;
	}
	/* signal 0 checks the fd works; pidfd_getfd with a bad fd only tells it exists */
	bool send = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
	bool getfd = syscall(SYS_pidfd_getfd, fd, -1, 0) < 0 && errno != ENOSYS;
	close(fd);
	check_add(r, "syscalls", "pidfd", send && getfd ? CHECK_OK : CHECK_LIMITED,
		  send && getfd ? "signals reach the right process; --pidfd-socket works"
				: "some pidfd calls are missing (Linux 5.6+ for pidfd_getfd)",
		  "pidfd_open%s%s", send ? " pidfd_send_signal" : "", getfd ? " pidfd_getfd" : "");
}

static void probe_clone3(struct check_report *r)
{
	/* A size below the first version is EINVAL when clone3 exists. */
	errno = 0;
	long rc = syscall(SYS_clone3, NULL, 0);
	if (rc < 0 && errno == ENOSYS)
		check_add(r, "syscalls", "clone3", CHECK_MISSING,
			  "the init is moved into its cgroup after clone (Linux 5.7+ for "
			  "CLONE_INTO_CGROUP)",
			  "ENOSYS");
	else
		check_add(r, "syscalls", "clone3", CHECK_OK,
			  "the init starts inside its cgroup (CLONE_INTO_CGROUP)", "available");
}

static void probe_process(struct check_report *r)
{
	probe_pidfd(r);
	probe_clone3(r);
}

HUSK_CHECK(process_check, {.order = 40, .probe = probe_process});
