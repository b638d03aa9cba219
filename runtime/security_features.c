/* What process security reports to `husk features`: asked at run time of the
 * kernel and libcap (capabilities), libseccomp and the kernel (seccomp
 * actions, operators, architectures, flags) and the LSMs. */
#include <stdio.h>

#include "common/util.h"
#include "runtime/caps.h"
#include "runtime/process_security.h"
#include "runtime/process_security_internal.h"
#include "runtime/seccomp_filter.h"

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

/* Capabilities the running kernel knows, by the names libcap gives them
 * (caps_to_name's buffer is reused: the names are copied into one block). */
static oci_names capability_names(struct oci_features *f)
{
	int last = caps_last_cap();
	const size_t name_max = 64;
	const char **out = xcalloc((size_t)last + 2, sizeof(char *));
	char *names = xcalloc((size_t)last + 1, name_max);
	oci_features_own(f, out);
	oci_features_own(f, names);
	for (int c = 0; c <= last; c++) {
		char *slot = names + (size_t)c * name_max;
		snprintf(slot, name_max, "%s", caps_to_name(c));
		out[c] = slot;
	}
	return out;
}

void process_security_features(struct oci_features *f)
{
	f->linux_.capabilities = capability_names(f);
	f->linux_.seccomp.present = true;
	f->linux_.seccomp.enabled = (oci_opt_bool){true, true};
	f->linux_.seccomp.actions =
	    oci_features_filter(f, oci_seccomp_action_names, seccomp_action_supported);
	f->linux_.seccomp.operators =
	    oci_features_filter(f, oci_seccomp_op_names, seccomp_op_supported);
	f->linux_.seccomp.archs =
	    oci_features_filter(f, oci_seccomp_arch_names, seccomp_arch_supported);
	f->linux_.seccomp.known_flags = oci_seccomp_flag_names;
	f->linux_.seccomp.supported_flags =
	    oci_features_filter(f, oci_seccomp_flag_names, seccomp_flag_name_supported);
	f->linux_.apparmor = (struct oci_features_toggle){true, {true, lsm_apparmor_enabled()}};
	f->linux_.selinux = (struct oci_features_toggle){true, {true, lsm_selinux_enabled()}};
}
