/* config.json: the top level, root, mounts and hooks; the public entry points. */
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/names.h"
#include "oci/parse_util.h"
#include "oci/validate.h"

_Static_assert(offsetof(struct oci_mount, n_uid_mappings) ==
		       offsetof(struct oci_mount, uid_mappings) + sizeof(void *) &&
		   offsetof(struct oci_mount, n_gid_mappings) ==
		       offsetof(struct oci_mount, gid_mappings) + sizeof(void *),
	       "FK_IDMAP needs the count right after the pointer");

static int decode_root(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_root, "path", FK_STR, path, F_REQ | F_NONEMPTY),
	    FLD(struct oci_root, "readonly", FK_BOOL, readonly, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), &((struct oci_config *)base)->root);
}

static int decode_mount(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_mount, "destination", FK_STR, destination, F_REQ | F_ABS),
	    FLD(struct oci_mount, "source", FK_STR, source, 0),
	    FLD(struct oci_mount, "type", FK_STR, type, 0),
	    FLD(struct oci_mount, "options", FK_STRV, options, 0),
	    FLD(struct oci_mount, "uidMappings", FK_IDMAP, uid_mappings, 0),
	    FLD(struct oci_mount, "gidMappings", FK_IDMAP, gid_mappings, 0),
	};
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
	if (r < 0)
		return r;
	struct oci_mount *m = elem;
	/* runtime-spec: idmapped mounts need both maps (runc: "both uid and gid mappings"). */
	if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
		return pc_fail(c, "uidMappings and gidMappings must be given together");
	return 0;
}

static int oci_decode_mounts(struct pctx *c, const struct jt_node *n, struct oci_config *cfg)
{
	return pc_array(c, n, sizeof(*cfg->mounts), (void **)&cfg->mounts, &cfg->n_mounts,
			decode_mount);
}

static int decode_mounts_field(struct pctx *c, const struct jt_node *n, void *base)
{
	return oci_decode_mounts(c, n, base);
}

static int decode_hook(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_hook, "path", FK_STR, path, F_REQ | F_ABS),
	    FLD(struct oci_hook, "args", FK_STRV, args, 0),
	    FLD(struct oci_hook, "env", FK_STRV, env, 0),
	    FLD(struct oci_hook, "timeout", FK_OI64, timeout, 0),
	};
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
	if (r < 0)
		return r;
	struct oci_hook *h = elem;
	if (h->timeout.set && h->timeout.v <= 0) {
		size_t old = pc_push_key(c, "timeout");
		r = pc_fail(c, "must be greater than zero, got %lld", (long long)h->timeout.v);
		pc_pop(c, old);
	}
	return r;
}

#define HOOK_LIST_FN(fname, member) PC_LIST_FN(fname, struct oci_hooks, member, decode_hook)
HOOK_LIST_FN(decode_prestart, prestart)
HOOK_LIST_FN(decode_create_runtime, create_runtime)
HOOK_LIST_FN(decode_create_container, create_container)
HOOK_LIST_FN(decode_start_container, start_container)
HOOK_LIST_FN(decode_poststart, poststart)
HOOK_LIST_FN(decode_poststop, poststop)

static int oci_decode_hooks(struct pctx *c, const struct jt_node *n, struct oci_hooks *h)
{
	static const struct field tab[] = {
	    FLD_FN("prestart", decode_prestart, 0),
	    FLD_FN("createRuntime", decode_create_runtime, 0),
	    FLD_FN("createContainer", decode_create_container, 0),
	    FLD_FN("startContainer", decode_start_container, 0),
	    FLD_FN("poststart", decode_poststart, 0),
	    FLD_FN("poststop", decode_poststop, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), h);
}

static int decode_hooks_field(struct pctx *c, const struct jt_node *n, void *base)
{
	return oci_decode_hooks(c, n, &((struct oci_config *)base)->hooks);
}

static int decode_process_field(struct pctx *c, const struct jt_node *n, void *base)
{
	return oci_decode_process(c, n, &((struct oci_config *)base)->process);
}

static int decode_linux_field(struct pctx *c, const struct jt_node *n, void *base)
{
	return oci_decode_linux(c, n, &((struct oci_config *)base)->linux_);
}

static int decode_config(struct pctx *c, const struct jt_node *root, void *arg)
{
	static const struct field tab[] = {
	    FLD(struct oci_config, "ociVersion", FK_STR, oci_version, F_REQ | F_NONEMPTY),
	    FLD_FN("root", decode_root, F_REQ),
	    FLD_FN("mounts", decode_mounts_field, 0),
	    FLD_FN("process", decode_process_field, 0),
	    FLD(struct oci_config, "hostname", FK_STR, hostname, 0),
	    FLD(struct oci_config, "domainname", FK_STR, domainname, 0),
	    FLD_FN("hooks", decode_hooks_field, 0),
	    FLD(struct oci_config, "annotations", FK_KVV, annotations, 0),
	    FLD_FN("linux", decode_linux_field, 0),
	};
	struct oci_config *cfg = arg;
	int r = pc_object(c, root, tab, ARRAY_SIZE(tab), cfg);
	if (r < 0)
		return r;
	if (!oci_semver_valid(cfg->oci_version)) {
		size_t old = pc_push_key(c, "ociVersion");
		r = pc_fail(c, "must be a SemVer 2.0.0 version such as \"1.2.0\", got \"%s\"",
			    cfg->oci_version);
		pc_pop(c, old);
		return r;
	}
	return oci_validate_config(c, cfg);
}

int oci_config_parse(const char *json, size_t len, const char *source_name, struct oci_config **out,
		     struct husk_err **err)
{
	struct oci_config *cfg = xcalloc(1, sizeof(*cfg));
	int r = pc_run(json, len, source_name, decode_config, cfg, err);
	if (r < 0) {
		oci_config_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int oci_config_load(const char *path, struct oci_config **out, struct husk_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	if (read_file_at(AT_FDCWD, path, &buf, &len, err) < 0)
		return husk_err_code(*err);
	return oci_config_parse(buf, len, path, out, err);
}

static int decode_resources_doc(struct pctx *c, const struct jt_node *root, void *arg)
{
	return oci_decode_resources(c, root, arg);
}

int oci_resources_parse(const char *json, size_t len, const char *source_name,
			struct oci_resources **out, struct husk_err **err)
{
	struct oci_resources *res = xcalloc(1, sizeof(*res));
	int r = pc_run(json, len, source_name ? source_name : "resources", decode_resources_doc,
		       res, err);
	if (r < 0) {
		oci_resources_free(res);
		return r;
	}
	*out = res;
	return 0;
}

static int decode_process_doc(struct pctx *c, const struct jt_node *root, void *arg)
{
	c->exec_process = true;
	return oci_decode_process(c, root, arg);
}

int oci_process_parse(const char *json, size_t len, const char *source_name,
		      struct oci_process **out, struct husk_err **err)
{
	struct oci_process *p = xcalloc(1, sizeof(*p));
	int r = pc_run(json, len, source_name ? source_name : "process.json", decode_process_doc, p,
		       err);
	if (r < 0) {
		oci_process_free(p);
		return r;
	}
	*out = p;
	return 0;
}
