/* virtio-fs against a hostile guest, at the protocol level: every way out of
 * the shared directory ("share") toward its sibling ("outside", holding
 * "secret") must fail, and so must every write to a read-only share and every
 * malformed request (without a crash, and without a reply it cannot fit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tests/unit/helpers/fuse_client.h"

static void host_path(struct fc *f, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->share, name);
}

/* The secret is untouched and nothing new appeared next to the share. */
static void outside_intact(struct fc *f)
{
	char p[160], buf[32] = {0};
	snprintf(p, sizeof(p), "%s/secret", f->outside);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	close(fd);
	assert_string_equal(buf, "secret\n");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	snprintf(p, sizeof(p), "%s/pwned", f->dir);
	assert_int_equal(lstat(p, &st), -1);
	snprintf(p, sizeof(p), "%s/pwned", f->outside);
	assert_int_equal(lstat(p, &st), -1);
}

static void dotdot_stays_at_the_root(void **state)
{
	struct fc *f = *state;
	struct fuse_entry_out e;
	assert_int_equal(fc_lookup(f, 1, "..", &e), 1);
	assert_int_equal(fc_lookup(f, 1, ".", NULL), 1);
	/* From a subdirectory, ".." is the root, and ".." again is still the root. */
	char p[160];
	host_path(f, "sub", p, sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
	int64_t sub = fc_lookup(f, 1, "sub", NULL);
	assert_true(sub > 1);
	assert_int_equal(fc_lookup(f, (uint64_t)sub, "..", NULL), 1);
	assert_int_equal(fc_lookup(f, fc_lookup(f, 1, "..", NULL), "..", NULL), 1);
	/* The sibling of the share is not a name in the root. */
	assert_int_equal(fc_lookup(f, 1, "outside", NULL), -ENOENT);
	outside_intact(f);
}

static void names_are_single_components(void **state)
{
	struct fc *f = *state;
	const char *bad[] = {"../outside", "sub/../..", "/etc", "a/b", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fc_lookup(f, 1, bad[i], NULL), -EINVAL);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(fc_lookup(f, 1, longname, NULL), -EINVAL);
	/* A name without its NUL inside the request. */
	struct fmsg m = {0};
	fm_put(&m, "outside", 7);
	assert_int_equal(fc_call(f, FUSE_LOOKUP, 1, &m, NULL, 0, NULL), -EINVAL);
	/* "." and ".." are refused where they would name something else. */
	m.n = 0;
	struct fuse_mkdir_in mi = {.mode = 0755};
	fm_put(&m, &mi, sizeof(mi));
	fm_str(&m, "..");
	uint8_t out[256];
	assert_int_equal(fc_call(f, FUSE_MKDIR, 1, &m, out, sizeof(out), NULL), -EINVAL);
	m.n = 0;
	fm_str(&m, "..");
	assert_int_equal(fc_call(f, FUSE_UNLINK, 1, &m, NULL, 0, NULL), -EINVAL);
	assert_int_equal(fc_call(f, FUSE_RMDIR, 1, &m, NULL, 0, NULL), -EINVAL);
	/* RENAME with a path as the new name. */
	char p[160];
	host_path(f, "victim", p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	m.n = 0;
	struct fuse_rename_in ri = {.newdir = 1};
	fm_put(&m, &ri, sizeof(ri));
	fm_str(&m, "victim");
	fm_str(&m, "../outside/pwned");
	assert_int_equal(fc_call(f, FUSE_RENAME, 1, &m, NULL, 0, NULL), -EINVAL);
	/* SYMLINK whose name climbs; CREATE through a path. */
	m.n = 0;
	fm_str(&m, "../pwned");
	fm_str(&m, "x");
	assert_int_equal(fc_call(f, FUSE_SYMLINK, 1, &m, out, sizeof(out), NULL), -EINVAL);
	m.n = 0;
	struct fuse_create_in ci = {.flags = O_RDWR, .mode = S_IFREG | 0644};
	fm_put(&m, &ci, sizeof(ci));
	fm_str(&m, "../pwned");
	assert_int_equal(fc_call(f, FUSE_CREATE, 1, &m, out, sizeof(out), NULL), -EINVAL);
	outside_intact(f);
}

static void symlinks_are_never_followed(void **state)
{
	struct fc *f = *state;
	char p[160], t[160];
	/* The host put symlinks in the share that point out of it. */
	host_path(f, "esc", p, sizeof(p));
	assert_int_equal(symlink("../outside", p), 0);
	host_path(f, "abs", p, sizeof(p));
	snprintf(t, sizeof(t), "%s/secret", f->outside);
	assert_int_equal(symlink(t, p), 0);
	host_path(f, "etc", p, sizeof(p));
	assert_int_equal(symlink("/etc", p), 0);
	struct fuse_entry_out e;
	int64_t esc = fc_lookup(f, 1, "esc", &e);
	assert_true(esc > 1);
	assert_true(S_ISLNK(e.attr.mode)); /* the link itself, not its target */
	/* Looking up through it is looking into a symlink: not a directory. */
	assert_int_equal(fc_lookup(f, (uint64_t)esc, "secret", NULL), -ENOTDIR);
	int64_t etc = fc_lookup(f, 1, "etc", NULL);
	assert_int_equal(fc_lookup(f, (uint64_t)etc, "passwd", NULL), -ENOTDIR);
	/* Opening a symlink's nodeid does not open its target. */
	int64_t abs = fc_lookup(f, 1, "abs", NULL);
	assert_int_equal(fc_open_fh(f, (uint64_t)abs, O_RDONLY, false), -ELOOP);
	assert_int_equal(fc_open_fh(f, (uint64_t)abs, O_RDWR | O_TRUNC, false), -ELOOP);
	assert_int_equal(fc_open_fh(f, (uint64_t)esc, O_RDONLY | O_DIRECTORY, true), -ENOTDIR);
	/* SETATTR on it changes neither the link's target nor the target. */
	struct fmsg m = {0};
	struct fuse_setattr_in si = {.valid = FATTR_SIZE | FATTR_MODE, .mode = 0777, .size = 0};
	fm_put(&m, &si, sizeof(si));
	uint8_t out[256];
	assert_true(fc_call(f, FUSE_SETATTR, (uint64_t)abs, &m, out, sizeof(out), NULL) < 0);
	/* CREATE over the symlink's name, without O_EXCL: no open through it. */
	m.n = 0;
	struct fuse_create_in ci = {.flags = O_RDWR | O_TRUNC, .mode = S_IFREG | 0644};
	fm_put(&m, &ci, sizeof(ci));
	fm_str(&m, "abs");
	assert_int_equal(fc_call(f, FUSE_CREATE, 1, &m, out, sizeof(out), NULL), -ELOOP);
	/* RENAME into a symlinked "directory". */
	host_path(f, "victim", p, sizeof(p));
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	m.n = 0;
	struct fuse_rename_in ri = {.newdir = (uint64_t)esc};
	fm_put(&m, &ri, sizeof(ri));
	fm_str(&m, "victim");
	fm_str(&m, "pwned");
	assert_int_equal(fc_call(f, FUSE_RENAME, 1, &m, NULL, 0, NULL), -ENOTDIR);
	/* A guest-made symlink is only text; READLINK returns it. */
	m.n = 0;
	fm_str(&m, "mine");
	fm_str(&m, "/etc/shadow");
	struct fuse_entry_out le;
	assert_int_equal(fc_call(f, FUSE_SYMLINK, 1, &m, &le, sizeof(le), NULL), 0);
	assert_int_equal(fc_open_fh(f, le.nodeid, O_RDONLY, false), -ELOOP);
	outside_intact(f);
}

static void links_stay_inside(void **state)
{
	struct fc *f = *state;
	char p[160];
	/* LINK takes a nodeid: an unknown one, or one made up, names nothing. */
	struct fmsg m = {0};
	struct fuse_link_in li = {.oldnodeid = 0x4242};
	fm_put(&m, &li, sizeof(li));
	fm_str(&m, "pwned");
	uint8_t out[256];
	assert_int_equal(fc_call(f, FUSE_LINK, 1, &m, out, sizeof(out), NULL), -ENOENT);
	/* A hard link to a symlink that points out links the symlink, not the secret. */
	host_path(f, "abs", p, sizeof(p));
	char t[160];
	snprintf(t, sizeof(t), "%s/secret", f->outside);
	assert_int_equal(symlink(t, p), 0);
	int64_t abs = fc_lookup(f, 1, "abs", NULL);
	li.oldnodeid = (uint64_t)abs;
	memcpy(m.b, &li, sizeof(li));
	struct fuse_entry_out e;
	assert_int_equal(fc_call(f, FUSE_LINK, 1, &m, &e, sizeof(e), NULL), 0);
	assert_true(S_ISLNK(e.attr.mode));
	struct stat st;
	host_path(f, "pwned", p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* Directories cannot be linked, the root least of all. */
	li.oldnodeid = 1;
	memcpy(m.b, &li, sizeof(li));
	m.n = sizeof(li);
	fm_str(&m, "rootlink");
	assert_int_equal(fc_call(f, FUSE_LINK, 1, &m, out, sizeof(out), NULL), -EPERM);
	/* The target directory must be a known nodeid too: the root's slot
	 * with another generation is not the root. */
	li.oldnodeid = (uint64_t)abs;
	memcpy(m.b, &li, sizeof(li));
	assert_int_equal(fc_call(f, FUSE_LINK, 0x77770001ull, &m, out, sizeof(out), NULL), -ENOENT);
	outside_intact(f);
}

static void device_nodes_are_refused(void **state)
{
	struct fc *f = *state;
	uint8_t out[256];
	struct fmsg m = {0};
	struct fuse_mknod_in mk = {.mode = S_IFCHR | 0666, .rdev = (1 << 8) | 3};
	fm_put(&m, &mk, sizeof(mk));
	fm_str(&m, "null");
	assert_int_equal(fc_call(f, FUSE_MKNOD, 1, &m, out, sizeof(out), NULL), -EPERM);
	mk.mode = S_IFBLK | 0666;
	memcpy(m.b, &mk, sizeof(mk));
	assert_int_equal(fc_call(f, FUSE_MKNOD, 1, &m, out, sizeof(out), NULL), -EPERM);
	char p[160];
	struct stat st;
	host_path(f, "null", p, sizeof(p));
	assert_int_equal(lstat(p, &st), -1);
	/* RENAME_WHITEOUT would make a character device. */
	host_path(f, "w", p, sizeof(p));
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	m.n = 0;
	struct fuse_rename2_in r2 = {.newdir = 1, .flags = RENAME_WHITEOUT};
	fm_put(&m, &r2, sizeof(r2));
	fm_str(&m, "w");
	fm_str(&m, "w2");
	assert_int_equal(fc_call(f, FUSE_RENAME2, 1, &m, NULL, 0, NULL), -EINVAL);
	/* A device node the host left in the share: seen, never opened. */
	host_path(f, "hostnull", p, sizeof(p));
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0)
		skip(); /* not root: the host cannot make one either */
	int64_t dev = fc_lookup(f, 1, "hostnull", NULL);
	assert_true(dev > 1);
	assert_int_equal(fc_open_fh(f, (uint64_t)dev, O_RDWR, false), -EACCES);
	m.n = 0;
	struct fuse_create_in ci = {.flags = O_RDWR, .mode = S_IFREG | 0644};
	fm_put(&m, &ci, sizeof(ci));
	fm_str(&m, "hostnull");
	assert_int_equal(fc_call(f, FUSE_CREATE, 1, &m, out, sizeof(out), NULL), -EACCES);
	/* Its size cannot be set through a reopen either. */
	m.n = 0;
	struct fuse_setattr_in si = {.valid = FATTR_SIZE};
	fm_put(&m, &si, sizeof(si));
	assert_true(fc_call(f, FUSE_SETATTR, (uint64_t)dev, &m, out, sizeof(out), NULL) < 0);
	/* A fifo is never opened (it would block the server). */
	host_path(f, "fifo", p, sizeof(p));
	assert_int_equal(mkfifo(p, 0666), 0);
	int64_t fifo = fc_lookup(f, 1, "fifo", NULL);
	assert_int_equal(fc_open_fh(f, (uint64_t)fifo, O_RDONLY, false), -EACCES);
}

static void readonly_share_refuses_writes(void **state)
{
	struct fc *f = *state;
	char p[160];
	host_path(f, "file", p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	int64_t file = fc_lookup(f, 1, "file", NULL);
	assert_true(file > 1);
	uint8_t out[256];
	struct fmsg m = {0};
	/* Reading works. */
	int64_t fh = fc_open_fh(f, (uint64_t)file, O_RDONLY, false);
	assert_true(fh >= 0);
	assert_int_equal(fc_open_fh(f, (uint64_t)file, O_RDWR, false), -EROFS);
	assert_int_equal(fc_open_fh(f, (uint64_t)file, O_WRONLY, false), -EROFS);
	assert_int_equal(fc_open_fh(f, (uint64_t)file, O_RDONLY | O_TRUNC, false), -EROFS);
	struct fuse_write_in wi = {.fh = (uint64_t)fh, .size = 1};
	fm_put(&m, &wi, sizeof(wi));
	fm_put(&m, "X", 1);
	assert_int_equal(fc_call(f, FUSE_WRITE, (uint64_t)file, &m, out, sizeof(out), NULL),
			 -EROFS);
	m.n = 0;
	struct fuse_create_in ci = {.flags = O_RDWR, .mode = S_IFREG | 0644};
	fm_put(&m, &ci, sizeof(ci));
	fm_str(&m, "new");
	assert_int_equal(fc_call(f, FUSE_CREATE, 1, &m, out, sizeof(out), NULL), -EROFS);
	m.n = 0;
	struct fuse_mkdir_in mi = {.mode = 0755};
	fm_put(&m, &mi, sizeof(mi));
	fm_str(&m, "d");
	assert_int_equal(fc_call(f, FUSE_MKDIR, 1, &m, out, sizeof(out), NULL), -EROFS);
	m.n = 0;
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0644};
	fm_put(&m, &mk, sizeof(mk));
	fm_str(&m, "p");
	assert_int_equal(fc_call(f, FUSE_MKNOD, 1, &m, out, sizeof(out), NULL), -EROFS);
	m.n = 0;
	fm_str(&m, "l");
	fm_str(&m, "file");
	assert_int_equal(fc_call(f, FUSE_SYMLINK, 1, &m, out, sizeof(out), NULL), -EROFS);
	m.n = 0;
	fm_str(&m, "file");
	assert_int_equal(fc_call(f, FUSE_UNLINK, 1, &m, NULL, 0, NULL), -EROFS);
	assert_int_equal(fc_call(f, FUSE_RMDIR, 1, &m, NULL, 0, NULL), -EROFS);
	m.n = 0;
	struct fuse_rename_in ri = {.newdir = 1};
	fm_put(&m, &ri, sizeof(ri));
	fm_str(&m, "file");
	fm_str(&m, "moved");
	assert_int_equal(fc_call(f, FUSE_RENAME, 1, &m, NULL, 0, NULL), -EROFS);
	m.n = 0;
	struct fuse_link_in li = {.oldnodeid = (uint64_t)file};
	fm_put(&m, &li, sizeof(li));
	fm_str(&m, "hard");
	assert_int_equal(fc_call(f, FUSE_LINK, 1, &m, out, sizeof(out), NULL), -EROFS);
	m.n = 0;
	struct fuse_setattr_in si = {.valid = FATTR_MODE, .mode = 0777};
	fm_put(&m, &si, sizeof(si));
	assert_int_equal(fc_call(f, FUSE_SETATTR, (uint64_t)file, &m, out, sizeof(out), NULL),
			 -EROFS);
	m.n = 0;
	struct fuse_fallocate_in fa = {.fh = (uint64_t)fh, .length = 4096};
	fm_put(&m, &fa, sizeof(fa));
	assert_int_equal(fc_call(f, FUSE_FALLOCATE, (uint64_t)file, &m, NULL, 0, NULL), -EROFS);
	/* The host's view did not change. */
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void malformed_requests(void **state)
{
	struct fc *f = *state;
	uint8_t rep[64];
	struct fuse_out_header oh;
	/* A header that claims more than the chain holds. */
	struct fuse_in_header h = {.len = 4096, .opcode = FUSE_LOOKUP, .unique = 9, .nodeid = 1};
	assert_int_equal(fc_raw(f, &h, sizeof(h), rep, sizeof(rep)), sizeof(oh));
	memcpy(&oh, rep, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	assert_int_equal(oh.unique, 9);
	/* Shorter than its own header. */
	h.len = 8;
	assert_int_equal(fc_raw(f, &h, sizeof(h), rep, sizeof(rep)), sizeof(oh));
	memcpy(&oh, rep, sizeof(oh));
	assert_int_equal(oh.error, -EINVAL);
	/* Not even a header: nothing to answer. */
	assert_int_equal(fc_raw(f, &h, 10, rep, sizeof(rep)), 0);
	/* No room for the reply header: nothing written. */
	h.len = sizeof(h);
	h.opcode = FUSE_STATFS;
	assert_int_equal(fc_raw(f, &h, sizeof(h), rep, 8), 0);
	/* Room for the header but not the payload: an error, no overflow. */
	assert_int_equal(fc_raw(f, &h, sizeof(h), rep, sizeof(oh) + 4), sizeof(oh));
	memcpy(&oh, rep, sizeof(oh));
	assert_int_equal(oh.error, -EIO);
	/* Arguments cut short. */
	struct fmsg m = {0};
	fm_put(&m, "\x01\x02\x03", 3);
	uint8_t out[256];
	assert_int_equal(fc_call(f, FUSE_SETATTR, 1, &m, out, sizeof(out), NULL), -EINVAL);
	assert_int_equal(fc_call(f, FUSE_READ, 1, &m, out, sizeof(out), NULL), -EINVAL);
	assert_int_equal(fc_call(f, FUSE_RENAME2, 1, &m, out, sizeof(out), NULL), -EINVAL);
	/* BATCH_FORGET promising more entries than it carries. */
	m.n = 0;
	struct fuse_batch_forget_in bi = {.count = 0xffffffffu};
	fm_put(&m, &bi, sizeof(bi));
	struct fuse_forget_one one = {.nodeid = 1, .nlookup = 1000};
	fm_put(&m, &one, sizeof(one));
	assert_int_equal(fc_call_q(f, FC_HIPRIO, FUSE_BATCH_FORGET, 0, &m, NULL, 0, NULL),
			 FC_NO_REPLY);
	/* The root survives any FORGET. */
	assert_int_equal(fc_lookup(f, 1, ".", NULL), 1);
	/* WRITE claiming more data than it carries; a stale or made-up fh. */
	char p[160];
	host_path(f, "w", p, sizeof(p));
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	int64_t w = fc_lookup(f, 1, "w", NULL);
	int64_t fh = fc_open_fh(f, (uint64_t)w, O_RDWR, false);
	m.n = 0;
	struct fuse_write_in wi = {.fh = (uint64_t)fh, .size = 1 << 20};
	fm_put(&m, &wi, sizeof(wi));
	fm_put(&m, "abc", 3);
	assert_int_equal(fc_call(f, FUSE_WRITE, (uint64_t)w, &m, out, sizeof(out), NULL), -EINVAL);
	wi.fh = (uint64_t)fh + (1ull << 32);
	wi.size = 3;
	memcpy(m.b, &wi, sizeof(wi));
	assert_int_equal(fc_call(f, FUSE_WRITE, (uint64_t)w, &m, out, sizeof(out), NULL), -EBADF);
	/* A file handle used as a directory handle and the other way round. */
	m.n = 0;
	struct fuse_read_in ri = {.fh = (uint64_t)fh, .size = 64};
	fm_put(&m, &ri, sizeof(ri));
	assert_int_equal(fc_call(f, FUSE_READDIR, 1, &m, out, sizeof(out), NULL), -EBADF);
	/* READ bigger than the reply room: cut to the room. */
	assert_int_equal(write(open(p, O_WRONLY | O_CLOEXEC), "0123456789", 10), 10);
	m.n = 0;
	ri = (struct fuse_read_in){.fh = (uint64_t)fh, .size = 1 << 20};
	fm_put(&m, &ri, sizeof(ri));
	size_t got = 0;
	assert_int_equal(fc_call(f, FUSE_READ, (uint64_t)w, &m, out, 4, &got), 0);
	assert_int_equal(got, 4);
	outside_intact(f);
}

/* A pseudo filesystem inside the share is an empty directory: with "/"
 * shared read-only, /proc/self/mem and /sys are out of reach. */
static void pseudo_filesystems_are_empty(void **state)
{
	struct fc *f = *state;
	struct fuse_entry_out e;
	int64_t proc = fc_lookup(f, 1, "proc", &e);
	if (proc < 0) {
		skip(); /* no /proc directory here */
	}
	assert_true(S_ISDIR(e.attr.mode));
	assert_int_equal(fc_lookup(f, (uint64_t)proc, "self", NULL), -ENOENT);
	assert_int_equal(fc_lookup(f, (uint64_t)proc, "1", NULL), -ENOENT);
	int64_t dh = fc_open_fh(f, (uint64_t)proc, O_RDONLY | O_DIRECTORY, true);
	assert_true(dh >= 0);
	struct fmsg m = {0};
	struct fuse_read_in ri = {.fh = (uint64_t)dh, .size = 4096};
	fm_put(&m, &ri, sizeof(ri));
	uint8_t buf[4096];
	size_t got = 1;
	assert_int_equal(fc_call(f, FUSE_READDIR, (uint64_t)proc, &m, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 0);
	int64_t sys = fc_lookup(f, 1, "sys", NULL);
	if (sys > 0)
		assert_int_equal(fc_lookup(f, (uint64_t)sys, "kernel", NULL), -ENOENT);
	/* A plain directory still lists. */
	int64_t etc = fc_lookup(f, 1, "etc", NULL);
	assert_true(etc > 1);
	assert_true(fc_lookup(f, (uint64_t)etc, "passwd", NULL) > 1);
}

/* A pseudo filesystem's file bind-mounted into the share (as a container
 * might): seen, never opened or changed. */
static void pseudo_filesystem_files_stay_shut(void **state)
{
	struct fc *f = *state;
	if (!f)
		skip(); /* needs CAP_SYS_ADMIN for a private mount namespace */
	char p[160];
	host_path(f, "status", p, sizeof(p));
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	assert_int_equal(mount("/proc/self/status", p, "none", MS_BIND, NULL), 0);
	int64_t st = fc_lookup(f, 1, "status", NULL);
	assert_true(st > 1);
	assert_int_equal(fc_open_fh(f, (uint64_t)st, O_RDONLY, false), -EACCES);
	struct fmsg m = {0};
	struct fuse_setattr_in si = {.valid = FATTR_MODE, .mode = 0777};
	fm_put(&m, &si, sizeof(si));
	uint8_t out[256];
	assert_int_equal(fc_call(f, FUSE_SETATTR, (uint64_t)st, &m, out, sizeof(out), NULL),
			 -EACCES);
}

static int setup_ro(void **state)
{
	return fc_fixture_open(state, NULL, true, true);
}

static int setup_root(void **state)
{
	return fc_fixture_open(state, "/", true, true);
}

/* The mount namespace first: the server's fds see the mounts of the
 * namespace they were opened in. */
static int setup_private_ns(void **state)
{
	*state = NULL;
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return 0; /* the test skips */
	return fc_fixture_open(state, NULL, false, true);
}

static int teardown_private_ns(void **state)
{
	struct fc *f = *state;
	if (f) {
		char p[160];
		host_path(f, "status", p, sizeof(p));
		umount2(p, MNT_DETACH);
	}
	return fc_fixture_teardown(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fc_fixture_setup, fc_fixture_teardown)
UNIT_MAIN(NULL, NULL, T(dotdot_stays_at_the_root), T(names_are_single_components),
	  T(symlinks_are_never_followed), T(links_stay_inside), T(device_nodes_are_refused),
	  cmocka_unit_test_setup_teardown(readonly_share_refuses_writes, setup_ro,
					  fc_fixture_teardown),
	  T(malformed_requests),
	  cmocka_unit_test_setup_teardown(pseudo_filesystems_are_empty, setup_root,
					  fc_fixture_teardown),
	  cmocka_unit_test_setup_teardown(pseudo_filesystem_files_stay_shut, setup_private_ns,
					  teardown_private_ns))
