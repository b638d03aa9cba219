/* One layer entry onto the rootfs.
 *
 * The image is untrusted.  An entry's name is cleaned first: "..", absolute
 * names and empty names are refused.  Its parent directory is resolved under
 * the rootfs fd with openat2(RESOLVE_IN_ROOT) (a symlink planted by an earlier
 * entry is followed, but only inside the rootfs, as engines do), and the entry
 * itself is made with *at() calls on that parent fd, never following its last
 * component.  A hard link's target is resolved the same way.  Device nodes
 * are made only when the caller may (root), else skipped as engines do.
 *
 * Tar semantics as in Docker/containerd/umoci: an existing entry is replaced,
 * except that a directory over a directory merges; ".wh.NAME" removes NAME,
 * ".wh..wh..opq" empties its directory of what lower layers put there. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/image/image.h"
#include "oci/image/internal.h"
#include "rootfs/rootfs.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

void img_apply_init(struct img_apply *a, int root_fd, bool privileged)
{
	*a = (struct img_apply){.root_fd = root_fd, .privileged = privileged, .cached_fd = -1};
	a->added = img_pathset_new();
}

static void forget_parent(struct img_apply *a)
{
	if (a->cached_fd >= 0)
		close(a->cached_fd);
	a->cached_fd = -1;
	free(a->cached_parent);
	a->cached_parent = NULL;
}

static void clear_dirs(struct img_apply *a)
{
	for (size_t i = 0; i < a->n_dirs; i++)
		free(a->dirs[i].path);
	a->n_dirs = 0;
}

void img_apply_clear(struct img_apply *a)
{
	forget_parent(a);
	clear_dirs(a);
	free(a->dirs);
	img_pathset_free(a->added);
	a->added = NULL;
}

/* "./a//b/" -> "a/b" ("" is the root).  -EINVAL: absolute, or a ".." component. */
static int clean_name(const char *p, char **out)
{
	if (p[0] == '/')
		return -EINVAL;
	char *o = xmalloc(strlen(p) + 1);
	size_t n = 0;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t len = e - p;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			free(o);
			return -EINVAL;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (n)
				o[n++] = '/';
			memcpy(o + n, p, len);
			n += len;
		}
		p = *e ? e + 1 : e;
	}
	o[n] = '\0';
	*out = o;
	return 0;
}

/* The parent directory of path (its dirname, "" for the root): O_PATH fd
 * owned by a (do not close).  create: make missing directories. */
static int parent_fd(struct img_apply *a, const char *dir, bool create, int *out)
{
	if (!*dir) {
		*out = a->root_fd;
		return 0;
	}
	if (a->cached_parent && !strcmp(a->cached_parent, dir)) {
		*out = a->cached_fd;
		return 0;
	}
	int fd = rootfs_resolve_in_root(a->root_fd, dir, O_PATH | O_DIRECTORY, 0);
	if (fd == -ENOENT && create) {
		fd = rootfs_mkdir_p_in_root(a->root_fd, dir, 0755);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))) {
			close(fd);
			fd = -ENOTDIR;
		}
	}
	if (fd < 0)
		return fd;
	forget_parent(a);
	a->cached_parent = xstrdup(dir);
	a->cached_fd = fd;
	*out = fd;
	return 0;
}

/* path and the directories on the way to it: what an opaque whiteout later
 * in the layer keeps. */
