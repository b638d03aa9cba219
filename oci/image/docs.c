/* The OCI image documents husk reads: index.json (and nested indexes), the
 * image manifest, the image config.  Docker's schema2 manifest and manifest
 * list have the same shape and are read by the same tables.  Errors name the
 * field path: "manifest sha256:...: layers[1].digest: ...". */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/image/internal.h"
#include "oci/parse_util.h"

static const char *const index_types[] = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json", NULL};
static const char *const manifest_types[] = {"application/vnd.oci.image.manifest.v1+json",
					     "application/vnd.docker.distribution.manifest.v2+json",
					     NULL};
static const char *const layer_types[] = {
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
    NULL};

bool img_media_is_index(const char *mt)
{
	return mt && pc_name_index(index_types, mt) >= 0;
}

bool img_media_is_manifest(const char *mt)
{
	return mt && pc_name_index(manifest_types, mt) >= 0;
}

bool img_media_is_layer(const char *mt)
{
	return mt && pc_name_index(layer_types, mt) >= 0;
}

static int decode_platform(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct img_desc, "architecture", FK_STR, arch, 0),
	    FLD(struct img_desc, "os", FK_STR, os, 0),
	    FLD(struct img_desc, "variant", FK_STR, variant, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), base);
}

static int decode_desc(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct img_desc, "mediaType", FK_STR, media_type, F_REQ | F_NONEMPTY),
	    FLD(struct img_desc, "digest", FK_STR, digest_str, F_REQ),
	    FLD_RANGE(struct img_desc, "size", FK_I64, size, F_REQ, 0, INT64_MAX),
	    FLD(struct img_desc, "annotations", FK_KVV, annotations, 0),
	    FLD_FN("platform", decode_platform, 0),
	};
	struct img_desc *d = elem;
	if (pc_object(c, n, tab, ARRAY_SIZE(tab), d) < 0)
		return -1;
	if (!img_digest_parse(d->digest_str, &d->digest)) {
		size_t old = pc_push_key(c, "digest");
		int r = pc_fail(c, "\"%s\" is not a sha256 or sha512 digest", d->digest_str);
		pc_pop(c, old);
		return r;
	}
	return 0;
}

static int decode_descs(struct pctx *c, const struct jt_node *n, struct img_desc **v, size_t *count)
{
	return pc_array(c, n, sizeof(**v), (void **)v, count, decode_desc);
}

static int check_schema(struct pctx *c, const struct jt_node *root)
{
	jt_foreach(m, root)
	{
		if (strcmp(m->key, "schemaVersion") != 0)
			continue;
		size_t old = pc_push_key(c, "schemaVersion");
		int64_t v;
		int r = pc_i64(c, m, INT64_MIN, INT64_MAX, &v);
		if (r == 0 && v != 2)
			r = pc_fail(c, "must be 2, got %lld", (long long)v);
		pc_pop(c, old);
		return r;
	}
	return pc_fail(c, "schemaVersion: required field is missing");
}

static int decode_index_manifests(struct pctx *c, const struct jt_node *n, void *base)
{
	struct img_index *x = base;
	return decode_descs(c, n, &x->manifests, &x->n_manifests);
}

static int decode_index(struct pctx *c, const struct jt_node *root, void *arg)
{
	static const struct field tab[] = {
	    FLD(struct img_index, "mediaType", FK_STR, media_type, 0),
	    FLD_FN("manifests", decode_index_manifests, F_REQ),
	};
	if (pc_object(c, root, tab, ARRAY_SIZE(tab), arg) < 0)
		return -1;
	return check_schema(c, root);
}

static int decode_manifest_config(struct pctx *c, const struct jt_node *n, void *base)
{
	return decode_desc(c, n, &((struct img_manifest *)base)->config);
}

static int decode_manifest_layers(struct pctx *c, const struct jt_node *n, void *base)
{
	struct img_manifest *m = base;
	if (decode_descs(c, n, &m->layers, &m->n_layers) < 0)
		return -1;
	for (size_t i = 0; i < m->n_layers; i++) {
		if (img_media_is_layer(m->layers[i].media_type))
			continue;
		size_t o1 = pc_push_idx(c, i), o2 = pc_push_key(c, "mediaType");
		pc_fail(c, "unsupported layer type \"%s\"", m->layers[i].media_type);
		pc_pop(c, o2);
		pc_pop(c, o1);
		return -1;
	}
	return 0;
}

static int decode_manifest(struct pctx *c, const struct jt_node *root, void *arg)
{
	static const struct field tab[] = {
	    FLD(struct img_manifest, "mediaType", FK_STR, media_type, 0),
	    FLD_FN("config", decode_manifest_config, F_REQ),
	    FLD_FN("layers", decode_manifest_layers, 0),
	};
	struct img_manifest *m = arg;
	if (pc_object(c, root, tab, ARRAY_SIZE(tab), m) < 0)
		return -1;
	if (m->media_type && !img_media_is_manifest(m->media_type)) {
		size_t old = pc_push_key(c, "mediaType");
		int r = pc_fail(c, "\"%s\" is not an image manifest", m->media_type);
		pc_pop(c, old);
		return r;
	}
	return check_schema(c, root);
}

