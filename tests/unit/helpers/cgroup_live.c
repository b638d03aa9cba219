#include "tests/unit/helpers/cgroup_live.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/wait.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

char *cglive_read(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	char *out = NULL;
	struct husk_err *err = NULL;
	if (read_file_at(AT_FDCWD, p, &out, NULL, &err) < 0) {
		husk_err_free(&err);
		return NULL;
	}
	size_t l = strlen(out);
	while (l && out[l - 1] == '\n')
		out[--l] = '\0';
	return out;
}

struct cgroup_manager *cglive_make(const char *parent, const char *leaf, const char *v2root)
{
	cleanup_free char *path = xasprintf("%s/%s", parent, leaf);
	struct cgroup_manager *cm = NULL;
	struct husk_err *err = NULL;
	int r = v2root ? cgroup_manager_create_at(CGROUP_MODE_UNIFIED, v2root, path, &cm, &err)
		       : cgroup_manager_create(NULL, path, false, &cm, &err);
	if (r < 0)
		fail_msg("create %s: %s", path, err->msg);
	return cm;
}

void cglive_assert_none_left(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "find /sys/fs/cgroup -name 'husk-cgtest-%d*' | grep -q .",
		 (int)getpid());
	assert_int_not_equal(system(cmd), 0);
}

int cglive_reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}
