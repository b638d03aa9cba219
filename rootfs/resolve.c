/* Path resolution scoped to the container rootfs.
 *
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) does it in the kernel: ".."
 * and absolute symlinks stop at the root fd, procfs magic links are refused.
 * Without openat2, walk_in_root() emulates it one O_PATH|O_NOFOLLOW component at
 * a time, expanding symlinks itself and keeping a stack of directory fds so that
 * ".." can never climb above the root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH    256

bool rootfs_force_walk;
static bool openat2_missing;

char *clean_path(const char *p)
{
	size_t len = strlen(p);
	char *out = xmalloc(len + 2);
	size_t o = 0;
	out[o++] = '/';
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchrnul(s, '/');
		size_t n = e - s;
		if (n == 1 && s[0] == '.') {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--; /* drop the separator */
		} else {
			if (o > 1)
				out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	out[o] = '\0';
	return out;
}

/* procfs magic links (/proc/PID/fd/N, exe, root, ns/...) live below /proc/PID;
 * the only symlinks directly in the proc root (self, thread-self, mounts, net)
 * are ordinary ones. */
static bool is_magic_link(int parent_fd)
{
	struct statfs sfs;
	struct stat st;
	if (fstatfs(parent_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	if (fstat(parent_fd, &st) < 0)
		return true;
	return st.st_ino != 1;
}

struct walk {
	int fds[MAX_DEPTH]; /* fds[0] is the root (not owned) */
	int depth;
};

static void walk_pop_all(struct walk *w)
{
	while (w->depth > 0)
		close(w->fds[w->depth--]);
}

static int walk_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	struct walk w = {.fds = {root_fd}, .depth = 0};
	cleanup_free char *todo = xstrdup(path);
	int links = 0, ret;
	bool nofollow = flags & O_NOFOLLOW;
	char *rest = todo;

	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest) {
			/* path ended on a directory (or was "/"): reopen it with the caller's flags
			 */
			ret = openat(w.fds[w.depth], ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC, mode);
			if (ret < 0)
				ret = -errno;
			goto out;
		}
		char *comp = rest;
		char *slash = strchr(rest, '/');
		if (slash) {
			*slash = '\0';
			rest = slash + 1;
		} else {
			rest = comp + strlen(comp);
		}
		while (*rest == '/')
			rest++;
		bool last = !*rest;

		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (w.depth > 0)
				close(w.fds[w.depth--]);
			continue;
		}
		int parent = w.fds[w.depth];
		int fd;
		if (last) {
			fd = openat(parent, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			if (fd < 0 && (errno != ELOOP || nofollow)) {
				ret = -errno;
				goto out;
			}
			if (fd >= 0) {
				struct stat st;
				if (!(flags & O_PATH) || nofollow || fstat(fd, &st) < 0 ||
				    !S_ISLNK(st.st_mode)) {
					ret = fd;
					goto out;
				}
				close(fd);
			}
			/* a symlink we must follow */
		}
		fd = openat(parent, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			ret = -errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (is_magic_link(parent) || ++links > MAX_SYMLINKS) {
				ret = -ELOOP;
				goto out;
			}
			if (n < 0) {
				ret = -errno;
				goto out;
			}
			target[n] = '\0';
			char *next = xasprintf("%s/%s", target, rest);
			free(todo);
			todo = next;
			rest = todo;
			if (target[0] == '/')
				walk_pop_all(&w);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			ret = -ENOTDIR;
			goto out;
		}
		if (w.depth + 1 >= MAX_DEPTH) {
			close(fd);
			ret = -ENAMETOOLONG;
			goto out;
		}
		w.fds[++w.depth] = fd;
	}
out:
	walk_pop_all(&w);
	return ret;
}

int open_in_root_raw(int root_fd, const char *path, int flags, mode_t mode)
{
	if (!*path)
		path = "/";
	if (!openat2_missing && !rootfs_force_walk) {
		int fd =
		    sys_openat2(root_fd, path, (uint64_t)(flags | O_CLOEXEC), mode, ROOTFS_RESOLVE);
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		openat2_missing = true;
	}
	return walk_in_root(root_fd, path, flags, mode);
}

int rootfs_resolve_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	return open_in_root_raw(root_fd, path, flags, mode);
}

/* Create `name` in dir_fd as the given kind; EEXIST is left to the caller. */
static int create_one(int dir_fd, const char *name, enum target_kind kind, mode_t mode)
{
	if (kind == TARGET_DIR)
		return mkdirat(dir_fd, name, mode);
	return mknodat(dir_fd, name, S_IFREG | mode, 0);
}

/* One pass over the clean absolute path p: open what exists, create the rest.
 * When a component exists but does not resolve (a dangling symlink), *next gets
 * the path with that symlink expanded and the caller starts over. */
static int create_walk(int root_fd, char *p, enum target_kind kind, mode_t mode, char **next)
{
	cleanup_fd int cur = -1; /* fd of the part of p already resolved; -1: the root */
	bool creating = false;
	char *s = p + 1;
	while (*s) {
		char *e = strchrnul(s, '/');
		bool last = !*e;
		char saved = *e;
		*e = '\0';
		int dir = cur >= 0 ? cur : root_fd;
		int fd;
		if (!creating) {
			fd = open_in_root_raw(root_fd, p, O_PATH, 0);
			*e = saved;
			if (fd >= 0) {
				if (cur >= 0)
					close(cur);
				cur = fd;
				s = *e ? e + 1 : e;
				continue;
			}
			if (fd != -ENOENT)
				return fd;
			*e = '\0';
		}
		if (create_one(dir, s, last ? kind : TARGET_DIR, last ? mode : 0755) < 0) {
			if (errno != EEXIST)
				return -errno;
			char target[PATH_MAX];
			ssize_t n = readlinkat(dir, s, target, sizeof(target) - 1);
			if (n < 0)
				return errno == EINVAL ? -EEXIST : -errno;
			target[n] = '\0';
			const char *tail = last ? "" : e + 1;
			s[-1] = '\0'; /* p is now the parent's path */
			char *np = target[0] == '/' ? xasprintf("%s/%s", target, tail)
						    : xasprintf("%s/%s/%s", p, target, tail);
			*next = clean_path(np);
			free(np);
			return -ELOOP;
		}
		creating = true;
		fd = openat(dir, s,
			    O_PATH | O_NOFOLLOW | O_CLOEXEC |
				(last && kind == TARGET_FILE ? 0 : O_DIRECTORY));
		*e = saved;
		if (fd < 0)
			return -errno;
		if (cur >= 0)
			close(cur);
		cur = fd;
		s = *e ? e + 1 : e;
	}
	if (cur < 0)
		return open_in_root_raw(root_fd, "/", O_PATH, 0);
	return steal_fd(&cur);
}

int open_or_create_in_root(int root_fd, const char *path, enum target_kind kind, mode_t mode)
{
	int fd = open_in_root_raw(root_fd, path, O_PATH, 0);
	if (fd >= 0 || fd != -ENOENT)
		return fd;

	cleanup_free char *p = clean_path(path);
	for (int restarts = 0;; restarts++) {
		if (restarts > MAX_SYMLINKS)
			return -ELOOP;
		char *next = NULL;
		fd = create_walk(root_fd, p, kind, mode, &next);
		if (!next)
			return fd;
		free(p);
		p = next;
	}
}

int rootfs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode)
{
	return open_or_create_in_root(root_fd, path, TARGET_DIR, mode);
}
