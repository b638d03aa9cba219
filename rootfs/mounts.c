/* One config.json mount: bind/rbind, remount, cgroup, or a filesystem by name.
 *
 * Every mount is built detached (open_tree(OPEN_TREE_CLONE) or fsopen/fsmount),
 * gets its attributes while nobody can see it, and is then attached with
 * move_mount onto a target fd that was resolved inside the rootfs.  The kernel
 * mounts exactly onto that fd's (mount, dentry), so a symlink in the rootfs can
 * at worst move the mount elsewhere inside the rootfs, never to the host; the
 * verification afterwards refuses even that.
 *
 * Failure paths do not unmount: the mounts live in the container's private mount
 * namespace, which dies with the init process that reports the error. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

static int check_target(int target_fd, const char *dest, struct husk_err **err);

static int verify_mount(int root_fd, const char *dest, int mnt_fd, struct husk_err **err)
{
	uint64_t want, got;
	if (sys_statx_mnt(mnt_fd, &want, NULL) < 0)
		return husk_err_sys(err, "statx of the new mount");
	cleanup_fd int fd = open_in_root_raw(root_fd, dest, O_PATH, 0);
	if (fd < 0)
		return husk_err_set(err, -fd, "verify: reopen \"%s\"", dest);
	if (sys_statx_mnt(fd, &got, NULL) < 0)
		return husk_err_sys(err, "verify: statx \"%s\"", dest);
	if (got != want)
		return husk_err_set(err, EXDEV,
				    "verify: \"%s\" does not resolve to the new mount (the path "
				    "changed while mounting?)",
				    dest);
	return 0;
}

int place_mount(struct rootfs_ctx *ctx, int mnt_fd, const char *dest, enum target_kind kind,
		struct husk_err **err)
{
	cleanup_fd int target = open_in_root_raw(ctx->root_fd, dest, O_PATH, 0);
	if (target == -ENOENT) {
		target = open_or_create_in_root(ctx->root_fd, dest, kind,
						kind == TARGET_DIR ? 0755 : 0644);
	}
	if (target < 0)
		return husk_err_set(err, -target, "target");
	if (check_target(target, dest, err) < 0)
		return -1;
	if (attach_mount(mnt_fd, target) < 0)
		return husk_err_sys(err, "move_mount");
	return verify_mount(ctx->root_fd, dest, mnt_fd, err);
}

static int bundle_fd(struct rootfs_ctx *ctx, struct husk_err **err)
{
	if (ctx->bundle_fd >= 0)
		return ctx->bundle_fd;
	if (!ctx->opts->bundle)
		return husk_err_set(err, EINVAL, "relative bind source but no bundle directory");
	ctx->bundle_fd = open(ctx->opts->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->bundle_fd < 0)
		return husk_err_sys(err, "open bundle %s", ctx->opts->bundle);
	return ctx->bundle_fd;
}

/* Apply the per-mount and recursive attributes of o to a (detached) tree. */
static int apply_attrs(int mnt_fd, const struct mount_opts *o, bool top, struct husk_err **err)
{
	if ((o->rattr_set || o->rattr_clr) &&
	    sys_setattr(mnt_fd, true, o->rattr_set, o->rattr_clr, 0) < 0)
		return husk_err_sys(err, "set recursive mount attributes");
	if (top && (o->attr_set || o->attr_clr) &&
	    sys_setattr(mnt_fd, false, o->attr_set, o->attr_clr, 0) < 0)
		return husk_err_sys(err, "set mount attributes");
	return 0;
}

static int apply_propagation(int mnt_fd, const struct mount_opts *o, struct husk_err **err)
{
	if (o->propagation && sys_setattr(mnt_fd, o->propagation_rec, 0, 0, o->propagation) < 0)
		return husk_err_sys(err, "set mount propagation");
	return 0;
}

static enum target_kind kind_of(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		return TARGET_FILE;
	return TARGET_DIR;
}

