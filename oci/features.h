/* `husk features`: what this runtime supports, in the shape of runtime-spec
 * features.md (the same document `runc features` prints).
 *
 * Lists are NULL-terminated arrays of strings, NULL to omit the key; an
 * oci_opt_bool is written only when .set; a sub-object is written when its
 * .present is true.  oci_features_init() fills in the vocabulary the parser
 * knows (versions, hooks, namespaces, capabilities, seccomp names, runc's mount
 * options); the modules that implement a feature then set its "enabled" bits. */
#ifndef HUSK_OCI_FEATURES_H
#define HUSK_OCI_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "oci/spec.h"

typedef const char *const *oci_names; /* NULL-terminated, or NULL: omitted */

struct oci_features_toggle {
	bool present;
	oci_opt_bool enabled;
};

struct oci_features {
	const char *oci_version_min;
	const char *oci_version_max;
	oci_names hooks;
	oci_names mount_options;
	struct {
		bool present;
		oci_names namespaces;
		oci_names capabilities;
		struct {
			bool present;
			oci_opt_bool v1, v2, systemd, systemd_user, rdma;
		} cgroup;
		struct {
			bool present;
			oci_opt_bool enabled;
			oci_names actions, operators, archs, known_flags, supported_flags;
		} seccomp;
		struct oci_features_toggle apparmor, selinux, intel_rdt;
		struct {
			bool present;
			struct oci_features_toggle idmap;
		} mount_extensions;
	} linux_;
	const oci_kvv *annotations; /* NULL or empty: omitted */
	oci_names potentially_unsafe_config_annotations;
	/* memory the modules allocated for their lists, freed by oci_features_free */
	void *owned[8];
	size_t n_owned;
};

/* Zero *f, then fill the parser's vocabulary (see above). Nothing is "enabled". */
void oci_features_init(struct oci_features *f);
/* The subset of names that the module's pred accepts (the strings are shared);
 * the array belongs to f. */
oci_names oci_features_filter(struct oci_features *f, oci_names names,
			      bool (*pred)(const char *name));
/* Hand heap memory a module made for f to f (aborts past its small capacity). */
void oci_features_own(struct oci_features *f, void *p);
void oci_features_free(struct oci_features *f);

/* Pretty-printed (tabs, final newline), heap-allocated, NUL-terminated. */
int oci_features_to_json(const struct oci_features *f, char **out, size_t *len,
			 struct husk_err **err);

#endif
