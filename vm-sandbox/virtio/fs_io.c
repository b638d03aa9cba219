/* virtio-fs operations on open files and directories, and the session
 * (INIT, DESTROY).  An open is a reopen of the inode's O_PATH fd through
 * /proc/self/fd (fs_inode_reopen): regular files and directories only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vm-sandbox/virtio/fs_server.h"
#include "vm-sandbox/virtio/virtio.h"

/* What the server asks of the guest kernel, of what it offers. */
#define FS_INIT_FLAGS                                                                              \
	(FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES | FUSE_AUTO_INVAL_DATA |          \
	 FUSE_PARALLEL_DIROPS | FUSE_CACHE_SYMLINKS | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO)

/* Open flags the host file gets: the access mode and what changes writes. */
#define FS_OPEN_KEEP (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC)

int fs_op_init(struct fs_server *s, struct fs_req *r)
{
	struct fuse_init_in in = {0};
	size_t n = r->arg_len < sizeof(in) ? r->arg_len : sizeof(in);
	if (n < 16) /* major, minor, max_readahead, flags */
		return -EINVAL;
	memcpy(&in, r->arg, n);
	struct fuse_init_out out = {.major = FUSE_KERNEL_VERSION,
				    .minor = FUSE_KERNEL_MINOR_VERSION};
	if (in.major > FUSE_KERNEL_VERSION)
		return fs_reply(r, &out, 8); /* the kernel asks again with ours */
	if (in.major < FUSE_KERNEL_VERSION || in.minor < FS_MIN_MINOR)
		return -EPROTO;
	if (in.minor < out.minor)
		out.minor = in.minor;
	out.flags = in.flags & FS_INIT_FLAGS;
	out.max_readahead = in.max_readahead;
	out.max_background = 16;
	out.congestion_threshold = 12;
	out.max_write = FS_MAX_WRITE;
	out.time_gran = 1;
	int e = fs_reply(r, &out, sizeof(out));
	if (e == 0) {
		s->initialized = true;
		s->minor = out.minor;
	}
	return e;
}

int fs_op_destroy(struct fs_server *s, struct fs_req *r)
{
	fs_inode_reset(s);
	s->initialized = false;
	return 0;
}

/* Requests finish before the next is read: there is never one to interrupt. */
int fs_op_interrupt(struct fs_server *s, struct fs_req *r)
{
	return FS_NO_REPLY;
}

