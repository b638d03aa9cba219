/* husk image unpack: IMAGE -> BUNDLE/rootfs + BUNDLE/config.json.
 *
 * oci: reads the layout in place; oci-archive and docker-archive are first
 * extracted into a scratch directory inside BUNDLE (same filesystem, removed
 * at the end).  Layers are applied in order onto BUNDLE/rootfs; on any
 * failure what was made is removed again. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/image/image.h"
#include "oci/image/internal.h"

struct plan {
	struct img_config config;
	struct img_layer *layers;
	char **names; /* the layers' names for messages */
	size_t n;
	struct img_manifest manifest; /* oci */
	struct img_docker_manifest docker;
};

static void plan_clear(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->layers[i].fd >= 0)
			close(p->layers[i].fd);
		free(p->names[i]);
	}
	free(p->layers);
	free(p->names);
	img_config_clear(&p->config);
	img_manifest_clear(&p->manifest);
	img_docker_manifest_clear(&p->docker);
}

static void plan_layers(struct plan *p, size_t n)
{
	p->n = n;
	p->layers = xcalloc(n ? n : 1, sizeof(*p->layers));
	p->names = xcalloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		p->layers[i] = (struct img_layer){.fd = -1, .size = -1};
}

/* Attach the config's diff_ids to the layers (one per layer, in order). */
static int attach_diff_ids(struct plan *p, struct husk_err **err)
{
	const oci_strv *d = &p->config.diff_ids;
	if (!d->n)
		return 0;
	if (d->n != p->n)
		return husk_err_set(
		    err, 0, "image config: rootfs.diff_ids lists %zu layers, the manifest %zu",
		    d->n, p->n);
	for (size_t i = 0; i < p->n; i++) {
		p->layers[i].has_diff_id = true;
		img_digest_parse(d->v[i], &p->layers[i].diff_id);
	}
	return 0;
}

static int plan_oci(int layout_fd, const char *where, const char *tag, struct plan *p,
		    struct husk_err **err)
{
	if (img_select_manifest(layout_fd, where, tag, &p->manifest, err) < 0)
		return -1;
	const struct img_desc *cd = &p->manifest.config;
	char text[IMG_DIGEST_TEXT], what[IMG_DIGEST_TEXT + 16];
	snprintf(what, sizeof(what), "config %s", img_digest_text(&cd->digest, text));
	cleanup_fd int cfd = img_blob_open(layout_fd, &cd->digest, err);
	cleanup_free char *json = NULL;
	size_t len;
	if (cfd < 0 || img_read_verified(cfd, &cd->digest, cd->size, what, &json, &len, err) < 0 ||
	    img_config_parse(json, len, what, &p->config, err) < 0)
		return husk_err_wrap(err, "%s", where);
	plan_layers(p, p->manifest.n_layers);
	for (size_t i = 0; i < p->n; i++) {
		const struct img_desc *d = &p->manifest.layers[i];
		struct img_layer *l = &p->layers[i];
		p->names[i] = xasprintf("layer %zu (%s)", i + 1, img_digest_text(&d->digest, text));
		l->name = p->names[i];
		l->has_digest = true;
		l->digest = d->digest;
		l->size = d->size;
		l->fd = img_blob_open(layout_fd, &d->digest, err);
		if (l->fd < 0)
			return husk_err_wrap(err, "%s: %s", where, l->name);
	}
	return attach_diff_ids(p, err);
}

/* docker save names the config after its digest: "<hex>.json" (docker < 25,
 * podman) or "blobs/sha256/<hex>" (docker 25+). */
static bool digest_from_name(const char *name, struct img_digest *d)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	char buf[IMG_DIGEST_TEXT + 8];
	snprintf(buf, sizeof(buf), "sha256:%.*s", (int)strcspn(base, "."), base);
	return img_digest_parse(buf, d);
}

