/* /dev/console.
 *
 * CVE-2025-52565 class: the fd bound onto /dev/console must really be a pty
 * slave (checked by type, major and filesystem), and the target a plain file we
 * created ourselves: whatever the image put at /dev/console (a symlink to
 * /proc/sysrq-trigger or to a host path, a device node) is removed first, and
 * the bind goes through fds so no path is re-resolved in between.
 *
 * rootfs_open_console() allocates the terminal the way runc does: from the
 * container's own devpts instance, so that inside the container the terminal is
 * /dev/pts/N (ttyname works) rather than a host pty only reachable as
 * /dev/console. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

#define UNIX98_PTY_SLAVE_MAJOR_FIRST 136
#define UNIX98_PTY_SLAVE_MAJOR_LAST  143

static int check_pty_slave(int fd, struct husk_err **err)
{
	struct stat st;
	struct statfs sfs;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0)
		return husk_err_sys(err, "console: stat fd %d", fd);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < UNIX98_PTY_SLAVE_MAJOR_FIRST ||
	    major(st.st_rdev) > UNIX98_PTY_SLAVE_MAJOR_LAST || sfs.f_type != DEVPTS_SUPER_MAGIC)
		return husk_err_set(err, EPERM, "console: fd %d is not a pty slave", fd);
	return 0;
}

/* A config that bind-mounts its own /dev (maybe the host's) gets its
 * /dev/console covered, never replaced: only a /dev of our own (a tmpfs we
 * mounted, or the image's) may have the entry removed and recreated. */
static int console_target(int dev_fd, bool dev_is_ours, struct husk_err **err)
{
	struct stat st;
	if (dev_is_ours) {
		if (unlinkat(dev_fd, "console", 0) < 0 && errno != ENOENT)
			return husk_err_sys(err, "console: remove existing /dev/console");
		if (mknodat(dev_fd, "console", S_IFREG | 0600, 0) < 0)
			return husk_err_sys(err, "console: create /dev/console");
	} else if (fstatat(dev_fd, "console", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT || mknodat(dev_fd, "console", S_IFREG | 0600, 0) < 0)
			return husk_err_sys(err, "console: create /dev/console");
	}
	int target = openat(dev_fd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 || fstat(target, &st) < 0) {
		int e = errno;
		if (target >= 0)
			close(target);
		return husk_err_set(err, e, "console: open /dev/console");
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		close(target);
		return husk_err_set(err, EPERM,
				    "console: /dev/console is not a file or character device");
	}
	return target;
}

int bind_console(int dev_fd, int pty_fd, bool dev_is_ours, struct husk_err **err)
{
	if (check_pty_slave(pty_fd, err) < 0)
		return -1;
	cleanup_fd int src =
	    open_tree(pty_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (src < 0)
		return husk_err_sys(err, "console: clone pty");
	cleanup_fd int target = console_target(dev_fd, dev_is_ours, err);
	if (target < 0)
		return -1;
	if (attach_mount(src, target) < 0)
		return husk_err_sys(err, "console: bind pty onto /dev/console");
	return 0;
}

int rootfs_open_console(const struct rootfs_opts *opts, int *master_out, int *slave_out,
			struct husk_err **err)
{
	if (!opts->rootfs)
		return husk_err_set(err, EINVAL, "console: no rootfs path");
	cleanup_fd int root = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return husk_err_sys(err, "console: open rootfs %s", opts->rootfs);
	/* the container's devpts instance, reached inside the rootfs */
	cleanup_fd int m = open_in_root_raw(root, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0);
	if (m < 0)
		return husk_err_set(err, -m, "console: open the container's /dev/pts/ptmx");
	struct statfs sfs;
	if (fstatfs(m, &sfs) < 0)
		return husk_err_sys(err, "console: statfs /dev/pts/ptmx");
	if (sfs.f_type != DEVPTS_SUPER_MAGIC)
		return husk_err_set(err, EPERM, "console: /dev/pts/ptmx is not on a devpts");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return husk_err_sys(err, "console: unlock pty");
	/* TIOCGPTPEER opens the slave of this very master, with no path lookup */
	cleanup_fd int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return husk_err_sys(err, "console: open pty slave");
	cleanup_fd int dev = open_in_root_raw(root, "/dev", O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		return husk_err_set(err, -dev, "console: open /dev");
	/* whether /dev is ours was decided by rootfs_prepare (same process); when
	 * unknown, only cover the entry */
	if (bind_console(dev, s, rootfs_dev_is_ours, err) < 0)
		return -1;
	*master_out = steal_fd(&m);
	*slave_out = steal_fd(&s);
	return 0;
}
