/* Small cgroupfs helpers: knob I/O by dir fd, pid collection, tree removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

static const char *const ctrl_names[CG_CTRL_COUNT] = {
    [CG_CPU] = "cpu",		[CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset",
    [CG_MEMORY] = "memory",	[CG_DEVICES] = "devices", [CG_FREEZER] = "freezer",
    [CG_BLKIO] = "blkio",	[CG_PIDS] = "pids",	  [CG_NET_CLS] = "net_cls",
    [CG_NET_PRIO] = "net_prio", [CG_HUGETLB] = "hugetlb", [CG_PERF_EVENT] = "perf_event",
    [CG_RDMA] = "rdma",		[CG_MISC] = "misc",	  [CG_NAME_SYSTEMD] = "name=systemd",
};

const char *cg_ctrl_name(enum cg_ctrl c)
{
	return (unsigned)c < CG_CTRL_COUNT ? ctrl_names[c] : "?";
}

uint32_t cg_ctrls_from_dirname(const char *name)
{
	if (strcmp(name, "systemd") == 0)
		return CG_BIT(CG_NAME_SYSTEMD);
	uint32_t bits = 0;
	const char *s = name;
	while (*s) {
		size_t len = strcspn(s, ",");
		bool known = false;
		for (int c = 0; c < CG_CTRL_COUNT; c++) {
			if (strlen(ctrl_names[c]) == len && strncmp(ctrl_names[c], s, len) == 0) {
				bits |= CG_BIT(c);
				known = true;
			}
		}
		if (!known)
			return 0; /* not a plain controller mount (e.g. "unified") */
		s += len;
		if (*s == ',')
			s++;
	}
	return bits;
}

int cg_write(int dirfd, const char *file, const char *val, struct husk_err **err)
{
	cleanup_fd int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open %s", file);
	size_t len = strlen(val);
	for (;;) {
		ssize_t w = write(fd, val, len);
		if (w == (ssize_t)len)
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w >= 0)
			errno = EIO;
		return husk_err_sys(err, "write %s to %s", val, file);
	}
}

int cg_writef(int dirfd, const char *file, struct husk_err **err, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		cleanup_free char *big = NULL;
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0)
			abort();
		va_end(ap);
		return cg_write(dirfd, file, big, err);
	}
	return cg_write(dirfd, file, buf, err);
}

int cg_read(int dirfd, const char *file, char **out, struct husk_err **err)
{
	size_t len = 0;
	char *buf = NULL;
	if (read_file_at(dirfd, file, &buf, &len, err) < 0)
		return -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	*out = buf;
	return 0;
}

int cg_check_before_update(int dirfd, const char *usage_file, const struct oci_memory *m,
			   struct husk_err **err)
{
	if (!m->check_before_update.set || !m->check_before_update.v || !m->limit.set ||
	    m->limit.v <= 0)
		return 0;
	cleanup_free char *usage = NULL;
	unsigned long long u;
	if (cg_read(dirfd, usage_file, &usage, err) < 0)
		return -1;
	if (parse_u64(usage, &u) == 0 && (unsigned long long)m->limit.v < u)
		return husk_err_set(err, EBUSY,
				    "memory.limit %" PRId64 " is below current usage %llu "
				    "(checkBeforeUpdate)",
				    m->limit.v, u);
	return 0;
}

static void push_pid(pid_t **pids, size_t *n, size_t *cap, pid_t p)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*pids = xrealloc(*pids, *cap * sizeof(pid_t));
	}
	(*pids)[(*n)++] = p;
}

int cg_collect_pids(int dirfd, pid_t **pids, size_t *n, size_t *cap, struct husk_err **err)
{
	cleanup_free char *procs = NULL;
	if (read_file_at(dirfd, "cgroup.procs", &procs, NULL, err) < 0)
		return -1;
	for (char *s = procs, *line; (line = strsep(&s, "\n"));) {
		unsigned long long v;
		if (*line && parse_u64(line, &v) == 0)
			push_pid(pids, n, cap, (pid_t)v);
	}
	/* Sub-cgroups the container made for itself. */
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return husk_err_sys(err, "open cgroup dir");
	cleanup_dir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return husk_err_sys(err, "opendir cgroup dir");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		cleanup_fd int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		if (cg_collect_pids(sub, pids, n, cap, err) < 0)
			return husk_err_wrap(err, "%s", de->d_name);
	}
	return 0;
}

int cg_rmdir_tree(int parentfd, const char *name, struct husk_err **err)
{
	if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno != EBUSY && errno != ENOTEMPTY)
		return husk_err_sys(err, "rmdir %s", name);
	/* Busy: it may hold child cgroups; remove them first, then retry. */
	int dfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : husk_err_sys(err, "open %s", name);
	cleanup_dir DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return husk_err_sys(err, "opendir %s", name);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (cg_rmdir_tree(dirfd(d), de->d_name, err) < 0)
			return husk_err_wrap(err, "%s", name);
	}
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return husk_err_sys(err, "rmdir %s", name);
	return 0;
}
