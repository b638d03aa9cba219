/* Writes into /proc/self that must not be redirected by the container's rootfs
 * (CVE-2019-16884 / CVE-2025-52881 class): oom_score_adj, LSM attr files. */
#include "runtime/process_security_internal.h"

#include <fcntl.h>
#include <stdbool.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define PROC_ROOT_INO 1

static int open_proc_root(struct husk_err **err)
{
	cleanup_fd int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "opening /proc");
	struct statfs sfs;
	struct stat st;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return husk_err_sys(err, "inspecting /proc");
	if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
		return husk_err_set(err, EXDEV, "/proc is not the root of a procfs mount");
	return steal_fd(&fd);
}

/* Without openat2 (kernel < 5.6, valgrind): the same walk by hand, one
 * component at a time, no symlinks except "self", never leaving the mount. */
static int walk_proc(int root, const char *path, int flags)
{
	struct stat rst;
	if (fstat(root, &rst) < 0)
		return -1;
	cleanup_free char *copy = xstrdup(path);
	cleanup_fd int dir = fcntl(root, F_DUPFD_CLOEXEC, 0);
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		bool last = save == NULL || *save == '\0';
		bool self = strcmp(c, "self") == 0 && dir >= 0 && c == copy;
		int f = last ? flags | O_CLOEXEC | O_NOCTTY : O_PATH | O_DIRECTORY | O_CLOEXEC;
		if (!self)
			f |= O_NOFOLLOW;
		if (strcmp(c, "..") == 0) {
			errno = EXDEV;
			return -1;
		}
		int next = openat(dir, c, f);
		if (next < 0)
			return -1;
		struct stat st;
		if (fstat(next, &st) < 0 || st.st_dev != rst.st_dev) {
			close(next);
			errno = EXDEV;
			return -1;
		}
		close(dir);
		dir = next;
	}
	return steal_fd(&dir);
}

int proc_self_open(const char *rel, int flags, struct husk_err **err)
{
	cleanup_fd int root = open_proc_root(err);
	if (root < 0)
		return -1;
	cleanup_free char *path = xasprintf("self/%s", rel);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	cleanup_fd int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = walk_proc(root, path, flags);
	if (fd < 0)
		return husk_err_sys(err, "opening /proc/%s", path);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return husk_err_sys(err, "inspecting /proc/%s", path);
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return husk_err_set(err, EXDEV, "/proc/%s is not on procfs", path);
	return steal_fd(&fd);
}

int proc_self_write(const char *rel, const char *s, struct husk_err **err)
{
	cleanup_fd int fd = proc_self_open(rel, O_WRONLY, err);
	if (fd < 0)
		return -1;
	size_t len = strlen(s);
	if (write_all(fd, s, len) != (ssize_t)len)
		return husk_err_sys(err, "writing \"%s\" to /proc/self/%s", s, rel);
	return 0;
}
