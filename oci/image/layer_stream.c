/* Reading one layer blob with libarchive, in two stages so that both of its
 * digests are checked while it is read once:
 *
 *   fd --(blob digest)--> outer reader: gzip/zstd/none, "raw" format
 *      --(diff_id digest)--> inner reader: tar --> img_apply_entry
 *
 * The blob's own digest (the manifest's) is checked before anything is
 * unpacked: one read of the file, cheap next to decompression, and no entry
 * of a blob that is not the one named is ever written.  The inner reader's
 * callback hashes the uncompressed tar (the config's rootfs.diff_ids) as it
 * goes; whatever the tar reader leaves unread at its end-of-archive is
 * drained into the hash too.  A diff_id mismatch fails the unpack (and the
 * caller removes the rootfs). */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/image/internal.h"

#define READ_CHUNK (256u << 10)

struct stream {
	const struct img_layer *l;
	struct archive *outer;
	struct img_hash diff_hash;
	int64_t blob_size;
	bool too_big, outer_eof;
	char *buf;
};

static la_ssize_t outer_read(struct archive *ar, void *arg, const void **out)
{
	struct stream *s = arg;
	ssize_t n;
	do
		n = read(s->l->fd, s->buf, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(ar, errno, "read the blob");
		return -1;
	}
	s->blob_size += n;
	if (s->l->size >= 0 && s->blob_size > s->l->size) {
		s->too_big = true;
		archive_set_error(ar, EFBIG, "the blob is larger than its descriptor's size");
		return -1;
	}
	*out = s->buf;
	return n;
}

static la_ssize_t inner_read(struct archive *ar, void *arg, const void **out)
{
	struct stream *s = arg;
	if (s->outer_eof)
		return 0;
	size_t size;
	la_int64_t off;
	int r = archive_read_data_block(s->outer, out, &size, &off);
	if (r == ARCHIVE_EOF) {
		s->outer_eof = true;
		return 0;
	}
	if (r != ARCHIVE_OK) {
		archive_set_error(ar, archive_errno(s->outer), "%s",
				  archive_error_string(s->outer));
		return -1;
	}
	if (s->l->has_diff_id)
		img_hash_update(&s->diff_hash, *out, size);
	return size;
}

static void free_archive(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int archive_fail(struct archive *a, const char *what, struct husk_err **err)
{
	int e = archive_errno(a);
	const char *msg = archive_error_string(a);
	return husk_err_set(err, e > 0 && e < 4096 ? e : 0, "%s: %s", what,
			    msg ? msg : "unknown error");
}

static int check(const struct img_digest *want, struct img_hash *h, const char *what,
		 struct husk_err **err)
{
	struct img_digest got;
	img_hash_final(h, &got);
	if (!strcmp(got.hex, want->hex))
		return 0;
	char w[IMG_DIGEST_TEXT], g[IMG_DIGEST_TEXT];
	return husk_err_set(err, 0, "%s mismatch: want %s, got %s", what, img_digest_text(want, w),
			    img_digest_text(&got, g));
}

/* Read the rest of both stages into the hashes. */
static int drain(struct stream *s, struct husk_err **err)
{
	const void *p;
	while (!s->outer_eof) {
		la_ssize_t n = inner_read(s->outer, s, &p);
		if (n < 0)
			return archive_fail(s->outer, "read", err);
		if (n == 0)
			break;
	}
	for (;;) {
		la_ssize_t n = outer_read(s->outer, s, &p);
		if (n < 0)
			return archive_fail(s->outer, "read", err);
		if (n == 0)
			return 0;
	}
}

static int run(struct stream *s, struct img_apply *a, struct husk_err **err)
{
	__attribute__((cleanup(free_archive))) struct archive *outer = archive_read_new();
	__attribute__((cleanup(free_archive))) struct archive *inner = archive_read_new();
	if (!outer || !inner)
		return husk_err_set(err, ENOMEM, "libarchive");
	s->outer = outer;
	archive_read_support_filter_gzip(outer);
	archive_read_support_filter_zstd(outer);
	archive_read_support_format_raw(outer);
	if (archive_read_open(outer, s, NULL, outer_read, NULL) != ARCHIVE_OK)
		return archive_fail(outer, "open", err);
	struct archive_entry *e;
	int r = archive_read_next_header(outer, &e);
	if (r == ARCHIVE_EOF) /* an empty blob: an empty layer */
		return 0;
	if (r != ARCHIVE_OK)
		return archive_fail(outer, "decompress", err);

	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, s, NULL, inner_read, NULL) != ARCHIVE_OK)
		return archive_fail(inner, "read the tar", err);
	while ((r = archive_read_next_header(inner, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (img_apply_entry(a, inner, e, err) < 0)
			return -1;
	if (r != ARCHIVE_EOF)
		return archive_fail(inner, "read the tar", err);
	return drain(s, err);
}

/* The whole blob against its descriptor, then back to its start. */
static int verify_blob(const struct img_layer *l, char *buf, struct husk_err **err)
{
	struct img_hash h;
	img_hash_init(&h, l->digest.alg);
	int64_t total = 0;
	for (;;) {
		ssize_t n = read(l->fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return husk_err_sys(err, "read");
		if (n == 0)
			break;
		img_hash_update(&h, buf, n);
		total += n;
	}
	if (l->size >= 0 && total != l->size)
		return husk_err_set(err, 0, "size %lld, its descriptor says %lld", (long long)total,
				    (long long)l->size);
	if (check(&l->digest, &h, "digest", err) < 0)
		return -1;
	if (lseek(l->fd, 0, SEEK_SET) < 0)
		return husk_err_sys(err, "seek");
	return 0;
}

int img_layer_apply(struct img_apply *a, const struct img_layer *l, struct husk_err **err)
{
	struct stream s = {.l = l, .buf = xmalloc(READ_CHUNK)};
	if (l->has_diff_id)
		img_hash_init(&s.diff_hash, l->diff_id.alg);
	int r = l->has_digest ? verify_blob(l, s.buf, err) : 0;
	if (r == 0)
		r = run(&s, a, err);
	free(s.buf);
	if (r == 0)
		r = img_apply_end_layer(a, err);
	if (r == 0 && l->has_diff_id)
		r = check(&l->diff_id, &s.diff_hash, "diff_id (uncompressed digest)", err);
	return r < 0 ? husk_err_wrap(err, "%s", l->name) : 0;
}
