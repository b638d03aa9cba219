#include "oci/validate.h"

#include <stdio.h>
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

/* runc's rule: a sysctl may only be set when it belongs to a namespace the
 * container has (so it cannot change the host). */
static bool is_ipc_sysctl(const char *k)
{
	static const char *const ipc[] = {
	    "kernel.msgmax", "kernel.msgmnb",	       "kernel.msgmni",
	    "kernel.sem",    "kernel.shmall",	       "kernel.shmmax",
	    "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
	return !strncmp(k, "fs.mqueue.", 10) || pc_name_index(ipc, k) >= 0;
}

static int check_sysctl(struct pctx *c, const struct oci_config *cfg, const char *key,
			const char *value)
{
	char k[256];
	snprintf(k, sizeof(k), "%s", key);
	for (char *p = k; *p; p++) /* "net/ipv4/ip_forward" is the same knob */
		if (*p == '/')
			*p = '.';
	const char *why = NULL;
	if (is_ipc_sysctl(k)) {
		if (!has_ns(cfg, OCI_NS_IPC))
			why = "needs an IPC namespace";
	} else if (!strncmp(k, "net.", 4)) {
		if (!has_ns(cfg, OCI_NS_NETWORK))
			why = "needs a network namespace";
	} else if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname")) {
		const char *field = k[7] == 'h' ? cfg->hostname : cfg->domainname;
		if (!has_ns(cfg, OCI_NS_UTS))
			why = "needs a UTS namespace";
		else if (field && field[0] && strcmp(field, value) != 0)
			why = k[7] == 'h' ? "conflicts with the hostname field"
					  : "conflicts with the domainname field";
	} else {
		why = "is not namespaced: it would change the host";
	}
	if (!why)
		return 0;
	size_t old = pc_push_key(c, "linux");
	pc_push_key(c, "sysctl");
	pc_push_mapkey(c, key);
	int r = pc_fail(c, "%s", why);
	pc_pop(c, old);
	return r;
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
			return fail_at(c, "linux.timeOffsets",
				       "time offsets need a time namespace");
		if (t->path)
			return fail_at(c, "linux.timeOffsets",
				       "time offsets cannot be set when joining an existing time "
				       "namespace");
	}
	for (size_t i = 0; i < l->sysctl.n; i++)
		if ((r = check_sysctl(c, cfg, l->sysctl.v[i].key, l->sysctl.v[i].value)) < 0)
			return r;
	return 0;
}
