/* libFuzzer target: a hostile guest against the virtio-fs FUSE server.
 *
 * The input is a sequence of requests, each a small record header (opcode
 * pick, nodeid pick, flags) and the argument bytes; the record header
 * becomes a fuse_in_header whose len is right unless the record asks
 * otherwise, and whose nodeid is one the server handed out earlier in the
 * run (or a raw value).  The server serves a fresh copy of a small tree
 * ("share": files, a directory, a fifo, symlinks pointing out) next to a
 * directory it must never touch ("outside/secret"); after every input the
 * fuzzer checks that nothing outside the share changed, and aborts if it did.
 * RLIMIT_FSIZE keeps WRITE, FALLOCATE and SETATTR from filling the disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm-sandbox/virtio/fs_server.h"

static char top[64], share[96], outside[96], secret[128];
static struct fs_server *srv;
static uint8_t req[FS_ARGS_MAX + 4096];
static uint8_t rep[FS_ARGS_MAX + 256];

struct rec {
	uint8_t op;
	uint8_t node;
	uint8_t flags;
	uint8_t len_lo, len_hi; /* argument bytes that follow */
} __attribute__((packed));

enum { REC_BAD_LEN = 1, REC_RAW_NODE = 2, REC_SHORT_REPLY = 4, REC_HIPRIO = 8 };

static const uint32_t ops[] = {
    FUSE_LOOKUP, FUSE_FORGET,	 FUSE_GETATTR,	FUSE_SETATTR,	   FUSE_READLINK,  FUSE_SYMLINK,
    FUSE_MKNOD,	 FUSE_MKDIR,	 FUSE_UNLINK,	FUSE_RMDIR,	   FUSE_RENAME,	   FUSE_LINK,
    FUSE_OPEN,	 FUSE_READ,	 FUSE_WRITE,	FUSE_STATFS,	   FUSE_RELEASE,   FUSE_FSYNC,
    FUSE_FLUSH,	 FUSE_OPENDIR,	 FUSE_READDIR,	FUSE_RELEASEDIR,   FUSE_FSYNCDIR,  FUSE_ACCESS,
    FUSE_CREATE, FUSE_INTERRUPT, FUSE_DESTROY,	FUSE_BATCH_FORGET, FUSE_FALLOCATE, FUSE_RENAME2,
    FUSE_LSEEK,	 FUSE_INIT,	 FUSE_GETXATTR, FUSE_READDIRPLUS,
};

static uint64_t nodes[16] = {1};
static unsigned n_nodes = 1;

static void die(const char *what)
{
	perror(what);
	abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void put(const char *name, const char *data)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", share, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) < 0)
		die(p);
	close(fd);
}

/* The share as every input first sees it. */
static void share_reset(void)
{
	chmod(share, 0755);
	nftw(share, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	put("file", "0123456789abcdef");
	char p[256];
	snprintf(p, sizeof(p), "%s/dir", share);
	mkdir(p, 0755);
	put("dir/inner", "inner");
	snprintf(p, sizeof(p), "%s/fifo", share);
	mkfifo(p, 0644);
	snprintf(p, sizeof(p), "%s/up", share);
	symlink("../outside/secret", p);
	snprintf(p, sizeof(p), "%s/abs", share);
	symlink(secret, p);
	snprintf(p, sizeof(p), "%s/dir/dotdot", share);
	symlink("../..", p);
}

static int entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Nothing next to the share changed: the secret, and no new names. */
static void check_outside(void)
{
	char buf[32] = {0};
	int fd = open(secret, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) != 7 || memcmp(buf, "secret\n", 7) != 0)
		die("the secret changed");
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_nlink != 1 || (st.st_mode & 07777) != 0600)
		die("the secret's inode changed");
	close(fd);
	if (entries(top) != 2 || entries(outside) != 1)
		die("a name appeared outside the share");
}

static void cleanup(void)
{
	if (srv) {
		fs_server_fini(srv);
		free(srv);
		srv = NULL;
	}
	nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(top);
}

/* ---- seeds: one request sequence per area, so the fuzzer starts from
 * requests the server accepts.  A record's node picks the n-th nodeid the
 * run was given (0 is the root). ---- */

struct seed {
	uint8_t b[4096];
	size_t n;
};

static unsigned op_index(uint32_t op)
{
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i] == op)
			return i;
	abort();
}

static void add(struct seed *sd, uint32_t op, uint8_t node, const void *a, size_t alen,
		const char *s1, const char *s2)
{
	size_t len = alen + (s1 ? strlen(s1) + 1 : 0) + (s2 ? strlen(s2) + 1 : 0);
	struct rec r = {.op = (uint8_t)op_index(op),
			.node = node,
			.len_lo = (uint8_t)len,
			.len_hi = (uint8_t)(len >> 8)};
	memcpy(sd->b + sd->n, &r, sizeof(r));
	sd->n += sizeof(r);
	if (alen)
		memcpy(sd->b + sd->n, a, alen);
	sd->n += alen;
	if (s1) {
		memcpy(sd->b + sd->n, s1, strlen(s1) + 1);
		sd->n += strlen(s1) + 1;
	}
	if (s2) {
		memcpy(sd->b + sd->n, s2, strlen(s2) + 1);
		sd->n += strlen(s2) + 1;
	}
}

