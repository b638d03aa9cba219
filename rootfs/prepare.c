/* rootfs_prepare: propagation, the rootfs self-bind, config.json mounts, /dev. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

/* rootfsPropagation as MS_* flags; 0 when absent. */
static int root_propagation(const struct oci_config *cfg, unsigned long *out, struct husk_err **err)
{
	const char *p = cfg->linux_.rootfs_propagation;
	*out = 0;
	if (!p || !*p)
		return 0;
	*out = mount_propagation_flags(p);
	if (!*out)
		return husk_err_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"",
				    p);
	return 0;
}

/* pivot_root refuses a new root whose parent mount is shared.  Find the mount
 * that holds the rootfs directory by walking up with fds (no mountinfo) and make
 * it private. */
static int make_parent_mount_private(const char *rootfs, struct husk_err **err)
{
	cleanup_fd int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open %s", rootfs);
	for (int depth = 0; depth < 256; depth++) {
		cleanup_fd int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			return husk_err_sys(err, "walk up from %s", rootfs);
		struct statx stx;
		if (statx(up, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
			return husk_err_sys(err, "statx");
		bool is_mount_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
		close(fd);
		fd = steal_fd(&up);
		if (is_mount_root)
			break;
	}
	if (sys_setattr(fd, false, 0, 0, MS_PRIVATE) < 0)
		return husk_err_sys(err, "make the mount holding the rootfs private");
	return 0;
}

static int bind_rootfs(const char *rootfs, int *root_fd, struct husk_err **err)
{
	cleanup_fd int tree =
	    open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return husk_err_sys(err, "bind rootfs %s", rootfs);
	cleanup_fd int target = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (target < 0)
		return husk_err_sys(err, "open rootfs %s", rootfs);
	if (attach_mount(tree, target) < 0)
		return husk_err_sys(err, "bind rootfs %s onto itself", rootfs);
	/* the tree fd now names the root of the attached bind: use it as the root */
	*root_fd = steal_fd(&tree);
	return 0;
}

int rootfs_prepare(const struct oci_config *cfg, const struct rootfs_opts *opts,
		   struct husk_err **err)
{
	if (!opts->rootfs || opts->rootfs[0] != '/')
		return husk_err_set(err, EINVAL, "rootfs: an absolute rootfs path is required");
	/* Everything below changes the mount namespace we are in: never the host's.
	 * Without a mount namespace of its own the container shares the runtime's
	 * (runtime-spec: an unlisted type is inherited); it then gets no mount at
	 * all, only a chroot (rootfs_finalize), and the runtime warned about it. */
	if (!rootfs_has_ns(cfg, OCI_NS_MOUNT))
		return 0;
	unsigned long prop;
	if (root_propagation(cfg, &prop, err) < 0)
		return -1;
	/* Nothing done in this mount namespace may propagate back to the host.  The
	 * default is runc's rslave: host mounts still reach the container, which
	 * "rslave" bind mounts (Kubernetes' HostToContainer propagation) rely on.
	 * An unbindable tree could not be bound onto itself below: it starts
	 * private, and finalize makes the new / unbindable once it is in place. */
	unsigned long first;
	if (!prop)
		first = MS_REC | MS_SLAVE;
	else if (prop & MS_UNBINDABLE)
		first = MS_REC | MS_PRIVATE;
	else
		first = MS_REC | (prop & ~(unsigned long)MS_REC);
	if (mount(NULL, "/", NULL, first, NULL) < 0)
		return husk_err_sys(err, "rootfs: make / %s",
				    cfg->linux_.rootfs_propagation ? cfg->linux_.rootfs_propagation
								   : "rslave");
	if ((prop & MS_SHARED) && make_parent_mount_private(opts->rootfs, err) < 0)
		return husk_err_wrap(err, "rootfs");

	struct rootfs_ctx ctx = {.cfg = cfg, .opts = opts, .root_fd = -1, .bundle_fd = -1};
	int r = bind_rootfs(opts->rootfs, &ctx.root_fd, err);
	for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++)
		r = mount_config_entry(&ctx, i, err);
	if (r == 0)
		r = setup_dev(&ctx, err);
	if (ctx.root_fd >= 0)
		close(ctx.root_fd);
	if (ctx.bundle_fd >= 0)
		close(ctx.bundle_fd);
	return r < 0 ? husk_err_code(err ? *err : NULL) : 0;
}
