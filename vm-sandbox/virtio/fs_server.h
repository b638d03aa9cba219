/* The FUSE server behind virtio-fs: it serves one host directory to an
 * untrusted guest kernel.  Split by concern:
 *   fs.c          the virtio device: config, queues, one request per chain
 *   fs_request.c  decoding: header and argument bounds, names, the reply
 *   fs_inode.c    the inode table (nodeid -> O_PATH fd) and the open handles
 *   fs_ops.c      the operations on inodes (lookup, attributes, namespace)
 *   fs_io.c       the operations on open files and directories, INIT, DESTROY
 *
 * Nothing the guest sends reaches outside the shared root:
 *   - every inode is an O_PATH|O_NOFOLLOW fd, never a path string; names are
 *     single components (no '/', not "." or "..") resolved with openat()
 *     against their parent's fd, and the server never follows a symlink (the
 *     guest kernel resolves them in its own view, through READLINK);
 *   - LOOKUP of ".." from the root is the root;
 *   - files are reopened for I/O through /proc/self/fd/N, which names the
 *     inode the O_PATH fd holds, and only regular files and directories are
 *     reopened: no device node, fifo or socket is ever opened, and MKNOD only
 *     makes fifos, sockets and regular files;
 *   - LINK and RENAME only take nodeids, so both ends are inside the share;
 *   - a pseudo filesystem mounted inside the share (proc, sysfs, cgroup, ...)
 *     shows as an empty directory: /proc/<monitor>/mem is out of reach;
 *   - a read-only share answers every write with EROFS.
 *
 * Requests are served one at a time on the thread that kicks the queue.
 *
 * Syscalls the server makes (for the monitor's seccomp allow-list; seen
 * with strace on the unit tests, glibc 2.36 x86-64):
 *   openat, close, newfstatat, fstatfs, fcntl, readlinkat, symlinkat,
 *   mknodat, mkdirat, unlinkat, renameat, renameat2, linkat, fchmodat,
 *   fchmod, fchownat, fchown, utimensat, ftruncate, fallocate, lseek,
 *   pread64, preadv, pwrite64, pwritev, getdents64, fsync, fdatasync, umask,
 *   geteuid, getegid, prlimit64 (at creation). */
#ifndef HUSK_VIRTIO_FS_SERVER_H
#define HUSK_VIRTIO_FS_SERVER_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "common/err.h"

/* The protocol the server speaks: 7.31 or later (Linux 5.4+). */
#define FS_MIN_MINOR	31
#define FS_MAX_WRITE	(128u * 1024)
#define FS_MAX_INODES	(1u << 20)
#define FS_MAX_HANDLES	(1u << 16)
#define FS_ARGS_MAX	(16u * 1024) /* a request's bytes besides WRITE's data */
#define FS_HASH_BUCKETS 4096
#define FS_NO_REPLY	1 /* a handler's return for FORGET, BATCH_FORGET, INTERRUPT */

struct fs_inode {
	int fd; /* O_PATH|O_NOFOLLOW; -1: a free slot */
	uint32_t gen;
	uint64_t nlookup;
	dev_t dev;
	ino_t ino;
	mode_t type;	    /* S_IFMT bits */
	bool opaque;	    /* on a pseudo filesystem: an empty directory to the guest */
	uint32_t hash_next; /* next slot + 1 in the bucket; 0 ends it */
};

struct fs_handle {
	int fd; /* -1: a free slot */
	uint32_t gen;
	bool dir;
	bool opaque; /* a directory on a pseudo filesystem: lists nothing */
};

