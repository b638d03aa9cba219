/* A mock cgroupfs directory for the cgroup driver tests: a temp dir of empty
 * regular files named like cgroup knobs.  The drivers write through a dir fd
 * and never create files, so a test sees exactly which knob got which value,
 * and a knob the test did not create makes the driver fail with ENOENT just
 * like a missing controller file would. */
#include "tests/unit/helpers/cgroup_mock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

int cgmock_open(char *dir_out, size_t len, const char *const *files)
{
	snprintf(dir_out, len, "/tmp/husk-cgtest-%d-mock.XXXXXX", (int)getpid());
	if (!mkdtemp(dir_out))
		return -1;
	int fd = open(dir_out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t i = 0; files[i]; i++) {
		int f = openat(fd, files[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (f < 0) {
			close(fd);
			return -1;
		}
		close(f);
	}
	return fd;
}

char *cgmock_get(int fd, const char *file)
{
	char *out = NULL;
	struct husk_err *err = NULL;
	if (read_file_at(fd, file, &out, NULL, &err) < 0) {
		husk_err_free(&err);
		return NULL;
	}
	return out;
}

void cgmock_reset(int fd, const char *const *files)
{
	for (size_t i = 0; files[i]; i++) {
		int f = openat(fd, files[i], O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (f >= 0)
			close(f);
	}
}

void cgmock_close(int fd, const char *dir, const char *const *files)
{
	for (size_t i = 0; files[i]; i++)
		unlinkat(fd, files[i], 0);
	close(fd);
	rmdir(dir);
}
