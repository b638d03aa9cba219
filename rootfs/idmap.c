/* idmap / ridmap bind mounts: the bind gets MOUNT_ATTR_IDMAP with a user
 * namespace built from the mount's uidMappings/gidMappings (or, when the mount
 * has none, the container's), written as given, like runc.  A file owned by
 * containerID on disk then shows up as owned by hostID through the mount.
 *
 * The user namespace comes from a short-lived child that only unshares it; we
 * write its maps, keep an fd to it and let the child go.  The kernel wants
 * CAP_SYS_ADMIN over the filesystem's own user namespace, so from inside a
 * container user namespace this works only for filesystems mounted there. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

static char *format_map(const struct oci_id_mapping *m, size_t n)
{
	size_t cap = n * 40 + 1, len = 0;
	char *s = xmalloc(cap);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += snprintf(s + len, cap - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
				m[i].size);
	return s;
}

static int write_map(pid_t pid, const char *file, const char *map, struct husk_err **err)
{
	cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	return write_string_at(AT_FDCWD, path, map, err);
}

static int userns_fd_for(const struct oci_id_mapping *uid, size_t nu,
			 const struct oci_id_mapping *gid, size_t ng, struct husk_err **err)
{
	int ready[2], hold[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return husk_err_sys(err, "idmap: pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return husk_err_sys(err, "idmap: pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		/* Our pid as the mounted /proc numbers it: the init may be pid 1 of a
		 * new pid namespace while /proc is still the host's. */
		char msg[32] = "e";
		ssize_t n = readlink("/proc/self", msg + 1, sizeof(msg) - 2);
		if (n > 0 && unshare(CLONE_NEWUSER) == 0)
			msg[0] = 'u';
		if (write(ready[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
			_exit(1);
		/* wait until the parent has what it needs (EOF) */
		char c;
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	int fork_errno = errno;
	close(ready[1]);
	close(hold[0]);
	int fd = -1;
	cleanup_free char *um = NULL, *gm = NULL, *ns = NULL;
	if (pid < 0) {
		husk_err_set(err, fork_errno, "idmap: fork");
		goto out;
	}
	char msg[32] = "";
	unsigned long long proc_pid;
	if (read_all(ready[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg) || msg[0] != 'u' ||
	    parse_u64(msg + 1, &proc_pid) < 0) {
		husk_err_set(err, EPERM, "idmap: could not create a user namespace");
		goto out;
	}
	um = format_map(uid, nu);
	gm = format_map(gid, ng);
	if (write_map((pid_t)proc_pid, "uid_map", um, err) < 0 ||
	    write_map((pid_t)proc_pid, "gid_map", gm, err) < 0) {
		husk_err_wrap(err, "idmap");
		goto out;
	}
	ns = xasprintf("/proc/%llu/ns/user", proc_pid);
	fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		husk_err_sys(err, "idmap: open %s", ns);
out:
	close(ready[0]);
	close(hold[1]); /* lets the child exit */
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return fd;
}

int apply_idmap(int tree_fd, const struct oci_config *cfg, const struct oci_mount *m,
		bool recursive, struct husk_err **err)
{
	const struct oci_id_mapping *uid = m->uid_mappings, *gid = m->gid_mappings;
	size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
	if (!nu && !ng) {
		uid = cfg->linux_.uid_mappings;
		nu = cfg->linux_.n_uid_mappings;
		gid = cfg->linux_.gid_mappings;
		ng = cfg->linux_.n_gid_mappings;
	}
	if (!nu || !ng)
		return husk_err_set(err, EINVAL,
				    "idmap needs uidMappings and gidMappings (on the mount or in "
				    "linux)");
	cleanup_fd int ns = userns_fd_for(uid, nu, gid, ng, err);
	if (ns < 0)
		return -1;
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return husk_err_sys(err, "idmap: mount_setattr");
	return 0;
}
