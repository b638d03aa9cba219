/* The guest's initramfs (guest.h): a cpio "newc" archive written with
 * libarchive.  Just enough tree for the agent (/init) to start: /dev with a
 * console node (the kernel opens it for init's stdio), mount points, and the
 * files the caller gives (husk itself as /init, the process config). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/guest.h"

static const char *const base_dirs[] = {"dev", "proc", "sys", "newroot", "husk"};

static int fail(struct archive *a, const char *what, struct husk_err **err)
{
	const char *msg = archive_error_string(a);
	return husk_err_set(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "initramfs: %s: %s",
			    what, msg ? msg : "libarchive error");
}

static int add_header(struct archive *a, const char *path, mode_t type, unsigned perm, int64_t size,
		      dev_t rdev, struct husk_err **err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, size);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, rdev);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : fail(a, path, err);
}

static int add_data(struct archive *a, const struct vm_initramfs_file *f, int64_t size,
		    struct husk_err **err)
{
	if (f->fd < 0)
		return archive_write_data(a, f->data, f->len) == (la_ssize_t)f->len
			   ? 0
			   : fail(a, f->path, err);
	char buf[64 * 1024];
	int64_t off = 0;
	while (off < size) {
		ssize_t n = pread(f->fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return husk_err_sys(err, "initramfs: read %s", f->path);
		if (n == 0)
			return husk_err_set(err, EIO, "initramfs: %s shrank while being read",
					    f->path);
		if (archive_write_data(a, buf, n) != n)
			return fail(a, f->path, err);
		off += n;
	}
	return 0;
}

/* Parent directories of path that are not among the base ones, once each. */
static int add_parents(struct archive *a, const char *path, struct husk_err **err)
{
	cleanup_free char *p = xstrdup(path);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		bool base = false;
		for (size_t i = 0; i < ARRAY_SIZE(base_dirs); i++)
			base |= !strcmp(p, base_dirs[i]);
		if (!base && add_header(a, p, AE_IFDIR, 0755, 0, 0, err) < 0)
			return -1;
		*s = '/';
	}
	return 0;
}

static int add_file(struct archive *a, const struct vm_initramfs_file *f, struct husk_err **err)
{
	int64_t size = (int64_t)f->len;
	if (f->fd >= 0) {
		struct stat st;
		if (fstat(f->fd, &st) < 0)
			return husk_err_sys(err, "initramfs: stat %s", f->path);
		size = st.st_size;
	}
	if (add_parents(a, f->path, err) < 0 ||
	    add_header(a, f->path, AE_IFREG, f->mode & 07777, size, 0, err) < 0)
		return -1;
	return add_data(a, f, size, err);
}

int vm_initramfs_write(int out_fd, const struct vm_initramfs_file *files, size_t n,
		       struct husk_err **err)
{
	struct archive *a = archive_write_new();
	if (!a)
		return husk_err_set(err, ENOMEM, "initramfs: archive_write_new");
	int ret = -1;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
		fail(a, "open", err);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(base_dirs); i++)
		if (add_header(a, base_dirs[i], AE_IFDIR, 0755, 0, 0, err) < 0)
			goto out;
	if (add_header(a, "dev/console", AE_IFCHR, 0600, 0, makedev(5, 1), err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (add_file(a, &files[i], err) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		fail(a, "close", err);
		goto out;
	}
	ret = 0;
out:
	archive_write_free(a);
	return ret;
}
