/* The "linux" object of config.json (resources: parse_resources.c, seccomp: parse_seccomp.c). */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/names.h"
#include "oci/parse_util.h"

_Static_assert(offsetof(struct oci_linux, n_uid_mappings) ==
		       offsetof(struct oci_linux, uid_mappings) + sizeof(void *) &&
		   offsetof(struct oci_linux, n_gid_mappings) ==
		       offsetof(struct oci_linux, gid_mappings) + sizeof(void *),
	       "FK_IDMAP needs the count right after the pointer");

int oci_decode_seccomp(struct pctx *c, const struct jt_node *n, struct oci_seccomp *s);

static int fail_at(struct pctx *c, const char *key, const char *fmt, const char *value)
{
	size_t old = pc_push_key(c, key);
	int r = pc_fail(c, fmt, value);
	pc_pop(c, old);
	return r;
}

static int decode_namespace(struct pctx *c, const struct jt_node *n, void *elem)
{
	struct ns_raw {
		char *type;
		char *path;
	} raw = {NULL, NULL};
	static const struct field tab[] = {
	    FLD(struct ns_raw, "type", FK_STR, type, F_REQ),
	    FLD(struct ns_raw, "path", FK_STR, path, 0),
	};
	struct oci_namespace *ns = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), &raw);
	if (r == 0) {
		int t = oci_ns_type_from_name(raw.type);
		if (t < 0)
			r = fail_at(c, "type", "unknown namespace type \"%s\"", raw.type);
		else
			ns->type = (enum oci_ns_type)t;
	}
	free(raw.type);
	ns->path = raw.path;
	if (ns->path && !ns->path[0]) { /* "" means "create a new one", as in runc */
		free(ns->path);
		ns->path = NULL;
	}
	if (r == 0 && ns->path && ns->path[0] != '/')
		r = fail_at(c, "path", "must be an absolute path, got \"%s\"", ns->path);
	return r;
}

static int decode_namespaces(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_linux *l = base;
	int r = pc_array(c, n, sizeof(*l->namespaces), (void **)&l->namespaces, &l->n_namespaces,
			 decode_namespace);
	if (r < 0)
		return r;
	unsigned seen = 0;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		unsigned bit = 1u << l->namespaces[i].type;
		if (seen & bit) {
			size_t old = pc_push_idx(c, i);
			r = fail_at(c, "type", "duplicate namespace type \"%s\"",
				    oci_ns_type_name(l->namespaces[i].type));
			pc_pop(c, old);
			return r;
		}
		seen |= bit;
	}
	return 0;
}

/* "timeOffsets": { "monotonic": {"secs": 1, "nanosecs": 0}, "boottime": {...} } */
static int decode_time_offsets(struct pctx *c, const struct jt_node *n, void *base)
{
	struct off_raw {
		int64_t secs;
		uint32_t nanosecs;
	};
	static const struct field tab[] = {
	    FLD(struct off_raw, "secs", FK_I64, secs, 0),
	    FLD_RANGE(struct off_raw, "nanosecs", FK_U32, nanosecs, 0, 0, 999999999),
	};
	struct oci_linux *l = base;
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	jt_foreach(e, n)
	{
		struct oci_time_offset *t;
		if (!e->key_has_nul && strcmp(e->key, "monotonic") == 0)
			t = &l->time_monotonic;
		else if (!e->key_has_nul && strcmp(e->key, "boottime") == 0)
			t = &l->time_boottime;
		else
			return fail_at(c, e->key,
				       "unknown clock \"%s\" (expected monotonic or boottime)",
				       e->key);
		struct off_raw raw = {0, 0};
		size_t old = pc_push_key(c, e->key);
		int r = pc_object(c, e, tab, ARRAY_SIZE(tab), &raw);
		pc_pop(c, old);
		if (r < 0)
			return r;
		*t = (struct oci_time_offset){
		    .set = true, .secs = raw.secs, .nanosecs = raw.nanosecs};
	}
	return 0;
}

