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

#include "common/err.h"
#include "oci/spec.h"

struct rootfs_opts {
	const char *bundle;     /* absolute bundle dir: relative root.path and bind sources resolve here */
	const char *rootfs;     /* absolute path of the rootfs (root.path resolved against bundle) */
	bool no_pivot;          /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
	bool userns;            /* a new user namespace was created: device nodes get bind-mounted */
	int console_pty_fd;     /* pty slave to bind onto /dev/console, -1 when no terminal */
};

/* Phase 1 (before createContainer hooks): make / private (or as rootfsPropagation
 * says), bind the rootfs onto itself, perform every config.json mount in order,
 * create /dev (default nodes, symlinks, devpts/ptmx, linux.devices, console). */
int rootfs_prepare(const struct oci_config *cfg, const struct rootfs_opts *opts,
		   struct husk_err **err);

/* Phase 2 (after createContainer hooks): pivot_root (or MS_MOVE+chroot), drop the
 * old root, apply rootfsPropagation, maskedPaths, readonlyPaths, sysctl,
 * root.readonly.  On return the process's "/" is the container rootfs. */
int rootfs_finalize(const struct oci_config *cfg, const struct rootfs_opts *opts,
		    struct husk_err **err);

/* After rootfs_prepare (called with console_pty_fd -1): bind pty_fd, a slave of
 * the container's own devpts, onto /dev/console.  The runtime opens the pty
 * there so that ttyname() inside the container is /dev/pts/N, as with runc. */
int rootfs_setup_console(const struct rootfs_opts *opts, int pty_fd, struct husk_err **err);

/* Open path inside the directory root_fd as if root_fd were "/": symlinks cannot
 * escape, magic links are refused.  flags as openat(2); O_CLOEXEC is added. */
int rootfs_open_in_root(int root_fd, const char *path, int flags, mode_t mode,
			struct husk_err **err);

#endif
