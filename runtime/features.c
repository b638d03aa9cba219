/* `husk features`: what this husk supports, as runtime-spec features.md (and
 * `runc features`) describe it.  Nothing here is a fixed list of hopes: every
 * module reports its own part, asked at run time of what implements it - the
 * kernel and libcap for capabilities, libseccomp and the kernel for seccomp
 * actions, architectures and flags, the LSMs for their state, the rootfs option
 * parser for mount options and idmapped mounts. */
#include <seccomp.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/features.h"
#include "rootfs/rootfs.h"
#include "runtime/container.h"
#include "runtime/process_security.h"

int container_features_json(char **json, size_t *len, struct husk_err **err)
{
	struct oci_features f;
	oci_features_init(&f);
	rootfs_features(&f);
	cgroup_features(&f);
	process_security_features(&f);
	/* create refuses linux.intelRdt: husk manages no resctrl groups */
	f.linux_.intel_rdt = (struct oci_features_toggle){true, {true, false}};

	const struct scmp_version *v = seccomp_version();
	cleanup_free char *scmp_ver = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);
	struct oci_kv kv[] = {
	    {"io.github.seccomp.libseccomp.version", scmp_ver},
	    {"run.husk.version", HUSK_VERSION},
	    {"run.husk.commit", HUSK_COMMIT},
	};
	oci_kvv annotations = {.v = kv, .n = ARRAY_SIZE(kv)};
	f.annotations = &annotations;
	int r = oci_features_to_json(&f, json, len, err);
	oci_features_free(&f);
	return r;
}
