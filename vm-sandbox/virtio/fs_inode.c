/* The virtio-fs inode table and open handles.  A nodeid is a slot and a
 * generation, (gen << 32) | (slot + 1); the root is slot 0, generation 0,
 * so nodeid 1 (FUSE_ROOT_ID).  A slot freed by FORGET is reused with the
 * next generation, so a stale nodeid never names another file.  Each inode
 * holds an O_PATH|O_NOFOLLOW fd, never a path; a file seen twice (by
 * another name, a hard link) is one inode, found by (st_dev, st_ino). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/virtio/fs_server.h"

/* Filesystems whose files act on the monitor or the host rather than store
 * data: /proc/<pid>/mem, cgroup limits, sysfs knobs. */
static bool pseudo_fs(long type)
{
	static const long types[] = {
	    PROC_SUPER_MAGIC, SYSFS_MAGIC,   CGROUP_SUPER_MAGIC,       CGROUP2_SUPER_MAGIC,
	    DEBUGFS_MAGIC,    TRACEFS_MAGIC, SECURITYFS_MAGIC,	       BPF_FS_MAGIC,
	    SELINUX_MAGIC,    SMACK_MAGIC,   EFIVARFS_MAGIC,	       PSTOREFS_MAGIC,
	    BINFMTFS_MAGIC,   NSFS_MAGIC,    0x65735543 /* fusectl */, 0x62656570 /* configfs */,
	};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (type == types[i])
			return true;
	return false;
}

static uint32_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	return (uint32_t)(h >> 40) % FS_HASH_BUCKETS;
}

static void hash_insert(struct fs_server *s, uint32_t slot)
{
	struct fs_inode *ino = &s->inodes[slot];
	uint32_t b = bucket_of(ino->dev, ino->ino);
	ino->hash_next = s->buckets[b];
	s->buckets[b] = slot + 1;
}

static void hash_remove(struct fs_server *s, uint32_t slot)
{
	struct fs_inode *ino = &s->inodes[slot];
	uint32_t *link = &s->buckets[bucket_of(ino->dev, ino->ino)];
	while (*link && *link != slot + 1)
		link = &s->inodes[*link - 1].hash_next;
	if (*link)
		*link = ino->hash_next;
	ino->hash_next = 0;
}

static struct fs_inode *hash_find(struct fs_server *s, dev_t dev, ino_t ino)
{
	for (uint32_t i = s->buckets[bucket_of(dev, ino)]; i; i = s->inodes[i - 1].hash_next) {
		struct fs_inode *n = &s->inodes[i - 1];
		if (n->fd >= 0 && n->dev == dev && n->ino == ino)
			return n;
	}
	return NULL;
}

uint64_t fs_inode_nodeid(const struct fs_server *s, const struct fs_inode *ino)
{
	uint64_t slot = (uint64_t)(ino - s->inodes);
	return ((uint64_t)ino->gen << 32) | (slot + 1);
}

struct fs_inode *fs_inode_get(struct fs_server *s, uint64_t nodeid)
{
	uint64_t slot = (nodeid & 0xffffffffull);
	if (slot == 0 || slot > s->n_inodes)
		return NULL;
	struct fs_inode *ino = &s->inodes[slot - 1];
	if (ino->fd < 0 || ino->gen != (uint32_t)(nodeid >> 32))
		return NULL;
	return ino;
}

static int new_slot(struct fs_server *s, uint32_t *slot)
{
	if (s->free_inodes) {
		*slot = s->free_inodes - 1;
		s->free_inodes = s->inodes[*slot].hash_next;
		s->inodes[*slot].hash_next = 0;
		return 0;
	}
	if (s->n_inodes == FS_MAX_INODES)
		return -ENFILE;
	if (s->n_inodes == s->cap_inodes) {
		uint32_t cap = s->cap_inodes ? s->cap_inodes * 2 : 256;
		struct fs_inode *n = realloc(s->inodes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->inodes = n;
		s->cap_inodes = cap;
	}
	*slot = s->n_inodes++;
	s->inodes[*slot] = (struct fs_inode){.fd = -1};
	return 0;
}

struct fs_inode *fs_inode_add(struct fs_server *s, int fd, const struct fs_inode *parent,
			      int *error)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		*error = -errno;
		close(fd);
		return NULL;
	}
	struct fs_inode *same = hash_find(s, st.st_dev, st.st_ino);
	if (same) {
		close(fd);
		same->nlookup++;
		return same;
	}
	bool opaque = parent && parent->opaque;
	if (!opaque && (!parent || st.st_dev != parent->dev)) {
		/* A mount crossing: is it a filesystem the guest must not reach into? */
		struct statfs sf;
		if (fstatfs(fd, &sf) < 0 || pseudo_fs(sf.f_type))
			opaque = true;
	}
	uint32_t slot;
	int r = new_slot(s, &slot);
	if (r < 0) {
		*error = r;
		close(fd);
		return NULL;
	}
	struct fs_inode *ino = &s->inodes[slot];
	ino->fd = fd;
	ino->nlookup = 1;
	ino->dev = st.st_dev;
	ino->ino = st.st_ino;
	ino->type = st.st_mode & S_IFMT;
	ino->opaque = opaque;
	hash_insert(s, slot);
	return ino;
}

