/* Reading blobs: opened beneath the layout (or extracted archive) directory,
 * regular files only, JSON documents checked against their descriptor. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/image/internal.h"
#include "rootfs/rootfs.h"

/* Under dir_fd as if it were "/" (".." and symlinks cannot leave it; the
 * rootfs/ helper falls back to a careful walk without openat2), a regular
 * file: a FIFO or a device in place of a blob must not block or feed us
 * forever. */
static int open_beneath(int dir_fd, const char *name)
{
	int fd = rootfs_resolve_in_root(dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int img_blob_open(int layout_fd, const struct img_digest *d, struct husk_err **err)
{
	char text[IMG_DIGEST_TEXT];
	img_digest_text(d, text);
	cleanup_free char *path = xasprintf("blobs/%.6s/%s", text, d->hex);
	int fd = open_beneath(layout_fd, path);
	if (fd == -EINVAL)
		return husk_err_set(err, 0, "blob %s: %s is not a regular file", text, path);
	if (fd < 0)
		return husk_err_set(err, -fd, "blob %s: open %s", text, path);
	return fd;
}

int img_file_open(int dir_fd, const char *name, struct husk_err **err)
{
	int fd = open_beneath(dir_fd, name);
	if (fd == -EINVAL)
		return husk_err_set(err, 0, "%s is not a regular file", name);
	if (fd < 0)
		return husk_err_set(err, -fd, "open %s", name);
	return fd;
}

int img_read_verified(int fd, const struct img_digest *d, int64_t size, const char *what,
		      char **out, size_t *len, struct husk_err **err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "%s: stat", what);
	if (st.st_size > IMG_JSON_MAX)
		return husk_err_set(err, 0, "%s: %lld bytes, more than the %u allowed", what,
				    (long long)st.st_size, IMG_JSON_MAX);
	if (size >= 0 && st.st_size != size)
		return husk_err_set(err, 0, "%s: size %lld, its descriptor says %lld", what,
				    (long long)st.st_size, (long long)size);
	cleanup_free char *buf = xmalloc(st.st_size + 1);
	ssize_t n = read_all(fd, buf, st.st_size);
	if (n < 0)
		return husk_err_sys(err, "%s: read", what);
	if (n != st.st_size)
		return husk_err_set(err, EIO, "%s: short read", what);
	buf[n] = '\0';
	if (d) {
		struct img_hash h;
		struct img_digest got;
		char want_text[IMG_DIGEST_TEXT], got_text[IMG_DIGEST_TEXT];
		img_hash_init(&h, d->alg);
		img_hash_update(&h, buf, n);
		img_hash_final(&h, &got);
		if (strcmp(got.hex, d->hex) != 0)
			return husk_err_set(err, 0, "%s: digest mismatch: want %s, got %s", what,
					    img_digest_text(d, want_text),
					    img_digest_text(&got, got_text));
	}
	*out = steal_ptr(&buf);
	*len = n;
	return 0;
}
