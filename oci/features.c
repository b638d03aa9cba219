#include "oci/features.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#include "oci/json_gen.h"
#include "oci/names.h"

static const char *const hook_names[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    NULL};

static const char *const ns_names[] = {"cgroup", "ipc",	 "mount", "network", "pid",
				       "time",	 "user", "uts",	  NULL};

/* The options runc's `features` lists (mount(8) flags, propagation, recursive
 * variants, tmpcopyup). */
static const char *const mount_option_names[] = {
    "acl",
    "async",
    "atime",
    "bind",
    "defaults",
    "dev",
    "diratime",
    "dirsync",
    "exec",
    "iversion",
    "lazytime",
    "loud",
    "mand",
    "noacl",
    "noatime",
    "nodev",
    "nodiratime",
    "noexec",
    "noiversion",
    "nolazytime",
    "nomand",
    "norelatime",
    "nostrictatime",
    "nosuid",
    "nosymfollow",
    "private",
    "ratime",
    "rbind",
    "rdev",
    "rdiratime",
    "relatime",
    "remount",
    "rexec",
    "rnoatime",
    "rnodev",
    "rnodiratime",
    "rnoexec",
    "rnorelatime",
    "rnostrictatime",
    "rnosuid",
    "rnosymfollow",
    "ro",
    "rprivate",
    "rrelatime",
    "rro",
    "rrw",
    "rshared",
    "rslave",
    "rstrictatime",
    "rsuid",
    "rsymfollow",
    "runbindable",
    "rw",
    "shared",
    "silent",
    "slave",
    "strictatime",
    "suid",
    "symfollow",
    "sync",
    "tmpcopyup",
    "unbindable",
    NULL,
};

void oci_features_own(struct oci_features *f, void *p)
{
	if (f->n_owned == ARRAY_SIZE(f->owned))
		abort();
	f->owned[f->n_owned++] = p;
}

oci_names oci_features_filter(struct oci_features *f, oci_names names,
			      bool (*pred)(const char *name))
{
	size_t n = 0;
	while (names[n])
		n++;
	const char **out = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (pred(names[i]))
			out[k++] = names[i];
	oci_features_own(f, out);
	return out;
}

void oci_features_free(struct oci_features *f)
{
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
	f->n_owned = 0;
}

void oci_features_init(struct oci_features *f)
{
	memset(f, 0, sizeof(*f));
	f->oci_version_min = "1.0.0";
	f->oci_version_max = OCI_SPEC_VERSION;
	f->hooks = hook_names;
	f->mount_options = mount_option_names;
	f->linux_.present = true;
	f->linux_.namespaces = ns_names;
	f->linux_.capabilities = oci_cap_names;
	f->linux_.seccomp.actions = oci_seccomp_action_names;
	f->linux_.seccomp.operators = oci_seccomp_op_names;
	f->linux_.seccomp.archs = oci_seccomp_arch_names;
	f->linux_.seccomp.known_flags = oci_seccomp_flag_names;
}

static bool gen_list(yajl_gen g, const char *key, oci_names v)
{
	return !v || jg_kstrv(g, key, v);
}

static bool gen_opt_bool(yajl_gen g, const char *key, oci_opt_bool b)
{
	return !b.set || jg_kbool(g, key, b.v);
}

static bool gen_toggle(yajl_gen g, const char *key, const struct oci_features_toggle *t)
{
	if (!t->present)
		return true;
	return jg_key(g, key) && jg_open_map(g) && gen_opt_bool(g, "enabled", t->enabled) &&
	       jg_close_map(g);
}

static bool gen_cgroup(yajl_gen g, const struct oci_features *f)
{
	if (!f->linux_.cgroup.present)
		return true;
	return jg_key(g, "cgroup") && jg_open_map(g) &&
	       gen_opt_bool(g, "v1", f->linux_.cgroup.v1) &&
	       gen_opt_bool(g, "v2", f->linux_.cgroup.v2) &&
	       gen_opt_bool(g, "systemd", f->linux_.cgroup.systemd) &&
	       gen_opt_bool(g, "systemdUser", f->linux_.cgroup.systemd_user) &&
	       gen_opt_bool(g, "rdma", f->linux_.cgroup.rdma) && jg_close_map(g);
}

static bool gen_seccomp(yajl_gen g, const struct oci_features *f)
{
	if (!f->linux_.seccomp.present)
		return true;
	return jg_key(g, "seccomp") && jg_open_map(g) &&
	       gen_opt_bool(g, "enabled", f->linux_.seccomp.enabled) &&
	       gen_list(g, "actions", f->linux_.seccomp.actions) &&
	       gen_list(g, "operators", f->linux_.seccomp.operators) &&
	       gen_list(g, "archs", f->linux_.seccomp.archs) &&
	       gen_list(g, "knownFlags", f->linux_.seccomp.known_flags) &&
	       gen_list(g, "supportedFlags", f->linux_.seccomp.supported_flags) && jg_close_map(g);
}

static bool gen_linux(yajl_gen g, const struct oci_features *f)
{
	if (!f->linux_.present)
		return true;
	bool ok = jg_key(g, "linux") && jg_open_map(g) &&
		  gen_list(g, "namespaces", f->linux_.namespaces) &&
		  gen_list(g, "capabilities", f->linux_.capabilities) && gen_cgroup(g, f) &&
		  gen_seccomp(g, f) && gen_toggle(g, "apparmor", &f->linux_.apparmor) &&
		  gen_toggle(g, "selinux", &f->linux_.selinux) &&
		  gen_toggle(g, "intelRdt", &f->linux_.intel_rdt);
	if (ok && f->linux_.mount_extensions.present)
		ok = jg_key(g, "mountExtensions") && jg_open_map(g) &&
		     gen_toggle(g, "idmap", &f->linux_.mount_extensions.idmap) && jg_close_map(g);
	return ok && jg_close_map(g);
}

int oci_features_to_json(const struct oci_features *f, char **out, size_t *len,
			 struct husk_err **err)
{
	yajl_gen g = jg_new(true);
	bool ok = jg_open_map(g) &&
		  jg_kstr(g, "ociVersionMin", f->oci_version_min ? f->oci_version_min : "1.0.0") &&
		  jg_kstr(g, "ociVersionMax",
			  f->oci_version_max ? f->oci_version_max : OCI_SPEC_VERSION) &&
		  gen_list(g, "hooks", f->hooks) && gen_list(g, "mountOptions", f->mount_options) &&
		  gen_linux(g, f);
	if (ok && f->annotations && f->annotations->n) {
		ok = jg_key(g, "annotations") && jg_open_map(g);
		for (size_t i = 0; ok && i < f->annotations->n; i++)
			ok = jg_kstr(g, f->annotations->v[i].key, f->annotations->v[i].value);
		ok = ok && jg_close_map(g);
	}
	ok = ok &&
	     gen_list(g, "potentiallyUnsafeConfigAnnotations",
		      f->potentially_unsafe_config_annotations) &&
	     jg_close_map(g);
	if (jg_finish(g, ok, out, len, err) < 0)
		return husk_err_wrap(err, "features");
	return 0;
}