static int bind_entry(struct rootfs_ctx *ctx, const struct oci_mount *m, size_t idx,
		      const char *dest, const struct mount_opts *o, struct husk_err **err)
{
	if (!m->source || !*m->source)
		return husk_err_set(err, EINVAL, "a bind mount needs a source");
	int dirfd = AT_FDCWD;
	const char *src = m->source;
	int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
	if (ctx->opts->bind_src_fds && ctx->opts->bind_src_fds[idx] >= 0) {
		/* opened by the runtime (a user namespace may not reach the path) */
		dirfd = ctx->opts->bind_src_fds[idx];
		src = "";
		flags |= AT_EMPTY_PATH;
	} else if (m->source[0] != '/') {
		dirfd = bundle_fd(ctx, err);
		if (dirfd < 0)
			return -1;
	}
	bool rec = o->extra & MOPT_RBIND;
	cleanup_fd int tree = open_tree(dirfd, src, flags | (rec ? AT_RECURSIVE : 0));
	if (tree < 0)
		return husk_err_sys(err, "source");
	if (apply_attrs(tree, o, true, err) < 0)
		return -1;
	if ((o->extra & (MOPT_IDMAP | MOPT_RIDMAP)) &&
	    apply_idmap(tree, ctx->cfg, m, o->extra & MOPT_RIDMAP, err) < 0)
		return -1;
	/* Only a missing target needs the source's type. */
	cleanup_fd int target = open_in_root_raw(ctx->root_fd, dest, O_PATH, 0);
	if (target == -ENOENT)
		target = open_or_create_in_root(ctx->root_fd, dest, kind_of(tree), 0755);
	if (target < 0)
		return husk_err_set(err, -target, "target");
	if (check_target(target, dest, err) < 0)
		return -1;
	if (attach_mount(tree, target) < 0)
		return husk_err_sys(err, "move_mount");
	if (verify_mount(ctx->root_fd, dest, tree, err) < 0)
		return -1;
	return apply_propagation(tree, o, err);
}

static int remount_entry(struct rootfs_ctx *ctx, const char *dest, const struct mount_opts *o,
			 struct husk_err **err)
{
	cleanup_fd int fd = open_in_root_raw(ctx->root_fd, dest, O_PATH, 0);
	if (fd < 0)
		return husk_err_set(err, -fd, "remount target");
	struct statx stx;
	uint64_t id;
	if (sys_statx_mnt(fd, &id, &stx) < 0)
		return husk_err_sys(err, "statx");
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return husk_err_set(err, EINVAL, "remount: not a mount point");
	if (apply_attrs(fd, o, true, err) < 0)
		return -1;
	return apply_propagation(fd, o, err);
}

/* /proc is where a volume could hide or fake the kernel's view of the container
 * (masked paths live there).  Like runc: /proc itself must be a procfs, and below
 * it only the files that lxcfs-style tools legitimately overlay may be mounted. */
static const char *const proc_allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

static bool proc_target_allowed(const char *dest)
{
	for (size_t i = 0; i < ARRAY_SIZE(proc_allowed); i++)
		if (strcmp(dest, proc_allowed[i]) == 0)
			return true;
	return strncmp(dest, "/proc/pressure/", 15) == 0;
}

