/* oci/image/ internals shared by its files (and its fuzzer).  One concern per
 * file: transport.c (IMAGE syntax), digest.c (hashing), blob.c (verified blob
 * reads), archive_dir.c (oci-archive/docker-archive extraction), docs.c and
 * docker_docs.c (JSON documents), select.c (index -> manifest), layer_stream.c
 * (libarchive, digests of a layer), layer_apply.c (one entry onto the rootfs),
 * user.c (User against /etc/passwd), gen_config.c (config.json), unpack.c. */
#ifndef HUSK_OCI_IMAGE_INTERNAL_H
#define HUSK_OCI_IMAGE_INTERNAL_H

#include <nettle/sha2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/err.h"
#include "oci/spec.h"

/* JSON documents of an image are small; anything bigger is refused unread. */
#define IMG_JSON_MAX (8u << 20)

/* ---- transport.c ------------------------------------------------------------- */

enum img_transport { IMG_OCI, IMG_OCI_ARCHIVE, IMG_DOCKER_ARCHIVE };

struct img_ref {
	enum img_transport transport;
	char *path;
	char *tag; /* NULL: none given */
};

int img_ref_parse(const char *s, struct img_ref *out, struct husk_err **err);
void img_ref_clear(struct img_ref *r);

/* ---- digest.c ------------------------------------------------------------------ */

enum img_alg { IMG_SHA256, IMG_SHA512 };

struct img_digest {
	enum img_alg alg;
	char hex[SHA512_DIGEST_SIZE * 2 + 1]; /* lowercase */
};

/* "sha256:<64 hex>" or "sha512:<128 hex>"; false when not a digest husk can verify. */
bool img_digest_parse(const char *s, struct img_digest *d);
/* "sha256:..." into buf (at least IMG_DIGEST_TEXT bytes). */
#define IMG_DIGEST_TEXT (7 + SHA512_DIGEST_SIZE * 2 + 1)
const char *img_digest_text(const struct img_digest *d, char *buf);

struct img_hash {
	enum img_alg alg;
	union {
		struct sha256_ctx s256;
		struct sha512_ctx s512;
	} u;
};

void img_hash_init(struct img_hash *h, enum img_alg alg);
void img_hash_update(struct img_hash *h, const void *p, size_t n);
/* Finish h into out (same algorithm). */
void img_hash_final(struct img_hash *h, struct img_digest *out);

/* ---- blob.c ---------------------------------------------------------------------- */

/* Open blobs/<alg>/<hex> under the layout dir (a regular file, read only). */
int img_blob_open(int layout_fd, const struct img_digest *d, struct husk_err **err);
/* Open a file of an extracted archive by its name in the archive. */
int img_file_open(int dir_fd, const char *name, struct husk_err **err);
/* Read a whole JSON document from fd (at most IMG_JSON_MAX) and check it
 * against d and size (size < 0: unknown; d NULL: nothing to check).  what
 * names the blob in errors. */
int img_read_verified(int fd, const struct img_digest *d, int64_t size, const char *what,
		      char **out, size_t *len, struct husk_err **err);

/* ---- archive_dir.c ------------------------------------------------------------- */

/* Extract the tar FILE (an OCI layout or docker save output) into dir_fd:
 * regular files and directories only, names resolved under dir_fd. */
int img_extract_archive(const char *file, int dir_fd, struct husk_err **err);

/* ---- docs.c, docker_docs.c: the JSON documents --------------------------------- */

struct img_desc {
	char *media_type;
	char *digest_str;
	struct img_digest digest;
	int64_t size;
	oci_kvv annotations;
	char *os, *arch, *variant; /* platform */
};

struct img_index {
	char *media_type;
	struct img_desc *manifests;
	size_t n_manifests;
};

struct img_manifest {
	char *media_type;
	struct img_desc config;
	struct img_desc *layers;
	size_t n_layers;
};

struct img_config {
	char *os, *arch, *author, *created;
	char *user, *workdir, *stop_signal;
	oci_strv env, entrypoint, cmd, exposed_ports, diff_ids;
	oci_kvv labels;
};

/* A docker save manifest.json entry. */
struct img_docker_entry {
	char *config;
	oci_strv repo_tags;
	oci_strv layers;
};

