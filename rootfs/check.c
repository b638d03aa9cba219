/* husk check, the root filesystem's kernel interfaces: openat2 (paths
 * resolved inside the rootfs), the new mount API and idmapped mounts, each
 * tried for real (a detached mount is gone when its fd closes). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

static void probe_openat2(struct check_report *r)
{
	int fd = sys_openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, 0, ROOTFS_RESOLVE);
	if (fd >= 0) {
		close(fd);
		check_add(r, "syscalls", "openat2", CHECK_OK,
			  "rootfs paths resolve inside the root (RESOLVE_IN_ROOT)", "available");
	} else if (errno == ENOSYS) {
		check_add(r, "syscalls", "openat2", CHECK_LIMITED,
			  "rootfs paths are walked one component at a time (slower; Linux 5.6+)",
			  "ENOSYS");
	} else {
		check_add(r, "syscalls", "openat2", CHECK_LIMITED,
			  "openat2 fails here: husk walks rootfs paths itself", "%s",
			  strerror(errno));
	}
}

static void probe_mount_api(struct check_report *r)
{
	struct husk_err *err = NULL;
	int fd = fs_new_mount("tmpfs", "tmpfs", NULL, 0, &err);
	if (fd >= 0) {
		close(fd);
		check_add(r, "syscalls", "mount API", CHECK_OK,
			  "mounts are made detached and attached by fd (fsopen, fsmount, "
			  "move_mount)",
			  "fsopen tmpfs: ok");
		return;
	}
	int e = err ? err->errnum : errno;
	check_add(r, "syscalls", "mount API", e == ENOSYS ? CHECK_MISSING : CHECK_LIMITED,
		  e == ENOSYS	   ? "no fsopen/fsmount (Linux 5.2+): containers cannot be set up"
		  : geteuid() != 0 ? "refused to this user: mounts only inside a user namespace "
				     "(rootless)"
				   : "fsopen is refused here: container mounts will fail too",
		  "%s", err && err->msg ? err->msg : strerror(e));
	husk_err_free(&err);
}

/* An identity map of uid/gid 0, which any root can write. */
static int try_idmap(int tree, struct husk_err **err)
{
	struct oci_id_mapping id = {.container_id = 0, .host_id = 0, .size = 1};
	struct oci_mount m = {0};
	m.uid_mappings = m.gid_mappings = &id;
	m.n_uid_mappings = m.n_gid_mappings = 1;
	struct oci_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	return apply_idmap(tree, &cfg, &m, false, err);
}

/* The filesystem type of the mount at "/", from mountinfo. */
static char *root_fstype(void)
{
	cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	char *type = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		char mnt[256], fstype[64];
		char *sep = strstr(line, " - ");
		if (sep && sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && !strcmp(mnt, "/") &&
		    sscanf(sep + 3, "%63s", fstype) == 1) {
			free(type);
			type = xstrdup(fstype); /* the last mount on / is the visible one */
		}
	}
	return type ? type : xstrdup("unknown");
}

static void probe_idmap(struct check_report *r)
{
	cleanup_free char *fstype = root_fstype();
	cleanup_fd int tree = (int)open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0) {
		check_add(r, "syscalls", "idmapped mounts",
			  errno == ENOSYS ? CHECK_MISSING : CHECK_LIMITED,
			  geteuid() != 0 ? "refused to this user: idmap mount options need root"
					 : "mounts with the idmap option fail",
			  "open_tree: %s", strerror(errno));
		return;
	}
	struct husk_err *err = NULL;
	if (try_idmap(tree, &err) == 0) {
		check_add(r, "syscalls", "idmapped mounts", CHECK_OK,
			  "idmap/ridmap mount options work (tried on /)",
			  "MOUNT_ATTR_IDMAP on / (%s)", fstype);
		return;
	}
	int e = err->errnum;
	check_add(r, "syscalls", "idmapped mounts", e == ENOSYS ? CHECK_MISSING : CHECK_LIMITED,
		  e == ENOSYS ? "no mount_setattr (Linux 5.12+): idmap mount options fail"
			      : "idmap mount options fail on / (the filesystem may not support "
				"them; others may)",
		  "%s (on /, %s)", err->msg, fstype);
	husk_err_free(&err);
}

static void probe_rootfs(struct check_report *r)
{
	probe_openat2(r);
	probe_mount_api(r);
	probe_idmap(r);
}

HUSK_CHECK(rootfs_check, {.order = 50, .probe = probe_rootfs});
