/* From an OCI image layout to one image manifest: index.json's entry named by
 * the tag (org.opencontainers.image.ref.name), or its only entry, then down
 * through nested indexes to this host's platform.  Every document but
 * index.json is read through its descriptor's digest and size. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/image/internal.h"

#define REF_NAME       "org.opencontainers.image.ref.name"
#define MAX_NESTED_IDX 4

static const char *annotation(const struct img_desc *d, const char *key)
{
	for (size_t i = 0; i < d->annotations.n; i++)
		if (!strcmp(d->annotations.v[i].key, key))
			return d->annotations.v[i].value;
	return NULL;
}

/* GOARCH names, as the image-spec uses them. */
static const char *host_arch(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return "amd64";
	static const struct {
		const char *machine, *goarch;
	} map[] = {{"x86_64", "amd64"},	  {"aarch64", "arm64"},	  {"i686", "386"},
		   {"armv7l", "arm"},	  {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		   {"riscv64", "riscv64"}};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(u.machine, map[i].machine))
			return map[i].goarch;
	return "amd64";
}

static int by_tag(const struct img_index *x, const char *tag, const struct img_desc **out,
		  struct husk_err **err)
{
	const struct img_desc *found = NULL;
	for (size_t i = 0; i < x->n_manifests; i++) {
		const char *name = annotation(&x->manifests[i], REF_NAME);
		if (tag ? (name && !strcmp(name, tag)) : true) {
			if (found && tag)
				return husk_err_set(err, 0,
						    "tag \"%s\" names more than one manifest", tag);
			found = &x->manifests[i];
		}
	}
	if (!tag && x->n_manifests != 1)
		return husk_err_set(err, 0, "index.json lists %zu manifests: name one with :TAG",
				    x->n_manifests);
	if (!found)
		return husk_err_set(err, 0, "no image tagged \"%s\" in index.json", tag);
	*out = found;
	return 0;
}

static int by_platform(const struct img_index *x, const char *what, const struct img_desc **out,
		       struct husk_err **err)
{
	const char *arch = host_arch();
	for (size_t i = 0; i < x->n_manifests; i++) {
		const struct img_desc *d = &x->manifests[i];
		if (d->os && !strcmp(d->os, "linux") && d->arch && !strcmp(d->arch, arch)) {
			*out = d;
			return 0;
		}
	}
	if (x->n_manifests == 1 && !x->manifests[0].os) {
		*out = &x->manifests[0];
		return 0;
	}
	return husk_err_set(err, 0, "%s: no manifest for linux/%s", what, arch);
}

static int read_blob(int layout_fd, const struct img_desc *d, const char *what, char **json,
		     size_t *len, struct husk_err **err)
{
	cleanup_fd int fd = img_blob_open(layout_fd, &d->digest, err);
	if (fd < 0)
		return -1;
	return img_read_verified(fd, &d->digest, d->size, what, json, len, err);
}

int img_select_manifest(int layout_fd, const char *where, const char *tag, struct img_manifest *out,
			struct husk_err **err)
{
	cleanup_fd int fd = img_file_open(layout_fd, "index.json", err);
	if (fd < 0)
		return husk_err_wrap(err, "%s: not an OCI image layout", where);
	cleanup_free char *json = NULL;
	size_t len;
	if (img_read_verified(fd, NULL, -1, "index.json", &json, &len, err) < 0)
		return husk_err_wrap(err, "%s", where);
	struct img_index x;
	if (img_index_parse(json, len, "index.json", &x, err) < 0)
		return husk_err_wrap(err, "%s", where);
	const struct img_desc *d = NULL;
	int r = by_tag(&x, tag, &d, err);
	struct img_index nested[MAX_NESTED_IDX] = {0};
	int depth = 0;
	char what[IMG_DIGEST_TEXT + 16];
	while (r == 0 && img_media_is_index(d->media_type)) {
		if (depth == MAX_NESTED_IDX) {
			r = husk_err_set(err, 0, "indexes nested too deep");
			break;
		}
		char text[IMG_DIGEST_TEXT];
		snprintf(what, sizeof(what), "index %s", img_digest_text(&d->digest, text));
		free(json);
		json = NULL;
		r = read_blob(layout_fd, d, what, &json, &len, err);
		if (r == 0)
			r = img_index_parse(json, len, what, &nested[depth], err);
		if (r == 0)
			r = by_platform(&nested[depth], what, &d, err);
		depth++;
	}
	if (r == 0 && !img_media_is_manifest(d->media_type))
		r = husk_err_set(err, 0, "%s is a \"%s\", not an image manifest", d->digest_str,
				 d->media_type);
	if (r == 0) {
		char text[IMG_DIGEST_TEXT];
		snprintf(what, sizeof(what), "manifest %s", img_digest_text(&d->digest, text));
		free(json);
		json = NULL;
		r = read_blob(layout_fd, d, what, &json, &len, err);
		if (r == 0)
			r = img_manifest_parse(json, len, what, out, err);
	}
	for (int i = 0; i < depth; i++)
		img_index_clear(&nested[i]);
	img_index_clear(&x);
	return r < 0 ? husk_err_wrap(err, "%s", where) : 0;
}