static void save(const char *dir, const char *name, const struct seed *sd)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, sd->b, sd->n) != (ssize_t)sd->n)
		die(p);
	close(fd);
}

static void write_seeds(const char *dir)
{
	struct seed sd = {0};
	struct fuse_open_in oi = {.flags = O_RDWR};
	struct fuse_read_in ri = {.fh = 0, .size = 64};
	struct fuse_write_in wi = {.fh = 0, .size = 3};
	struct fuse_setattr_in si = {
	    .valid = FATTR_SIZE | FATTR_MODE | FATTR_MTIME, .size = 3, .mode = 0600};
	struct fuse_release_in rl = {.fh = 0};
	/* file I/O */
	add(&sd, FUSE_LOOKUP, 0, NULL, 0, "file", NULL);
	add(&sd, FUSE_OPEN, 1, &oi, sizeof(oi), NULL, NULL);
	add(&sd, FUSE_READ, 1, &ri, sizeof(ri), NULL, NULL);
	uint8_t w[sizeof(wi) + 3];
	memcpy(w, &wi, sizeof(wi));
	memcpy(w + sizeof(wi), "xyz", 3);
	add(&sd, FUSE_WRITE, 1, w, sizeof(w), NULL, NULL);
	add(&sd, FUSE_SETATTR, 1, &si, sizeof(si), NULL, NULL);
	struct fuse_fallocate_in fa = {.length = 4096};
	add(&sd, FUSE_FALLOCATE, 1, &fa, sizeof(fa), NULL, NULL);
	struct fuse_lseek_in ls = {.whence = SEEK_HOLE};
	add(&sd, FUSE_LSEEK, 1, &ls, sizeof(ls), NULL, NULL);
	struct fuse_fsync_in fs = {0};
	add(&sd, FUSE_FSYNC, 1, &fs, sizeof(fs), NULL, NULL);
	add(&sd, FUSE_RELEASE, 1, &rl, sizeof(rl), NULL, NULL);
	save(dir, "io", &sd);
	/* namespace */
	sd.n = 0;
	struct fuse_mkdir_in mi = {.mode = 0755};
	add(&sd, FUSE_MKDIR, 0, &mi, sizeof(mi), "d", NULL);
	struct fuse_create_in ci = {.flags = O_RDWR, .mode = S_IFREG | 0644};
	add(&sd, FUSE_CREATE, 1, &ci, sizeof(ci), "f", NULL);
	struct fuse_rename_in rn = {.newdir = 0};
	add(&sd, FUSE_RENAME, 1, &rn, sizeof(rn), "f", "g");
	add(&sd, FUSE_SYMLINK, 0, NULL, 0, "s", "../outside/secret");
	add(&sd, FUSE_READLINK, 3, NULL, 0, NULL, NULL);
	add(&sd, FUSE_LOOKUP, 0, NULL, 0, "file", NULL);
	struct fuse_link_in li = {.oldnodeid = 0};
	add(&sd, FUSE_LINK, 1, &li, sizeof(li), "hard", NULL);
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0644};
	add(&sd, FUSE_MKNOD, 0, &mk, sizeof(mk), "p", NULL);
	struct fuse_rename2_in r2 = {.flags = RENAME_EXCHANGE};
	add(&sd, FUSE_RENAME2, 0, &r2, sizeof(r2), "file", "p");
	add(&sd, FUSE_UNLINK, 0, NULL, 0, "s", NULL);
	add(&sd, FUSE_RMDIR, 0, NULL, 0, "d", NULL);
	save(dir, "namespace", &sd);
	/* directories and dot-dot */
	sd.n = 0;
	add(&sd, FUSE_LOOKUP, 0, NULL, 0, "dir", NULL);
	add(&sd, FUSE_LOOKUP, 1, NULL, 0, "..", NULL);
	add(&sd, FUSE_LOOKUP, 0, NULL, 0, "..", NULL);
	add(&sd, FUSE_LOOKUP, 1, NULL, 0, "dotdot", NULL);
	add(&sd, FUSE_LOOKUP, 0, NULL, 0, "up", NULL);
	add(&sd, FUSE_OPEN, 5, &oi, sizeof(oi), NULL, NULL);
	struct fuse_open_in od = {.flags = O_RDONLY | O_DIRECTORY};
	add(&sd, FUSE_OPENDIR, 1, &od, sizeof(od), NULL, NULL);
	struct fuse_read_in rd = {.fh = 0, .size = 4096};
	add(&sd, FUSE_READDIR, 1, &rd, sizeof(rd), NULL, NULL);
	add(&sd, FUSE_RELEASEDIR, 1, &rl, sizeof(rl), NULL, NULL);
	add(&sd, FUSE_STATFS, 0, NULL, 0, NULL, NULL);
	struct fuse_access_in ai = {.mask = 2};
	add(&sd, FUSE_ACCESS, 1, &ai, sizeof(ai), NULL, NULL);
	struct fuse_batch_forget_in bf = {.count = 1};
	struct fuse_forget_one one = {.nodeid = 2, .nlookup = 1};
	uint8_t b[sizeof(bf) + sizeof(one)];
	memcpy(b, &bf, sizeof(bf));
	memcpy(b + sizeof(bf), &one, sizeof(one));
	add(&sd, FUSE_BATCH_FORGET, 0, b, sizeof(b), NULL, NULL);
	add(&sd, FUSE_DESTROY, 0, NULL, 0, NULL, NULL);
	struct fuse_init_in ii = {.major = 7, .minor = 37};
	add(&sd, FUSE_INIT, 0, &ii, sizeof(ii), NULL, NULL);
	save(dir, "dirs", &sd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* HUSK_FUZZ_TMP, or tmpfs when there is one: FSYNC there costs nothing. */
	const char *base = getenv("HUSK_FUZZ_TMP");
	struct stat shm;
	if (!base)
		base = stat("/dev/shm", &shm) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
										    : "/tmp";
	snprintf(top, sizeof(top), "%.40s/husk-fuzz-vfs.XXXXXX", base);
	if (!mkdtemp(top))
		die("mkdtemp");
	snprintf(share, sizeof(share), "%s/share", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	if (mkdir(share, 0755) < 0 || mkdir(outside, 0755) < 0)
		die("mkdir");
	int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "secret\n", 7) != 7)
		die("secret");
	close(fd);
	struct rlimit fsize = {1 << 20, 1 << 20};
	setrlimit(RLIMIT_FSIZE, &fsize);
	signal(SIGXFSZ, SIG_IGN);
	srv = calloc(1, sizeof(*srv));
	struct husk_err *err = NULL;
	if (!srv || fs_server_init(srv, share, false, &err) < 0) {
		fprintf(stderr, "fs_server_init: %s\n", err ? err->msg : "?");
		abort();
	}
	atexit(cleanup);
	const char *seeds = getenv("HUSK_FUZZ_SEEDS");
	if (seeds)
		write_seeds(seeds);
	return 0;
}

