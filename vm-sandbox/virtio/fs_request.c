/* FUSE request decoding for virtio-fs.  A request is the chain's readable
 * part: fuse_in_header, the opcode's arguments, and for WRITE the data.  The
 * header's len must fit in what the guest gave; the arguments are copied
 * once into the server's buffer (the guest cannot change them while a
 * handler looks at them), except WRITE's data, which goes from guest memory
 * to the file.  The reply is fuse_out_header and a payload, in the chain's
 * writable part. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "common/util.h"
#include "vm-sandbox/virtio/fs_server.h"
#include "vm-sandbox/virtio/virtio.h"

struct fs_opcode {
	fs_op run;
	uint16_t argsize; /* fixed arguments every request of the opcode carries */
	uint8_t flags;
};

enum {
	OP_WRITES = 1, /* refused with EROFS on a read-only share */
	OP_INODE = 2,  /* acts on the header's nodeid: r->ino, or ENOENT */
};

#define A(type) sizeof(struct type)
static const struct fs_opcode opcodes[] = {
    [FUSE_LOOKUP] = {fs_op_lookup, 0, 0},
    [FUSE_FORGET] = {fs_op_forget, A(fuse_forget_in), 0},
    [FUSE_GETATTR] = {fs_op_getattr, 0, OP_INODE},
    [FUSE_SETATTR] = {fs_op_setattr, A(fuse_setattr_in), OP_WRITES | OP_INODE},
    [FUSE_READLINK] = {fs_op_readlink, 0, OP_INODE},
    [FUSE_SYMLINK] = {fs_op_symlink, 0, OP_WRITES},
    [FUSE_MKNOD] = {fs_op_mknod, A(fuse_mknod_in), OP_WRITES},
    [FUSE_MKDIR] = {fs_op_mkdir, A(fuse_mkdir_in), OP_WRITES},
    [FUSE_UNLINK] = {fs_op_unlink, 0, OP_WRITES},
    [FUSE_RMDIR] = {fs_op_rmdir, 0, OP_WRITES},
    [FUSE_RENAME] = {fs_op_rename, A(fuse_rename_in), OP_WRITES},
    [FUSE_LINK] = {fs_op_link, A(fuse_link_in), OP_WRITES},
    [FUSE_OPEN] = {fs_op_open, A(fuse_open_in), OP_INODE}, /* checks its flags itself */
    [FUSE_READ] = {fs_op_read, A(fuse_read_in), 0},
    [FUSE_WRITE] = {fs_op_write, A(fuse_write_in), OP_WRITES},
    [FUSE_STATFS] = {fs_op_statfs, 0, OP_INODE},
    [FUSE_RELEASE] = {fs_op_release, A(fuse_release_in), 0},
    [FUSE_FSYNC] = {fs_op_fsync, A(fuse_fsync_in), 0},
    [FUSE_FLUSH] = {fs_op_flush, A(fuse_flush_in), 0},
    [FUSE_INIT] = {fs_op_init, 16, 0}, /* major, minor, max_readahead, flags */
    [FUSE_OPENDIR] = {fs_op_opendir, A(fuse_open_in), OP_INODE},
    [FUSE_READDIR] = {fs_op_readdir, A(fuse_read_in), 0},
    [FUSE_RELEASEDIR] = {fs_op_release, A(fuse_release_in), 0},
    [FUSE_FSYNCDIR] = {fs_op_fsync, A(fuse_fsync_in), 0},
    [FUSE_ACCESS] = {fs_op_access, A(fuse_access_in), OP_INODE},
    [FUSE_CREATE] = {fs_op_create, A(fuse_create_in), OP_WRITES},
    [FUSE_INTERRUPT] = {fs_op_interrupt, 0, 0},
    [FUSE_DESTROY] = {fs_op_destroy, 0, 0},
    [FUSE_BATCH_FORGET] = {fs_op_batch_forget, A(fuse_batch_forget_in), 0},
    [FUSE_FALLOCATE] = {fs_op_fallocate, A(fuse_fallocate_in), OP_WRITES},
    [FUSE_RENAME2] = {fs_op_rename2, A(fuse_rename2_in), OP_WRITES},
    [FUSE_LSEEK] = {fs_op_lseek, A(fuse_lseek_in), 0},
    [FUSE_READDIRPLUS] = {fs_op_readdir, A(fuse_read_in), 0},
};
#undef A