static bool is_procfs(const char *path)
{
	struct statfs sfs;
	return path && statfs(path, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* A bind of a procfs (the host's /proc) on /proc is what runc allows too; only
 * without a pid namespace of the container's own, though: with one, the
 * container would see the host's processes instead of its own. */
static int check_proc_bind(const struct rootfs_ctx *ctx, const struct oci_mount *m,
			   struct husk_err **err)
{
	if (!is_procfs(m->source))
		return husk_err_set(err, EPERM, "only a proc filesystem may be mounted on /proc");
	if (rootfs_has_ns(ctx->cfg, OCI_NS_PID))
		return husk_err_set(err, EPERM,
				    "a bind of %s on /proc shows another pid namespace's processes: "
				    "only allowed without a pid namespace in linux.namespaces",
				    m->source);
	return 0;
}

static int check_proc_dest(const struct rootfs_ctx *ctx, const struct oci_mount *m,
			   const char *dest, bool bind, struct husk_err **err)
{
	const char *type = m->type;
	if (strcmp(dest, "/") == 0)
		return husk_err_set(err, EINVAL, "a mount on \"/\" would hide the rootfs");
	if (strcmp(dest, "/proc") == 0) {
		if (bind)
			return check_proc_bind(ctx, m, err);
		if (!type || strcmp(type, "proc") != 0)
			return husk_err_set(err, EPERM,
					    "only a proc filesystem may be mounted on /proc");
		return 0;
	}
	if (strncmp(dest, "/proc/", 6) != 0 || proc_target_allowed(dest))
		return 0;
	return husk_err_set(err, EPERM, "mounting under /proc is only allowed on a few files");
}

/* The same rule after resolution: a path that reaches into a procfs through a
 * symlink ("/myproc/sys" with /myproc -> /proc) gets no exemption. */
static int check_target(int target_fd, const char *dest, struct husk_err **err)
{
	struct statfs sfs;
	if (fstatfs(target_fd, &sfs) < 0)
		return husk_err_sys(err, "statfs target");
	if (sfs.f_type == PROC_SUPER_MAGIC && strcmp(dest, "/proc") != 0 &&
	    !proc_target_allowed(dest))
		return husk_err_set(err, EPERM, "the target is inside a procfs");
	return 0;
}

static int fs_entry(struct rootfs_ctx *ctx, const struct oci_mount *m, const char *dest,
		    const struct mount_opts *o, struct husk_err **err)
{
	struct husk_err *ferr = NULL;
	cleanup_fd int mfd = fs_new_mount(m->type, m->source, o, o->attr_set, &ferr);
	if (mfd < 0) {
		/* In a user namespace that does not own the network namespace sysfs
		 * cannot be mounted; runc then binds the host's /sys instead. */
		if (ferr->errnum == EPERM && ctx->opts->userns && strcmp(m->type, "sysfs") == 0) {
			husk_err_free(&ferr);
			mfd = open_tree(AT_FDCWD, "/sys",
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
			if (mfd < 0)
				return husk_err_sys(err, "bind /sys (sysfs not mountable here)");
			if (sys_setattr(mfd, true, o->attr_set, o->attr_clr, 0) < 0)
				return husk_err_sys(err, "set mount attributes");
		} else {
			int code = husk_err_code(ferr);
			if (err && !*err)
				*err = ferr;
			else
				husk_err_free(&ferr);
			return code;
		}
	}
	if (apply_attrs(mfd, o, false, err) < 0)
		return -1;
	if ((o->extra & MOPT_TMPCOPYUP) && strcmp(m->type, "tmpfs") == 0) {
		cleanup_fd int src =
		    open_in_root_raw(ctx->root_fd, dest, O_RDONLY | O_DIRECTORY, 0);
		if (src >= 0 && copy_tree(src, mfd, err) < 0)
			return husk_err_wrap(err, "tmpcopyup");
	}
	if (place_mount(ctx, mfd, dest, TARGET_DIR, err) < 0)
		return -1;
	return apply_propagation(mfd, o, err);
}

int mount_config_entry(struct rootfs_ctx *ctx, size_t idx, struct husk_err **err)
{
	const struct oci_mount *m = &ctx->cfg->mounts[idx];
	const char *what = m->source && *m->source ? m->source : (m->type ? m->type : "none");
	if (!m->destination || !*m->destination)
		return husk_err_set(err, EINVAL, "mounts[%zu]: destination is required", idx);
	cleanup_free char *dest = clean_path(m->destination);
	struct mount_opts o;
	if (mount_opts_parse(&m->options, &o, err) < 0)
		return husk_err_wrap(err, "mount \"%s\" on \"%s\"", what, m->destination);
	bool bind =
	    (o.extra & (MOPT_BIND | MOPT_RBIND)) || (m->type && strcmp(m->type, "bind") == 0);
	int r;
	if (check_proc_dest(ctx, m, dest, bind, err) < 0)
		r = -1;
	else if (o.extra & MOPT_REMOUNT)
		r = remount_entry(ctx, dest, &o, err);
	else if (bind)
		r = bind_entry(ctx, m, idx, dest, &o, err);
	else if (!m->type || !*m->type)
		r = husk_err_set(err, EINVAL, "type is required (or a bind/rbind option)");
	else if (o.extra & (MOPT_IDMAP | MOPT_RIDMAP))
		r = husk_err_set(err, ENOTSUP, "idmap/ridmap are only supported on bind mounts");
	else if (strcmp(m->type, "cgroup") == 0)
		r = mount_cgroup(ctx, m, &o, err);
	else
		r = fs_entry(ctx, m, dest, &o, err);
	mount_opts_free(&o);
	if (r < 0)
		return husk_err_wrap(err, "mount \"%s\" on \"%s\"", what, m->destination);
	return 0;
}
