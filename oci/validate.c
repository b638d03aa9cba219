#include "oci/validate.h"

#include <string.h>

static bool has_ns(const struct oci_config *cfg, enum oci_ns_type t)
{
	return oci_config_find_ns(cfg, t) != NULL;
}

static int fail_at(struct pctx *c, const char *key, const char *msg)
{
	size_t old = pc_push_key(c, key);
	int r = pc_fail(c, "%s", msg);
	pc_pop(c, old);
	return r;
}

static int check_user_ns(struct pctx *c, const struct oci_config *cfg)
{
	const struct oci_linux *l = &cfg->linux_;
	const struct oci_namespace *user = oci_config_find_ns(cfg, OCI_NS_USER);
	bool maps = l->n_uid_mappings || l->n_gid_mappings;
	if (!user && maps)
		return fail_at(c, l->n_uid_mappings ? "linux.uidMappings" : "linux.gidMappings",
			       "id mappings need a user namespace in linux.namespaces");
	/* A new user namespace without both maps could not map root: runc refuses it too. */
	if (user && !user->path && (!l->n_uid_mappings || !l->n_gid_mappings))
		return fail_at(c, l->n_uid_mappings ? "linux.gidMappings" : "linux.uidMappings",
			       "a new user namespace needs both uidMappings and gidMappings");
	return 0;
}

int oci_validate_config(struct pctx *c, const struct oci_config *cfg)
{
	int r;
	if (cfg->hostname && cfg->hostname[0] && !has_ns(cfg, OCI_NS_UTS))
		return fail_at(c, "hostname", "setting the hostname needs a UTS namespace");
	if (cfg->domainname && cfg->domainname[0] && !has_ns(cfg, OCI_NS_UTS))
		return fail_at(c, "domainname", "setting the domainname needs a UTS namespace");
	if ((r = check_user_ns(c, cfg)) < 0)
		return r;
	const struct oci_linux *l = &cfg->linux_;
	if ((l->time_monotonic.set || l->time_boottime.set)) {
		const struct oci_namespace *t = oci_config_find_ns(cfg, OCI_NS_TIME);
		if (!t)
			return fail_at(c, "linux.timeOffsets", "time offsets need a time namespace");
		if (t->path)
			return fail_at(c, "linux.timeOffsets",
				       "time offsets cannot be set when joining an existing time "
				       "namespace");
	}
	return 0;
}