/* ExposedPorts: {"80/tcp": {}, ...} -> its keys. */
static int decode_ports(struct pctx *c, const struct jt_node *n, void *base)
{
	struct img_config *cfg = base;
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	cfg->exposed_ports.v = xcalloc(n->u.kids.n + 1, sizeof(char *));
	jt_foreach(e, n)
	{
		size_t old = pc_push_mapkey(c, e->key);
		int r = pc_map_key_check(c, e);
		pc_pop(c, old);
		if (r < 0)
			return r;
		cfg->exposed_ports.v[cfg->exposed_ports.n++] = xstrdup(e->key);
	}
	return 0;
}

static int decode_exec_config(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct img_config, "User", FK_STR, user, 0),
	    FLD(struct img_config, "Env", FK_STRV, env, 0),
	    FLD(struct img_config, "Entrypoint", FK_STRV, entrypoint, 0),
	    FLD(struct img_config, "Cmd", FK_STRV, cmd, 0),
	    FLD(struct img_config, "WorkingDir", FK_STR, workdir, 0),
	    FLD(struct img_config, "Labels", FK_KVV, labels, 0),
	    FLD(struct img_config, "StopSignal", FK_STR, stop_signal, 0),
	    FLD_FN("ExposedPorts", decode_ports, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), base);
}

static int decode_rootfs(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct img_config, "diff_ids", FK_STRV, diff_ids, 0),
	};
	if (pc_object(c, n, tab, ARRAY_SIZE(tab), base) < 0)
		return -1;
	struct img_config *cfg = base;
	for (size_t i = 0; i < cfg->diff_ids.n; i++) {
		struct img_digest d;
		if (img_digest_parse(cfg->diff_ids.v[i], &d))
			continue;
		size_t o1 = pc_push_key(c, "diff_ids"), o2 = pc_push_idx(c, i);
		pc_fail(c, "\"%s\" is not a sha256 or sha512 digest", cfg->diff_ids.v[i]);
		pc_pop(c, o2);
		pc_pop(c, o1);
		return -1;
	}
	return 0;
}

static int decode_config(struct pctx *c, const struct jt_node *root, void *arg)
{
	static const struct field tab[] = {
	    FLD(struct img_config, "os", FK_STR, os, 0),
	    FLD(struct img_config, "architecture", FK_STR, arch, 0),
	    FLD(struct img_config, "author", FK_STR, author, 0),
	    FLD(struct img_config, "created", FK_STR, created, 0),
	    FLD_FN("config", decode_exec_config, 0),
	    FLD_FN("rootfs", decode_rootfs, 0),
	};
	return pc_object(c, root, tab, ARRAY_SIZE(tab), arg);
}

int img_index_parse(const char *json, size_t len, const char *source, struct img_index *out,
		    struct husk_err **err)
{
	*out = (struct img_index){0};
	if (pc_run(json, len, source, decode_index, out, err) < 0) {
		img_index_clear(out);
		return -1;
	}
	return 0;
}

int img_manifest_parse(const char *json, size_t len, const char *source, struct img_manifest *out,
		       struct husk_err **err)
{
	*out = (struct img_manifest){0};
	if (pc_run(json, len, source, decode_manifest, out, err) < 0) {
		img_manifest_clear(out);
		return -1;
	}
	return 0;
}

int img_config_parse(const char *json, size_t len, const char *source, struct img_config *out,
		     struct husk_err **err)
{
	*out = (struct img_config){0};
	if (pc_run(json, len, source, decode_config, out, err) < 0) {
		img_config_clear(out);
		return -1;
	}
	return 0;
}

void img_desc_clear(struct img_desc *d)
{
	free(d->media_type);
	free(d->digest_str);
	oci_kvv_clear(&d->annotations);
	free(d->os);
	free(d->arch);
	free(d->variant);
	*d = (struct img_desc){0};
}

static void descs_free(struct img_desc *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		img_desc_clear(&v[i]);
	free(v);
}

void img_index_clear(struct img_index *x)
{
	free(x->media_type);
	descs_free(x->manifests, x->n_manifests);
	*x = (struct img_index){0};
}

void img_manifest_clear(struct img_manifest *m)
{
	free(m->media_type);
	img_desc_clear(&m->config);
	descs_free(m->layers, m->n_layers);
	*m = (struct img_manifest){0};
}

void img_config_clear(struct img_config *c)
{
	free(c->os);
	free(c->arch);
	free(c->author);
	free(c->created);
	free(c->user);
	free(c->workdir);
	free(c->stop_signal);
	oci_strv_clear(&c->env);
	oci_strv_clear(&c->entrypoint);
	oci_strv_clear(&c->cmd);
	oci_strv_clear(&c->exposed_ports);
	oci_strv_clear(&c->diff_ids);
	oci_kvv_clear(&c->labels);
	*c = (struct img_config){0};
}