static void remember(uint32_t op, size_t got)
{
	if ((op != FUSE_LOOKUP && op != FUSE_MKDIR && op != FUSE_CREATE && op != FUSE_SYMLINK &&
	     op != FUSE_MKNOD && op != FUSE_LINK) ||
	    got < sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out))
		return;
	struct fuse_out_header oh;
	memcpy(&oh, rep, sizeof(oh));
	if (oh.error != 0)
		return;
	struct fuse_entry_out e;
	memcpy(&e, rep + sizeof(oh), sizeof(e));
	nodes[n_nodes++ % 16] = e.nodeid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Past RLIMIT_FSIZE a write fails with EFBIG; libFuzzer's own SIGXFSZ
	 * handler (installed after LLVMFuzzerInitialize) would end the run. */
	signal(SIGXFSZ, SIG_IGN);
	share_reset();
	fs_inode_reset(srv);
	srv->initialized = true;
	srv->minor = 37;
	n_nodes = 1;
	for (unsigned i = 0; i < 64 && size >= sizeof(struct rec); i++) {
		struct rec r;
		memcpy(&r, data, sizeof(r));
		data += sizeof(r);
		size -= sizeof(r);
		size_t len = r.len_lo | (size_t)(r.len_hi & 0x3f) << 8;
		if (len > size)
			len = size;
		uint32_t op = ops[r.op % (sizeof(ops) / sizeof(ops[0]))];
		uint64_t node = nodes[r.node % (n_nodes < 16 ? n_nodes : 16)];
		if (r.flags & REC_RAW_NODE)
			node = r.node;
		struct fuse_in_header h = {
		    .len = (uint32_t)(sizeof(h) + len),
		    .opcode = op,
		    .unique = i,
		    .nodeid = node,
		};
		if (r.flags & REC_BAD_LEN)
			h.len ^= (uint32_t)r.node << 4;
		memcpy(req, &h, sizeof(h));
		memcpy(req + sizeof(h), data, len);
		data += len;
		size -= len;
		struct iovec in = {req, sizeof(h) + len};
		size_t room = (r.flags & REC_SHORT_REPLY) ? r.node : sizeof(rep);
		struct iovec out = {rep, room};
		size_t got = fs_server_handle(srv, &in, 1, in.iov_len, &out, 1, room);
		if (got > room)
			abort();
		remember(op, got);
	}
	check_outside();
	return 0;
}