static void mark_added(struct img_pathset *s, const char *path)
{
	cleanup_free char *p = xstrdup(path);
	while (!img_pathset_has(s, p)) {
		img_pathset_add(s, p);
		char *slash = strrchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}

/* Make room for a new entry `name` in parent: remove what is there, except a
 * directory when a directory comes (*merge set).  A removed directory or
 * symlink may be on the cached parent's path: forget it. */
static int make_room(struct img_apply *a, int parent, const char *name, bool dir_wanted,
		     bool *merge, struct husk_err **err)
{
	struct stat st;
	if (merge)
		*merge = false;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : husk_err_sys(err, "stat");
	if (dir_wanted && S_ISDIR(st.st_mode)) {
		*merge = true;
		return 0;
	}
	if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
		forget_parent(a);
	if (S_ISDIR(st.st_mode))
		return image_remove_tree_at(parent, name, err);
	if (unlinkat(parent, name, 0) < 0)
		return husk_err_sys(err, "remove the existing entry");
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1] = (struct timespec){.tv_sec = archive_entry_mtime(e),
				  .tv_nsec = archive_entry_mtime_nsec(e)};
	if (archive_entry_atime_is_set(e))
		ts[0] = (struct timespec){.tv_sec = archive_entry_atime(e),
					  .tv_nsec = archive_entry_atime_nsec(e)};
	else
		ts[0] = ts[1];
}

static bool xattr_ignorable(int e, bool privileged, bool is_link)
{
	return e == ENOTSUP || e == EOPNOTSUPP || (e == EPERM && (!privileged || is_link));
}

/* Owner, mode, xattrs (after chown, which clears security.capability and the
 * setuid bits).  fd: an open fd of the entry, or an O_PATH one (is_path). */
static int set_meta(struct img_apply *a, int fd, bool is_path, struct archive_entry *e, mode_t type,
		    struct husk_err **err)
{
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	bool link = type == AE_IFLNK;
	if (a->privileged) {
		int r = is_path ? fchownat(fd, "", archive_entry_uid(e), archive_entry_gid(e),
					   AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
				: fchown(fd, archive_entry_uid(e), archive_entry_gid(e));
		if (r < 0)
			return husk_err_sys(err, "chown %lld:%lld", (long long)archive_entry_uid(e),
					    (long long)archive_entry_gid(e));
	}
	if (!link) {
		mode_t mode = archive_entry_perm(e) & 07777;
		int r = is_path ? chmod(proc, mode) : fchmod(fd, mode);
		if (r < 0)
			return husk_err_sys(err, "chmod %04o", mode);
	}
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		int r = is_path ? setxattr(proc, name, value, size, 0)
				: fsetxattr(fd, name, value, size, 0);
		if (r < 0 && !xattr_ignorable(errno, a->privileged, link))
			return husk_err_sys(err, "set xattr %s", name);
	}
	return 0;
}

static int write_data(struct archive *ar, int fd, struct archive_entry *e, struct husk_err **err)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(ar, &buf, &size, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (size) {
			ssize_t w = pwrite(fd, p, size, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return husk_err_sys(err, "write");
			p += w;
			off += w;
			size -= w;
		}
	}
	if (r != ARCHIVE_EOF)
		return husk_err_set(err, 0, "read its data: %s", archive_error_string(ar));
	/* Sparse files end in a hole; a plain file is already this size. */
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return husk_err_sys(err, "truncate");
	return 0;
}

static int add_file(struct img_apply *a, struct archive *ar, struct archive_entry *e, int parent,
		    const char *name, struct husk_err **err)
{
	if (make_room(a, parent, name, false, NULL, err) < 0)
		return -1;
	cleanup_fd int fd =
	    openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_err_sys(err, "create");
	if (write_data(ar, fd, e, err) < 0 || set_meta(a, fd, false, e, AE_IFREG, err) < 0)
		return -1;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return husk_err_sys(err, "set times");
	return 0;
}