bool fs_arg(struct fs_req *r, size_t *off, void *dst, size_t size)
{
	if (*off > r->arg_len || size > r->arg_len - *off)
		return false;
	memcpy(dst, r->arg + *off, size);
	*off += size;
	return true;
}

static const char *string_at(struct fs_req *r, size_t *off, size_t max)
{
	if (*off >= r->arg_len)
		return NULL;
	const char *p = (const char *)r->arg + *off;
	size_t room = r->arg_len - *off;
	const char *nul = memchr(p, '\0', room < max + 1 ? room : max + 1);
	if (!nul || nul == p)
		return NULL;
	*off += (size_t)(nul - p) + 1;
	return p;
}

const char *fs_name(struct fs_req *r, size_t *off, bool dots)
{
	const char *name = string_at(r, off, NAME_MAX);
	if (!name || strchr(name, '/'))
		return NULL;
	if (!dots && (strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		return NULL;
	return name;
}

const char *fs_target(struct fs_req *r, size_t *off)
{
	return string_at(r, off, PATH_MAX - 1);
}

int fs_reply(struct fs_req *r, const void *data, size_t len)
{
	size_t hdr = sizeof(struct fuse_out_header);
	if (r->out_len < hdr || len > r->out_len - hdr)
		return -EIO;
	iov_from_buf(r->out, r->n_out, hdr, data, len);
	r->reply_len = len;
	return 0;
}

static int dispatch(struct fs_server *s, struct fs_req *r)
{
	uint32_t op = r->h.opcode;
	if (op >= ARRAY_SIZE(opcodes) || !opcodes[op].run)
		return -ENOSYS;
	const struct fs_opcode *o = &opcodes[op];
	if (s->initialized == (op == FUSE_INIT))
		return -EIO; /* nothing before INIT, and INIT once */
	if (r->arg_len < o->argsize)
		return -EINVAL;
	if ((o->flags & OP_WRITES) && s->readonly)
		return -EROFS;
	if (o->flags & OP_INODE) {
		r->ino = fs_inode_get(s, r->h.nodeid);
		if (!r->ino)
			return -ENOENT;
	}
	return o->run(s, r);
}

size_t fs_server_handle(struct fs_server *s, const struct iovec *in, unsigned n_in, size_t in_len,
			const struct iovec *out, unsigned n_out, size_t out_len)
{
	struct fs_req r = {.in = in,
			   .n_in = n_in,
			   .in_len = in_len,
			   .out = out,
			   .n_out = n_out,
			   .out_len = out_len};
	const size_t hdr = sizeof(struct fuse_in_header);
	if (in_len < hdr)
		return 0; /* not even a header: nothing to answer to */
	iov_to_buf(in, n_in, 0, &r.h, hdr);
	int ret;
	if (r.h.len < hdr || r.h.len > in_len) {
		ret = -EINVAL;
	} else {
		/* WRITE's data stays in guest memory; everything else is copied. */
		size_t copy = r.h.len;
		if (r.h.opcode == FUSE_WRITE && copy > hdr + sizeof(struct fuse_write_in))
			copy = hdr + sizeof(struct fuse_write_in);
		if (copy > sizeof(s->args)) {
			ret = r.h.opcode < ARRAY_SIZE(opcodes) && opcodes[r.h.opcode].run ? -EINVAL
											  : -ENOSYS;
		} else {
			iov_to_buf(in, n_in, 0, s->args, copy);
			r.arg = s->args + hdr;
			r.arg_len = copy - hdr;
			ret = dispatch(s, &r);
		}
	}
	if (ret == FS_NO_REPLY)
		return 0;
	struct fuse_out_header oh = {
	    .len = (uint32_t)(sizeof(oh) + (ret == 0 ? r.reply_len : 0)),
	    .error = ret < 0 ? ret : 0,
	    .unique = r.h.unique,
	};
	if (out_len < sizeof(oh))
		return 0;
	iov_from_buf(out, n_out, 0, &oh, sizeof(oh));
	return oh.len;
}
