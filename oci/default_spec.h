/* The config.json that `husk spec` writes: runc spec's template, hostname "husk". */
#ifndef HUSK_OCI_DEFAULT_SPEC_H
#define HUSK_OCI_DEFAULT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Pretty-printed (tabs, final newline), heap-allocated, NUL-terminated.
 * rootless: like `runc spec --rootless`: a user namespace mapping root to the
 * caller's euid/egid, no network namespace, /sys bind-mounted, no devices cgroup. */
int oci_default_spec_json(bool rootless, char **out, size_t *len, struct husk_err **err);

/* What a spec made for an image changes in the default one (husk image unpack). */
struct oci_spec_template {
	const char *const *args; /* NULL-terminated */
	const char *const *env;
	const char *cwd;
	uint32_t uid, gid;
	const uint32_t *additional_gids;
	size_t n_additional_gids;
	bool terminal;
	bool root_readonly;
	const char *const *annotations; /* key, value, key, value, ..., NULL */
};

/* The default (rootful) spec with t's process, root and annotations. */
int oci_spec_json_from_template(const struct oci_spec_template *t, char **out, size_t *len,
				struct husk_err **err);

#endif