static int add_dir(struct img_apply *a, struct archive_entry *e, int parent, const char *name,
		   const char *path, struct husk_err **err)
{
	cleanup_fd int fd = -1;
	if (!*path) {
		fd = openat(a->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		bool merge;
		if (make_room(a, parent, name, true, &merge, err) < 0)
			return -1;
		if (!merge && mkdirat(parent, name, 0700) < 0)
			return husk_err_sys(err, "mkdir");
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return husk_err_sys(err, "open");
	if (set_meta(a, fd, false, e, AE_IFDIR, err) < 0)
		return -1;
	/* Entries added below change its mtime: set it at the end of the layer. */
	if (a->n_dirs == a->cap_dirs) {
		a->cap_dirs = a->cap_dirs ? a->cap_dirs * 2 : 64;
		a->dirs = xrealloc(a->dirs, a->cap_dirs * sizeof(*a->dirs));
	}
	a->dirs[a->n_dirs].path = xstrdup(path);
	entry_times(e, a->dirs[a->n_dirs].ts);
	a->n_dirs++;
	return 0;
}

/* Symlinks, FIFOs, device nodes: made in place, then adjusted through an
 * O_PATH fd of the new entry itself. */
static int add_special(struct img_apply *a, struct archive_entry *e, int parent, const char *name,
		       mode_t type, struct husk_err **err)
{
	if ((type == AE_IFCHR || type == AE_IFBLK) && !a->privileged) {
		a->skipped_devices++;
		return 0;
	}
	if (make_room(a, parent, name, false, NULL, err) < 0)
		return -1;
	if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		if (!target)
			target = archive_entry_symlink_utf8(e);
		if (!target || symlinkat(target, parent, name) < 0)
			return husk_err_sys(err, "symlink");
	} else {
		mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
		dev_t dev = type == AE_IFIFO
				? 0
				: makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (mknodat(parent, name, kind | 0600, dev) < 0) {
			/* Root in a user namespace cannot make devices either. */
			if (errno == EPERM && type != AE_IFIFO) {
				a->skipped_devices++;
				return 0;
			}
			return husk_err_sys(err, "mknod");
		}
	}
	cleanup_fd int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open");
	if (set_meta(a, fd, true, e, type, err) < 0)
		return -1;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(parent, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return husk_err_sys(err, "set times");
	return 0;
}

static int add_hardlink(struct img_apply *a, const char *target_raw, int parent, const char *name,
			struct husk_err **err)
{
	cleanup_free char *target = NULL;
	if (clean_name(target_raw, &target) < 0 || !*target)
		return husk_err_set(err, 0, "hard link to \"%s\": not a name inside the image",
				    target_raw);
	cleanup_fd int tfd = rootfs_resolve_in_root(a->root_fd, target, O_PATH | O_NOFOLLOW, 0);
	if (tfd < 0)
		return husk_err_set(err, -tfd, "hard link to %s", target);
	struct stat tst, st;
	if (fstat(tfd, &tst) < 0)
		return husk_err_sys(err, "hard link to %s", target);
	if (S_ISDIR(tst.st_mode))
		return husk_err_set(err, 0, "hard link to the directory %s", target);
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev &&
	    st.st_ino == tst.st_ino)
		return 0;
	if (make_room(a, parent, name, false, NULL, err) < 0)
		return -1;
	if (linkat(tfd, "", parent, name, AT_EMPTY_PATH) == 0)
		return 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the fd's magic link does not. */
	char proc[32];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
	if (linkat(AT_FDCWD, proc, parent, name, AT_SYMLINK_FOLLOW) < 0)
		return husk_err_sys(err, "hard link to %s", target);
	return 0;
}

/* Empty the directory dfd (path rel) of what lower layers put there: an
 * entry this layer made stays, a directory on the way to one is kept and
 * emptied in turn, everything else goes (overlayfs hides a lower tree below
 * an opaque directory entirely). */
static int clear_lower(struct img_apply *a, int dfd, const char *rel, int depth,
		       struct husk_err **err)
{
	if (depth > 512)
		return husk_err_set(err, 0, "opaque whiteout: directories nested too deep");
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "open %s", *rel ? rel : "/");
	cleanup_dir DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return husk_err_sys(err, "open %s", *rel ? rel : "/");
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cleanup_free char *child =
		    *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (!img_pathset_has(a->added, child)) {
			if (image_remove_tree_at(dirfd(d), de->d_name, err) < 0)
				return -1;
			continue;
		}
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return husk_err_sys(err, "stat %s", child);
		if (!S_ISDIR(st.st_mode))
			continue;
		cleanup_fd int sub =
		    openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return husk_err_sys(err, "open %s", child);
		if (clear_lower(a, sub, child, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* ".wh.NAME" in dir: remove NAME; ".wh..wh..opq": dir is opaque. */
static int whiteout(struct img_apply *a, const char *dir, const char *base, struct husk_err **err)
{
	bool opaque = !strcmp(base, WH_OPAQUE);
	const char *victim = base + strlen(WH_PREFIX);
	if (!opaque && !strncmp(victim, WH_PREFIX, strlen(WH_PREFIX)))
		return 0; /* other .wh..wh. names are aufs metadata */
	if (!opaque && (!*victim || !strcmp(victim, ".") || !strcmp(victim, "..")))
		return husk_err_set(err, 0, "whiteout of \"%s\"", victim);
	int parent;
	int r = parent_fd(a, dir, false, &parent);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0; /* nothing below to hide */
	if (r < 0)
		return husk_err_set(err, -r, "open its directory");
	r = opaque ? clear_lower(a, parent, dir, 0, err)
		   : image_remove_tree_at(parent, victim, err);
	forget_parent(a); /* what went may have been on the cached path */
	return r;
}

static int apply_entry(struct img_apply *a, struct archive *ar, struct archive_entry *e,
		       const char *path, struct husk_err **err)
{
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0', base = path;

	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return whiteout(a, dir, base, err);

	mode_t type = archive_entry_filetype(e);
	const char *hardlink = archive_entry_hardlink(e);
	if (!hardlink)
		hardlink = archive_entry_hardlink_utf8(e);
	if (!*path) {
		if (type != AE_IFDIR || hardlink)
			return husk_err_set(err, 0, "the root must be a directory");
		return add_dir(a, e, a->root_fd, "", "", err);
	}
	int parent;
	int r = parent_fd(a, dir, true, &parent);
	if (r < 0)
		return husk_err_set(err, -r, "open its directory");
	mark_added(a->added, path);
	if (hardlink)
		return add_hardlink(a, hardlink, parent, base, err);
	switch (type) {
	case AE_IFREG:
		return add_file(a, ar, e, parent, base, err);
	case AE_IFDIR:
		return add_dir(a, e, parent, base, path, err);
	case AE_IFLNK:
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return add_special(a, e, parent, base, type, err);
	default:
		return 0; /* sockets: nothing to restore */
	}
}

int img_apply_entry(struct img_apply *a, struct archive *ar, struct archive_entry *e,
		    struct husk_err **err)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	if (!raw)
		return husk_err_set(err, 0, "an entry name that cannot be decoded");
	cleanup_free char *path = NULL;
	if (clean_name(raw, &path) < 0)
		return husk_err_set(
		    err, 0, "entry \"%s\": absolute or \"..\" names may not be unpacked", raw);
	if (apply_entry(a, ar, e, path, err) < 0)
		return husk_err_wrap(err, "entry \"%s\"", raw);
	return 0;
}

int img_apply_end_layer(struct img_apply *a, struct husk_err **err)
{
	/* Deepest first does not matter: setting a time changes no parent's. */
	for (size_t i = 0; i < a->n_dirs; i++) {
		const char *p = a->dirs[i].path;
		int fd = *p ? rootfs_resolve_in_root(a->root_fd, p,
						     O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)
			    : openat(a->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue; /* replaced or removed later in the layer */
		int r = futimens(fd, a->dirs[i].ts);
		close(fd);
		if (r < 0) {
			husk_err_sys(err, "directory %s: set times", p);
			return -1;
		}
	}
	clear_dirs(a);
	img_pathset_reset(a->added);
	forget_parent(a);
	if (a->skipped_devices)
		log_warn("image: %lu device node(s) skipped: only root can make them",
			 a->skipped_devices);
	a->skipped_devices = 0;
	return 0;
}
