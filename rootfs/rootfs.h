/* Building the container's filesystem view.  Runs in the container's init
 * process, after it is in its new mount namespace (and user namespace, if any)
 * and before the user process is exec'd.
 *
 * Every path under the rootfs is resolved through file descriptors
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, or an O_PATH walk) and
 * mounted through /proc/self/fd/N, never by joining strings, so a symlink in
 * the rootfs can never redirect a mount or a write to the host. */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/features.h"
#include "oci/spec.h"

struct rootfs_opts {
	const char
	    *bundle; /* absolute bundle dir: relative root.path and bind sources resolve here */
	const char *rootfs; /* absolute path of the rootfs (root.path resolved against bundle) */
	bool no_pivot;	    /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
	bool userns;	    /* a new user namespace was created: device nodes get bind-mounted */
	int console_pty_fd; /* pty slave to bind onto /dev/console, -1 when no terminal */
	const int *bind_src_fds; /* per config mount: the bind source opened by the
				  * runtime (O_PATH, in our mount namespace), -1 or NULL:
				  * resolve the source path here */
};

/* Phase 1 (before createContainer hooks): make / private (or as rootfsPropagation
 * says), bind the rootfs onto itself, perform every config.json mount in order,
 * create /dev (default nodes, symlinks, devpts/ptmx, linux.devices, console).
 *
 * Needs: the config has a mount namespace and we are in it (refused otherwise);
 * with a user namespace, the maps are written and we are root in it; the host's
 * /proc, /dev and /sys/fs/cgroup are still visible (nothing is pivoted yet).
 * Mounts are made on the new mount API and attached through fds resolved inside
 * the rootfs; on failure nothing is undone: the mounts die with the namespace.
 *
 * cgroup mounts on a v1/hybrid host without a cgroup namespace: only the tmpfs
 * is mounted here; the per-hierarchy binds of our own cgroups are added by
 * rootfs_finalize (before pivot_root), because the runtime may still be moving
 * the init into its cgroups while this runs.  createContainer hooks therefore
 * see an empty /sys/fs/cgroup in that case. */
int rootfs_prepare(const struct oci_config *cfg, const struct rootfs_opts *opts,
		   struct husk_err **err);
/* Without a mount namespace in linux.namespaces the container shares the
 * runtime's (the spec's rule for an unlisted type): prepare then mounts
 * nothing and finalize only chroots into the rootfs. */
bool rootfs_has_mount_ns(const struct oci_config *cfg);

/* Phase 2 (after createContainer hooks): fill in the cgroup v1 binds (see above),
 * sysctl, readonlyPaths, maskedPaths (all inside the rootfs), pivot_root (or
 * MS_MOVE+chroot), drop the old root, then rootfsPropagation, root.readonly.
 * On return the process's "/" is the container rootfs and cwd is "/". */
int rootfs_finalize(const struct oci_config *cfg, const struct rootfs_opts *opts,
		    struct husk_err **err);

/* Optional, between rootfs_prepare and rootfs_finalize (what runc does): allocate
 * the container's terminal from its own devpts instance (<rootfs>/dev/pts/ptmx,
 * so the process sees itself on /dev/pts/N) and bind the slave onto
 * /dev/console.  Use it instead of passing console_pty_fd to rootfs_prepare;
 * the caller sends *master to the console socket and makes *slave the stdio.
 * Fails (ENOENT) when the config mounts no devpts on /dev/pts. */
int rootfs_open_console(const struct rootfs_opts *opts, int *master, int *slave,
			struct husk_err **err);

/* `features`: the mount options this module understands itself and idmapped
 * mounts. */
void rootfs_features(struct oci_features *f);

/* The same without an error object, for callers that decide per errno (image
 * layers: ENOENT means "create it").  Returns the fd or -errno. */
int rootfs_resolve_in_root(int root_fd, const char *path, int flags, mode_t mode);
/* mkdir -p of path inside root_fd (symlinks followed inside the root, missing
 * directories created with mode); returns an O_PATH fd of it or -errno. */
int rootfs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode);

#endif