struct fs_server {
	int root_fd;   /* O_PATH of the shared directory */
	int procfd_fd; /* O_PATH of /proc/self/fd */
	bool readonly;
	bool initialized; /* INIT done */
	uint32_t minor;
	struct fs_inode *inodes; /* slot 0 is the root */
	uint32_t n_inodes;	 /* slots in use or freed */
	uint32_t cap_inodes;
	uint32_t free_inodes; /* free list: slot + 1, chained through hash_next */
	uint32_t buckets[FS_HASH_BUCKETS];
	struct fs_handle *handles;
	uint32_t n_handles, cap_handles;
	/* The current request, header included; 8-aligned, like its arguments. */
	uint8_t args[FS_ARGS_MAX] __attribute__((aligned(8)));
	uint8_t reply[FS_ARGS_MAX];
	uint8_t dents[32 * 1024]; /* getdents64 scratch */
};

/* One request as the handlers see it. */
struct fs_req {
	struct fuse_in_header h;
	struct fs_inode *ino; /* the header's nodeid, for the opcodes that act on one */
	const uint8_t *arg;   /* after the header, arg_len bytes (in s->args) */
	size_t arg_len;
	const struct iovec *in; /* the whole request, for WRITE's data */
	unsigned n_in;
	size_t in_len;
	const struct iovec *out; /* the reply buffers */
	unsigned n_out;
	size_t out_len;
	size_t reply_len; /* payload bytes written after the out header */
};

/* fs_request.c */
/* Serve one request: in/out are the chain's readable and writable parts.
 * Returns the bytes written into out (0 when there is no reply). */
size_t fs_server_handle(struct fs_server *s, const struct iovec *in, unsigned n_in, size_t in_len,
			const struct iovec *out, unsigned n_out, size_t out_len);
/* Copy a fixed-size argument at *off in the request; advances *off.
 * false when the request is too short for it. */
bool fs_arg(struct fs_req *r, size_t *off, void *dst, size_t size);
/* The opcode's fixed arguments: the dispatcher checked that the request
 * carries at least their size (fs_request.c's table). */
#define FS_ARGS(r, var) memcpy(&(var), (r)->arg, sizeof(var))
/* A name at *off: NUL-terminated inside the request, one path component (no
 * '/', not empty, at most NAME_MAX); "." and ".." only when dots is set.
 * Returns NULL when it is none of these; advances *off past the NUL. */
const char *fs_name(struct fs_req *r, size_t *off, bool dots);
/* A symlink target: NUL-terminated, not empty, shorter than PATH_MAX. */
const char *fs_target(struct fs_req *r, size_t *off);
/* Copy the reply payload (after the out header).  -EIO if the guest gave no room. */
int fs_reply(struct fs_req *r, const void *data, size_t len);

/* fs_inode.c */
int fs_server_init(struct fs_server *s, const char *root, bool readonly, struct husk_err **err);
void fs_server_fini(struct fs_server *s);
/* The inode for a nodeid, or NULL (unknown, stale or forgotten). */
struct fs_inode *fs_inode_get(struct fs_server *s, uint64_t nodeid);
uint64_t fs_inode_nodeid(const struct fs_server *s, const struct fs_inode *ino);
/* Take fd (O_PATH) as the inode for what it names: the existing inode of
 * the same file gains a lookup (fd is closed), or a new one is made.
 * parent: where it was found (its filesystem decides "opaque").
 * Returns the inode or NULL with -errno in *error. */
struct fs_inode *fs_inode_add(struct fs_server *s, int fd, const struct fs_inode *parent,
			      int *error);
/* Drop n lookups; the inode goes when none are left (never the root). */
void fs_inode_forget(struct fs_server *s, uint64_t nodeid, uint64_t n);
/* Forget everything but the root (DESTROY), close every handle. */
void fs_inode_reset(struct fs_server *s);
/* Reopen an inode for I/O (regular files and directories only).  -errno. */
int fs_inode_reopen(struct fs_server *s, const struct fs_inode *ino, int flags);
/* "N" for /proc/self/fd/N of the inode's fd. */
void fs_inode_procname(const struct fs_inode *ino, char buf[16]);

