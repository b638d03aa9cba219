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
#include "rootfs/plan.h"

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

static int run_step(void *arg, const struct rootfs_op *op, struct husk_err **err)
{
	struct rootfs_ctx *ctx = arg;
	const struct oci_config *cfg = ctx->cfg;
	switch (op->step) {
	case RSTEP_ROOT_PROPAGATION:
		if (mount(NULL, "/", NULL, op->flags, NULL) < 0)
			return husk_err_sys(err, "rootfs: make / %s",
					    cfg->linux_.rootfs_propagation
						? cfg->linux_.rootfs_propagation
						: "rslave");
		return 0;
	case RSTEP_PARENT_PRIVATE:
		if (make_parent_mount_private(ctx->opts->rootfs, err) < 0)
			return husk_err_wrap(err, "rootfs");
		return 0;
	case RSTEP_BIND_ROOTFS:
		return bind_rootfs(ctx->opts->rootfs, &ctx->root_fd, err);
	case RSTEP_MOUNT:
		return mount_config_entry(ctx, op->index, err);
	case RSTEP_DEV:
		return setup_dev(ctx, err);
	default:
		return husk_err_set(err, EINVAL, "rootfs: step %s does not belong to prepare",
				    rootfs_step_name(op->step));
	}
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
	struct rootfs_plan plan = {0};
	if (rootfs_plan_prepare(cfg, opts, &plan, err) < 0)
		return -1;
	struct rootfs_ctx ctx = {.cfg = cfg, .opts = opts, .root_fd = -1, .bundle_fd = -1};
	int r = rootfs_plan_run(&plan, run_step, &ctx, err);
	rootfs_plan_free(&plan);
	if (ctx.root_fd >= 0)
		close(ctx.root_fd);
	if (ctx.bundle_fd >= 0)
		close(ctx.bundle_fd);
	return r < 0 ? husk_err_code(err ? *err : NULL) : 0;
}