static int pick_docker_entry(const struct img_docker_manifest *m, const char *tag,
			     const struct img_docker_entry **out, struct husk_err **err)
{
	unsigned long long idx;
	if (!tag) {
		if (m->n != 1)
			return husk_err_set(
			    err, 0, "manifest.json lists %zu images: name one with :REF or :@N",
			    m->n);
		*out = &m->v[0];
		return 0;
	}
	if (tag[0] == '@') {
		if (parse_u64(tag + 1, &idx) < 0 || idx >= m->n)
			return husk_err_set(err, 0, "manifest.json has no image %s (%zu images)",
					    tag, m->n);
		*out = &m->v[idx];
		return 0;
	}
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->v[i].repo_tags.n; j++) {
			const char *t = m->v[i].repo_tags.v[j];
			/* "busybox:latest" also matches "localhost/busybox:latest" (podman). */
			size_t tl = strlen(t), ql = strlen(tag);
			if (!strcmp(t, tag) ||
			    (tl > ql && t[tl - ql - 1] == '/' && !strcmp(t + tl - ql, tag))) {
				*out = &m->v[i];
				return 0;
			}
		}
	return husk_err_set(err, 0, "manifest.json has no image tagged \"%s\"", tag);
}

static int plan_docker(int dir_fd, const char *where, const char *tag, struct plan *p,
		       struct husk_err **err)
{
	cleanup_fd int mfd = img_file_open(dir_fd, "manifest.json", err);
	cleanup_free char *json = NULL;
	size_t len;
	if (mfd < 0)
		return husk_err_wrap(err, "%s: not a docker-archive", where);
	if (img_read_verified(mfd, NULL, -1, "manifest.json", &json, &len, err) < 0 ||
	    img_docker_manifest_parse(json, len, "manifest.json", &p->docker, err) < 0)
		return husk_err_wrap(err, "%s", where);
	const struct img_docker_entry *e = NULL;
	if (pick_docker_entry(&p->docker, tag, &e, err) < 0)
		return husk_err_wrap(err, "%s", where);
	struct img_digest cd;
	bool named = digest_from_name(e->config, &cd);
	cleanup_fd int cfd = img_file_open(dir_fd, e->config, err);
	free(json);
	json = NULL;
	char what[512];
	snprintf(what, sizeof(what), "config %s", e->config);
	if (cfd < 0 || img_read_verified(cfd, named ? &cd : NULL, -1, what, &json, &len, err) < 0 ||
	    img_config_parse(json, len, what, &p->config, err) < 0)
		return husk_err_wrap(err, "%s", where);
	if (!named)
		log_warn("image: %s: config %s is not named by its digest: not verified", where,
			 e->config);
	plan_layers(p, e->layers.n);
	for (size_t i = 0; i < p->n; i++) {
		struct img_layer *l = &p->layers[i];
		p->names[i] = xasprintf("layer %zu (%s)", i + 1, e->layers.v[i]);
		l->name = p->names[i];
		l->fd = img_file_open(dir_fd, e->layers.v[i], err);
		if (l->fd < 0)
			return husk_err_wrap(err, "%s: %s", where, l->name);
	}
	if (attach_diff_ids(p, err) < 0)
		return husk_err_wrap(err, "%s", where);
	/* docker-archive layers carry no digest of their own: the config's
	 * diff_ids are what ties them to it. */
	if (!p->config.diff_ids.n && p->n)
		return husk_err_set(err, 0,
				    "%s: image config has no rootfs.diff_ids: the layers cannot be "
				    "verified",
				    where);
	return 0;
}

static int write_config(int bundle_fd, int root_fd, const struct plan *p, bool vm,
			struct husk_err **err)
{
	struct img_user u;
	if (img_user_resolve(root_fd, p->config.user, &u, err) < 0)
		return -1;
	cleanup_free char *json = NULL;
	size_t len;
	int r = img_gen_config(&p->config, &u, vm, &json, &len, err);
	img_user_clear(&u);
	if (r < 0)
		return -1;
	cleanup_fd int fd =
	    openat(bundle_fd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, json, len) != (ssize_t)len)
		return husk_err_sys(err, "write config.json");
	return 0;
}

static int apply_layers(int root_fd, struct plan *p, struct husk_err **err)
{
	if (p->config.os && strcmp(p->config.os, "linux") != 0)
		return husk_err_set(err, 0, "image config: os is \"%s\", not linux", p->config.os);
	/* Modes come from the entries, exactly: no umask in between. */
	mode_t old = umask(0);
	struct img_apply a;
	img_apply_init(&a, root_fd, geteuid() == 0);
	int r = 0;
	for (size_t i = 0; r == 0 && i < p->n; i++)
		r = img_layer_apply(&a, &p->layers[i], err);
	img_apply_clear(&a);
	umask(old);
	return r;
}

/* Deep trees hold one fd per level while they are removed; *old is restored
 * after (run --image goes on to start a container). */