static void inode_free(struct fs_server *s, struct fs_inode *ino)
{
	uint32_t slot = (uint32_t)(ino - s->inodes);
	hash_remove(s, slot);
	close(ino->fd);
	ino->fd = -1;
	ino->nlookup = 0;
	ino->gen++;
	ino->hash_next = s->free_inodes;
	s->free_inodes = slot + 1;
}

void fs_inode_forget(struct fs_server *s, uint64_t nodeid, uint64_t n)
{
	struct fs_inode *ino = fs_inode_get(s, nodeid);
	if (!ino || ino == &s->inodes[0])
		return;
	ino->nlookup = n >= ino->nlookup ? 0 : ino->nlookup - n;
	if (ino->nlookup == 0)
		inode_free(s, ino);
}

void fs_inode_reset(struct fs_server *s)
{
	for (uint32_t i = 1; i < s->n_inodes; i++)
		if (s->inodes[i].fd >= 0)
			inode_free(s, &s->inodes[i]);
	for (uint32_t i = 0; i < s->n_handles; i++)
		if (s->handles[i].fd >= 0) {
			close(s->handles[i].fd);
			s->handles[i].fd = -1;
			s->handles[i].gen++;
		}
}

void fs_inode_procname(const struct fs_inode *ino, char buf[16])
{
	snprintf(buf, 16, "%d", ino->fd);
}

int fs_inode_reopen(struct fs_server *s, const struct fs_inode *ino, int flags)
{
	if (ino->type != S_IFREG && ino->type != S_IFDIR)
		return ino->type == S_IFLNK ? -ELOOP : -EACCES;
	char name[16];
	fs_inode_procname(ino, name);
	/* The magic link names the inode itself; no path is walked.  Never
	 * O_CREAT here, and never a blocking open. */
	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_PATH);
	int fd = openat(s->procfd_fd, name, flags | O_CLOEXEC | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* ---- open handles: fh = (gen << 32) | slot ---- */

int fs_handle_add(struct fs_server *s, int fd, bool dir, bool opaque, uint64_t *fh)
{
	uint32_t slot = 0;
	while (slot < s->n_handles && s->handles[slot].fd >= 0)
		slot++;
	if (slot == s->n_handles) {
		if (s->n_handles == FS_MAX_HANDLES) {
			close(fd);
			return -ENFILE;
		}
		if (s->n_handles == s->cap_handles) {
			uint32_t cap = s->cap_handles ? s->cap_handles * 2 : 64;
			struct fs_handle *n = realloc(s->handles, cap * sizeof(*n));
			if (!n) {
				close(fd);
				return -ENOMEM;
			}
			s->handles = n;
			s->cap_handles = cap;
		}
		s->handles[s->n_handles++] = (struct fs_handle){.fd = -1};
	}
	struct fs_handle *h = &s->handles[slot];
	h->fd = fd;
	h->dir = dir;
	h->opaque = opaque;
	*fh = ((uint64_t)h->gen << 32) | slot;
	return 0;
}

struct fs_handle *fs_handle_get(struct fs_server *s, uint64_t fh, bool dir)
{
	uint64_t slot = fh & 0xffffffffull;
	if (slot >= s->n_handles)
		return NULL;
	struct fs_handle *h = &s->handles[slot];
	if (h->fd < 0 || h->gen != (uint32_t)(fh >> 32) || h->dir != dir)
		return NULL;
	return h;
}

void fs_handle_close(struct fs_server *s, uint64_t fh)
{
	uint64_t slot = fh & 0xffffffffull;
	if (slot >= s->n_handles)
		return;
	struct fs_handle *h = &s->handles[slot];
	if (h->fd < 0 || h->gen != (uint32_t)(fh >> 32))
		return;
	close(h->fd);
	h->fd = -1;
	h->gen++;
}

/* Each inode holds an fd: let the server have as many as the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int fs_server_init(struct fs_server *s, const char *root, bool readonly, struct husk_err **err)
{
	s->root_fd = s->procfd_fd = -1;
	s->readonly = readonly;
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "virtio-fs: open %s", root);
	s->root_fd = fd;
	s->procfd_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sf;
	if (s->procfd_fd < 0 || fstatfs(s->procfd_fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return husk_err_set(err, s->procfd_fd < 0 ? errno : ENOTSUP,
				    "virtio-fs: /proc/self/fd is needed to reopen files by "
				    "descriptor (is /proc mounted?)");
	raise_nofile();
	/* The root: a dup, so the table owns its fd like any other inode's. */
	int rfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (rfd < 0)
		return husk_err_sys(err, "virtio-fs: dup");
	int e = 0;
	struct fs_inode *ino = fs_inode_add(s, rfd, NULL, &e);
	if (!ino)
		return husk_err_set(err, -e, "virtio-fs: %s", root);
	ino->opaque = false; /* the share itself is what the host asked for */
	return 0;
}

void fs_server_fini(struct fs_server *s)
{
	fs_inode_reset(s);
	if (s->n_inodes && s->inodes[0].fd >= 0)
		close(s->inodes[0].fd);
	free(s->inodes);
	free(s->handles);
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->procfd_fd >= 0)
		close(s->procfd_fd);
	s->inodes = NULL;
	s->handles = NULL;
	s->n_inodes = s->n_handles = 0;
	s->root_fd = s->procfd_fd = -1;
}