/* An open file or directory: fh -> fd. */
int fs_handle_add(struct fs_server *s, int fd, bool dir, bool opaque, uint64_t *fh);
struct fs_handle *fs_handle_get(struct fs_server *s, uint64_t fh, bool dir);
void fs_handle_close(struct fs_server *s, uint64_t fh);

/* fs_ops.c and fs_io.c: one handler per opcode; 0, -errno or FS_NO_REPLY. */
typedef int (*fs_op)(struct fs_server *s, struct fs_req *r);
int fs_op_lookup(struct fs_server *s, struct fs_req *r);
int fs_op_forget(struct fs_server *s, struct fs_req *r);
int fs_op_batch_forget(struct fs_server *s, struct fs_req *r);
int fs_op_getattr(struct fs_server *s, struct fs_req *r);
int fs_op_setattr(struct fs_server *s, struct fs_req *r);
int fs_op_readlink(struct fs_server *s, struct fs_req *r);
int fs_op_symlink(struct fs_server *s, struct fs_req *r);
int fs_op_mknod(struct fs_server *s, struct fs_req *r);
int fs_op_mkdir(struct fs_server *s, struct fs_req *r);
int fs_op_unlink(struct fs_server *s, struct fs_req *r);
int fs_op_rmdir(struct fs_server *s, struct fs_req *r);
int fs_op_rename(struct fs_server *s, struct fs_req *r);
int fs_op_rename2(struct fs_server *s, struct fs_req *r);
int fs_op_link(struct fs_server *s, struct fs_req *r);
int fs_op_statfs(struct fs_server *s, struct fs_req *r);
int fs_op_access(struct fs_server *s, struct fs_req *r);
int fs_op_init(struct fs_server *s, struct fs_req *r);
int fs_op_destroy(struct fs_server *s, struct fs_req *r);
int fs_op_interrupt(struct fs_server *s, struct fs_req *r);
int fs_op_open(struct fs_server *s, struct fs_req *r);
int fs_op_create(struct fs_server *s, struct fs_req *r);
int fs_op_read(struct fs_server *s, struct fs_req *r);
int fs_op_write(struct fs_server *s, struct fs_req *r);
int fs_op_release(struct fs_server *s, struct fs_req *r);
int fs_op_flush(struct fs_server *s, struct fs_req *r);
int fs_op_fsync(struct fs_server *s, struct fs_req *r);
int fs_op_opendir(struct fs_server *s, struct fs_req *r);
int fs_op_readdir(struct fs_server *s, struct fs_req *r);
int fs_op_fallocate(struct fs_server *s, struct fs_req *r);
int fs_op_lseek(struct fs_server *s, struct fs_req *r);

/* fs_ops.c: shared by the file operations */
/* stat of an inode, as a FUSE attr. */
int fs_stat(const struct fs_inode *ino, struct fuse_attr *attr);
/* The entry for parent/name (one more lookup on its inode).  May move the
 * inode table: parent is not valid afterwards. */
int fs_entry_lookup(struct fs_server *s, struct fs_inode *parent, const char *name,
		    struct fuse_entry_out *out);
/* A new entry under parent (after a create): its inode and entry_out. */
int fs_entry_reply(struct fs_server *s, struct fs_req *r, struct fs_inode *parent, const char *name,
		   struct fuse_entry_out *out);
/* The name at *off (see fs_name) and the header's nodeid as a directory the
 * guest may change or look into (not on a pseudo filesystem: EACCES). */
int fs_name_in_dir(struct fs_server *s, struct fs_req *r, size_t *off, bool dots, const char **name,
		   struct fs_inode **dir);
/* CREATE and LINK: the fixed arguments (IN_LEN bytes, copied into IN), then
 * the new entry's name and the directory it goes in, as fs_name_in_dir. */
int fs_args_new_entry(struct fs_server *s, struct fs_req *r, void *in, size_t in_len,
		      const char **name, struct fs_inode **dir);
/* The caller's uid/gid on a node the server just made (if it may chown). */
void fs_own(struct fs_req *r, int dirfd, const char *name);

#endif