static int decode_device(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_device, "type", FK_STR, type, F_REQ),
	    FLD(struct oci_device, "path", FK_STR, path, F_REQ | F_ABS),
	    FLD(struct oci_device, "major", FK_I64, major, 0),
	    FLD(struct oci_device, "minor", FK_I64, minor, 0),
	    FLD_RANGE(struct oci_device, "fileMode", FK_OU64, file_mode, 0, 0, UINT32_MAX),
	    FLD_RANGE(struct oci_device, "uid", FK_OU64, uid, 0, 0, UINT32_MAX),
	    FLD_RANGE(struct oci_device, "gid", FK_OU64, gid, 0, 0, UINT32_MAX),
	};
	struct oci_device *d = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), d);
	if (r < 0)
		return r;
	const char *t = d->type;
	if (strcmp(t, "c") && strcmp(t, "b") && strcmp(t, "u") && strcmp(t, "p"))
		return fail_at(c, "type", "unknown device type \"%s\" (expected c, b, u or p)", t);
	/* major/minor are REQUIRED except for fifos. */
	if (strcmp(t, "p") != 0) {
		const struct jt_node *maj = NULL, *min = NULL;
		jt_foreach(m, n)
		{
			if (m->type == JT_NULL || m->key_has_nul)
				continue;
			if (strcmp(m->key, "major") == 0)
				maj = m;
			else if (strcmp(m->key, "minor") == 0)
				min = m;
		}
		if (!maj || !min)
			return fail_at(c, maj ? "minor" : "major", "%s",
				       "required field is missing (for type c, b and u)");
	}
	if (d->major < 0 || d->minor < 0)
		return fail_at(c, d->major < 0 ? "major" : "minor", "%s", "must not be negative");
	return 0;
}

static int decode_devices(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_linux *l = base;
	return pc_array(c, n, sizeof(*l->devices), (void **)&l->devices, &l->n_devices,
			decode_device);
}

static int decode_resources_field(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_linux *l = base;
	int r = oci_decode_resources(c, n, &l->resources);
	l->resources_present = r == 0;
	return r;
}

static int decode_intel_rdt(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_intel_rdt, "closID", FK_STR, clos_id, 0),
	    FLD(struct oci_intel_rdt, "l3CacheSchema", FK_STR, l3_cache_schema, 0),
	    FLD(struct oci_intel_rdt, "memBwSchema", FK_STR, mem_bw_schema, 0),
	    FLD(struct oci_intel_rdt, "enableCMT", FK_OBOOL, enable_cmt, 0),
	    FLD(struct oci_intel_rdt, "enableMBM", FK_OBOOL, enable_mbm, 0),
	};
	struct oci_intel_rdt *rdt = &((struct oci_linux *)base)->intel_rdt;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), rdt);
	if (r < 0)
		return r;
	rdt->present = true;
	/* closID names a resctrl directory: it must be a single path component. */
	if (rdt->clos_id && (!rdt->clos_id[0] || strchr(rdt->clos_id, '/') ||
			     !strcmp(rdt->clos_id, ".") || !strcmp(rdt->clos_id, "..")))
		return fail_at(c, "closID", "invalid CLOS id \"%s\"", rdt->clos_id);
	return 0;
}

static int decode_seccomp_field(struct pctx *c, const struct jt_node *n, void *base)
{
	return oci_decode_seccomp(c, n, &((struct oci_linux *)base)->seccomp);
}

static int decode_propagation(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_linux *l = base;
	int r = pc_str(c, n, &l->rootfs_propagation);
	if (r == 0 && l->rootfs_propagation[0] &&
	    pc_name_index(oci_propagation_names, l->rootfs_propagation) < 0)
		r = pc_fail(c,
			    "unknown propagation \"%s\" (expected shared, slave, private or "
			    "unbindable)",
			    l->rootfs_propagation);
	return r;
}

static int abs_paths(struct pctx *c, const struct jt_node *n, oci_strv *v)
{
	int r = pc_strv(c, n, v);
	for (size_t i = 0; r == 0 && i < v->n; i++) {
		if (v->v[i][0] != '/') {
			size_t old = pc_push_idx(c, i);
			r = pc_fail(c, "must be an absolute path, got \"%s\"", v->v[i]);
			pc_pop(c, old);
		}
	}
	return r;
}

static int decode_masked(struct pctx *c, const struct jt_node *n, void *base)
{
	return abs_paths(c, n, &((struct oci_linux *)base)->masked_paths);
}

static int decode_readonly(struct pctx *c, const struct jt_node *n, void *base)
{
	return abs_paths(c, n, &((struct oci_linux *)base)->readonly_paths);
}

static int decode_personality(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_personality, "domain", FK_STR, domain, F_REQ),
	    FLD(struct oci_personality, "flags", FK_STRV, flags, 0),
	};
	struct oci_personality *p = &((struct oci_linux *)base)->personality;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), p);
	if (r < 0)
		return r;
	if (pc_name_index(oci_personality_domain_names, p->domain) < 0)
		return fail_at(c, "domain",
			       "unknown personality domain \"%s\" (expected LINUX or LINUX32)",
			       p->domain);
	p->present = true;
	return 0;
}

