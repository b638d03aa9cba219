/* virtio-fs through the virtqueue test driver: each FUSE opcode a Linux
 * guest uses for a root filesystem, checked against the host's view of the
 * shared temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/helpers/fuse_client.h"

static void host_write(struct fc *f, const char *name, const char *data)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->share, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static int host_stat(struct fc *f, const char *name, struct stat *st)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->share, name);
	return lstat(p, st);
}

static void host_read(struct fc *f, const char *name, char *buf, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", f->share, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* CREATE name with mode: fills the entry, returns the fh. */
static uint64_t create(struct fc *f, uint64_t parent, const char *name, uint32_t flags,
		       uint32_t mode, struct fuse_entry_out *e)
{
	struct fmsg m = {0};
	struct fuse_create_in in = {.flags = flags, .mode = S_IFREG | mode};
	fm_put(&m, &in, sizeof(in));
	fm_str(&m, name);
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	assert_int_equal(fc_call(f, FUSE_CREATE, parent, &m, &out, sizeof(out), NULL), 0);
	if (e)
		*e = out.e;
	return out.o.fh;
}

static int write_at(struct fc *f, uint64_t fh, uint64_t off, const char *data)
{
	struct fmsg m = {0};
	struct fuse_write_in in = {.fh = fh, .offset = off, .size = (uint32_t)strlen(data)};
	fm_put(&m, &in, sizeof(in));
	fm_put(&m, data, strlen(data));
	struct fuse_write_out out;
	int r = fc_call(f, FUSE_WRITE, 1, &m, &out, sizeof(out), NULL);
	return r == 0 ? (int)out.size : r;
}

static int read_at(struct fc *f, uint64_t fh, uint64_t off, char *buf, size_t len)
{
	struct fmsg m = {0};
	struct fuse_read_in in = {.fh = fh, .offset = off, .size = (uint32_t)len};
	fm_put(&m, &in, sizeof(in));
	size_t got = 0;
	int r = fc_call(f, FUSE_READ, 1, &m, buf, len, &got);
	return r == 0 ? (int)got : r;
}

static int release(struct fc *f, uint64_t fh, bool dir)
{
	struct fmsg m = {0};
	struct fuse_release_in in = {.fh = fh};
	fm_put(&m, &in, sizeof(in));
	return fc_call(f, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, 1, &m, NULL, 0, NULL);
}

static void init_negotiates(void **state)
{
	struct fc *f = *state;
	/* Nothing before INIT. */
	assert_int_equal(fc_lookup(f, 1, "x", NULL), -EIO);
	struct fmsg m = {0};
	struct fuse_init_in old = {.major = 7, .minor = 30};
	fm_put(&m, &old, sizeof(old));
	assert_int_equal(fc_call(f, FUSE_INIT, 0, &m, NULL, 0, NULL), -EPROTO);
	m.n = 0;
	struct fuse_init_in in = {.major = 7,
				  .minor = 37,
				  .max_readahead = 4096,
				  .flags =
				      FUSE_BIG_WRITES | FUSE_POSIX_LOCKS | FUSE_WRITEBACK_CACHE};
	fm_put(&m, &in, sizeof(in));
	struct fuse_init_out out;
	assert_int_equal(fc_call(f, FUSE_INIT, 0, &m, &out, sizeof(out), NULL), 0);
	assert_int_equal(out.major, 7);
	assert_int_equal(out.minor, 37);
	assert_int_equal(out.max_write, 128 * 1024);
	assert_int_equal(out.flags, FUSE_BIG_WRITES); /* no locks, no writeback cache */
	assert_int_equal(fc_call(f, FUSE_INIT, 0, &m, &out, sizeof(out), NULL), -EIO);
	/* Config space: the tag and one request queue. */
	char tag[36];
	vdrv_config(&f->d, 0, tag, 4);
	vdrv_config(&f->d, 4, tag + 4, 4);
	assert_memory_equal(tag, "husktest", 8);
	uint32_t nq;
	vdrv_config(&f->d, 36, &nq, 4);
	assert_int_equal(nq, 1);
}

