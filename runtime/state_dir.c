/* Removing a state directory, and reusing a removed one for the next create. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/state.h"

/* A removed state dir is parked (emptied) under this name and taken again by the
 * next create, instead of rmdir + mkdir: on an ext4 without a journal mounted
 * with -o discard (this machine's /), freeing a directory's block issues a
 * synchronous discard that costs 2-10 ms.  No container id starts with '.'. */
#define SPARE_DIR ".spare-state-dir"

/* Unlink every entry of DIR (a state dir holds only plain files). */
static int empty_dir(int dfd, const char *dir, struct husk_err **err)
{
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return husk_err_sys(err, "dup");
	cleanup_dir DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return husk_err_sys(err, "read %s", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT)
			return husk_err_sys(err, "remove %s/%s", dir, de->d_name);
	}
	return 0;
}

bool container_dir_take_spare(const char *root, const char *dir)
{
	cleanup_free char *spare = container_dir(root, SPARE_DIR);
	if (renameat2(AT_FDCWD, spare, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		return false;
	/* Parked empty under the container's lock; emptied again in case a
	 * crash left something behind. */
	struct husk_err *e = NULL;
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0 && empty_dir(dfd, dir, &e) == 0)
		return true;
	husk_err_free(&e);
	if (rmdir(dir) < 0)
		(void)rename(dir, spare);
	return false;
}

int container_dir_remove(const char *root, const char *id, struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return husk_err_sys(err, "open %s", dir);
	}
	if (empty_dir(dfd, dir, err) < 0)
		return -1;
	cleanup_free char *spare = container_dir(root, SPARE_DIR);
	if (renameat2(AT_FDCWD, dir, AT_FDCWD, spare, RENAME_NOREPLACE) == 0)
		return 0;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return husk_err_sys(err, "remove %s", dir);
	return 0;
}
