/* rootfs_finalize: sysctl, readonlyPaths and maskedPaths (resolved inside an fd
 * of the rootfs), switch to the container root, then rootfsPropagation and
 * root.readonly on the new "/". */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"
#include "rootfs/plan.h"

/* pivot_root(".", ".") stacks the old root on top of the new one at "/", so no
 * directory inside the rootfs (read-only? a symlink?) is needed to park it.  The
 * old root is then made rslave, so that detaching it cannot propagate umounts
 * to the host, and detached lazily: nothing of the host stays reachable. */
static int pivot(int new_root, struct husk_err **err)
{
	cleanup_fd int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (old_root < 0)
		return husk_err_sys(err, "open /");
	if (fchdir(new_root) < 0)
		return husk_err_sys(err, "chdir to the rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return husk_err_sys(err, "pivot_root");
	if (fchdir(old_root) < 0)
		return husk_err_sys(err, "chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return husk_err_sys(err, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return husk_err_sys(err, "detach the old root");
	if (chdir("/") < 0)
		return husk_err_sys(err, "chdir /");
	return 0;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int by_depth_desc(const void *a, const void *b)
{
	return (int)strlen(*(char *const *)b) - (int)strlen(*(char *const *)a);
}

/* Without pivot_root the host's mounts stay in the namespace under the moved
 * rootfs, reachable by anyone who escapes the chroot.  Like runc, detach every
 * mount that is neither the rootfs, inside it, nor one of its ancestors (or
 * cover it with an empty read-only tmpfs when it cannot be detached).  The
 * slow --no-pivot path is the one place that reads mountinfo. */
static int detach_host_mounts(const char *rootfs, struct husk_err **err)
{
	cleanup_free char *info = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", &info, NULL, err) < 0)
		return -1;
	size_t n = 0, cap = 16;
	char **points = xcalloc(cap, sizeof(char *));
	for (char *line = info, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		char *f = line;
		for (int i = 0; i < 4 && f; i++) { /* the 5th field is the mount point */
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		char *end = strchr(f, ' ');
		if (end)
			*end = '\0';
		unescape_octal(f);
		if (strcmp(f, "/") == 0 || is_under(f, rootfs) || is_under(rootfs, f))
			continue;
		if (n + 1 >= cap)
			points = xrealloc(points, (cap *= 2) * sizeof(char *));
		points[n++] = f;
	}
	qsort(points, n, sizeof(char *), by_depth_desc);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (umount2(points[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0 || errno == EINVAL ||
		    errno == ENOENT)
			continue;
		if (mount("tmpfs", points[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0") < 0)
			r = husk_err_sys(err, "detach host mount %s", points[i]);
	}
	free(points);
	return r;
}

/* --no-pivot (rootfs on a ramfs, where pivot_root is impossible): move the
 * rootfs mount over "/" and chroot into it. */
static int move_root(const char *rootfs, int new_root, struct husk_err **err)
{
	/* mountinfo names the real path */
	cleanup_free char *real = realpath(rootfs, NULL);
	if (!real)
		return husk_err_sys(err, "realpath %s", rootfs);
	if (detach_host_mounts(real, err) < 0)
		return -1;
	if (fchdir(new_root) < 0)
		return husk_err_sys(err, "chdir to the rootfs");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return husk_err_sys(err, "move the rootfs to /");
	if (chroot(".") < 0)
		return husk_err_sys(err, "chroot");
	if (chdir("/") < 0)
		return husk_err_sys(err, "chdir /");
	return 0;
}

static int readonly_path(int root_fd, const char *path, struct husk_err **err)
{
	cleanup_fd int fd = open_in_root_raw(root_fd, path, O_PATH, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return husk_err_set(err, -fd, "open");
	/* Bind onto itself and make that read-only; mount_setattr keeps the
	 * nosuid/nodev/noexec the mount had. */
	cleanup_fd int tree =
	    open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return husk_err_sys(err, "bind");
	if (sys_setattr(tree, true, MOUNT_ATTR_RDONLY, 0, 0) < 0)
		return husk_err_sys(err, "make read-only");
	if (attach_mount(tree, fd) < 0)
		return husk_err_sys(err, "move_mount");
	return 0;
}

struct mask_sources {
	int null_fd;  /* verified /dev/null, -1 until needed */
	int tmpfs_fd; /* an attached read-only empty tmpfs, -1 until needed */
};

static void close_mask_sources(struct mask_sources *src)
{
	if (src->null_fd >= 0)
		close(src->null_fd);
	if (src->tmpfs_fd >= 0)
		close(src->tmpfs_fd);
	src->null_fd = src->tmpfs_fd = -1;
}

static int masked_path(int root_fd, const char *path, struct mask_sources *src,
		       struct husk_err **err)
{
	cleanup_fd int fd = open_in_root_raw(root_fd, path, O_PATH, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return husk_err_set(err, -fd, "open");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "stat");
	if (S_ISDIR(st.st_mode)) {
		if (src->tmpfs_fd < 0) {
			int t = fs_new_mount("tmpfs", "tmpfs", NULL, MOUNT_ATTR_RDONLY, err);
			if (t < 0)
				return -1;
			if (attach_mount(t, fd) < 0) {
				close(t);
				return husk_err_sys(err, "mount read-only tmpfs");
			}
			src->tmpfs_fd = t;
			return 0;
		}
		cleanup_fd int c = open_tree(src->tmpfs_fd, "",
					     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (c < 0 || attach_mount(c, fd) < 0)
			return husk_err_sys(err, "mount read-only tmpfs");
		return 0;
	}
	/* CVE-2025-31133 class: the container's /dev/null might be anything; only
	 * a verified 1:3 character device may be bound over a masked file. */
	if (src->null_fd < 0) {
		src->null_fd = open_verified_null(root_fd, "/dev/null", err);
		if (src->null_fd < 0)
			return husk_err_wrap(err, "mask source");
	}
	cleanup_fd int c =
	    open_tree(src->null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (c < 0 || attach_mount(c, fd) < 0)
		return husk_err_sys(err, "bind /dev/null");
	return 0;
}

struct finalize_ctx {
	const struct oci_config *cfg;
	const struct rootfs_opts *opts;
	int new_root; /* the rootfs (O_PATH) until the switch, then the new "/" */
	struct mask_sources mask;
};

static int run_step(void *arg, const struct rootfs_op *op, struct husk_err **err)
{
	struct finalize_ctx *c = arg;
	switch (op->step) {
	case RSTEP_CGROUP_BINDS:
		return rootfs_cgroup_populate(c->cfg, c->new_root, err);
	case RSTEP_SYSCTLS:
		return apply_sysctls(c->cfg, c->new_root, err);
	case RSTEP_READONLY_PATH:
		if (readonly_path(c->new_root, op->path, err) < 0)
			return husk_err_wrap(err, "readonlyPaths[%zu] \"%s\"", op->index, op->path);
		return 0;
	case RSTEP_MASKED_PATH:
		if (masked_path(c->new_root, op->path, &c->mask, err) < 0)
			return husk_err_wrap(err, "maskedPaths[%zu] \"%s\"", op->index, op->path);
		return 0;
	case RSTEP_PIVOT_ROOT:
	case RSTEP_MOVE_ROOT: {
		/* The masking sources are not needed past the masked paths. */
		close_mask_sources(&c->mask);
		if ((op->step == RSTEP_MOVE_ROOT ? move_root(c->opts->rootfs, c->new_root, err)
						 : pivot(c->new_root, err)) < 0)
			return -1;
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return husk_err_sys(err, "open new /");
		close(c->new_root);
		c->new_root = root;
		return 0;
	}
	case RSTEP_ROOTFS_PROPAGATION:
		if (mount(NULL, "/", NULL, op->flags, NULL) < 0)
			return husk_err_sys(err, "rootfsPropagation %s",
					    c->cfg->linux_.rootfs_propagation);
		return 0;
	case RSTEP_ROOT_READONLY:
		if (sys_setattr(c->new_root, false, MOUNT_ATTR_RDONLY, 0, 0) < 0)
			return husk_err_sys(err, "make the root read-only");
		return 0;
	default:
		return husk_err_set(err, EINVAL, "rootfs: step %s does not belong to finalize",
				    rootfs_step_name(op->step));
	}
}

/* The host's mount namespace: no mount, no pivot_root, just the root. */
static int chroot_only(const char *rootfs, struct husk_err **err)
{
	if (chdir(rootfs) < 0)
		return husk_err_sys(err, "chdir to rootfs %s", rootfs);
	if (chroot(".") < 0)
		return husk_err_sys(err, "chroot to rootfs %s", rootfs);
	if (chdir("/") < 0)
		return husk_err_sys(err, "chdir to the new /");
	return 0;
}

int rootfs_finalize(const struct oci_config *cfg, const struct rootfs_opts *opts,
		    struct husk_err **err)
{
	if (!opts->rootfs)
		return husk_err_set(err, EINVAL, "rootfs: no rootfs path");
	/* No mount namespace of its own: the host's, where husk mounts nothing. */
	if (!rootfs_has_ns(cfg, OCI_NS_MOUNT))
		return chroot_only(opts->rootfs, err);
	struct rootfs_plan plan = {0};
	if (rootfs_plan_finalize(cfg, opts, &plan, err) < 0)
		return -1;
	struct finalize_ctx c = {.cfg = cfg, .opts = opts, .mask = {-1, -1}};
	c.new_root = open(opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = c.new_root < 0 ? husk_err_sys(err, "open rootfs %s", opts->rootfs)
			       : rootfs_plan_run(&plan, run_step, &c, err);
	close_mask_sources(&c.mask);
	if (c.new_root >= 0)
		close(c.new_root);
	rootfs_plan_free(&plan);
	return r < 0 ? -1 : 0;
}