static void lookup_getattr_forget(void **state)
{
	struct fc *f = *state;
	host_write(f, "a", "hello");
	struct fuse_entry_out e;
	int64_t a = fc_lookup(f, 1, "a", &e);
	assert_true(a > 1);
	assert_int_equal(e.attr.size, 5);
	assert_true(S_ISREG(e.attr.mode));
	struct stat st;
	assert_int_equal(host_stat(f, "a", &st), 0);
	assert_int_equal(e.attr.ino, st.st_ino);
	/* The same file is the same nodeid. */
	assert_int_equal(fc_lookup(f, 1, "a", NULL), a);
	struct fuse_attr_out ao;
	struct fmsg m = {0};
	struct fuse_getattr_in gi = {0};
	fm_put(&m, &gi, sizeof(gi));
	assert_int_equal(fc_call(f, FUSE_GETATTR, a, &m, &ao, sizeof(ao), NULL), 0);
	assert_int_equal(ao.attr.size, 5);
	assert_int_equal(fc_lookup(f, 1, "missing", NULL), -ENOENT);
	/* Two lookups, two forgets (one plain, one batched): then it is gone. */
	m.n = 0;
	struct fuse_forget_in fi = {.nlookup = 1};
	fm_put(&m, &fi, sizeof(fi));
	assert_int_equal(fc_call_q(f, FC_HIPRIO, FUSE_FORGET, a, &m, NULL, 0, NULL), FC_NO_REPLY);
	m.n = 0;
	gi = (struct fuse_getattr_in){0};
	fm_put(&m, &gi, sizeof(gi));
	assert_int_equal(fc_call(f, FUSE_GETATTR, a, &m, &ao, sizeof(ao), NULL), 0);
	m.n = 0;
	struct fuse_batch_forget_in bi = {.count = 1};
	struct fuse_forget_one one = {.nodeid = a, .nlookup = 1};
	fm_put(&m, &bi, sizeof(bi));
	fm_put(&m, &one, sizeof(one));
	assert_int_equal(fc_call_q(f, FC_HIPRIO, FUSE_BATCH_FORGET, 0, &m, NULL, 0, NULL),
			 FC_NO_REPLY);
	m.n = 0;
	fm_put(&m, &gi, sizeof(gi));
	assert_int_equal(fc_call(f, FUSE_GETATTR, a, &m, &ao, sizeof(ao), NULL), -ENOENT);
	/* The slot comes back with a new generation: the old nodeid stays dead. */
	int64_t again = fc_lookup(f, 1, "a", NULL);
	assert_true(again > 1 && again != a);
	assert_int_equal(fc_call(f, FUSE_GETATTR, a, &m, &ao, sizeof(ao), NULL), -ENOENT);
	assert_int_equal(fc_call(f, FUSE_GETATTR, 0xdead0000beefull, &m, &ao, sizeof(ao), NULL),
			 -ENOENT);
}