static int open_flags(const struct fs_server *s, uint32_t flags, int *out)
{
	int acc = flags & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	if (s->readonly && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	*out = (int)(flags & FS_OPEN_KEEP);
	return 0;
}

static int reply_open(struct fs_server *s, struct fs_req *r, int fd, bool dir, bool opaque)
{
	struct fuse_open_out out = {0};
	int e = fs_handle_add(s, fd, dir, opaque, &out.fh);
	if (e < 0)
		return e;
	e = fs_reply(r, &out, sizeof(out));
	if (e < 0)
		fs_handle_close(s, out.fh);
	return e;
}

int fs_op_open(struct fs_server *s, struct fs_req *r)
{
	struct fuse_open_in in;
	FS_ARGS(r, in);
	struct fs_inode *ino = r->ino;
	if (ino->type == S_IFDIR)
		return -EISDIR;
	if (ino->opaque)
		return -EACCES; /* a pseudo filesystem's file bind-mounted into the share */
	int flags;
	int e = open_flags(s, in.flags, &flags);
	if (e < 0)
		return e;
	int fd = fs_inode_reopen(s, ino, flags);
	if (fd < 0)
		return fd;
	return reply_open(s, r, fd, false, false);
}

/* An existing name for CREATE without O_EXCL: only a regular file is opened. */
static int open_existing(struct fs_server *s, struct fs_inode *parent, const char *name, int flags)
{
	int p = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (p < 0)
		return -errno;
	struct stat st;
	int e = fstat(p, &st) < 0 ? -errno : 0;
	if (e == 0 && !S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? -EISDIR : S_ISLNK(st.st_mode) ? -ELOOP : -EACCES;
	int fd = -1;
	if (e == 0) {
		char proc[16];
		snprintf(proc, sizeof(proc), "%d", p);
		fd = openat(s->procfd_fd, proc, flags | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			e = -errno;
	}
	close(p);
	return e < 0 ? e : fd;
}

int fs_op_create(struct fs_server *s, struct fs_req *r)
{
	struct fuse_create_in in;
	const char *name;
	struct fs_inode *parent;
	int e = fs_args_new_entry(s, r, &in, sizeof(in), &name, &parent);
	if (e < 0)
		return e;
	int flags;
	e = open_flags(s, in.flags, &flags);
	if (e < 0)
		return e;
	mode_t old = umask(0); /* the guest kernel applied its umask already */
	int fd = openat(parent->fd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			in.mode & 07777);
	int err = errno;
	umask(old);
	bool created = fd >= 0;
	if (fd < 0 && err == EEXIST && !(in.flags & O_EXCL))
		fd = open_existing(s, parent, name, flags);
	else if (fd < 0)
		fd = -err;
	if (fd < 0)
		return fd;
	if (created && (r->h.uid != geteuid() || r->h.gid != getegid()) &&
	    fchown(fd, r->h.uid, r->h.gid) < 0) {
		/* an unprivileged monitor keeps its own ids */
	}
	struct {
		struct fuse_entry_out entry;
		struct fuse_open_out open;
	} out = {0};
	e = fs_entry_reply(s, r, parent, name, &out.entry);
	if (e < 0) {
		close(fd);
		return e;
	}
	e = fs_handle_add(s, fd, false, false, &out.open.fh);
	if (e == 0)
		e = fs_reply(r, &out, sizeof(out));
	if (e < 0) {
		fs_handle_close(s, out.open.fh);
		fs_inode_forget(s, out.entry.nodeid, 1);
	}
	return e;
}

/* The guest's FUSE client takes a short read for the end of the file and
 * shrinks its view of it, so read on until LEN or the real end: shares backed
 * by 9p or NFS return short reads in the middle of a file. */
static ssize_t preadv_full(int fd, struct iovec *iov, unsigned n, off_t off)
{
	size_t total = 0;
	while (n > 0) {
		ssize_t got = preadv(fd, iov, (int)n, off + (off_t)total);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return total ? (ssize_t)total : -1;
		if (got == 0)
			break;
		total += (size_t)got;
		size_t left = (size_t)got;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return (ssize_t)total;
}

int fs_op_read(struct fs_server *s, struct fs_req *r)
{
	struct fuse_read_in in;
	FS_ARGS(r, in);
	struct fs_handle *h = fs_handle_get(s, in.fh, false);
	if (!h)
		return -EBADF;
	size_t hdr = sizeof(struct fuse_out_header);
	if (r->out_len < hdr)
		return -EIO;
	size_t len = in.size;
	if (len > r->out_len - hdr)
		len = r->out_len - hdr;
	if (len > FS_MAX_WRITE)
		len = FS_MAX_WRITE;
	if (in.offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	struct iovec iov[VIRTQ_MAX_SEGS];
	unsigned n = iov_slice(r->out, r->n_out, hdr, len, iov, VIRTQ_MAX_SEGS);
	ssize_t got = n ? preadv_full(h->fd, iov, n, (off_t)in.offset) : 0;
	if (got < 0)
		return -errno;
	r->reply_len = (size_t)got;
	return 0;
}

int fs_op_write(struct fs_server *s, struct fs_req *r)
{
	struct fuse_write_in in;
	FS_ARGS(r, in);
	struct fs_handle *h = fs_handle_get(s, in.fh, false);
	if (!h)
		return -EBADF;
	size_t data = sizeof(struct fuse_in_header) + sizeof(in);
	if (in.size > r->h.len - data || in.size > FS_MAX_WRITE)
		return -EINVAL; /* more than the request carries */
	if (in.offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	struct iovec iov[VIRTQ_MAX_SEGS];
	unsigned n = iov_slice(r->in, r->n_in, data, in.size, iov, VIRTQ_MAX_SEGS);
	ssize_t put = n ? pwritev(h->fd, iov, (int)n, (off_t)in.offset) : 0;
	if (put < 0)
		return -errno;
	struct fuse_write_out out = {.size = (uint32_t)put};
	return fs_reply(r, &out, sizeof(out));
}

/* RELEASE and RELEASEDIR: a handle of the kind the opcode names. */
int fs_op_release(struct fs_server *s, struct fs_req *r)
{
	struct fuse_release_in in;
	FS_ARGS(r, in);
	if (!fs_handle_get(s, in.fh, r->h.opcode == FUSE_RELEASEDIR))
		return -EBADF;
	fs_handle_close(s, in.fh);
	return 0;
}

/* Nothing is buffered in the server: a flush has nothing to do. */
int fs_op_flush(struct fs_server *s, struct fs_req *r)
{
	struct fuse_flush_in in;
	FS_ARGS(r, in);
	return fs_handle_get(s, in.fh, false) ? 0 : -EBADF;
}

int fs_op_fsync(struct fs_server *s, struct fs_req *r)
{
	struct fuse_fsync_in in;
	FS_ARGS(r, in);
	struct fs_handle *h = fs_handle_get(s, in.fh, r->h.opcode == FUSE_FSYNCDIR);
	if (!h)
		return -EBADF;
	if (h->opaque)
		return 0;
	int ret = (in.fsync_flags & FUSE_FSYNC_FDATASYNC) ? fdatasync(h->fd) : fsync(h->fd);
	return ret < 0 ? -errno : 0;
}

int fs_op_opendir(struct fs_server *s, struct fs_req *r)
{
	struct fuse_open_in in;
	FS_ARGS(r, in);
	struct fs_inode *ino = r->ino;
	if (ino->type != S_IFDIR)
		return -ENOTDIR;
	/* A pseudo filesystem's directory is never opened: it lists nothing. */
	int fd = ino->opaque ? fcntl(ino->fd, F_DUPFD_CLOEXEC, 0)
			     : fs_inode_reopen(s, ino, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return ino->opaque ? -errno : fd;
	return reply_open(s, r, fd, true, ino->opaque);
}

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

static bool dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* One entry at s->reply + pos; for READDIRPLUS with its LOOKUP reply (the
 * guest counts it as a lookup), "." and ".." without (nodeid 0). */
static void put_dirent(struct fs_server *s, uint64_t dir, bool plus, size_t pos, size_t size,
		       const struct dirent64_raw *d, size_t namelen)
{
	memset(s->reply + pos, 0, size);
	size_t head = 0;
	if (plus) {
		struct fuse_entry_out e = {0};
		struct fs_inode *parent = fs_inode_get(s, dir); /* the table may have moved */
		if (parent && !dot_or_dotdot(d->d_name) &&
		    fs_entry_lookup(s, parent, d->d_name, &e) < 0)
			memset(&e, 0, sizeof(e)); /* gone meanwhile: a plain entry */
		memcpy(s->reply + pos, &e, sizeof(e));
		head = offsetof(struct fuse_direntplus, dirent);
	}
	struct fuse_dirent fd = {.ino = d->d_ino,
				 .off = (uint64_t)d->d_off,
				 .namelen = (uint32_t)namelen,
				 .type = d->d_type};
	memcpy(s->reply + pos + head, &fd, FUSE_NAME_OFFSET);
	memcpy(s->reply + pos + head + FUSE_NAME_OFFSET, d->d_name, namelen);
}

/* READDIR and READDIRPLUS: from the host's directory offset, as many whole
 * entries as fit; the next request starts at the last one's d_off. */
int fs_op_readdir(struct fs_server *s, struct fs_req *r)
{
	struct fuse_read_in in;
	FS_ARGS(r, in);
	bool plus = r->h.opcode == FUSE_READDIRPLUS;
	struct fs_handle *h = fs_handle_get(s, in.fh, true);
	if (!h)
		return -EBADF;
	if (h->opaque)
		return fs_reply(r, NULL, 0);
	struct fs_inode *dir = fs_inode_get(s, r->h.nodeid);
	if (plus && (!dir || dir->type != S_IFDIR || dir->opaque))
		return -ENOENT;
	/* Never more than fits: READDIRPLUS entries count as lookups. */
	size_t room = in.size < sizeof(s->reply) ? in.size : sizeof(s->reply);
	size_t hdr = sizeof(struct fuse_out_header);
	if (room > (r->out_len > hdr ? r->out_len - hdr : 0))
		room = r->out_len > hdr ? r->out_len - hdr : 0;
	if (lseek(h->fd, (off_t)in.offset, SEEK_SET) < 0)
		return -errno;
	size_t head = plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	size_t pos = 0;
	bool full = false;
	while (!full) {
		ssize_t n = getdents64(h->fd, s->dents, sizeof(s->dents));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (size_t at = 0; at < (size_t)n;) {
			const struct dirent64_raw *d = (const void *)(s->dents + at);
			size_t namelen = strlen(d->d_name);
			size_t size = FUSE_DIRENT_ALIGN(head + FUSE_NAME_OFFSET + namelen);
			if (pos + size > room) {
				full = true;
				break;
			}
			put_dirent(s, r->h.nodeid, plus, pos, size, d, namelen);
			pos += size;
			at += d->d_reclen;
		}
	}
	return fs_reply(r, s->reply, pos);
}

int fs_op_fallocate(struct fs_server *s, struct fs_req *r)
{
	struct fuse_fallocate_in in;
	FS_ARGS(r, in);
	struct fs_handle *h = fs_handle_get(s, in.fh, false);
	if (!h)
		return -EBADF;
	if (in.offset > (uint64_t)INT64_MAX || in.length > (uint64_t)INT64_MAX)
		return -EINVAL;
	return fallocate(h->fd, (int)in.mode, (off_t)in.offset, (off_t)in.length) < 0 ? -errno : 0;
}

int fs_op_lseek(struct fs_server *s, struct fs_req *r)
{
	struct fuse_lseek_in in;
	FS_ARGS(r, in);
	struct fs_handle *h = fs_handle_get(s, in.fh, false);
	if (!h)
		return -EBADF;
	if (in.whence != SEEK_DATA && in.whence != SEEK_HOLE)
		return -EINVAL;
	if (in.offset > (uint64_t)INT64_MAX)
		return -ENXIO;
	off_t pos = lseek(h->fd, (off_t)in.offset, (int)in.whence);
	if (pos < 0)
		return -errno;
	struct fuse_lseek_out out = {.offset = (uint64_t)pos};
	return fs_reply(r, &out, sizeof(out));
}
