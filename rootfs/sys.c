/* Thin wrappers around the new mount API and openat2.  Everything here works on
 * file descriptors: no path string is ever resolved from the host's "/". */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	/* openat2 rejects a mode without O_CREAT/O_TMPFILE */
	if (!(flags & (O_CREAT | __O_TMPFILE)))
		mode = 0;
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
	int fd, tries = 0;
	/* EAGAIN: a concurrent rename made ".." resolution unsafe; bounded retry */
	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < 64);
	return fd;
}

int sys_statx_mnt(int fd, uint64_t *mnt_id, struct statx *stx)
{
	struct statx local;
	struct statx *s = stx ? stx : &local;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, s) < 0)
		return -1;
	if (!(s->stx_mask & STATX_MNT_ID)) {
		errno = ENOSYS;
		return -1;
	}
	*mnt_id = s->stx_mnt_id;
	return 0;
}

int sys_setattr(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation)
{
	struct mount_attr attr = {.attr_set = set, .attr_clr = clr, .propagation = propagation};
	/* An atime mode is a 3-state field: changing it needs the whole field cleared. */
	if ((set & MOUNT_ATTR__ATIME) || (clr & MOUNT_ATTR__ATIME))
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	return mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			     sizeof(attr));
}

/* The kernel queues human-readable fs_context messages ("e tmpfs: Bad value for
 * 'size'") on the fsopen fd: they say much more than EINVAL. */
static int fs_ctx_fail(int fsfd, int errnum, const char *what, const char *key,
		       struct husk_err **err)
{
	char msg[512];
	ssize_t n = read(fsfd, msg, sizeof(msg) - 1);
	if (n > 2) {
		msg[n] = '\0';
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		return husk_err_set(err, errnum, "%s%s%s: %s", what, key ? " " : "", key ? key : "",
				    msg + 2);
	}
	return husk_err_set(err, errnum, "%s%s%s", what, key ? " " : "", key ? key : "");
}

static int fs_config_data(int fsfd, const char *data, struct husk_err **err)
{
	cleanup_free char *copy = xstrdup(data);
	char *p = copy;
	while (*p) {
		/* split on ',' outside double quotes (SELinux contexts contain commas) */
		char *opt = p;
		bool quoted = false;
		while (*p && (quoted || *p != ',')) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (*p)
			*p++ = '\0';
		if (!*opt)
			continue;
		char *eq = strchr(opt, '=');
		int r;
		if (eq) {
			*eq = '\0';
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, eq + 1, 0);
		} else {
			r = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
		}
		if (r < 0) {
			if (eq)
				*eq = '=';
			return fs_ctx_fail(fsfd, errno, "option", opt, err);
		}
	}
	return 0;
}

int fs_new_mount(const char *type, const char *source, const struct mount_opts *o, uint64_t attrs,
		 struct husk_err **err)
{
	cleanup_fd int fsfd = fsopen(type, FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		if (errno == ENODEV)
			return husk_err_set(err, ENODEV, "unknown filesystem type \"%s\"", type);
		return husk_err_sys(err, "fsopen %s", type);
	}
	if (source && *source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return fs_ctx_fail(fsfd, errno, "source", source, err);
	for (size_t i = 0; o && i < o->n_sb_flags; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_FLAG, o->sb_flags[i], NULL, 0) < 0)
			return fs_ctx_fail(fsfd, errno, "option", o->sb_flags[i], err);
	if (o && o->data && fs_config_data(fsfd, o->data, err) < 0)
		return -1;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_ctx_fail(fsfd, errno, "create", NULL, err);
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (mfd < 0)
		return fs_ctx_fail(fsfd, errno, "fsmount", NULL, err);
	return mfd;
}

int attach_mount(int mnt_fd, int target_fd)
{
	return move_mount(mnt_fd, "", target_fd, "",
			  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}
