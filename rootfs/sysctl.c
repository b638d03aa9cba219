/* linux.sysctl: only namespaced keys (runc's rules), written through an fd of
 * the container's /proc/sys that was checked to be a procfs, with lookups that
 * cannot leave it (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

bool rootfs_has_ns(const struct oci_config *cfg, enum oci_ns_type t)
{
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++)
		if (cfg->linux_.namespaces[i].type == t)
			return true;
	return false;
}

bool rootfs_has_mount_ns(const struct oci_config *cfg)
{
	return rootfs_has_ns(cfg, OCI_NS_MOUNT);
}

static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

int sysctl_validate(const struct oci_config *cfg, const char *name, struct husk_err **err)
{
	if (!name || !*name || name[0] == '.' || name[0] == '/' || strstr(name, "..") ||
	    strstr(name, "//"))
		return husk_err_set(err, EINVAL, "sysctl \"%s\": malformed name", name ? name : "");
	/* "fs/mqueue/msg_max" is checked as "fs.mqueue.msg_max" */
	cleanup_free char *key = xstrdup(name);
	if (strchr(key, '/'))
		for (char *p = key; *p; p++)
			if (*p == '/')
				*p = '.';
	bool ipc = strncmp(key, "fs.mqueue.", 10) == 0;
	for (size_t i = 0; !ipc && i < ARRAY_SIZE(ipc_sysctls); i++)
		ipc = strcmp(key, ipc_sysctls[i]) == 0;
	if (ipc) {
		if (!rootfs_has_ns(cfg, OCI_NS_IPC))
			return husk_err_set(
			    err, EPERM, "sysctl \"%s\" is not allowed in the host's ipc namespace",
			    name);
		return 0;
	}
	if (strncmp(key, "net.", 4) == 0) {
		if (!rootfs_has_ns(cfg, OCI_NS_NETWORK))
			return husk_err_set(
			    err, EPERM,
			    "sysctl \"%s\" is not allowed in the host's network namespace", name);
		return 0;
	}
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0) {
		if (!rootfs_has_ns(cfg, OCI_NS_UTS))
			return husk_err_set(
			    err, EPERM, "sysctl \"%s\" is not allowed in the host's uts namespace",
			    name);
		return 0;
	}
	return husk_err_set(err, EPERM, "sysctl \"%s\" is not in a separate kernel namespace",
			    name);
}

int apply_sysctls(const struct oci_config *cfg, int root_fd, struct husk_err **err)
{
	const oci_kvv *s = &cfg->linux_.sysctl;
	if (s->n == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (sysctl_validate(cfg, s->v[i].key, err) < 0)
			return -1;
	cleanup_fd int sys = open_in_root_raw(root_fd, "/proc/sys", O_PATH | O_DIRECTORY, 0);
	if (sys < 0)
		return husk_err_set(err, -sys, "sysctl: open /proc/sys");
	struct statfs sfs;
	if (fstatfs(sys, &sfs) < 0)
		return husk_err_sys(err, "sysctl: statfs /proc/sys");
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return husk_err_set(err, EPERM, "sysctl: /proc/sys is not a procfs");
	for (size_t i = 0; i < s->n; i++) {
		const char *key = s->v[i].key, *val = s->v[i].value ? s->v[i].value : "";
		/* "a.b.c" is a/b/c; a key already written with '/' keeps its dots
		 * (interface names like eth0.100) */
		cleanup_free char *rel = xstrdup(key);
		if (!strchr(rel, '/'))
			for (char *p = rel; *p; p++)
				if (*p == '.')
					*p = '/';
		cleanup_fd int fd =
		    sys_openat2(sys, rel, O_WRONLY | O_CLOEXEC, 0,
				RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
		if (fd < 0)
			return husk_err_sys(err, "sysctl \"%s\"", key);
		if (write_all(fd, val, strlen(val)) < 0)
			return husk_err_sys(err, "sysctl \"%s\" = \"%s\"", key, val);
	}
	return 0;
}
