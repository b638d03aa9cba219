/* tmpcopyup: seed a fresh tmpfs with what the image had at the mount point.
 * Works entirely on fds (the tmpfs is still detached), never follows symlinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "rootfs/internal.h"

#define COPY_MAX_DEPTH 64

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st,
		     struct husk_err **err)
{
	cleanup_fd int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return husk_err_sys(err, "open %s", name);
	cleanup_fd int out =
	    openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   st->st_mode & 07777);
	if (out < 0)
		return husk_err_sys(err, "create %s", name);
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return husk_err_sys(err, "copy %s", name);
		if (n == 0)
			break;
		left -= n;
	}
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return husk_err_sys(err, "set owner/mode of %s", name);
	return 0;
}

static int copy_dir(int src_fd, int dst_fd, int depth, struct husk_err **err)
{
	if (depth > COPY_MAX_DEPTH)
		return husk_err_set(err, ELOOP, "directory tree too deep");
	int dfd = openat(src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_err_sys(err, "open directory");
	cleanup_dir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return husk_err_sys(err, "read directory");
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return husk_err_sys(err, "stat %s", name);
		int r = 0;
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst_fd, name, st.st_mode & 07777) < 0)
				return husk_err_sys(err, "mkdir %s", name);
			cleanup_fd int s =
			    openat(dirfd(d), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			cleanup_fd int t =
			    openat(dst_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s < 0 || t < 0)
				return husk_err_sys(err, "open %s", name);
			r = copy_dir(s, t, depth + 1, err);
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(dirfd(d), dst_fd, name, &st, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
			if (n < 0)
				return husk_err_sys(err, "readlink %s", name);
			target[n] = '\0';
			if (symlinkat(target, dst_fd, name) < 0)
				return husk_err_sys(err, "symlink %s", name);
		} else {
			if (mknodat(dst_fd, name, st.st_mode, st.st_rdev) < 0)
				return husk_err_sys(err, "mknod %s", name);
		}
		if (r < 0)
			return husk_err_wrap(err, "%s", name);
		if (!S_ISREG(st.st_mode) &&
		    fchownat(dst_fd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return husk_err_sys(err, "chown %s", name);
		if (S_ISDIR(st.st_mode) && fchmodat(dst_fd, name, st.st_mode & 07777, 0) < 0)
			return husk_err_sys(err, "chmod %s", name);
	}
	if (errno)
		return husk_err_sys(err, "read directory");
	return 0;
}

int copy_tree(int src_fd, int dst_fd, struct husk_err **err)
{
	return copy_dir(src_fd, dst_fd, 0, err);
}
