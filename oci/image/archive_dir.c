/* oci-archive and docker-archive: the tar is unpacked into a private scratch
 * directory first (blobs are then read like an OCI layout's).  Only regular
 * files, directories and symlinks (docker save links repeated layers) are
 * kept; names never leave the directory: "..", absolute names and paths
 * through a symlink are refused, and files are later opened with
 * RESOLVE_BENEATH. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/image/internal.h"

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* Create the parents of name (relative, clean) under dir_fd; return the
 * parent's fd (O_PATH) and point *last at the final component. */
static int make_parents(int dir_fd, char *name, const char **last)
{
	int cur = dup(dir_fd);
	if (cur < 0)
		return -errno;
	char *s = name;
	for (char *slash; (slash = strchr(s, '/')); s = slash + 1) {
		*slash = '\0';
		if (mkdirat(cur, s, 0700) < 0 && errno != EEXIST) {
			int e = errno;
			close(cur);
			return -e;
		}
		int next = openat(cur, s, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		*slash = '/';
		close(cur);
		if (next < 0)
			return -e;
		cur = next;
	}
	*last = s;
	return cur;
}

/* "./a//b" -> "a/b"; NULL for "..", absolute names or an empty name. */
static char *clean_member_name(const char *p)
{
	if (p[0] == '/')
		return NULL;
	char *out = xmalloc(strlen(p) + 1);
	size_t o = 0;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = e - p;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = *e ? e + 1 : e;
	}
	out[o] = '\0';
	return out;
}

static int extract_entry(struct archive *a, struct archive_entry *e, int dir_fd,
			 struct husk_err **err)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	cleanup_free char *name = raw ? clean_member_name(raw) : NULL;
	if (!name)
		return husk_err_set(err, 0, "member \"%s\": not a relative name inside",
				    raw ? raw : "?");
	if (!*name)
		return 0;
	mode_t type = archive_entry_filetype(e);
	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
		return 0;
	if (archive_entry_hardlink(e))
		return 0;
	const char *last = name;
	cleanup_fd int parent = make_parents(dir_fd, name, &last);
	if (parent < 0)
		return husk_err_set(err, -parent, "member %s: create its directory", name);
	if (type == AE_IFDIR) {
		if (mkdirat(parent, last, 0700) < 0 && errno != EEXIST)
			return husk_err_sys(err, "member %s: mkdir", name);
		return 0;
	}
	if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		if (!target || symlinkat(target, parent, last) < 0)
			return husk_err_sys(err, "member %s: symlink", name);
		return 0;
	}
	cleanup_fd int fd =
	    openat(parent, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return husk_err_sys(err, "member %s: create", name);
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		if (pwrite(fd, buf, size, off) != (ssize_t)size)
			return husk_err_sys(err, "member %s: write", name);
	}
	if (r != ARCHIVE_EOF)
		return husk_err_set(err, 0, "member %s: %s", name, archive_error_string(a));
	if (ftruncate(fd, archive_entry_size(e)) < 0)
		return husk_err_sys(err, "member %s: truncate", name);
	return 0;
}

int img_extract_archive(const char *file, int dir_fd, struct husk_err **err)
{
	__attribute__((cleanup(archive_freep))) struct archive *a = archive_read_new();
	if (!a)
		return husk_err_set(err, ENOMEM, "libarchive");
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK)
		return husk_err_set(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "%s: %s",
				    file, archive_error_string(a));
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (extract_entry(a, e, dir_fd, err) < 0)
			return husk_err_wrap(err, "%s", file);
	if (r != ARCHIVE_EOF)
		return husk_err_set(err, 0, "%s: %s", file, archive_error_string(a));
	return 0;
}