/* "netDevices": { "eth1": { "name": "ctr0" } } */
static int decode_net_devices(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_net_device, "name", FK_STR, name, 0),
	};
	struct oci_linux *l = base;
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	l->net_devices = xcalloc(n->u.kids.n ? n->u.kids.n : 1, sizeof(*l->net_devices));
	jt_foreach(e, n)
	{
		struct oci_net_device *d = NULL;
		for (size_t i = 0; i < l->n_net_devices; i++)
			if (strcmp(l->net_devices[i].host_name, e->key) == 0)
				d = &l->net_devices[i]; /* repeated key: last one wins */
		if (!d) {
			d = &l->net_devices[l->n_net_devices++];
			d->host_name = xstrdup(e->key);
		}
		size_t old = pc_push_mapkey(c, e->key);
		int r;
		if (e->key_has_nul || !oci_netdev_name_valid(e->key))
			r = pc_fail(c, "invalid network interface name");
		else
			r = pc_object(c, e, tab, ARRAY_SIZE(tab), d);
		if (r == 0 && d->name && !oci_netdev_name_valid(d->name))
			r = fail_at(c, "name", "invalid network interface name \"%s\"", d->name);
		pc_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

static int decode_memory_policy(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_memory_policy, "mode", FK_STR, mode, F_REQ),
	    FLD(struct oci_memory_policy, "nodes", FK_STR, nodes, 0),
	    FLD(struct oci_memory_policy, "flags", FK_STRV, flags, 0),
	};
	struct oci_memory_policy *mp = &((struct oci_linux *)base)->memory_policy;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), mp);
	if (r < 0)
		return r;
	if (pc_name_index(oci_mpol_mode_names, mp->mode) < 0)
		return fail_at(c, "mode", "unknown memory policy mode \"%s\"", mp->mode);
	bool has_nodes = mp->nodes && mp->nodes[0];
	if (has_nodes && !oci_cpu_list_valid(mp->nodes))
		return fail_at(c, "nodes", "invalid node list \"%s\"", mp->nodes);
	/* The kernel's rules (set_mempolicy(2)), checked here for a clear message. */
	bool no_nodes = !strcmp(mp->mode, "MPOL_DEFAULT") || !strcmp(mp->mode, "MPOL_LOCAL");
	bool need_nodes = !no_nodes && strcmp(mp->mode, "MPOL_PREFERRED") != 0;
	if (no_nodes && has_nodes)
		return fail_at(c, "nodes", "must be empty for %s", mp->mode);
	if (need_nodes && !has_nodes)
		return fail_at(c, "nodes", "is required for %s", mp->mode);
	for (size_t i = 0; i < mp->flags.n; i++) {
		if (pc_name_index(oci_mpol_flag_names, mp->flags.v[i]) < 0) {
			size_t old = pc_push_key(c, "flags");
			pc_push_idx(c, i);
			r = pc_fail(c, "unknown memory policy flag \"%s\"", mp->flags.v[i]);
			pc_pop(c, old);
			return r;
		}
	}
	if (pc_name_index((const char *const *)mp->flags.v, "MPOL_F_STATIC_NODES") >= 0 &&
	    pc_name_index((const char *const *)mp->flags.v, "MPOL_F_RELATIVE_NODES") >= 0)
		return fail_at(
		    c, "flags", "%s",
		    "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES are mutually exclusive");
	mp->present = true;
	return 0;
}

int oci_decode_linux(struct pctx *c, const struct jt_node *n, struct oci_linux *l)
{
	static const struct field tab[] = {
	    FLD_FN("namespaces", decode_namespaces, 0),
	    FLD(struct oci_linux, "uidMappings", FK_IDMAP, uid_mappings, 0),
	    FLD(struct oci_linux, "gidMappings", FK_IDMAP, gid_mappings, 0),
	    FLD_FN("timeOffsets", decode_time_offsets, 0),
	    FLD_FN("devices", decode_devices, 0),
	    FLD(struct oci_linux, "cgroupsPath", FK_STR, cgroups_path, 0),
	    FLD_FN("resources", decode_resources_field, 0),
	    FLD_FN("intelRdt", decode_intel_rdt, 0),
	    FLD(struct oci_linux, "sysctl", FK_KVV, sysctl, 0),
	    FLD_FN("seccomp", decode_seccomp_field, 0),
	    FLD_FN("rootfsPropagation", decode_propagation, 0),
	    FLD_FN("maskedPaths", decode_masked, 0),
	    FLD_FN("readonlyPaths", decode_readonly, 0),
	    FLD(struct oci_linux, "mountLabel", FK_STR, mount_label, 0),
	    FLD_FN("personality", decode_personality, 0),
	    FLD_FN("netDevices", decode_net_devices, 0),
	    FLD_FN("memoryPolicy", decode_memory_policy, 0),
	};
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), l);
	if (r < 0)
		return r;
	l->present = true;
	return 0;
}