static bool raise_nofile(struct rlimit *old)
{
	if (getrlimit(RLIMIT_NOFILE, old) < 0 || old->rlim_cur >= old->rlim_max)
		return false;
	struct rlimit rl = {.rlim_cur = old->rlim_max, .rlim_max = old->rlim_max};
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

static int unpack_into(const struct img_ref *ref, int bundle_fd, const char *bundle,
		       const char *scratch, bool vm, struct husk_err **err)
{
	if (mkdirat(bundle_fd, "rootfs", 0755) < 0)
		return husk_err_sys(err, "%s/rootfs", bundle);
	cleanup_fd int root_fd =
	    openat(bundle_fd, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root_fd < 0)
		return husk_err_sys(err, "open %s/rootfs", bundle);
	cleanup_fd int src_fd = -1;
	if (ref->transport == IMG_OCI) {
		src_fd = open(ref->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (src_fd < 0)
			return husk_err_sys(err, "open %s", ref->path);
	} else {
		if (mkdirat(bundle_fd, scratch, 0700) < 0)
			return husk_err_sys(err, "%s/%s", bundle, scratch);
		src_fd = openat(bundle_fd, scratch, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (src_fd < 0)
			return husk_err_sys(err, "open %s/%s", bundle, scratch);
		if (img_extract_archive(ref->path, src_fd, err) < 0)
			return -1;
	}
	struct plan p = {0};
	int r = ref->transport == IMG_DOCKER_ARCHIVE
		    ? plan_docker(src_fd, ref->path, ref->tag, &p, err)
		    : plan_oci(src_fd, ref->path, ref->tag, &p, err);
	if (r == 0)
		r = apply_layers(root_fd, &p, err);
	if (r == 0)
		r = write_config(bundle_fd, root_fd, &p, vm, err);
	plan_clear(&p);
	return r;
}

/* Remove what a failed unpack made in the bundle (the scratch dir always). */
static void clean_bundle(int bundle_fd, const char *bundle, const char *scratch, bool failed)
{
	struct husk_err *e = NULL;
	if (image_remove_tree_at(bundle_fd, scratch, &e) < 0 ||
	    (failed && (image_remove_tree_at(bundle_fd, "rootfs", &e) < 0 ||
			image_remove_tree_at(bundle_fd, "config.json", &e) < 0))) {
		log_warn("image: cleaning up %s: %s", bundle, e->msg);
		husk_err_free(&e);
	}
}

int image_unpack(const struct image_unpack_opts *o, struct husk_err **err)
{
	struct img_ref ref;
	if (img_ref_parse(o->image, &ref, err) < 0)
		return -1;
	bool created = mkdir(o->bundle, 0755) == 0;
	int r = 0;
	cleanup_fd int bundle_fd = -1;
	if (!created && errno != EEXIST) {
		r = husk_err_sys(err, "create bundle %s", o->bundle);
		goto out;
	}
	bundle_fd = open(o->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bundle_fd < 0) {
		r = husk_err_sys(err, "open bundle %s", o->bundle);
		goto out;
	}
	if (faccessat(bundle_fd, "rootfs", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(bundle_fd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = husk_err_set(err, 0,
				 "bundle %s already has a rootfs or config.json; remove them first",
				 o->bundle);
		goto out;
	}
	char scratch[64];
	snprintf(scratch, sizeof(scratch), ".husk-image-%d", (int)getpid());
	struct rlimit old_nofile;
	bool raised = raise_nofile(&old_nofile);
	r = unpack_into(&ref, bundle_fd, o->bundle, scratch, o->vm, err);
	clean_bundle(bundle_fd, o->bundle, scratch, r < 0);
	if (raised)
		setrlimit(RLIMIT_NOFILE, &old_nofile);
out:
	if (r < 0 && created)
		rmdir(o->bundle);
	if (r < 0)
		husk_err_wrap(err, "image %s", o->image);
	img_ref_clear(&ref);
	return r;
}

char *image_private_bundle(const char *root, const char *id)
{
	return xasprintf("%s/.images/%s", root, id);
}

int image_private_bundle_remove(const char *root, const char *id, struct husk_err **err)
{
	cleanup_free char *dir = xasprintf("%s/.images", root);
	cleanup_fd int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : husk_err_sys(err, "open %s", dir);
	return image_remove_tree_at(fd, id, err);
}
