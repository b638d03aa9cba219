/* /dev inside the container: default nodes, linux.devices, the usual symlinks,
 * /dev/ptmx and /dev/console.
 *
 * Like runc, nothing is added when the config bind-mounts its own /dev.  Nodes
 * are made with mknodat relative to an fd of their directory and then checked
 * (type and major:minor) so that a pre-existing file or a race cannot leave
 * something else in their place.  In a user namespace mknod is not allowed: the
 * host's node is bind-mounted instead, after checking it is the device asked. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

struct dev_spec {
	const char *path;
	mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static const struct dev_spec default_devices[] = {
    {"/dev/null", S_IFCHR, 1, 3, 0666, 0, 0},	 {"/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0},
    {"/dev/full", S_IFCHR, 1, 7, 0666, 0, 0},	 {"/dev/random", S_IFCHR, 1, 8, 0666, 0, 0},
    {"/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0}, {"/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0},
};

static bool config_dev_is_bind(const struct oci_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (!m->destination)
			continue;
		cleanup_free char *d = clean_path(m->destination);
		if (strcmp(d, "/dev") != 0)
			continue;
		if (m->type && strcmp(m->type, "bind") == 0)
			return true;
		for (size_t j = 0; j < m->options.n; j++)
			if (strcmp(m->options.v[j], "bind") == 0 ||
			    strcmp(m->options.v[j], "rbind") == 0)
				return true;
	}
	return false;
}

static bool is_device(const struct stat *st, const struct dev_spec *d)
{
	if ((st->st_mode & S_IFMT) != d->type)
		return false;
	if (d->type == S_IFIFO)
		return true;
	return major(st->st_rdev) == d->major && minor(st->st_rdev) == d->minor;
}

int open_verified_null(int dir_fd, const char *path, struct husk_err **err)
{
	static const struct dev_spec null_dev = {"/dev/null", S_IFCHR, 1, 3, 0, 0, 0};
	cleanup_fd int fd = open_in_root_raw(dir_fd, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return husk_err_set(err, -fd, "open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "stat %s", path);
	if (!is_device(&st, &null_dev))
		return husk_err_set(err, EPERM, "%s is not the null device (char 1:3)", path);
	return steal_fd(&fd);
}

/* The directory that will hold d->path, and the node's name in it; *direct
 * when that directory is /dev itself. */
static int device_parent(struct rootfs_ctx *ctx, int dev_fd, const char *path, char **clean,
			 const char **name, bool *direct)
{
	*clean = clean_path(path);
	char *slash = strrchr(*clean, '/');
	*name = slash + 1;
	*direct = slash - *clean == 4 && strncmp(*clean, "/dev", 4) == 0;
	if (*direct)
		return fcntl(dev_fd, F_DUPFD_CLOEXEC, 0);
	*slash = '\0';
	int fd = open_or_create_in_root(ctx->root_fd, **clean ? *clean : "/", TARGET_DIR, 0755);
	*slash = '/';
	return fd;
}

static bool same_mount(int a, int b)
{
	uint64_t ia, ib;
	return sys_statx_mnt(a, &ia, NULL) == 0 && sys_statx_mnt(b, &ib, NULL) == 0 && ia == ib;
}

static int bind_host_device(int dir_fd, const char *name, const struct dev_spec *d,
			    struct husk_err **err)
{
	cleanup_fd int src = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (src < 0)
		return husk_err_sys(err, "bind host device");
	struct stat st;
	if (fstat(src, &st) < 0)
		return husk_err_sys(err, "stat host device");
	if (!is_device(&st, d))
		return husk_err_set(err, EPERM, "host %s is not the device asked for", d->path);
	if (mknodat(dir_fd, name, S_IFREG | 0600, 0) < 0 && errno != EEXIST)
		return husk_err_sys(err, "create mount point");
	cleanup_fd int target = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return husk_err_sys(err, "open mount point");
	if (fstat(target, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
		return husk_err_set(err, EEXIST, "mount point exists and is not a file");
	if (attach_mount(src, target) < 0)
		return husk_err_sys(err, "move_mount");
	return 0;
}

/* ours: dir_fd is on the container's own /dev mount, so an existing entry may
 * be replaced or re-owned; elsewhere (a config bind inside /dev, maybe of a host
 * directory) an existing entry is only accepted when it is the device asked. */
static int mknod_device(int dir_fd, const char *name, const struct dev_spec *d, bool ours,
			struct husk_err **err)
{
	dev_t rdev = d->type == S_IFIFO ? 0 : makedev(d->major, d->minor);
	struct stat st;
	if (mknodat(dir_fd, name, d->type | (d->mode & 07777), rdev) < 0) {
		if (errno != EEXIST)
			return husk_err_sys(err, "mknod");
		/* Something is there already (image content, a /dev that is not ours, a
		 * config bind mount): keep it only if it is exactly this device.  A bind
		 * mount is left alone entirely: its inode may be the host's. */
		struct statx stx;
		if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0) {
			st.st_mode = stx.stx_mode;
			st.st_rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
			st.st_uid = stx.stx_uid;
			st.st_gid = stx.stx_gid;
			if (is_device(&st, d)) {
				if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) || !ours)
					return 0;
				goto owner;
			}
		}
		if (!ours)
			return husk_err_set(
			    err, EEXIST,
			    "exists, is not the device asked for, and is not on the "
			    "container's own /dev");
		if (unlinkat(dir_fd, name, 0) < 0)
			return husk_err_sys(err, "replace existing file");
		if (mknodat(dir_fd, name, d->type | (d->mode & 07777), rdev) < 0)
			return husk_err_sys(err, "mknod");
	}
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return husk_err_sys(err, "stat");
	if (!is_device(&st, d))
		return husk_err_set(err, EEXIST, "the node created is not the device asked for");