struct img_docker_manifest {
	struct img_docker_entry *v;
	size_t n;
};

int img_index_parse(const char *json, size_t len, const char *source, struct img_index *out,
		    struct husk_err **err);
void img_index_clear(struct img_index *x);
int img_manifest_parse(const char *json, size_t len, const char *source, struct img_manifest *out,
		       struct husk_err **err);
void img_manifest_clear(struct img_manifest *m);
int img_config_parse(const char *json, size_t len, const char *source, struct img_config *out,
		     struct husk_err **err);
void img_config_clear(struct img_config *c);
int img_docker_manifest_parse(const char *json, size_t len, const char *source,
			      struct img_docker_manifest *out, struct husk_err **err);
void img_docker_manifest_clear(struct img_docker_manifest *m);
void img_desc_clear(struct img_desc *d);

bool img_media_is_index(const char *mt);
bool img_media_is_manifest(const char *mt);
bool img_media_is_layer(const char *mt);

/* ---- select.c: from an OCI layout to its manifest ------------------------------- */

/* Pick the manifest of layout_fd's index.json named tag (NULL: the only one),
 * descending into nested indexes for this host's platform; read and verify it. */
int img_select_manifest(int layout_fd, const char *where, const char *tag, struct img_manifest *out,
			struct husk_err **err);

/* ---- layer_stream.c, layer_apply.c: layers onto the rootfs ---------------------- */

struct img_layer {
	const char *name; /* for messages: "layer 2 (sha256:...)" */
	int fd;
	bool has_digest; /* the blob's own digest (OCI layouts) */
	struct img_digest digest;
	int64_t size;	  /* < 0: unknown */
	bool has_diff_id; /* the digest of the uncompressed tar (config rootfs.diff_ids) */
	struct img_digest diff_id;
};

struct img_pathset; /* paths created by the current layer */

struct img_dir_time {
	char *path;
	struct timespec ts[2];
};

struct img_apply {
	int root_fd;	 /* O_PATH of the rootfs */
	bool privileged; /* can chown and mknod (else: ownership kept as is, devices skipped) */
	/* The parent directory of the last entry, reused while entries stay in it. */
	char *cached_parent;
	int cached_fd;
	struct img_pathset *added;
	struct img_dir_time *dirs;
	size_t n_dirs, cap_dirs;
	unsigned long skipped_devices;
};

void img_apply_init(struct img_apply *a, int root_fd, bool privileged);
void img_apply_clear(struct img_apply *a);
struct archive;
struct archive_entry;
/* Apply one tar entry (its data is read from ar). */
int img_apply_entry(struct img_apply *a, struct archive *ar, struct archive_entry *e,
		    struct husk_err **err);
/* End of a layer: directory times, and forget the layer's paths. */
int img_apply_end_layer(struct img_apply *a, struct husk_err **err);

/* Read layer l (gzip, zstd or plain tar), apply each entry, then check its
 * digests; a mismatch names the layer. */
int img_layer_apply(struct img_apply *a, const struct img_layer *l, struct husk_err **err);

/* Path set (layer_pathset.c). */
struct img_pathset *img_pathset_new(void);
void img_pathset_free(struct img_pathset *s);
void img_pathset_add(struct img_pathset *s, const char *path);
bool img_pathset_has(const struct img_pathset *s, const char *path);
void img_pathset_reset(struct img_pathset *s);

/* ---- user.c -------------------------------------------------------------------- */

struct img_user {
	uint32_t uid, gid;
	uint32_t *gids; /* additional groups */
	size_t n_gids;
	char *home; /* from /etc/passwd; NULL when the user is not listed */
};

/* Resolve the image's User ("", name, uid, name:group, uid:gid, ...) against
 * the rootfs's /etc/passwd and /etc/group. */
int img_user_resolve(int root_fd, const char *spec, struct img_user *out, struct husk_err **err);
void img_user_clear(struct img_user *u);

/* ---- gen_config.c ---------------------------------------------------------------- */

int img_gen_config(const struct img_config *c, const struct img_user *u, bool vm, char **out,
		   size_t *len, struct husk_err **err);

#endif
