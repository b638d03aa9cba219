/* CVE-2024-21626: no host fd may reach the container, and the working
 * directory must resolve inside the container's root. */
#include "runtime/process_security.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Fallback for kernels without close_range(CLOSE_RANGE_CLOEXEC) (< 5.11). */
static int cloexec_by_listing(int first_fd, struct husk_err **err)
{
	cleanup_dir DIR *d = opendir("/proc/self/fd");
	if (!d)
		return husk_err_sys(err, "listing /proc/self/fd");
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned long long n;
		if (parse_u64(de->d_name, &n) < 0 || n > INT_MAX)
			continue;
		int fd = (int)n;
		if (fd < first_fd || fd == self)
			continue;
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
			return husk_err_sys(err, "marking fd %d close-on-exec", fd);
	}
	return 0;
}

int process_close_inherited_fds(int first_fd, struct husk_err **err)
{
	if (first_fd < 0)
		first_fd = 0;
	/* CLOEXEC rather than close: husk still needs its sync pipe, the exec fifo and
	 * the seccomp listener socket until execve, which then closes them all. */
	if (syscall(SYS_close_range, (unsigned)first_fd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return husk_err_sys(err, "close_range(%d, CLOEXEC)", first_fd);
	return cloexec_by_listing(first_fd, err);
}

int process_chdir_checked(const char *cwd, struct husk_err **err)
{
	if (!cwd || cwd[0] != '/')
		return husk_err_set(err, EINVAL, "process.cwd \"%s\" is not an absolute path",
				    cwd ? cwd : "");
	/* Resolve against "/" (the container root by now) without magic links: a cwd
	 * of /proc/self/fd/N can never reach a directory outside the root. */
	cleanup_fd int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return husk_err_sys(err, "opening /");
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	cleanup_fd int fd = (int)syscall(SYS_openat2, root, cwd, &how, sizeof(how));
	/* No openat2 (kernel < 5.6, valgrind): the getcwd() proof below still
	 * refuses any cwd outside the root. */
	if (fd < 0 && errno == ENOSYS)
		fd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return husk_err_set(err, ELOOP,
				    "process.cwd \"%s\": refused, it goes through a magic link "
				    "(/proc/*/fd, cwd, root) or a symlink loop",
				    cwd);
	if (fd < 0)
		return husk_err_sys(err, "process.cwd \"%s\"", cwd);
	if (fchdir(fd) < 0)
		return husk_err_sys(err, "chdir to process.cwd \"%s\"", cwd);
	/* Belt and braces: the kernel reports a cwd outside the root as unreachable,
	 * which getcwd() turns into ENOENT. */
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return husk_err_set(err, errno ? errno : ENOENT,
				    "process.cwd \"%s\" resolves outside the container root", cwd);
	return 0;
}

int process_pass_fds(int keep, int *const own[], size_t n_own, struct husk_err **err)
{
	if (keep) {
		/* husk's own channels must not sit inside the passed range. */
		for (size_t i = 0; i < n_own; i++) {
			if (*own[i] < 0)
				continue;
			int moved = fcntl(*own[i], F_DUPFD_CLOEXEC, 3 + keep);
			if (moved < 0)
				return husk_err_sys(err, "move fd %d above the preserved fds", *own[i]);
			close(*own[i]);
			*own[i] = moved;
		}
		for (int fd = 3; fd < 3 + keep; fd++)
			if (fcntl(fd, F_SETFD, 0) < 0 && errno != EBADF)
				return husk_err_sys(err, "preserve fd %d", fd);
	}
	return process_close_inherited_fds(3 + keep, err);
}