static void create_write_read(void **state)
{
	struct fc *f = *state;
	mode_t old = umask(077); /* the guest's mode wins over the host's umask */
	struct fuse_entry_out e;
	uint64_t fh = create(f, 1, "new", O_RDWR, 0664, &e);
	umask(old);
	assert_int_equal(e.attr.mode & 07777, 0664);
	assert_int_equal(write_at(f, fh, 0, "hello, host"), 11);
	assert_int_equal(write_at(f, fh, 7, "guest"), 5);
	char buf[64];
	host_read(f, "new", buf, sizeof(buf));
	assert_string_equal(buf, "hello, guest");
	struct stat st;
	assert_int_equal(host_stat(f, "new", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);
	assert_int_equal(read_at(f, fh, 7, buf, 5), 5);
	assert_memory_equal(buf, "guest", 5);
	assert_int_equal(read_at(f, fh, 100, buf, 5), 0); /* past the end */
	struct fmsg m = {0};
	struct fuse_flush_in fl = {.fh = fh};
	fm_put(&m, &fl, sizeof(fl));
	assert_int_equal(fc_call(f, FUSE_FLUSH, e.nodeid, &m, NULL, 0, NULL), 0);
	m.n = 0;
	struct fuse_fsync_in fs = {.fh = fh, .fsync_flags = 1};
	fm_put(&m, &fs, sizeof(fs));
	assert_int_equal(fc_call(f, FUSE_FSYNC, e.nodeid, &m, NULL, 0, NULL), 0);
	assert_int_equal(release(f, fh, false), 0);
	assert_int_equal(read_at(f, fh, 0, buf, 5), -EBADF); /* released */
	assert_int_equal(release(f, fh, false), -EBADF);
	/* OPEN of the existing file, O_TRUNC. */
	int64_t fh2 = fc_open_fh(f, e.nodeid, O_WRONLY | O_TRUNC, false);
	assert_true(fh2 >= 0);
	assert_int_equal(host_stat(f, "new", &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(read_at(f, (uint64_t)fh2, 0, buf, 5), -EBADF); /* write-only */
	assert_int_equal(release(f, (uint64_t)fh2, false), 0);
	/* CREATE of an existing name without O_EXCL opens it; with O_EXCL it fails. */
	struct fmsg c = {0};
	struct fuse_create_in ci = {.flags = O_RDWR | O_EXCL, .mode = S_IFREG | 0600};
	fm_put(&c, &ci, sizeof(ci));
	fm_str(&c, "new");
	uint8_t out[256];
	assert_int_equal(fc_call(f, FUSE_CREATE, 1, &c, out, sizeof(out), NULL), -EEXIST);
	uint64_t fh3 = create(f, 1, "new", O_RDWR, 0600, NULL);
	assert_int_equal(release(f, fh3, false), 0);
}

static void namespace_ops(void **state)
{
	struct fc *f = *state;
	struct fmsg m = {0};
	struct fuse_mkdir_in mi = {.mode = 0750};
	fm_put(&m, &mi, sizeof(mi));
	fm_str(&m, "d");
	struct fuse_entry_out d;
	assert_int_equal(fc_call(f, FUSE_MKDIR, 1, &m, &d, sizeof(d), NULL), 0);
	struct stat st;
	assert_int_equal(host_stat(f, "d", &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	host_write(f, "x", "x");
	/* RENAME x -> d/y */
	m.n = 0;
	struct fuse_rename_in ri = {.newdir = d.nodeid};
	fm_put(&m, &ri, sizeof(ri));
	fm_str(&m, "x");
	fm_str(&m, "y");
	assert_int_equal(fc_call(f, FUSE_RENAME, 1, &m, NULL, 0, NULL), 0);
	assert_int_equal(host_stat(f, "d/y", &st), 0);
	assert_int_equal(host_stat(f, "x", &st), -1);
	/* RENAME2 NOREPLACE onto an existing name; EXCHANGE swaps. */
	host_write(f, "z", "zz");
	m.n = 0;
	struct fuse_rename2_in r2 = {.newdir = 1, .flags = RENAME_NOREPLACE};
	fm_put(&m, &r2, sizeof(r2));
	fm_str(&m, "y");
	fm_str(&m, "z");
	assert_int_equal(fc_call(f, FUSE_RENAME2, d.nodeid, &m, NULL, 0, NULL), -EEXIST);
	r2.flags = RENAME_EXCHANGE;
	memcpy(m.b, &r2, sizeof(r2));
	assert_int_equal(fc_call(f, FUSE_RENAME2, d.nodeid, &m, NULL, 0, NULL), 0);
	assert_int_equal(host_stat(f, "z", &st), 0);
	assert_int_equal(st.st_size, 1);
	/* SYMLINK and READLINK */
	m.n = 0;
	fm_str(&m, "l");
	fm_str(&m, "d/z");
	struct fuse_entry_out l;
	assert_int_equal(fc_call(f, FUSE_SYMLINK, 1, &m, &l, sizeof(l), NULL), 0);
	assert_true(S_ISLNK(l.attr.mode));
	char buf[64] = {0};
	size_t got;
	assert_int_equal(fc_call(f, FUSE_READLINK, l.nodeid, NULL, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "d/z", 3);
	char hl[64] = {0}, path[256];
	snprintf(path, sizeof(path), "%s/l", f->share);
	assert_int_equal(readlink(path, hl, sizeof(hl)), 3);
	/* The link's own mtime (lutimes; its target does not even exist). */
	m.n = 0;
	struct fuse_setattr_in lt = {.valid = FATTR_MTIME, .mtime = 1000000000};
	fm_put(&m, &lt, sizeof(lt));
	struct fuse_attr_out la;
	assert_int_equal(fc_call(f, FUSE_SETATTR, l.nodeid, &m, &la, sizeof(la), NULL), 0);
	struct stat lst;
	assert_int_equal(lstat(path, &lst), 0);
	assert_int_equal(lst.st_mtim.tv_sec, 1000000000);
	assert_true(S_ISLNK(lst.st_mode));
	/* LINK: the same inode, nlink 2 */
	int64_t z = fc_lookup(f, 1, "z", NULL);
	m.n = 0;
	struct fuse_link_in li = {.oldnodeid = (uint64_t)z};
	fm_put(&m, &li, sizeof(li));
	fm_str(&m, "z2");
	struct fuse_entry_out ze;
	assert_int_equal(fc_call(f, FUSE_LINK, d.nodeid, &m, &ze, sizeof(ze), NULL), 0);
	assert_int_equal(ze.nodeid, z);
	assert_int_equal(ze.attr.nlink, 2);
	struct stat a, b;
	assert_int_equal(host_stat(f, "z", &a), 0);
	assert_int_equal(host_stat(f, "d/z2", &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* MKNOD: a fifo and a regular file */
	m.n = 0;
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0600};
	fm_put(&m, &mk, sizeof(mk));
	fm_str(&m, "fifo");
	struct fuse_entry_out fe;
	assert_int_equal(fc_call(f, FUSE_MKNOD, 1, &m, &fe, sizeof(fe), NULL), 0);
	assert_int_equal(host_stat(f, "fifo", &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* UNLINK and RMDIR */
	m.n = 0;
	fm_str(&m, "z2");
	assert_int_equal(fc_call(f, FUSE_UNLINK, d.nodeid, &m, NULL, 0, NULL), 0);
	m.n = 0;
	fm_str(&m, "y");
	assert_int_equal(fc_call(f, FUSE_UNLINK, d.nodeid, &m, NULL, 0, NULL), 0);
	m.n = 0;
	fm_str(&m, "d");
	assert_int_equal(fc_call(f, FUSE_RMDIR, 1, &m, NULL, 0, NULL), 0);
	assert_int_equal(host_stat(f, "d", &st), -1);
	m.n = 0;
	fm_str(&m, "fifo");
	assert_int_equal(fc_call(f, FUSE_RMDIR, 1, &m, NULL, 0, NULL), -ENOTDIR);
}

static void setattr_chmod_truncate_times(void **state)
{
	struct fc *f = *state;
	host_write(f, "s", "0123456789");
	int64_t s = fc_lookup(f, 1, "s", NULL);
	struct fmsg m = {0};
	struct fuse_setattr_in in = {.valid = FATTR_MODE | FATTR_SIZE | FATTR_MTIME,
				     .mode = S_IFREG | 0600,
				     .size = 4,
				     .mtime = 1000000000};
	fm_put(&m, &in, sizeof(in));
	struct fuse_attr_out out;
	assert_int_equal(fc_call(f, FUSE_SETATTR, s, &m, &out, sizeof(out), NULL), 0);
	assert_int_equal(out.attr.size, 4);
	assert_int_equal(out.attr.mode & 07777, 0600);
	struct stat st;
	assert_int_equal(host_stat(f, "s", &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	/* Through an open handle too. */
	int64_t fh = fc_open_fh(f, s, O_RDWR, false);
	assert_true(fh >= 0);
	in =
	    (struct fuse_setattr_in){.valid = FATTR_SIZE | FATTR_FH, .fh = (uint64_t)fh, .size = 1};
	memcpy(m.b, &in, sizeof(in));
	assert_int_equal(fc_call(f, FUSE_SETATTR, s, &m, &out, sizeof(out), NULL), 0);
	assert_int_equal(host_stat(f, "s", &st), 0);
	assert_int_equal(st.st_size, 1);
	/* FALLOCATE and LSEEK on the handle */
	m.n = 0;
	struct fuse_fallocate_in fa = {.fh = (uint64_t)fh, .offset = 0, .length = 8192};
	fm_put(&m, &fa, sizeof(fa));
	assert_int_equal(fc_call(f, FUSE_FALLOCATE, s, &m, NULL, 0, NULL), 0);
	assert_int_equal(host_stat(f, "s", &st), 0);
	assert_int_equal(st.st_size, 8192);
	m.n = 0;
	struct fuse_lseek_in ls = {.fh = (uint64_t)fh, .offset = 0, .whence = SEEK_DATA};
	fm_put(&m, &ls, sizeof(ls));
	struct fuse_lseek_out lo;
	assert_int_equal(fc_call(f, FUSE_LSEEK, s, &m, &lo, sizeof(lo), NULL), 0);
	assert_int_equal(lo.offset, 0);
	assert_int_equal(release(f, (uint64_t)fh, false), 0);
}

static bool has_name(const uint8_t *buf, size_t len, const char *name)
{
	for (size_t at = 0; at + FUSE_NAME_OFFSET <= len;) {
		struct fuse_dirent d;
		memcpy(&d, buf + at, FUSE_NAME_OFFSET);
		if (d.namelen == strlen(name) &&
		    !memcmp(buf + at + FUSE_NAME_OFFSET, name, d.namelen))
			return true;
		at += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
	}
	return false;
}

static void readdir_statfs_access(void **state)
{
	struct fc *f = *state;
	char name[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "file-%02d", i);
		host_write(f, name, "x");
	}
	int64_t dh = fc_open_fh(f, 1, O_RDONLY | O_DIRECTORY, true);
	assert_true(dh >= 0);
	/* A small buffer: several READDIRs, each resuming at the last offset. */
	unsigned seen = 0;
	uint64_t off = 0;
	for (int round = 0; round < 100; round++) {
		struct fmsg m = {0};
		struct fuse_read_in in = {.fh = (uint64_t)dh, .offset = off, .size = 256};
		fm_put(&m, &in, sizeof(in));
		uint8_t buf[256];
		size_t got = 0;
		assert_int_equal(fc_call(f, FUSE_READDIR, 1, &m, buf, sizeof(buf), &got), 0);
		if (got == 0)
			break;
		for (size_t at = 0; at < got;) {
			struct fuse_dirent d;
			memcpy(&d, buf + at, FUSE_NAME_OFFSET);
			if (d.namelen == 7 && !memcmp(buf + at + FUSE_NAME_OFFSET, "file-", 5))
				seen++;
			off = d.off;
			at += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
		}
	}
	assert_int_equal(seen, 40);
	(void)has_name;
	/* READDIRPLUS: each entry with its lookup, "." and ".." without. */
	{
		struct fmsg pm = {0};
		struct fuse_read_in pin = {.fh = (uint64_t)dh, .offset = 0, .size = 4096};
		fm_put(&pm, &pin, sizeof(pin));
		uint8_t pbuf[4096];
		size_t pgot = 0;
		unsigned with_node = 0, dots = 0;
		for (int round = 0; round < 20; round++) {
			memcpy(pm.b, &pin, sizeof(pin));
			assert_int_equal(
			    fc_call(f, FUSE_READDIRPLUS, 1, &pm, pbuf, sizeof(pbuf), &pgot), 0);
			if (pgot == 0)
				break;
			for (size_t at = 0; at < pgot;) {
				struct fuse_direntplus dp;
				memcpy(&dp, pbuf + at, sizeof(dp));
				const char *nm =
				    (const char *)pbuf + at + FUSE_NAME_OFFSET_DIRENTPLUS;
				if (dp.dirent.namelen <= 2 && nm[0] == '.') {
					assert_int_equal(dp.entry_out.nodeid, 0);
					dots++;
				} else {
					assert_true(dp.entry_out.nodeid > 1);
					assert_int_equal(dp.entry_out.attr.ino, dp.dirent.ino);
					with_node++;
				}
				pin.offset = dp.dirent.off;
				at += FUSE_DIRENTPLUS_SIZE(&dp);
			}
		}
		assert_int_equal(dots, 2);
		assert_int_equal(with_node, 40);
		/* A reply buffer smaller than one entry: nothing, and no lookup lost. */
		pin.size = 8;
		memcpy(pm.b, &pin, sizeof(pin));
		assert_int_equal(fc_call(f, FUSE_READDIRPLUS, 1, &pm, pbuf, 8, &pgot), 0);
		assert_int_equal(pgot, 0);
	}
	struct fmsg m = {0};
	struct fuse_fsync_in fs = {.fh = (uint64_t)dh};
	fm_put(&m, &fs, sizeof(fs));
	assert_int_equal(fc_call(f, FUSE_FSYNCDIR, 1, &m, NULL, 0, NULL), 0);
	assert_int_equal(release(f, (uint64_t)dh, true), 0);
	struct fuse_statfs_out so;
	assert_int_equal(fc_call(f, FUSE_STATFS, 1, NULL, &so, sizeof(so), NULL), 0);
	assert_true(so.st.bsize > 0 && so.st.namelen >= 255);
	m.n = 0;
	struct fuse_access_in ai = {.mask = R_OK | W_OK};
	fm_put(&m, &ai, sizeof(ai));
	assert_int_equal(fc_call(f, FUSE_ACCESS, 1, &m, NULL, 0, NULL), 0);
}

static void unknown_opcodes_and_destroy(void **state)
{
	struct fc *f = *state;
	struct fmsg m = {0};
	fm_str(&m, "user.x");
	uint8_t out[64];
	assert_int_equal(fc_call(f, FUSE_GETXATTR, 1, &m, out, sizeof(out), NULL), -ENOSYS);
	assert_int_equal(fc_call(f, FUSE_SETXATTR, 1, &m, out, sizeof(out), NULL), -ENOSYS);
	assert_int_equal(fc_call(f, FUSE_LISTXATTR, 1, &m, out, sizeof(out), NULL), -ENOSYS);
	assert_int_equal(fc_call(f, FUSE_IOCTL, 1, &m, out, sizeof(out), NULL), -ENOSYS);
	assert_int_equal(fc_call(f, 9999, 1, &m, out, sizeof(out), NULL), -ENOSYS);
	m.n = 0;
	struct fuse_interrupt_in ii = {.unique = 5};
	fm_put(&m, &ii, sizeof(ii));
	assert_int_equal(fc_call_q(f, FC_HIPRIO, FUSE_INTERRUPT, 0, &m, NULL, 0, NULL),
			 FC_NO_REPLY);
	host_write(f, "k", "k");
	int64_t k = fc_lookup(f, 1, "k", NULL);
	assert_int_equal(fc_call(f, FUSE_DESTROY, 0, NULL, NULL, 0, NULL), 0);
	/* A new session: old nodeids are gone. */
	assert_int_equal(fc_lookup(f, 1, "k", NULL), -EIO);
	assert_int_equal(fc_init(f), 0);
	m.n = 0;
	struct fuse_getattr_in gi = {0};
	fm_put(&m, &gi, sizeof(gi));
	struct fuse_attr_out ao;
	assert_int_equal(fc_call(f, FUSE_GETATTR, k, &m, &ao, sizeof(ao), NULL), -ENOENT);
	assert_int_equal(fc_call(f, FUSE_GETATTR, 1, &m, &ao, sizeof(ao), NULL), 0);
}

static int setup_uninit(void **state)
{
	return fc_fixture_open(state, NULL, false, false);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fc_fixture_setup, fc_fixture_teardown)
UNIT_MAIN(NULL, NULL,
	  cmocka_unit_test_setup_teardown(init_negotiates, setup_uninit, fc_fixture_teardown),
	  T(lookup_getattr_forget), T(create_write_read), T(namespace_ops),
	  T(setattr_chmod_truncate_times), T(readdir_statfs_access), T(unknown_opcodes_and_destroy))
