/* See fuse_client.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/helpers/fuse_client.h"

#define FC_RAM (4u << 20)

int fc_open(struct fc *f, const char *path, bool readonly)
{
	memset(f, 0, sizeof(*f));
	if (!path) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/husk-vfs.XXXXXX");
		if (!mkdtemp(f->dir))
			return -1;
		snprintf(f->share, sizeof(f->share), "%s/share", f->dir);
		snprintf(f->outside, sizeof(f->outside), "%s/outside", f->dir);
		if (mkdir(f->share, 0755) < 0 || mkdir(f->outside, 0755) < 0)
			return -1;
		char secret[128];
		snprintf(secret, sizeof(secret), "%s/secret", f->outside);
		int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, "secret\n", 7) != 7)
			return -1;
		close(fd);
		path = f->share;
	}
	vdrv_init(&f->d, FC_RAM);
	struct vm_fs_share share = {.tag = "husktest", .path = path, .readonly = readonly};
	struct husk_err *err = NULL;
	f->d.dev = virtio_fs_create(&f->d.env, &share, &err);
	if (!f->d.dev) {
		fprintf(stderr, "virtio_fs_create: %s\n", err ? err->msg : "?");
		husk_err_free(&err);
		return -1;
	}
	if (vdrv_start(&f->d, VIRTIO_ID_FS, BIT64(VIRTIO_F_VERSION_1), 2, 64) < 0)
		return -1;
	f->req_gpa = vdrv_alloc(&f->d, FC_BUF);
	f->rep_gpa = vdrv_alloc(&f->d, FC_BUF);
	return 0;
}

void fc_close(struct fc *f)
{
	vdrv_fini(&f->d);
	if (f->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
	}
}

int fc_fixture_open(void **state, const char *path, bool readonly, bool init)
{
	struct fc *f = calloc(1, sizeof(*f));
	*state = f;
	if (!f || fc_open(f, path, readonly) < 0 || (init && fc_init(f) != 0))
		return -1;
	return 0;
}

int fc_fixture_setup(void **state)
{
	return fc_fixture_open(state, NULL, false, true);
}

int fc_fixture_teardown(void **state)
{
	struct fc *f = *state;
	if (f) {
		fc_close(f);
		free(f);
	}
	*state = NULL;
	return 0;
}

void fm_put(struct fmsg *m, const void *p, size_t n)
{
	if (m->n + n > sizeof(m->b))
		abort();
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

void fm_str(struct fmsg *m, const char *s)
{
	fm_put(m, s, strlen(s) + 1);
}

long fc_raw(struct fc *f, const void *req, size_t req_len, void *rep, size_t rep_len)
{
	memcpy(vdrv_ptr(&f->d, f->req_gpa), req, req_len);
	memset(vdrv_ptr(&f->d, f->rep_gpa), 0xa5, rep_len);
	struct vdrv_buf b[2] = {{f->req_gpa, (uint32_t)req_len, false},
				{f->rep_gpa, (uint32_t)rep_len, true}};
	long used = vdrv_submit(&f->d, FC_REQUESTS, b, rep_len ? 2 : 1);
	if (used > 0 && rep)
		memcpy(rep, vdrv_ptr(&f->d, f->rep_gpa),
		       (size_t)used < rep_len ? (size_t)used : rep_len);
	return used;
}

int fc_call_q(struct fc *f, unsigned q, uint32_t op, uint64_t nodeid, const struct fmsg *m,
	      void *out, size_t out_len, size_t *got)
{
	static uint64_t unique = 100;
	size_t args = m ? m->n : 0;
	struct fuse_in_header h = {.len = (uint32_t)(sizeof(h) + args),
				   .opcode = op,
				   .unique = ++unique,
				   .nodeid = nodeid,
				   .uid = getuid(),
				   .gid = getgid(),
				   .pid = 1};
	uint8_t *req = vdrv_ptr(&f->d, f->req_gpa);
	memcpy(req, &h, sizeof(h));
	if (args)
		memcpy(req + sizeof(h), m->b, args);
	size_t rep_len = sizeof(struct fuse_out_header) + out_len;
	struct vdrv_buf b[2] = {{f->req_gpa, (uint32_t)(sizeof(h) + args), false},
				{f->rep_gpa, (uint32_t)rep_len, true}};
	long used = vdrv_submit(&f->d, q, b, 2);
	if (used < 0)
		return -1000;
	if (used == 0)
		return FC_NO_REPLY;
	struct fuse_out_header oh;
	memcpy(&oh, vdrv_ptr(&f->d, f->rep_gpa), sizeof(oh));
	if ((long)oh.len != used || oh.unique != h.unique)
		return -1001;
	size_t payload = oh.len - sizeof(oh);
	if (out && payload)
		memcpy(out, (uint8_t *)vdrv_ptr(&f->d, f->rep_gpa) + sizeof(oh),
		       payload < out_len ? payload : out_len);
	if (got)
		*got = payload;
	return oh.error;
}

int fc_call(struct fc *f, uint32_t op, uint64_t nodeid, const struct fmsg *m, void *out,
	    size_t out_len, size_t *got)
{
	return fc_call_q(f, FC_REQUESTS, op, nodeid, m, out, out_len, got);
}

int fc_init(struct fc *f)
{
	struct fmsg m = {0};
	struct fuse_init_in in = {.major = 7,
				  .minor = 37,
				  .max_readahead = 65536,
				  .flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS};
	fm_put(&m, &in, sizeof(in));
	struct fuse_init_out out;
	return fc_call(f, FUSE_INIT, 0, &m, &out, sizeof(out), NULL);
}

int64_t fc_lookup(struct fc *f, uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	struct fmsg m = {0};
	fm_str(&m, name);
	struct fuse_entry_out tmp;
	int r = fc_call(f, FUSE_LOOKUP, parent, &m, e ? e : &tmp, sizeof(tmp), NULL);
	if (r != 0)
		return r > 0 ? -1002 : r;
	return (int64_t)(e ? e : &tmp)->nodeid;
}

int64_t fc_open_fh(struct fc *f, uint64_t nodeid, uint32_t flags, bool dir)
{
	struct fmsg m = {0};
	struct fuse_open_in in = {.flags = flags};
	fm_put(&m, &in, sizeof(in));
	struct fuse_open_out out;
	int r = fc_call(f, dir ? FUSE_OPENDIR : FUSE_OPEN, nodeid, &m, &out, sizeof(out), NULL);
	return r != 0 ? (r > 0 ? -1002 : r) : (int64_t)out.fh;
}
