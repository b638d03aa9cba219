/* virtio-fs operations on inodes: lookup and forget, attributes, and the
 * namespace (symlink, mknod, mkdir, unlink, rmdir, rename, link).  Every
 * name is one component resolved against its parent's O_PATH fd with the
 * *at() calls and AT_SYMLINK_NOFOLLOW/O_NOFOLLOW: nothing here walks a path
 * or follows a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "vm-sandbox/virtio/fs_server.h"

/* How long the guest may cache names and attributes: the host may change
 * the share too (volumes), so not long. */
#define FS_TIMEOUT_S 1

/* The guest's dev_t encoding (new_decode_dev). */
static uint32_t encode_dev(dev_t d)
{
	uint32_t ma = major(d), mi = minor(d);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

int fs_stat(const struct fs_inode *ino, struct fuse_attr *a)
{
	struct stat st;
	if (fstatat(ino->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*a = (struct fuse_attr){
	    .ino = st.st_ino,
	    .size = st.st_size,
	    .blocks = st.st_blocks,
	    .atime = st.st_atim.tv_sec,
	    .mtime = st.st_mtim.tv_sec,
	    .ctime = st.st_ctim.tv_sec,
	    .atimensec = st.st_atim.tv_nsec,
	    .mtimensec = st.st_mtim.tv_nsec,
	    .ctimensec = st.st_ctim.tv_nsec,
	    .mode = st.st_mode,
	    .nlink = st.st_nlink,
	    .uid = st.st_uid,
	    .gid = st.st_gid,
	    .rdev = encode_dev(st.st_rdev),
	    .blksize = st.st_blksize,
	};
	return 0;
}

static int entry_fill(struct fs_server *s, struct fs_inode *ino, struct fuse_entry_out *out)
{
	*out = (struct fuse_entry_out){
	    .nodeid = fs_inode_nodeid(s, ino),
	    .generation = ino->gen,
	    .entry_valid = FS_TIMEOUT_S,
	    .attr_valid = FS_TIMEOUT_S,
	};
	int r = fs_stat(ino, &out->attr);
	if (r < 0)
		fs_inode_forget(s, out->nodeid, 1);
	return r;
}

int fs_entry_lookup(struct fs_server *s, struct fs_inode *parent, const char *name,
		    struct fuse_entry_out *out)
{
	int fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = 0;
	struct fs_inode *ino = fs_inode_add(s, fd, parent, &e);
	if (!ino)
		return e;
	return entry_fill(s, ino, out);
}

int fs_entry_reply(struct fs_server *s, struct fs_req *r, struct fs_inode *parent, const char *name,
		   struct fuse_entry_out *out)
{
	int e = fs_entry_lookup(s, parent, name, out);
	if (e < 0)
		return e;
	e = fs_reply(r, out, sizeof(*out));
	if (e < 0)
		fs_inode_forget(s, out->nodeid, 1);
	return e;
}

void fs_own(struct fs_req *r, int dirfd, const char *name)
{
	if (r->h.uid == geteuid() && r->h.gid == getegid())
		return;
	/* Only a privileged monitor can; otherwise the monitor's ids stay. */
	if (fchownat(dirfd, name, r->h.uid, r->h.gid, AT_SYMLINK_NOFOLLOW) < 0) {
		/* not fatal */
	}
}

/* A directory the guest may look into or change, by nodeid. */
static int dir_of(struct fs_server *s, uint64_t nodeid, struct fs_inode **out)
{
	struct fs_inode *dir = fs_inode_get(s, nodeid);
	if (!dir)
		return -ENOENT;
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (dir->opaque)
		return -EACCES;
	*out = dir;
	return 0;
}

int fs_args_new_entry(struct fs_server *s, struct fs_req *r, void *in, size_t in_len,
		      const char **name, struct fs_inode **dir)
{
	memcpy(in, r->arg, in_len);
	size_t off = in_len;
	return fs_name_in_dir(s, r, &off, false, name, dir);
}

int fs_name_in_dir(struct fs_server *s, struct fs_req *r, size_t *off, bool dots, const char **name,
		   struct fs_inode **dir)
{
	*name = fs_name(r, off, dots);
	if (!*name)
		return -EINVAL;
	return dir_of(s, r->h.nodeid, dir);
}

int fs_op_lookup(struct fs_server *s, struct fs_req *r)
{
	size_t off = 0;
	const char *name;
	struct fs_inode *parent;
	int e = fs_name_in_dir(s, r, &off, true, &name, &parent);
	if (e < 0)
		return e == -EACCES ? -ENOENT : e; /* a pseudo filesystem: empty */
	struct fuse_entry_out out;
	struct fs_inode *root = &s->inodes[0];
	if (strcmp(name, ".") == 0 || (strcmp(name, "..") == 0 && parent == root)) {
		/* Never above the shared root. */
		parent->nlookup++;
		e = entry_fill(s, parent, &out);
		return e < 0 ? e : fs_reply(r, &out, sizeof(out));
	}
	/* ".." of a directory below the root is inside the share. */
	return fs_entry_reply(s, r, parent, name, &out);
}

int fs_op_forget(struct fs_server *s, struct fs_req *r)
{
	struct fuse_forget_in in;
	FS_ARGS(r, in);
	fs_inode_forget(s, r->h.nodeid, in.nlookup);
	return FS_NO_REPLY;
}

int fs_op_batch_forget(struct fs_server *s, struct fs_req *r)
{
	struct fuse_batch_forget_in in;
	FS_ARGS(r, in);
	size_t off = sizeof(in);
	for (uint32_t i = 0; i < in.count; i++) {
		struct fuse_forget_one one;
		if (!fs_arg(r, &off, &one, sizeof(one)))
			break;
		fs_inode_forget(s, one.nodeid, one.nlookup);
	}
	return FS_NO_REPLY;
}

int fs_op_getattr(struct fs_server *s, struct fs_req *r)
{
	struct fs_inode *ino = r->ino;
	struct fuse_attr_out out = {.attr_valid = FS_TIMEOUT_S};
	int e = fs_stat(ino, &out.attr);
	return e < 0 ? e : fs_reply(r, &out, sizeof(out));
}

static int set_times(struct fs_server *s, const struct fs_inode *ino, int fd,
		     const struct fuse_setattr_in *in)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	if (in->valid & FATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_ATIME)
		ts[0] = (struct timespec){.tv_sec = in->atime, .tv_nsec = in->atimensec};
	if (in->valid & FATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_MTIME)
		ts[1] = (struct timespec){.tv_sec = in->mtime, .tv_nsec = in->mtimensec};
	if (fd >= 0)
		return futimens(fd, ts) < 0 ? -errno : 0;
	if (ino->type == S_IFLNK) /* the link's own times (tar, cp -a) */
		return utimensat(ino->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno
											   : 0;
	char name[16];
	fs_inode_procname(ino, name);
	return utimensat(s->procfd_fd, name, ts, 0) < 0 ? -errno : 0;
}

static int truncate_to(struct fs_server *s, const struct fs_inode *ino, int fd, uint64_t size)
{
	if (fd >= 0)
		return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	if (ino->type == S_IFDIR)
		return -EISDIR;
	int wfd = fs_inode_reopen(s, ino, O_WRONLY);
	if (wfd < 0)
		return wfd;
	int e = ftruncate(wfd, (off_t)size) < 0 ? -errno : 0;
	close(wfd);
	return e;
}

static int set_mode(struct fs_server *s, const struct fs_inode *ino, int fd, mode_t mode)
{
	if (fd >= 0)
		return fchmod(fd, mode) < 0 ? -errno : 0;
	if (ino->type == S_IFLNK)
		return -EOPNOTSUPP; /* Linux has no mode on symlinks */
	/* The magic link names the inode: nothing is opened (a fifo stays shut). */
	char name[16];
	fs_inode_procname(ino, name);
	return fchmodat(s->procfd_fd, name, mode, 0) < 0 ? -errno : 0;
}

int fs_op_setattr(struct fs_server *s, struct fs_req *r)
{
	struct fuse_setattr_in in;
	FS_ARGS(r, in);
	struct fs_inode *ino = r->ino;
	if (ino->opaque)
		return -EACCES;
	int fd = -1;
	if (in.valid & FATTR_FH) {
		struct fs_handle *h = fs_handle_get(s, in.fh, false);
		if (h)
			fd = h->fd;
	}
	int e = 0;
	if (in.valid & FATTR_MODE)
		e = set_mode(s, ino, fd, in.mode & 07777);
	if (e == 0 && (in.valid & (FATTR_UID | FATTR_GID))) {
		uid_t uid = (in.valid & FATTR_UID) ? in.uid : (uid_t)-1;
		gid_t gid = (in.valid & FATTR_GID) ? in.gid : (gid_t)-1;
		if (fchownat(ino->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			e = -errno;
	}
	if (e == 0 && (in.valid & FATTR_SIZE))
		e = truncate_to(s, ino, fd, in.size);
	if (e == 0 && (in.valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)))
		e = set_times(s, ino, fd, &in);
	if (e < 0)
		return e;
	struct fuse_attr_out out = {.attr_valid = FS_TIMEOUT_S};
	e = fs_stat(ino, &out.attr);
	return e < 0 ? e : fs_reply(r, &out, sizeof(out));
}

int fs_op_readlink(struct fs_server *s, struct fs_req *r)
{
	struct fs_inode *ino = r->ino;
	if (ino->type != S_IFLNK)
		return -EINVAL;
	char *buf = (char *)s->reply;
	ssize_t n = readlinkat(ino->fd, "", buf, sizeof(s->reply));
	if (n < 0)
		return -errno;
	return fs_reply(r, buf, (size_t)n);
}

int fs_op_symlink(struct fs_server *s, struct fs_req *r)
{
	size_t off = 0;
	const char *name, *target = NULL;
	struct fs_inode *parent;
	int e = fs_name_in_dir(s, r, &off, false, &name, &parent);
	if (e == 0 && !(target = fs_target(r, &off)))
		e = -EINVAL;
	if (e < 0)
		return e;
	/* The target is only text: the guest resolves it in its own view. */
	if (symlinkat(target, parent->fd, name) < 0)
		return -errno;
	fs_own(r, parent->fd, name);
	struct fuse_entry_out out;
	return fs_entry_reply(s, r, parent, name, &out);
}

/* MKNOD and MKDIR: the name after the fixed arguments, a node of exactly
 * the guest's mode (its kernel applied its umask already), the caller's ids. */
static int make_node(struct fs_server *s, struct fs_req *r, size_t off, mode_t mode)
{
	const char *name;
	struct fs_inode *parent;
	int e = fs_name_in_dir(s, r, &off, false, &name, &parent);
	if (e < 0)
		return e;
	mode_t old = umask(0);
	int ret = S_ISDIR(mode) ? mkdirat(parent->fd, name, mode & 07777)
				: mknodat(parent->fd, name, mode, 0);
	int err = errno;
	umask(old);
	if (ret < 0)
		return -err;
	fs_own(r, parent->fd, name);
	struct fuse_entry_out out;
	return fs_entry_reply(s, r, parent, name, &out);
}

int fs_op_mknod(struct fs_server *s, struct fs_req *r)
{
	struct fuse_mknod_in in;
	FS_ARGS(r, in);
	mode_t type = in.mode & S_IFMT;
	if (type == S_IFCHR || type == S_IFBLK)
		return -EPERM; /* a device node in the share would be the host's device */
	if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG && type != 0)
		return -EINVAL;
	return make_node(s, r, sizeof(in), (type ? type : S_IFREG) | (in.mode & 07777));
}

int fs_op_mkdir(struct fs_server *s, struct fs_req *r)
{
	struct fuse_mkdir_in in;
	FS_ARGS(r, in);
	return make_node(s, r, sizeof(in), S_IFDIR | (in.mode & 07777));
}

static int remove_entry(struct fs_server *s, struct fs_req *r, int flags)
{
	size_t off = 0;
	const char *name;
	struct fs_inode *parent;
	int e = fs_name_in_dir(s, r, &off, false, &name, &parent);
	if (e < 0)
		return e;
	return unlinkat(parent->fd, name, flags) < 0 ? -errno : 0;
}

int fs_op_unlink(struct fs_server *s, struct fs_req *r)
{
	return remove_entry(s, r, 0);
}

int fs_op_rmdir(struct fs_server *s, struct fs_req *r)
{
	return remove_entry(s, r, AT_REMOVEDIR);
}

static int rename_entry(struct fs_server *s, struct fs_req *r, uint64_t newdir, uint32_t flags,
			size_t off)
{
	const char *oldname = fs_name(r, &off, false);
	const char *newname = oldname ? fs_name(r, &off, false) : NULL;
	if (!newname)
		return -EINVAL;
	/* No RENAME_WHITEOUT: it makes a character device. */
	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	struct fs_inode *from, *to;
	int e = dir_of(s, r->h.nodeid, &from);
	if (e == 0)
		e = dir_of(s, newdir, &to);
	if (e < 0)
		return e;
	return renameat2(from->fd, oldname, to->fd, newname, flags) < 0 ? -errno : 0;
}

int fs_op_rename(struct fs_server *s, struct fs_req *r)
{
	struct fuse_rename_in in;
	FS_ARGS(r, in);
	size_t off = sizeof(in);
	return rename_entry(s, r, in.newdir, 0, off);
}

int fs_op_rename2(struct fs_server *s, struct fs_req *r)
{
	struct fuse_rename2_in in;
	FS_ARGS(r, in);
	size_t off = sizeof(in);
	return rename_entry(s, r, in.newdir, in.flags, off);
}

int fs_op_link(struct fs_server *s, struct fs_req *r)
{
	struct fuse_link_in in;
	const char *name;
	struct fs_inode *parent;
	int e = fs_args_new_entry(s, r, &in, sizeof(in), &name, &parent);
	if (e < 0)
		return e;
	/* Both ends are nodeids: a link can only join two places in the share. */
	struct fs_inode *old = fs_inode_get(s, in.oldnodeid);
	if (!old)
		return -ENOENT;
	if (old->type == S_IFDIR)
		return -EPERM;
	if (old->opaque)
		return -EACCES;
	if (linkat(old->fd, "", parent->fd, name, AT_EMPTY_PATH) < 0) {
		if (errno != ENOENT && errno != EPERM)
			return -errno;
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link does not. */
		char proc[16];
		fs_inode_procname(old, proc);
		if (linkat(s->procfd_fd, proc, parent->fd, name, AT_SYMLINK_FOLLOW) < 0)
			return -errno;
	}
	struct fuse_entry_out out;
	return fs_entry_reply(s, r, parent, name, &out);
}

int fs_op_statfs(struct fs_server *s, struct fs_req *r)
{
	struct fs_inode *ino = r->ino;
	struct statfs sf;
	if (fstatfs(ino->fd, &sf) < 0)
		return -errno;
	struct fuse_statfs_out out = {.st = {
					  .blocks = sf.f_blocks,
					  .bfree = sf.f_bfree,
					  .bavail = sf.f_bavail,
					  .files = sf.f_files,
					  .ffree = sf.f_ffree,
					  .bsize = (uint32_t)sf.f_bsize,
					  .namelen = (uint32_t)sf.f_namelen,
					  .frsize = (uint32_t)sf.f_frsize,
				      }};
	return fs_reply(r, &out, sizeof(out));
}

/* The guest kernel checks permissions itself (virtio-fs mounts with
 * default_permissions); this answers only for existence and read-only. */
int fs_op_access(struct fs_server *s, struct fs_req *r)
{
	struct fuse_access_in in;
	FS_ARGS(r, in);
	return (in.mask & W_OK) && s->readonly ? -EROFS : 0;
}
