/* The per-container lock: an flock on the state directory itself. */
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/state.h"

int container_lock(const char *root, const char *id, bool exclusive, int *lock_fd,
		   struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_fd int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return container_err(err, ENOENT, "container %s does not exist", id);
		return husk_err_sys(err, "open %s", dir);
	}
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return husk_err_sys(err, "lock %s", dir);
	}
	*lock_fd = steal_fd(&fd);
	return 0;
}
