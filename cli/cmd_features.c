/* `husk features`: what this husk supports, as runtime-spec features.md (and
 * `runc features`) describe it.  Nothing here is a fixed list of hopes: every
 * entry is asked of the component that implements it at run time - the kernel
 * and libcap for capabilities, libseccomp and the kernel for seccomp actions,
 * architectures and flags, the LSMs for their state, the rootfs option parser
 * for mount options and idmapped mounts. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/features.h"
#include "rootfs/internal.h"
#include "runtime/caps.h"
#include "runtime/process_security_internal.h"
#include "runtime/seccomp_filter.h"

typedef bool (*name_pred)(const char *name);

/* The subset of names (NULL-terminated) that pred accepts; the strings are shared. */
static const char **filter_names(const char *const *names, name_pred pred)
{
	size_t n = 0;
	while (names[n])
		n++;
	const char **out = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (pred(names[i]))
			out[k++] = names[i];
	return out;
}

/* A mount option the rootfs module understands itself (not passed on as
 * filesystem data, not refused). */
static bool mount_option_supported(const char *name)
{
	char *v[] = {(char *)name, NULL};
	oci_strv opts = {.v = v, .n = 1};
	struct mount_opts o;
	struct husk_err *err = NULL;
	memset(&o, 0, sizeof(o));
	if (mount_opts_parse(&opts, &o, &err) < 0) {
		husk_err_free(&err);
		return false;
	}
	bool known = o.data == NULL;
	mount_opts_free(&o);
	return known;
}

static bool seccomp_flag_name_supported(const char *name)
{
	unsigned int flag;
	return seccomp_flag_parse(name, &flag, NULL) == 0 && seccomp_flag_supported(flag);
}

static bool seccomp_op_supported(const char *name)
{
	int op;
	return seccomp_op_parse(name, &op, NULL) == 0;
}

/* Capabilities the running kernel knows, by the names libcap gives them. */
static const char **capability_names(char ***owned)
{
	int last = caps_last_cap();
	const char **out = xcalloc((size_t)last + 2, sizeof(char *));
	char **own = xcalloc((size_t)last + 2, sizeof(char *));
	for (int c = 0; c <= last; c++)
		out[c] = own[c] = xstrdup(caps_to_name(c));
	*owned = own;
	return out;
}

static int cmd_features_run(struct husk_globals *g, int argc, char **argv)
{
	const struct cli_flag flags[] = {{0}};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("features", "", flags, argc, argv, 0, 0, &a, &rc))
		return rc;
	cli_args_free(&a);

	struct oci_features f;
	oci_features_init(&f);

	cleanup_free const char **mount_opts = filter_names(f.mount_options, mount_option_supported);
	f.mount_options = mount_opts;

	cleanup_strv char **cap_storage = NULL;
	cleanup_free const char **caps = capability_names(&cap_storage);
	f.linux_.capabilities = caps;

	f.linux_.cgroup.present = true;
	f.linux_.cgroup.v1 = (oci_opt_bool){true, true};
	f.linux_.cgroup.v2 = (oci_opt_bool){true, true};
	f.linux_.cgroup.systemd = (oci_opt_bool){true, false};
	f.linux_.cgroup.systemd_user = (oci_opt_bool){true, false};
	f.linux_.cgroup.rdma = (oci_opt_bool){true, true};

	cleanup_free const char **actions = filter_names(oci_seccomp_action_names, seccomp_action_supported);
	cleanup_free const char **ops = filter_names(oci_seccomp_op_names, seccomp_op_supported);
	cleanup_free const char **archs = filter_names(oci_seccomp_arch_names, seccomp_arch_supported);
	cleanup_free const char **sflags =
		filter_names(oci_seccomp_flag_names, seccomp_flag_name_supported);
	f.linux_.seccomp.present = true;
	f.linux_.seccomp.enabled = (oci_opt_bool){true, true};
	f.linux_.seccomp.actions = actions;
	f.linux_.seccomp.operators = ops;
	f.linux_.seccomp.archs = archs;
	f.linux_.seccomp.known_flags = oci_seccomp_flag_names;
	f.linux_.seccomp.supported_flags = sflags;

	f.linux_.apparmor = (struct oci_features_toggle){true, {true, lsm_apparmor_enabled()}};
	f.linux_.selinux = (struct oci_features_toggle){true, {true, lsm_selinux_enabled()}};
	f.linux_.intel_rdt = (struct oci_features_toggle){true, {true, false}};
	f.linux_.mount_extensions.present = true;
	f.linux_.mount_extensions.idmap =
		(struct oci_features_toggle){true, {true, mount_option_supported("idmap")}};

	const struct scmp_version *v = seccomp_version();
	cleanup_free char *scmp_ver = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
	struct oci_kv kv[] = {
		{"io.github.seccomp.libseccomp.version", scmp_ver},
		{"run.husk.version", HUSK_VERSION},
		{"run.husk.commit", HUSK_COMMIT},
	};
	oci_kvv annotations = {.v = kv, .n = ARRAY_SIZE(kv)};
	f.annotations = &annotations;

	struct husk_err *err = NULL;
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (oci_features_to_json(&f, &json, &len, &err) < 0)
		return cli_fail_free(&err);
	if (fwrite(json, 1, len, stdout) != len || fflush(stdout) != 0) {
		husk_err_sys(&err, "features: writing to stdout");
		return cli_fail_free(&err);
	}
	return 0;
}

HUSK_COMMAND(cmd_features, {.name = "features",
			    .summary = "show the enabled features",
			    .run = cmd_features_run});