owner:
	if ((st.st_mode & 07777) != (d->mode & 07777) &&
	    fchmodat(dir_fd, name, d->mode & 07777, 0) < 0)
		return husk_err_sys(err, "chmod");
	if ((st.st_uid != d->uid || st.st_gid != d->gid) &&
	    fchownat(dir_fd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return husk_err_sys(err, "chown");
	return 0;
}

static int create_device(struct rootfs_ctx *ctx, int dev_fd, const struct dev_spec *d,
			 struct husk_err **err)
{
	cleanup_free char *clean = NULL;
	const char *name;
	bool direct;
	cleanup_fd int dir = device_parent(ctx, dev_fd, d->path, &clean, &name, &direct);
	if (dir < 0)
		return husk_err_set(err, -dir, "device \"%s\": parent directory", d->path);
	if (!*name)
		return husk_err_set(err, EINVAL, "device \"%s\": bad path", d->path);
	int r = ctx->opts->userns && d->type != S_IFIFO
		    ? bind_host_device(dir, name, d, err)
		    : mknod_device(dir, name, d, direct || same_mount(dir, dev_fd), err);
	if (r < 0)
		return husk_err_wrap(err, "device \"%s\"", d->path);
	return 0;
}

static int spec_from_config(const struct oci_device *cd, struct dev_spec *d, size_t idx,
			    struct husk_err **err)
{
	if (!cd->path || cd->path[0] != '/')
		return husk_err_set(err, EINVAL, "linux.devices[%zu]: path must be absolute", idx);
	const char *t = cd->type ? cd->type : "";
	if (strcmp(t, "c") == 0 || strcmp(t, "u") == 0)
		d->type = S_IFCHR;
	else if (strcmp(t, "b") == 0)
		d->type = S_IFBLK;
	else if (strcmp(t, "p") == 0)
		d->type = S_IFIFO;
	else
		return husk_err_set(err, EINVAL, "linux.devices[%zu] \"%s\": bad type \"%s\"", idx,
				    cd->path, t);
	if (d->type != S_IFIFO &&
	    (cd->major < 0 || cd->minor < 0 || cd->major > 0xfff || cd->minor > 0xfffff))
		return husk_err_set(err, EINVAL, "linux.devices[%zu] \"%s\": bad major/minor", idx,
				    cd->path);
	d->path = cd->path;
	d->major = (unsigned)cd->major;
	d->minor = (unsigned)cd->minor;
	d->mode = cd->file_mode.set ? (mode_t)(cd->file_mode.v & 07777) : 0666;
	d->uid = cd->uid.set ? (uid_t)cd->uid.v : 0;
	d->gid = cd->gid.set ? (gid_t)cd->gid.v : 0;
	return 0;
}

static bool config_has_device(const struct oci_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->linux_.n_devices; i++) {
		if (!cfg->linux_.devices[i].path)
			continue;
		cleanup_free char *p = clean_path(cfg->linux_.devices[i].path);
		if (strcmp(p, path) == 0)
			return true;
	}
	return false;
}

static int dev_symlinks(int dev_fd, struct husk_err **err)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev_fd, links[i][1]) < 0 && errno != EEXIST)
			return husk_err_sys(err, "symlink /dev/%s", links[i][1]);
	/* /dev/core only where the kernel has /proc/kcore (CONFIG_PROC_KCORE) */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev_fd, "core") < 0 &&
	    errno != EEXIST)
		return husk_err_sys(err, "symlink /dev/core");
	/* /dev/ptmx must be the devpts instance of this container (an image /dev
	 * that already has the link is not rewritten) */
	char l[16];
	ssize_t n = readlinkat(dev_fd, "ptmx", l, sizeof(l));
	if (n == 8 && memcmp(l, "pts/ptmx", 8) == 0)
		return 0;
	if ((n >= 0 || errno != ENOENT) && unlinkat(dev_fd, "ptmx", 0) < 0 && errno != ENOENT)
		return husk_err_sys(err, "remove /dev/ptmx");
	if (symlinkat("pts/ptmx", dev_fd, "ptmx") < 0)
		return husk_err_sys(err, "symlink /dev/ptmx");
	return 0;
}

bool rootfs_dev_is_ours;

int setup_dev(struct rootfs_ctx *ctx, struct husk_err **err)
{
	const struct oci_config *cfg = ctx->cfg;
	bool own_dev = !config_dev_is_bind(cfg);
	rootfs_dev_is_ours = own_dev;
	int pty = ctx->opts->console_pty_fd;
	if (!own_dev && pty < 0)
		return 0;
	cleanup_fd int dev_fd = open_or_create_in_root(ctx->root_fd, "/dev", TARGET_DIR, 0755);
	if (dev_fd < 0)
		return husk_err_set(err, -dev_fd, "open /dev");
	if (own_dev) {
		mode_t old = umask(0);
		int r = 0;
		for (size_t i = 0; r == 0 && i < cfg->linux_.n_devices; i++) {
			struct dev_spec d;
			r = spec_from_config(&cfg->linux_.devices[i], &d, i, err);
			if (r == 0)
				r = create_device(ctx, dev_fd, &d, err);
		}
		for (size_t i = 0; r == 0 && i < ARRAY_SIZE(default_devices); i++)
			if (!config_has_device(cfg, default_devices[i].path))
				r = create_device(ctx, dev_fd, &default_devices[i], err);
		umask(old);
		if (r < 0 || dev_symlinks(dev_fd, err) < 0)
			return -1;
	}
	if (pty >= 0 && bind_console(dev_fd, pty, own_dev, err) < 0)
		return -1;
	return 0;
}

