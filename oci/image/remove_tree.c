/* rm -rf under a directory fd, never following a symlink: used to replace
 * entries, for whiteouts, and to take a failed unpack's rootfs away. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "oci/image/image.h"

static int remove_tree(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	cleanup_dir DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int r = remove_tree(dirfd(d), de->d_name);
		if (r < 0)
			return r;
	}
	if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int image_remove_tree_at(int dir_fd, const char *name, struct husk_err **err)
{
	int r = remove_tree(dir_fd, name);
	if (r < 0)
		return husk_err_set(err, -r, "remove %s", name);
	return 0;
}
