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
	bool writes; /* refused with EROFS on a read-only share */
};

static const struct fs_opcode opcodes[] = {
    [FUSE_LOOKUP] = {fs_op_lookup, false},	[FUSE_FORGET] = {fs_op_forget, false},
    [FUSE_GETATTR] = {fs_op_getattr, false},	[FUSE_SETATTR] = {fs_op_setattr, true},
    [FUSE_READLINK] = {fs_op_readlink, false},	[FUSE_SYMLINK] = {fs_op_symlink, true},
    [FUSE_MKNOD] = {fs_op_mknod, true},		[FUSE_MKDIR] = {fs_op_mkdir, true},
    [FUSE_UNLINK] = {fs_op_unlink, true},	[FUSE_RMDIR] = {fs_op_rmdir, true},
    [FUSE_RENAME] = {fs_op_rename, true},	[FUSE_LINK] = {fs_op_link, true},
    [FUSE_OPEN] = {fs_op_open, false}, /* checks its flags itself */
    [FUSE_READ] = {fs_op_read, false},		[FUSE_WRITE] = {fs_op_write, true},
    [FUSE_STATFS] = {fs_op_statfs, false},	[FUSE_RELEASE] = {fs_op_release, false},
    [FUSE_FSYNC] = {fs_op_fsync, false},	[FUSE_FLUSH] = {fs_op_flush, false},
    [FUSE_INIT] = {fs_op_init, false},		[FUSE_OPENDIR] = {fs_op_opendir, false},
    [FUSE_READDIR] = {fs_op_readdir, false},	[FUSE_RELEASEDIR] = {fs_op_releasedir, false},
    [FUSE_FSYNCDIR] = {fs_op_fsync, false},	[FUSE_ACCESS] = {fs_op_access, false},
    [FUSE_CREATE] = {fs_op_create, true},	[FUSE_INTERRUPT] = {fs_op_interrupt, false},
    [FUSE_DESTROY] = {fs_op_destroy, false},	[FUSE_BATCH_FORGET] = {fs_op_batch_forget, false},
    [FUSE_FALLOCATE] = {fs_op_fallocate, true}, [FUSE_RENAME2] = {fs_op_rename2, true},
    [FUSE_LSEEK] = {fs_op_lseek, false},
};

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
	if (op == FUSE_INIT)
		return s->initialized ? -EIO : fs_op_init(s, r);
	if (!s->initialized)
		return -EIO; /* nothing before INIT */
	if (opcodes[op].writes && s->readonly)
		return -EROFS;
	return opcodes[op].run(s, r);
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
